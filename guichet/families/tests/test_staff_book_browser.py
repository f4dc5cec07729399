"""Staff's "Réserver pour une famille" in headless Chromium: the keyboard-only path (search a
household, pick a child, tick a day past its booking deadline, "Valider" without a reason: the
French refusal with the input kept; then with a reason), and axe-core on each state of the page
at desktop and phone widths: no serious or critical violation."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.catalogue.models import Session
from guichet.families.models import ChangeOrigin, ReservationChange
from guichet.public.tests.browsing import keep_offline, record_errors
from guichet.public.tests.test_accessibility import (
    VIEWPORTS,
    axe_script,
    blocking_violations,
    describe,
)
from guichet.public.tests.test_browser import tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["axe_script"]  # the fixture, used by name

URL = reverse("families:staff_book")
WAIT = 15_000  # milliseconds an expectation waits for its page


@pytest.fixture
def late_monday(child, period, session_of, now):
    """1 March, its booking deadline passed an hour ago (the rest of March still open)."""
    monday = session_of(date(2027, 3, 1))
    Session.objects.filter(pk=monday.pk).update(closes_at=now - timedelta(hours=1))
    return monday


def staff_page(chromium, live_server, staff_member, viewport=None):
    client = Client()
    client.force_login(staff_member("Gestionnaire famille"))
    options = {"locale": "fr-FR", "bypass_csp": True} | ({"viewport": viewport} if viewport else {})
    context = chromium.new_context(**options)
    keep_offline(context, live_server.url)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(20_000)  # the machine is shared: a page may take seconds
    return context, page


def test_staff_book_late_with_the_keyboard_only(
    chromium, live_server, staff_member, child, late_monday
):
    context, page = staff_page(chromium, live_server, staff_member)
    errors = record_errors(page, live_server.url)
    page.goto(live_server.url + URL)
    search = page.get_by_role("searchbox", name="Compte famille (nom ou numéro)")
    tab_to(page, search, limit=60)
    expect(search).to_be_focused()
    page.keyboard.type(child.household.number)
    page.keyboard.press("Enter")
    household = page.get_by_role("link", name=f"{child.household.number} — {child.household.name}")
    tab_to(page, household, limit=60)
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name="Léa Exemple"), limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Léa Exemple — Février 2027")).to_be_visible()
    expect(page.get_by_text("Aucune activité ouverte à cet enfant ce mois-ci.")).to_be_visible()
    tab_to(page, page.get_by_role("link", name="Mois suivant"), limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Léa Exemple — Mars 2027")).to_be_visible()
    monday = page.get_by_role("checkbox", name="lundi 1er mars 2027, APS MATIN")
    tab_to(page, monday, limit=80)
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Valider"), limit=200)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Hors délai : indiquez le motif.")).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("checkbox", name="lundi 1er mars 2027, APS MATIN")).to_be_checked()
    assert not Reservation.objects.exists()
    reason = page.get_by_role("textbox", name="Motif (obligatoire hors délai)")
    tab_to(page, reason, limit=200)
    expect(reason).to_be_focused()
    page.keyboard.type("Appel de la famille")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Lun. 1er mars, APS MATIN : Acceptée")).to_be_visible(timeout=WAIT)
    row = Reservation.objects.get()
    assert (row.session_id, row.status) == (late_monday.pk, ReservationStatus.VALID)
    change = ReservationChange.objects.get()
    assert (change.origin, change.reason) == (ChangeOrigin.STAFF, "Appel de la famille")
    context.close()
    assert errors == []


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_staff_book_page_has_no_serious_violation(
    axe_script, chromium, live_server, staff_member, child, late_monday, viewport
):
    context, page = staff_page(chromium, live_server, staff_member, viewport)
    found = {}

    def check(name: str, heading: str) -> None:
        expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=WAIT)
        found[name] = blocking_violations(page, axe_script)

    household = child.household
    page.goto(live_server.url + URL + f"?q={household.number}")
    check("recherche", "Comptes famille trouvés")
    page.goto(live_server.url + URL + f"?foyer={household.pk}")
    check("compte famille", f"Compte famille {household.number}")
    page.goto(live_server.url + URL + f"?foyer={household.pk}&enfant={child.pk}&mois=2027-03")
    check("mois", "Léa Exemple — Mars 2027")
    page.get_by_role("checkbox", name="lundi 1er mars 2027, APS MATIN").check()
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Hors délai : indiquez le motif.")).to_be_visible(timeout=WAIT)
    check("hors délai, erreur", "Léa Exemple — Mars 2027")
    context.close()
    assert not any(found.values()), describe(found)
