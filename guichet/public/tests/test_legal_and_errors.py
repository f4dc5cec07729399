"""What a French city must publish: the legal pages, the footer on every public page, and the
error pages in French (the settings run with DEBUG off, as in production)."""

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django_ratelimit.exceptions import Ratelimited

from guichet.bookings.services import reservation_create
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.tests.factories import SessionFactory
from guichet.core.models import ConformityLevel
from guichet.notifications.tests.helpers import png_bytes
from guichet.public import errors

pytestmark = pytest.mark.usefixtures("page_cache")

LEGAL_LINKS = (
    '<a href="/accessibilite/">Accessibilité : non conforme</a>',
    '<a href="/mentions-legales/">Mentions légales</a>',
    '<a href="/donnees-personnelles/">Données personnelles</a>',
    '<a href="tel:+33320000000">Contact</a>',
    '<a href="https://www.example.org/">Site de Ville d&#x27;Exemple</a>',
)


@pytest.fixture
def city(organisation):
    organisation.website = "https://www.example.org/"
    organisation.save()
    return organisation


def public_urls(session) -> list[str]:
    reservation = reservation_create(session=session, **booking_data())
    return [
        reverse("public:activity_list"),
        reverse("public:activity_detail", args=[session.activity.slug]),
        reverse("public:session_book", args=[session.pk]),
        reverse("public:reservation_detail", args=[reservation.token]),
        reverse("public:reservation_cancel", args=[reservation.token]),
        reverse("public:reservation_change", args=[reservation.token]),
        reverse("public:reservations_find"),
        reverse("public:accessibility"),
        reverse("public:legal_notice"),
        reverse("public:personal_data"),
        "/page-qui-n-existe-pas/",
    ]


def test_every_public_page_has_the_legal_links_and_the_conformity_level(client, now, city):
    for url in public_urls(SessionFactory()):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        html = response.content.decode()
        for link in LEGAL_LINKS:
            assert link in html, (url, link)


@pytest.mark.parametrize(
    ("url", "title", "text"),
    [
        ("/accessibilite/", "Déclaration d&#x27;accessibilité", "Défenseur des droits"),
        ("/mentions-legales/", "Mentions légales", "Hébergement"),
        ("/donnees-personnelles/", "Données personnelles", "Durée de conservation"),
    ],
)
def test_legal_pages_show_their_defaults(client, city, url, title, text):
    html = client.get(url).content.decode()
    assert f"<h1>{title}</h1>" in html and text in html


def test_accessibility_page_says_the_level_date_and_pages_audited(client, city):
    city.accessibility_level = ConformityLevel.PARTIAL
    city.accessibility_statement_date = "2026-11-02"
    city.accessibility_pages_audited = "Liste des activités\nFormulaire de réservation\n"
    city.legal_notice = ""  # emptied: the default shows again
    city.save()
    html = client.get("/accessibilite/").content.decode()
    assert "Ce site est <strong>partiellement conforme</strong> au RGAA." in html
    assert "Déclaration établie le lundi 2 novembre 2026." in html
    assert "<li>Liste des activités</li><li>Formulaire de réservation</li>" in html
    assert "Accessibilité : partiellement conforme" in html
    assert "Hébergement" in client.get("/mentions-legales/").content.decode()


def test_legal_page_text_is_sanitised(client, city):
    city.personal_data = '<p>Texte</p><script>alert("x")</script>'
    city.save()
    html = client.get("/donnees-personnelles/").content.decode()
    assert "<p>Texte</p>" in html and 'alert("x")' not in html


def test_the_logo_heads_the_site_and_the_printed_reservation(client, now, city, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    city.logo.save("logo.png", ContentFile(png_bytes()), save=True)
    reservation = reservation_create(session=SessionFactory(), **booking_data())
    page = client.get(reverse("public:activity_list")).content.decode()
    assert f'<img class="site-header__logo" src="{city.logo.url}" alt="">' in page
    url = reverse("public:reservation_detail", args=[reservation.token])
    page = client.get(url).content.decode()
    assert f'<img class="print-header__logo" src="{city.logo.url}" alt="">' in page


def _assert_french_error_page(response, status: int, message: str) -> None:
    html = response.content.decode()
    assert response.status_code == status
    assert not settings.DEBUG
    assert '<html lang="fr">' in html and message in html
    assert '<a class="button" href="/">Retour à la liste des activités</a>' in html
    assert '<a href="tel:+33320000000">+33 3 20 00 00 00</a>' in html
    assert "Mentions légales" in html


def test_404_in_french(client, city):
    _assert_french_error_page(client.get("/nulle-part/"), 404, "Page introuvable")


def test_403_csrf_asks_to_reload(city):
    session = SessionFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("public:session_book", args=[session.pk]), booking_data())
    _assert_french_error_page(response, 403, "Rechargez la page puis renvoyez le formulaire.")


def test_429_in_french(rf, city):
    response = errors.permission_denied(rf.get("/"), Ratelimited())
    _assert_french_error_page(response, 429, "Trop de demandes")


def test_500_in_french_with_the_database_down(rf, settings, monkeypatch, organisation):
    settings.ORGANISATION_FALLBACK_NAME = "Ville de Secours"
    settings.ORGANISATION_FALLBACK_PHONE = "+33320000000"

    def database_down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(errors, "organisation_get", database_down)
    response = errors.server_error(rf.get("/"))
    _assert_french_error_page(response, 500, "Une erreur est survenue de notre côté.")
    assert "Ville de Secours" in response.content.decode()


def test_500_from_a_failing_view(client, monkeypatch, city):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("guichet.public.views.activity_list_public", broken)
    client.raise_request_exception = False
    _assert_french_error_page(client.get("/"), 500, "Erreur du serveur")


def test_contact_is_the_contact_address_once_there_is_one(client, city):
    city.contact_email = "parcs@example.org"
    city.save()
    html = client.get("/").content.decode()
    assert '<a href="mailto:parcs@example.org">Contact</a>' in html
