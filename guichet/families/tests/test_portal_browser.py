"""The booking pages in headless Chromium: the parent's path with the keyboard only (a week's
arrow, a weekday's arrow, a day with two activities and hours, "Copier", the recap, "Valider",
"Suivi"), then axe-core on every page at desktop and phone widths: no serious or critical
violation. Screenshots go to var/screenshots/families/ for review."""

import re
from datetime import time

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.core.permissions import FAMILY_MANAGER_GROUP
from guichet.families.models import Acceptance, BasketLine
from guichet.families.services import period_generate_sessions
from guichet.families.tests.factories import (
    ActivityRulesFactory,
    BookingPeriodFactory,
    ChildFactory,
)
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

BACKEND = "guichet.accounts.backends.IdentifierBackend"
SCREENSHOTS = settings.BASE_DIR / "var" / "screenshots" / "families"
WAIT = 15_000  # milliseconds an expectation waits for its page


@pytest.fixture
def family(guardian, child, rules, now):
    """Two children, two activities in March 2027: APS MATIN, and RESTAURATION whose hours are
    chosen ("Arrivée" 11:30–12:00, "Départ" 13:00–13:30)."""
    restaurant = ActivityRulesFactory(
        activity__name="RESTAURATION",
        starts_at=time(11, 30),
        ends_at=time(13, 30),
        arrival_from=time(11, 30),
        arrival_until=time(12, 0),
        departure_from=time(13, 0),
        departure_until=time(13, 30),
    )
    period = BookingPeriodFactory(
        opens_at=now.replace(day=1), activities=[rules.activity, restaurant.activity]
    )
    period_generate_sessions(period=period, now=now)
    second = ChildFactory(household=guardian.household, first_name="Noé")
    return {"aps": rules.activity, "restaurant": restaurant.activity, "second": second}


def signed_in(chromium, live_server, user, viewport=None):
    client = Client()
    client.force_login(user, backend=BACKEND)
    # bypass_csp: axe-core is injected inline, which the site's CSP (rightly) refuses.
    options = {"locale": "fr-FR", "bypass_csp": True} | ({"viewport": viewport} if viewport else {})
    context = chromium.new_context(**options)
    keep_offline(context, live_server.url)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(20_000)  # the machine is shared: a page may take seconds
    return context, page


def cell(page, text: str):
    return page.locator(".calendar").get_by_role("button", name=text)


def choose(page, label: str, option: str) -> None:
    """Pick an option of a <select> with the keyboard: focus it, then choose (as typing the
    option's first letters does)."""
    select = page.get_by_role("combobox", name=label)
    tab_to(page, select, limit=60)
    select.select_option(label=option)  # what typing the option's name does


def test_the_parents_path_with_the_keyboard_only(chromium, live_server, guardian, child, family):
    context, page = signed_in(chromium, live_server, guardian.user)
    errors = record_errors(page, live_server.url)
    query = f"?enfant={child.pk}&activite={family['aps'].pk}&mois=2027-03"
    page.goto(live_server.url + reverse("families:calendar") + query)
    expect(page.get_by_role("heading", name="Réservations", exact=True)).to_be_visible()

    tab_to(page, page.get_by_role("button", name="Semaine du lundi 1er mars"), limit=80)
    page.keyboard.press("Enter")
    expect(cell(page, "vendredi 5 mars : À réserver")).to_be_visible()
    # Wednesdays: the first (the 3rd) is in the basket, so the arrow takes them all out; again,
    # it puts them all in.
    wednesdays = page.get_by_role("button", name="Tous les mercredis du mois")
    tab_to(page, wednesdays, limit=80)
    page.keyboard.press("Enter")
    expect(cell(page, "mercredi 3 mars : Ouvert – 10 places")).to_be_visible()
    tab_to(page, wednesdays, limit=80)
    page.keyboard.press("Enter")
    expect(cell(page, "mercredi 24 mars : À réserver")).to_be_visible()
    assert BasketLine.objects.count() == 9  # 1-5 March, and the 10th, 17th, 24th, 31st

    # "Toutes les activités", a day with two activities, the restaurant's hours.
    choose(page, "Activité", "Toutes les activités")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Afficher"
    day = page.locator(".calendar").get_by_role("link", name=re.compile("^jeudi 11 mars"))
    tab_to(page, day, limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Jeudi 11 mars 2027")).to_be_visible()
    tab_to(page, page.get_by_role("checkbox", name="APS MATIN"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("checkbox", name="RESTAURATION"))
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # "Arrivée"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # 11 h 45
    page.keyboard.press("Tab")  # "Départ"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # 13 h 15
    tab_to(page, page.get_by_role("button", name="Valider"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Réservations", exact=True)).to_be_visible()
    meal = BasketLine.objects.get(session__activity=family["restaurant"])
    assert (meal.arrival, meal.departure) == (time(11, 45), time(13, 15))

    # "Copier" the first child's APS MATIN days to the second child.
    choose(page, "Enfant", str(family["second"]))
    choose(page, "Activité", "APS MATIN")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name="Copier", exact=True), limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Copier des réservations")).to_be_visible()
    choose(page, "Enfant dont recopier les réservations", str(child))
    tab_to(page, page.get_by_role("button", name="Copier"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Réservations", exact=True)).to_be_visible()
    assert BasketLine.objects.filter(child=family["second"]).count() == 10

    # The recap, "Valider", the result, "Suivi".
    tab_to(page, page.get_by_role("link", name=re.compile(r"^Valider \(21 demandes\)")), 80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Récapitulatif de vos demandes")).to_be_visible()
    expect(page.get_by_role("heading", name="Réservations", exact=True)).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Valider", exact=True), limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Demandes envoyées")).to_be_visible()
    expect(page.get_by_text("Acceptée")).to_have_count(21)
    assert Reservation.objects.filter(status=ReservationStatus.VALID).count() == 21
    tab_to(page, page.get_by_role("link", name="Suivi").last, limit=80)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Suivi de vos réservations")).to_be_visible()
    expect(page.get_by_role("cell", name="Réservé", exact=True)).to_have_count(21)
    tab_to(
        page,
        page.get_by_role("button", name=f"Annuler APS MATIN du lun. 1er mars pour {child}"),
        80,
    )
    page.keyboard.press("Enter")
    expect(page.get_by_text("Annulation ajoutée au panier")).to_be_visible()
    context.close()
    assert errors == []


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_portal_pages_have_no_serious_violation(
    axe_script, chromium, live_server, guardian, child, family, viewport, django_user_model
):
    family["restaurant"].family_rules.acceptance = Acceptance.STAFF
    family["restaurant"].family_rules.save()
    context, page = signed_in(chromium, live_server, guardian.user, viewport)
    found = {}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = viewport["width"]

    def check(name: str, heading: str) -> None:
        expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=WAIT)
        found[name] = blocking_violations(page, axe_script)
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)

    def visit(url: str, name: str, heading: str) -> None:
        page.goto(live_server.url + url)
        check(name, heading)

    calendar = reverse("families:calendar")
    aps = f"?enfant={child.pk}&activite={family['aps'].pk}&mois=2027-03"
    meal = f"?enfant={child.pk}&activite={family['restaurant'].pk}&mois=2027-03"
    visit(calendar + aps, "calendrier activité", "Réservations")
    page.get_by_role("button", name="Semaine du lundi 1er mars").click()
    check("calendrier avec panier", "Réservations")
    visit(calendar + meal, "calendrier avec horaires", "Réservations")
    visit(calendar + f"?enfant={child.pk}&mois=2027-03", "calendrier toutes", "Réservations")
    visit(
        reverse("families:calendar_day") + f"?enfant={child.pk}&jour=2027-03-02",
        "jour",
        "Mardi 2 mars 2027",
    )
    page.get_by_role("checkbox", name="RESTAURATION").check()
    page.get_by_role("button", name="Valider").click()
    visit(
        reverse("families:calendar_hours") + meal + "&jour=2027-03-03", "horaires", "RESTAURATION"
    )
    page.get_by_role("button", name="Valider").click()
    check("horaires, erreurs", "Le formulaire contient des erreurs")
    visit(reverse("families:calendar_copy") + aps, "copier", "Copier des réservations")
    page.get_by_role("button", name="Copier").click()
    page.goto(live_server.url + reverse("families:calendar_copy") + aps)
    page.get_by_role("button", name="Copier").click()
    check("copier, non importées", "Réservations non importées")
    visit(reverse("families:basket"), "récapitulatif", "Récapitulatif de vos demandes")
    page.get_by_role("button", name="Valider", exact=True).click()
    check("résultat", "Demandes envoyées")
    visit(reverse("families:basket"), "panier vide", "Récapitulatif de vos demandes")
    visit(reverse("families:follow"), "suivi", "Suivi de vos réservations")
    visit(reverse("families:report"), "compte rendu", "Compte rendu")
    context.close()

    staff = django_user_model.objects.create_user(username="famille", password="x", is_staff=True)
    staff.groups.add(Group.objects.get_or_create(name=FAMILY_MANAGER_GROUP)[0])
    client = Client()
    client.force_login(staff)
    context = chromium.new_context(locale="fr-FR", viewport=viewport, bypass_csp=True)
    keep_offline(context, live_server.url)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    visit(reverse("families:staff_requests"), "demandes à traiter", "Demandes à traiter")
    visit(reverse("families:staff_day_list") + "?day=2027-03-02", "liste du jour", "Liste du jour")
    context.close()

    assert len(found) >= 16
    assert not any(found.values()), describe(found)
