"""The public site is the parks': another channel's activities, sessions and reservations are
not found (404), whatever link reaches them; its lists and filters leave them out."""

import pytest
from django.urls import reverse

from guichet.bookings.models import ReservationStatus
from guichet.bookings.tests.factories import PortalReservationFactory
from guichet.catalogue.models import Channel, Session
from guichet.catalogue.tests.factories import ActivityFactory, LocationFactory, SessionFactory
from guichet.public.selectors import activity_list_public, filter_choices_public

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]


@pytest.fixture(params=[Channel.SOLIDARITY, Channel.FAMILY])
def portal_session(request) -> Session:
    activity = ActivityFactory(
        channel=request.param,
        name="Goûter des familles",
        slug="gouter",
        location=LocationFactory(name="Maison de quartier"),
    )
    session = SessionFactory(activity=activity)
    reservation = PortalReservationFactory(session=session, channel=request.param)
    Session.objects.filter(pk=session.pk).update(seats_taken=reservation.quantity)
    return session


@pytest.fixture
def parks_session() -> Session:
    return SessionFactory(activity__name="Visite des serres")


def test_lists_and_filters_leave_other_channels_out(client, portal_session, parks_session):
    assert list(activity_list_public()) == [parks_session.activity]
    locations = [name for _pk, name in filter_choices_public().locations]
    assert locations == [parks_session.activity.location.name]
    page = client.get(reverse("public:activity_list")).content.decode()
    assert "Visite des serres" in page
    assert "Goûter des familles" not in page
    assert "Maison de quartier" not in page


def test_another_channels_activity_and_session_are_not_found(client, portal_session):
    book = reverse("public:session_book", args=[portal_session.pk])
    assert client.get(reverse("public:activity_detail", args=["gouter"])).status_code == 404
    assert client.get(book).status_code == 404
    posted = {"first_name": "Anne", "last_name": "Exemple", "email": "anne@example.org"}
    assert client.post(book, posted).status_code == 404
    assert portal_session.reservations.count() == 1


def test_another_channels_reservation_pages_are_not_found(client, portal_session):
    reservation = portal_session.reservations.get()
    token = reservation.token
    for name in (
        "reservation_detail",
        "reservation_ics",
        "reservation_cancel",
        "reservation_change",
    ):
        assert client.get(reverse(f"public:{name}", args=[token])).status_code == 404, name
    assert client.post(reverse("public:reservation_cancel", args=[token])).status_code == 404
    assert (
        client.post(reverse("public:reservation_change", args=[token]), {"quantity": 2}).status_code
        == 404
    )
    reservation.refresh_from_db()
    assert (reservation.status, reservation.quantity) == (ReservationStatus.VALID, 1)
