"""The back-office in headless Chromium: the staff home at 1280 and 390 px (axe-core, no serious
or critical violation), no admin list wider than a 1280 px window, page titles clear of the
buttons beside them. Screenshots go to var/screenshots/staff/ for review."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from guichet.bookings.services import reservation_cancel, reservation_create
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.models import SessionStatus
from guichet.catalogue.tests.factories import ActivityFactory, SessionFactory
from guichet.notifications.tests.factories import OutgoingMessageFactory
from guichet.public.tests.browsing import keep_offline
from guichet.public.tests.test_accessibility import axe_script, blocking_violations, describe

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

__all__ = ["axe_script"]  # the fixture, used by name

SCREENSHOTS = settings.BASE_DIR / "var" / "screenshots" / "staff"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Long enough to test truncation and wrapping.
LONG_NAME = "Visite commentée des serres tropicales et du jardin des plantes médicinales du parc"


@pytest.fixture
def busy_week():
    """Sessions of the coming days in every state, booked and cancelled, with mails."""
    now = timezone.now().replace(microsecond=0)
    activity = ActivityFactory(name=LONG_NAME)
    sessions = [
        SessionFactory(activity=activity, start=now + timedelta(hours=2), seat_limit=25),
        SessionFactory(activity=activity, start=now + timedelta(days=2), seat_limit=None),
        SessionFactory(
            activity=ActivityFactory(name="Atelier nichoirs"), start=now + timedelta(days=3)
        ),
    ]
    for number in range(4):
        reservation = reservation_create(
            session=sessions[0],
            **booking_data(
                online=False, last_name=f"Dupont-Lagrange{number}", first_name="Marie-Hélène"
            ),
        )
    reservation_cancel(reservation=reservation)
    cancelled = sessions[2]
    cancelled.status = SessionStatus.CANCELLED
    cancelled.reason = "Pluie"
    cancelled.save()
    OutgoingMessageFactory(reservation=reservation)
    return sessions


def staff_context(chromium, live_server, user, viewport, *, bypass_csp=True):
    """A browser signed in as `user` (the session cookie of a test client). The content security
    policy is bypassed, for axe-core, unless `bypass_csp` is false."""
    client = Client()
    client.force_login(user)
    context = chromium.new_context(bypass_csp=bypass_csp, locale="fr-FR", viewport=viewport)
    keep_offline(context, live_server.url)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
@pytest.mark.parametrize("who", ["manager", "admin_user"])
def test_staff_home_is_accessible_and_fits(
    axe_script, live_server, chromium, busy_week, viewport, who, request
):
    context = staff_context(chromium, live_server, request.getfixturevalue(who), viewport)
    page = context.new_page()
    page.set_default_timeout(5000)

    page.goto(live_server.url + reverse("admin:index"))

    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Liste d'accueil").first).to_be_visible()
    expect(page.get_by_text("Dernières annulations")).to_be_visible()
    shoot(page, f"accueil-{who}-{viewport['width']}")
    width = page.evaluate("document.documentElement.scrollWidth")
    violations = blocking_violations(page, axe_script)
    context.close()

    assert width <= viewport["width"]
    assert not violations, "axe-core:\n" + describe({"tableau de bord": violations})


def changelists() -> list[str]:
    """Guichet's lists and the accounts' (the task results' list is django-tasks' own, for
    superusers only)."""
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
        if model.__module__.startswith(("guichet.", "django.contrib.auth."))
    ]


def test_no_admin_list_is_wider_than_the_window(live_server, chromium, busy_week, admin_user):
    context = staff_context(chromium, live_server, admin_user, DESKTOP)
    page = context.new_page()
    page.set_default_timeout(5000)
    too_wide = {}
    for url in changelists():
        page.goto(live_server.url + url)
        widths = page.evaluate(
            """() => {
                const results = document.querySelector('.results');
                return {
                    page: document.documentElement.scrollWidth,
                    table: results ? results.scrollWidth - results.clientWidth : 0,
                };
            }"""
        )
        if widths["page"] > DESKTOP["width"] or widths["table"] > 0:
            too_wide[url] = widths
            shoot(page, "trop-large-" + url.strip("/").replace("/", "-"))
    shoot_url = reverse("admin:catalogue_session_changelist")
    page.goto(live_server.url + shoot_url)
    shoot(page, "sessions-1280")
    page.goto(live_server.url + reverse("admin:bookings_reservation_changelist"))
    shoot(page, "reservations-1280")
    context.close()

    assert not too_wide


def overlaps(page, first: str, second: str) -> bool:
    return page.evaluate(
        """([first, second]) => {
            const a = document.querySelector(first).getBoundingClientRect();
            return [...document.querySelectorAll(second)].some((element) => {
                const b = element.getBoundingClientRect();
                return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
            });
        }""",
        [first, second],
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_page_titles_are_clear_of_their_buttons(
    live_server, chromium, busy_week, admin_user, viewport
):
    context = staff_context(chromium, live_server, admin_user, viewport)
    page = context.new_page()
    page.set_default_timeout(5000)
    pages = {
        "reservations": reverse("admin:bookings_reservation_changelist"),
        "session": reverse("admin:catalogue_session_change", args=[busy_week[0].pk]),
    }
    hidden = []
    for name, url in pages.items():
        page.goto(live_server.url + url)
        shoot(page, f"{name}-{viewport['width']}")
        if overlaps(page, "#content h1", ".object-tools a"):
            hidden.append(name)
    context.close()

    assert not hidden


def test_postponement_fields_show_only_for_a_postponed_session(
    live_server, chromium, busy_week, admin_user
):
    context = staff_context(chromium, live_server, admin_user, DESKTOP)
    page = context.new_page()
    page.set_default_timeout(5000)
    page.goto(live_server.url + reverse("admin:catalogue_session_change", args=[busy_week[0].pk]))
    new_start = page.locator(".field-new_start")

    expect(new_start).to_be_hidden()
    page.select_option("#id_status", "postponed")
    expect(new_start).to_be_visible()
    expect(page.locator(".field-new_end")).to_be_visible()
    page.select_option("#id_status", "cancelled")
    expect(new_start).to_be_hidden()
    context.close()
