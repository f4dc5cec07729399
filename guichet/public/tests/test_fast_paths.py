"""Shortcuts taken for speed keep the behaviour: the public page cache (one cache read per page
served from it) and the submission lookup left to the booking service."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.bookings.models import Reservation
from guichet.bookings.services import reservation_create
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.tests.factories import SessionFactory
from guichet.public.tests.test_booking import load_form, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 5


def test_a_cached_page_is_one_cache_read(
    client, now, organisation, cached, django_assert_num_queries
):
    # The test settings keep the cache in the database: one read is one query.
    session = SessionFactory()
    url = reverse("public:activity_detail", args=[session.activity.slug])
    first = client.get(url)
    with django_assert_num_queries(1):
        again = client.get(url)
    assert again.content == first.content
    assert again["Age"] == "0"
    assert again["Cache-Control"] == "max-age=5"


def test_each_url_has_its_own_page(client, now, organisation, cached):
    SessionFactory(activity__name="Visite des serres")
    SessionFactory(activity__name="Atelier compost")
    url = reverse("public:activity_list")
    assert "Atelier compost" in client.get(url).content.decode()
    filtered = client.get(url, {"name": "serres"}).content.decode()
    assert "Visite des serres" in filtered
    assert "Atelier compost" not in filtered


def test_a_post_is_never_answered_from_the_cache(client, now, organisation, cached):
    url = reverse("public:activity_list")
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405


def test_a_form_sent_again_that_no_longer_fits_leads_to_its_reservation(client, now, organisation):
    session = SessionFactory(seat_limit=10)
    data = load_form(client, session)  # 2 seats
    first = post(client, session, data)
    reservation_create(session=session, **booking_data(quantity=7))
    # One seat left: the form's quantity is now refused, yet it had already booked.
    again = post(client, session, data)
    assert again.status_code == 303 and again["Location"] == first["Location"]
    assert Reservation.objects.filter(session=session).count() == 2


def test_a_booking_looks_for_its_key_once(client, now, organisation):
    session = SessionFactory(seat_limit=10)
    data = load_form(client, session)
    with CaptureQueriesContext(connection) as queries:
        assert post(client, session, data).status_code == 303
    lookups = [q["sql"] for q in queries.captured_queries if '"submission_key" =' in q["sql"]]
    assert len(lookups) == 1
