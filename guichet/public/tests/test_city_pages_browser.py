"""The public pages a city puts online, in headless Chromium at 390 px and 1280 px: every
session state, the form with a paid session, "Ma réservation" new, past, cancelled and modified,
the quantity change, "Retrouver mes réservations", the legal pages, and the error pages (403 of
a form sent without its cookie, 404, 429, 500 with the database down) with DEBUG off. On each:
axe-core without serious or critical violation, the legal footer, nothing wider than the window,
a screenshot kept under var/screenshots/public/ for review."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from guichet.bookings.services import reservation_cancel, reservation_create, session_save
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.models import SessionStatus
from guichet.catalogue.tests.factories import ActivityFactory, SessionFactory
from guichet.public.tests.browsing import keep_offline
from guichet.public.tests.conftest import PARIS
from guichet.public.tests.test_accessibility import axe_script, blocking_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["axe_script"]  # the fixture, shared with test_accessibility

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SCREENSHOTS = settings.BASE_DIR / "var" / "screenshots" / "public"


def _at(days: int, hour: int = 10):
    start = (timezone.now() + timedelta(days=days)).astimezone(PARIS)
    return start.replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def world(organisation):
    activity = ActivityFactory(name="Visite des serres", booking_delay=timedelta(days=1))
    paid = SessionFactory(activity=activity, start=_at(9), price=Decimal("12.50"), seat_limit=12)
    SessionFactory(activity=activity, start=_at(10), status=SessionStatus.CANCELLED, reason="Pluie")
    SessionFactory(activity=activity, start=_at(11), seats_taken=10)
    SessionFactory(activity=activity, start=_at(0, 23) + timedelta(minutes=30))  # closed
    postponed = SessionFactory(activity=activity, start=_at(12))
    postponed.status, postponed.new_start = SessionStatus.POSTPONED, _at(19)
    session_save(session=postponed)
    SessionFactory(activity=ActivityFactory(name="Jardin libre", bookable_online=False))
    new = reservation_create(session=paid, **booking_data(quantity=2, first_name="Anne"))
    cancelled = reservation_create(session=paid, **booking_data())
    reservation_cancel(reservation=cancelled)
    past_session = SessionFactory(activity=activity, start=_at(-3))
    past = reservation_create(session=past_session, **booking_data(online=False))
    return {
        "activity": activity,
        "paid": paid,
        "new": new,
        "cancelled": cancelled,
        "past": past,
    }


class Review:
    """A browser page at one of the VIEWPORTS, and what was found on each page reviewed."""

    def __init__(self, chromium, live_server, axe_script: str, viewport: str):
        # axe is injected as a script: the content security policy is bypassed.
        self.context = chromium.new_context(
            bypass_csp=True, locale="fr-FR", viewport=VIEWPORTS[viewport]
        )
        keep_offline(self.context, live_server.url)
        self.page = self.context.new_page()
        self.page.set_default_timeout(5000)
        self.axe_script, self.viewport = axe_script, viewport
        self.found: dict[str, list[dict]] = {}
        self.too_wide: list[str] = []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def page_shown(self, name: str, heading: str) -> None:
        """The page now shown, headed by `heading`: the legal footer, axe-core, its width; its
        screenshot kept."""
        page = self.page
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        expect(page.get_by_role("link", name="Accessibilité : non conforme")).to_be_visible()
        self.found[name] = blocking_violations(page, self.axe_script)
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            self.too_wide.append(name)
        page.screenshot(path=SCREENSHOTS / f"{name}-{self.viewport}.png", full_page=True)

    def close_and_assert(self) -> None:
        self.context.close()
        assert not any(self.found.values()), "axe-core:\n" + describe(self.found)
        assert not self.too_wide, f"wider than the window: {self.too_wide}"


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORTS.keys())
def test_city_pages(axe_script, live_server, chromium, world, viewport):
    review = Review(chromium, live_server, axe_script, viewport)
    page = review.page

    def check(name: str, path: str, heading: str) -> None:
        page.goto(live_server.url + path)
        review.page_shown(name, heading)

    token = {key: world[key].token for key in ("new", "cancelled", "past")}
    check("liste", "/", "Les activités")
    expect(page.get_by_text("Prochaine date").first).to_be_visible()
    check(
        "activite",
        reverse("public:activity_detail", args=[world["activity"].slug]),
        "Visite des serres",
    )
    expect(page.get_by_text("initialement le")).to_be_visible()
    check(
        "formulaire",
        reverse("public:session_book", args=[world["paid"].pk]),
        "Formulaire de réservation",
    )
    page.get_by_role("combobox", name="Quantité").select_option("3")
    expect(page.locator("[data-total]")).to_have_text("Total : 37,50\u00a0€")
    reservation = reverse("public:reservation_detail", args=[token["new"]])
    check("reservation-nouvelle", reservation + "?enregistree=1", "Ma réservation")
    check(
        "modifier",
        reverse("public:reservation_change", args=[token["new"]]),
        "Modifier le nombre de places",
    )
    page.get_by_role("combobox", name="Nombre de places").select_option("4")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Votre réservation est modifiée : 4 places.")).to_be_visible()
    review.page_shown("reservation-modifiee", "Ma réservation")
    check(
        "reservation-passee",
        reverse("public:reservation_detail", args=[token["past"]]),
        "Ma réservation",
    )
    expect(page.get_by_text("Cette activité a eu lieu")).to_be_visible()
    check(
        "reservation-annulee",
        reverse("public:reservation_detail", args=[token["cancelled"]]),
        "Ma réservation",
    )
    check("retrouver", reverse("public:reservations_find"), "Retrouver mes réservations")
    check("accessibilite", reverse("public:accessibility"), "Déclaration d'accessibilité")
    check("mentions", reverse("public:legal_notice"), "Mentions légales")
    check("donnees", reverse("public:personal_data"), "Données personnelles")
    check("erreur-404", "/nulle-part/", "Page introuvable")
    review.close_and_assert()


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORTS.keys())
def test_error_pages(
    axe_script, live_server, chromium, organisation, settings, monkeypatch, viewport
):
    """With DEBUG off, as in production: 403 (a form sent without its cookie, as from a site that
    frames ours with cookies blocked), 429 and 500 (the database down too)."""
    assert not settings.DEBUG
    # A day's window: django-ratelimit's windows are fixed, and the second form must not fall
    # into the next one (with "1/m", it did now and then).
    settings.BOOKING_RATE_LIMIT = "1/d"
    review = Review(chromium, live_server, axe_script, viewport)
    page = review.page
    find = live_server.url + reverse("public:reservations_find")

    def send_find_form(*, cookies: bool = True) -> None:
        page.goto(find)
        if not cookies:
            review.context.clear_cookies()
        page.get_by_role("textbox", name="Email").fill("anne@example.org")
        page.get_by_role("button", name="Recevoir mes liens").click()

    send_find_form(cookies=False)
    review.page_shown("erreur-403-formulaire", "Formulaire expiré")
    expect(page.get_by_text("Rechargez la page puis renvoyez le formulaire.")).to_be_visible()

    send_find_form()
    expect(page.locator("[data-alert=sent]")).to_be_visible()
    send_find_form()
    review.page_shown("erreur-429", "Trop de demandes")

    settings.ORGANISATION_FALLBACK_NAME = "Ville de Secours"
    monkeypatch.setattr("guichet.public.views.activity_list_public", _broken)
    monkeypatch.setattr("guichet.public.errors.organisation_get", _database_down)
    page.goto(live_server.url + "/")
    review.page_shown("erreur-500", "Erreur du serveur")
    expect(page.get_by_text("Ville de Secours").first).to_be_visible()
    review.close_and_assert()


def _broken(**kwargs):
    raise RuntimeError("boom")


def _database_down():
    raise OperationalError("connection refused")
