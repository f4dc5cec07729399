"""Shortcuts taken for speed keep the behaviour: the public page cache (one cache read per page
served from it), the booking form cached with slots for each visitor's own values, the session
shown on a reservation page read from the cache, and the one-time key looked up only when a
booking fails."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from guichet.bookings.models import Reservation
from guichet.bookings.services import reservation_cancel, reservation_create, session_save
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.models import Activity, Session, SessionStatus
from guichet.catalogue.tests.factories import SessionFactory
from guichet.public import views
from guichet.public.pagecache import slot
from guichet.public.tests.test_booking import TYPED, load_form, post, submission_in

pytestmark = pytest.mark.django_db

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


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


def test_the_cached_booking_form_is_filled_in_for_each_visitor(
    client, now, organisation, cached, django_assert_num_queries
):
    session = SessionFactory(seat_limit=10)
    url = reverse("public:session_book", args=[session.pk])
    first = client.get(url)
    other_visitor = Client(enforce_csrf_checks=True)
    with django_assert_num_queries(1):  # the cache read
        second = other_visitor.get(url)
    pages = [first.content.decode(), second.content.decode()]
    assert all("guichet-slot" not in page for page in pages)
    assert submission_in(pages[0]) != submission_in(pages[1])
    tokens = [CSRF_INPUT.search(page).group(1) for page in pages]
    assert tokens[0] != tokens[1]
    assert other_visitor.cookies["csrftoken"].value
    # The second visitor's page books, CSRF check included.
    data = TYPED | {"submission": submission_in(pages[1]), "csrfmiddlewaretoken": tokens[1]}
    assert other_visitor.post(url, data).status_code == 303
    assert Reservation.objects.get().first_name == "Camille"


def test_a_page_without_the_form_sets_no_csrf_cookie(client, now, organisation, cached):
    session = SessionFactory(seat_limit=2, seats_taken=2)
    url = reverse("public:session_book", args=[session.pk])
    for _visit in range(2):
        response = client.get(url)
        assert "Cette session est complète" in response.content.decode()
        assert "csrftoken" not in response.cookies


def test_an_unknown_session_is_not_found_whether_cached_or_not(client, now, organisation, cached):
    url = reverse("public:session_book", args=[987654])
    assert client.get(url).status_code == 404
    assert client.get(url).status_code == 404


def test_slots_survive_html_escaping():
    assert escape(slot("csrf")) == slot("csrf")


def test_a_form_sent_again_that_no_longer_fits_leads_to_its_reservation(client, now, organisation):
    session = SessionFactory(seat_limit=10)
    data = load_form(client, session)  # 2 seats
    first = post(client, session, data)
    reservation_create(session=session, **booking_data(quantity=7, email="alix@example.org"))
    # One seat left: the form's quantity is now refused, yet it had already booked.
    again = post(client, session, data)
    assert again.status_code == 303 and again["Location"] == first["Location"]
    assert Reservation.objects.filter(session=session).count() == 2


def test_a_booking_looks_its_key_up_only_when_sent_again(client, now, organisation):
    session = SessionFactory(seat_limit=10)
    data = load_form(client, session)
    for expected_lookups in (0, 1):
        with CaptureQueriesContext(connection) as queries:
            assert post(client, session, data).status_code == 303
        lookups = [q["sql"] for q in queries.captured_queries if '"submission_key" =' in q["sql"]]
        assert len(lookups) == expected_lookups
    assert Reservation.objects.get().quantity == 2
    assert Session.objects.get(pk=session.pk).seats_taken == 2


def test_the_reservation_page_reads_the_reservation_and_may_show_its_session_5_s_late(
    client, now, organisation, cached, time_machine
):
    session = SessionFactory(seat_limit=10)
    reservation = reservation_create(session=session, **booking_data())
    url = reverse("public:reservation_detail", args=[reservation.token])
    assert "votre réservation a été prise en compte" in client.get(url).content.decode()
    session.status = SessionStatus.CANCELLED
    session_save(session=session)  # cancels its reservations too
    time_machine.move_to(now + timedelta(seconds=4), tick=False)
    html = client.get(url).content.decode()
    assert "Votre réservation a été annulée." in html  # the reservation: at once
    assert "Cette session a été annulée." not in html  # its session: from the cache
    time_machine.move_to(now + timedelta(seconds=6), tick=False)
    assert "Cette session a été annulée." in client.get(url).content.decode()


def test_cancelling_online_reads_the_session_from_the_database(client, now, organisation, cached):
    session = SessionFactory(seat_limit=10)  # a week from now
    reservation = reservation_create(session=session, **booking_data())
    detail_url = reverse("public:reservation_detail", args=[reservation.token])
    assert "Annuler ma réservation" in client.get(detail_url).content.decode()  # now cached
    # Bookings now close 30 days before: too late to cancel online.
    Activity.objects.filter(pk=session.activity_id).update(booking_delay=timedelta(days=30))
    cancel_url = reverse("public:reservation_cancel", args=[reservation.token])
    assert "ne peut plus être annulée en ligne" in client.get(cancel_url).content.decode()
    assert client.post(cancel_url).status_code == 409
    assert Reservation.objects.get().status == "valid"


def test_everyone_refused_for_the_same_reason_shares_one_page(
    client, now, organisation, cached, monkeypatch
):
    session = SessionFactory(seat_limit=2)
    forms = [load_form(Client(), session) for _visitor in range(3)]
    taken = reservation_create(session=session, **booking_data(quantity=2))  # now full
    renders = []
    render = views._booking_page

    def counted(*args, **kwargs):
        renders.append(args)
        return render(*args, **kwargs)

    monkeypatch.setattr(views, "_booking_page", counted)
    first = post(client, session, forms[0])
    second = post(Client(), session, forms[1])
    assert first.status_code == second.status_code == 409
    assert "Cette session est complète" in second.content.decode()
    assert second.content == first.content and len(renders) == 1
    # The decision is still the database's: seats given back, the next form books.
    reservation_cancel(reservation=taken)
    assert post(Client(), session, forms[2]).status_code == 303
