"""Markup typed by a visitor (or copied by staff from a phone call) is shown as text in every
back-office page, never rendered: no element injected, no redirection by a <meta> refresh."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from guichet.bookings.models import Reservation
from guichet.bookings.services import reservation_create
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.tests.factories import SessionFactory
from guichet.notifications.models import MessageKind, OutgoingMessage
from guichet.notifications.selectors import message_template_get
from guichet.public.tests.browsing import keep_offline

pytestmark = pytest.mark.django_db(transaction=True)


def payload(field: str) -> str:
    """At most 100 characters: the longest field that takes free text (city) allows them all."""
    return f'<meta http-equiv="refresh" content="0;url=/pwned/"><i data-injected="{field}">x</i>'


def book_through_the_public_form() -> Reservation:
    """Markup in every field the public form lets through: the names only take letters (see
    test_names), so the city and the address carry it; quoted local parts are valid e-mails."""
    client = Client()
    session = SessionFactory()
    url = reverse("public:session_book", args=[session.pk])
    page = client.get(url).content.decode()
    submission = re.search(r'name="submission" value="([^"]+)"', page).group(1)
    answer = client.post(
        url,
        {
            "first_name": "Camille",
            "last_name": "Exemple",
            "email": '"<i/data-injected=email>"@example.org',  # a tag, without spaces
            "phone": "06 12 34 56 78",
            "city": payload("city"),
            "quantity": "1",
            "submission": submission,
        },
    )
    assert answer.status_code == 303, answer.content.decode()
    return Reservation.objects.get(city=payload("city"))


def book_by_staff() -> Reservation:
    """Staff type what they are told: the back-office form does not restrict names."""
    return reservation_create(
        session=SessionFactory(),
        **booking_data(
            first_name=payload("first"), last_name=payload("last"), city="Tourcoing", online=False
        ),
    )


@pytest.fixture
def admin_page(browser_page, live_server):
    """A browser signed in as a superuser; `visits` records any request to the injected URL."""
    user = get_user_model().objects.create_superuser("admin", "admin@example.org", "x")
    client = Client()
    client.force_login(user)
    context = browser_page.context
    keep_offline(context, live_server.url)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    browser_page.visits = []
    context.route(
        re.compile(r".*/pwned/.*"),
        lambda route: (browser_page.visits.append(route.request.url), route.abort()),
    )
    browser_page.set_default_timeout(5000)
    return browser_page


def assert_nothing_rendered(page) -> None:
    page.wait_for_timeout(200)  # a 0-second refresh would have fired by now
    assert page.visits == []
    for frame in page.frames:
        assert frame.locator("[data-injected]").count() == 0, frame.url
        assert frame.locator("meta[http-equiv]").count() == 0, frame.url


def test_visitor_markup_is_never_rendered_in_the_back_office(live_server, admin_page):
    public = book_through_the_public_form()
    staff = book_by_staff()
    messages = list(OutgoingMessage.objects.filter(reservation__in=[public, staff]))
    assert len(messages) == 4  # a confirmation and a reminder each
    urls = [
        reverse("admin:notifications_outgoingmessage_changelist"),
        reverse("admin:notifications_outgoingmessage_changelist") + "?q=data-injected",
        *(reverse("admin:notifications_outgoingmessage_change", args=[m.pk]) for m in messages),
        reverse("admin:bookings_reservation_changelist"),
        reverse("admin:bookings_reservation_changelist") + "?q=data-injected",
        *(reverse("admin:bookings_reservation_change", args=[r.pk]) for r in (public, staff)),
        reverse("admin:catalogue_session_change", args=[public.session_id]),
    ]
    for url in urls:
        response = admin_page.goto(live_server.url + url)
        assert response.status == 200, url
        assert_nothing_rendered(admin_page)
    # The text preview shows what was typed, as text.
    message = next(m for m in messages if m.reservation == staff)
    admin_page.goto(
        live_server.url + reverse("admin:notifications_outgoingmessage_change", args=[message.pk])
    )
    assert f"Bonjour {payload('first')}," in admin_page.locator("pre").inner_text()


def test_the_template_preview_shows_the_whole_mail(live_server, admin_page, organisation):
    template = message_template_get(kind=MessageKind.CONFIRMATION)
    url = reverse("admin:notifications_messagetemplate_change", args=[template.pk])
    admin_page.goto(live_server.url + url)
    with admin_page.context.expect_page() as opened:
        admin_page.get_by_role("button", name="Prévisualiser").click()
    preview = opened.value
    preview.visits = admin_page.visits
    preview.wait_for_load_state()
    assert_nothing_rendered(preview)
    mail = preview.frame_locator("iframe")
    # The last lines of the mail: the footer's phone and web site.
    assert mail.get_by_role("link", name=organisation.website).is_visible()
    assert mail.get_by_text(organisation.phone_display, exact=True).is_visible()
    text = preview.locator("pre").inner_text()
    assert text.startswith(template.header_title)
    assert text.rstrip().endswith(organisation.website)
    # Nothing of the mail leaks out of the frame into the page.
    assert preview.get_by_role("link", name=organisation.website).count() == 0
