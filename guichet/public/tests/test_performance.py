"""Every public page runs a fixed number of queries, and a cached page is never staler than 5 s."""

from datetime import timedelta

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.bookings.services import reservation_create
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.tests.factories import ActivityFactory, SessionFactory
from guichet.core.selectors import organisation_get
from guichet.public.tests.conftest import paris

pytestmark = pytest.mark.django_db

MAX_QUERIES = 10


def world(size: int) -> dict:
    """One activity with `size` sessions, `size // 4` more activities, and a reservation."""
    activity = ActivityFactory(booking_delay=timedelta(hours=1))
    sessions = SessionFactory.create_batch(
        size,
        activity=activity,
        start=factory.Sequence(lambda n: paris(2025, 4, 16, 10, 0) + timedelta(days=n)),
        seat_limit=factory.Iterator([None, 10]),
    )
    for other in ActivityFactory.create_batch(size // 4):
        SessionFactory(activity=other)
    reservation = reservation_create(session=sessions[0], **booking_data())
    return {"activity": activity, "session": sessions[0], "reservation": reservation}


PAGES = {
    "home": lambda w: reverse("public:activity_list"),
    "home, filtered, page 2": lambda w: (
        reverse("public:activity_list")
        + f"?name=visite&location={w['activity'].location_id}&audience={w['activity'].audience_id}"
        f"&activity_type={w['activity'].activity_type_id}&page=2"
    ),
    "home, by category and date": lambda w: (
        reverse("public:activity_list") + f"?category={w['activity'].category_id}&period=week"
    ),
    "legal page": lambda w: reverse("public:accessibility"),
    "activity": lambda w: reverse("public:activity_detail", args=[w["activity"].slug]),
    "booking form": lambda w: reverse("public:session_book", args=[w["session"].pk]),
    "reservation": lambda w: reverse("public:reservation_detail", args=[w["reservation"].token]),
    "calendar file": lambda w: reverse("public:reservation_ics", args=[w["reservation"].token]),
    "quantity change": lambda w: reverse(
        "public:reservation_change", args=[w["reservation"].token]
    ),
    "find my reservations": lambda w: reverse("public:reservations_find"),
    "cancellation": lambda w: reverse("public:reservation_cancel", args=[w["reservation"].token]),
}


def count_queries(client, url: str) -> int:
    organisation_get()  # in the cache, as it is for every page but the first one served
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("page", PAGES)
def test_fixed_number_of_queries(client, now, organisation, page):
    few = count_queries(client, PAGES[page](world(1)))
    many = count_queries(client, PAGES[page](world(200)))
    assert few == many <= MAX_QUERIES


@pytest.mark.parametrize("setting", [5, 60])
def test_cached_pages_never_staler_than_five_seconds(
    client, now, organisation, settings, time_machine, setting
):
    settings.PUBLIC_PAGE_CACHE_SECONDS = setting
    session = SessionFactory(seat_limit=10)
    activity_url = reverse("public:activity_detail", args=[session.activity.slug])
    form_url = reverse("public:session_book", args=[session.pk])
    assert "10 places restantes" in client.get(activity_url).content.decode()
    assert "Quantité restante : 10" in client.get(form_url).content.decode()
    reservation_create(session=session, **booking_data(quantity=2))
    time_machine.move_to(now + timedelta(seconds=4), tick=False)
    assert "10 places restantes" in client.get(activity_url).content.decode()
    assert "Quantité restante : 10" in client.get(form_url).content.decode()
    time_machine.move_to(now + timedelta(seconds=6), tick=False)
    assert "8 places restantes" in client.get(activity_url).content.decode()
    assert "Quantité restante : 8" in client.get(form_url).content.decode()


def test_not_cached_by_default(client, now, organisation):
    session = SessionFactory(seat_limit=10)
    url = reverse("public:activity_detail", args=[session.activity.slug])
    client.get(url)
    reservation_create(session=session, **booking_data(quantity=2))
    assert "8 places restantes" in client.get(url).content.decode()
