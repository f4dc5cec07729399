"""The public pages a city puts online, in headless Chromium at 390 px and 1280 px: every
session state, the form with a paid session, "Ma réservation" new, past, cancelled and modified,
the quantity change, "Retrouver mes réservations", the legal and error pages. On each: axe-core
without serious or critical violation, nothing wider than the window, a screenshot kept under
var/screenshots/public/ for review."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
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


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=VIEWPORTS.keys())
def test_city_pages(axe_script, live_server, chromium, world, viewport):
    context = chromium.new_context(bypass_csp=True, locale="fr-FR", viewport=VIEWPORTS[viewport])
    keep_offline(context, live_server.url)
    page = context.new_page()
    page.set_default_timeout(5000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    found, too_wide = {}, []

    def check(name: str, path: str, heading: str) -> None:
        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        expect(page.get_by_role("link", name="Accessibilité : non conforme")).to_be_visible()
        found[name] = blocking_violations(page, axe_script)
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            too_wide.append(name)
        page.screenshot(path=SCREENSHOTS / f"{name}-{viewport}.png", full_page=True)

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
    found["reservation-modifiee"] = blocking_violations(page, axe_script)
    page.screenshot(path=SCREENSHOTS / f"reservation-modifiee-{viewport}.png", full_page=True)
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
    context.close()

    assert not any(found.values()), "axe-core:\n" + describe(found)
    assert not too_wide, f"wider than the window: {too_wide}"
