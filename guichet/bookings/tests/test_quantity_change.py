"""'Modifier le nombre de places': the person lowers or raises their places from their page."""

import pytest

from guichet.bookings.models import ReservationStatus
from guichet.bookings.services import (
    BookingError,
    NotEnoughSeats,
    reservation_cancel,
    reservation_create,
    reservation_quantity_change,
    seats_mismatches,
    session_save,
)
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.models import SessionStatus
from guichet.catalogue.tests.factories import SessionFactory
from guichet.notifications.models import MessageKind, MessageState, OutgoingMessage

pytestmark = pytest.mark.django_db


def book(session, **overrides):
    return reservation_create(session=session, **booking_data(**overrides))


def changed_mails(reservation):
    return OutgoingMessage.objects.filter(
        reservation=reservation, kind=MessageKind.RESERVATION_CHANGED
    )


@pytest.mark.parametrize(("start", "to"), [(3, 1), (2, 5)])
def test_lowers_or_raises_the_seats_and_mails(start, to):
    session = SessionFactory(seat_limit=10)
    reservation = book(session, quantity=start)
    reservation_quantity_change(reservation=reservation, quantity=to)
    session.refresh_from_db()
    reservation.refresh_from_db()
    assert (reservation.quantity, session.seats_taken) == (to, to)
    [mail] = changed_mails(reservation)
    assert mail.details == {"previous_quantity": start, "quantity": to}
    assert seats_mismatches() == []


def test_not_above_the_places_left():
    session = SessionFactory(seat_limit=4)
    reservation = book(session, quantity=2)
    book(session, quantity=1)
    with pytest.raises(NotEnoughSeats):
        reservation_quantity_change(reservation=reservation, quantity=4)
    session.refresh_from_db()
    reservation.refresh_from_db()
    assert (reservation.quantity, session.seats_taken) == (2, 3)
    assert not changed_mails(reservation).exists()


@pytest.mark.parametrize("quantity", [0, 9])
def test_within_one_and_the_most_per_booking(quantity):
    reservation = book(SessionFactory(seat_limit=20), quantity=2)
    with pytest.raises(BookingError):
        reservation_quantity_change(reservation=reservation, quantity=quantity)


def test_the_address_keeps_the_most_per_booking_over_its_bookings():
    session = SessionFactory(seat_limit=20)
    first = book(session, email="anne@example.org", quantity=3)
    book(session, email="anne@example.org", quantity=3)
    with pytest.raises(BookingError, match="au plus 8 places"):
        reservation_quantity_change(reservation=first, quantity=6)
    reservation_quantity_change(reservation=first, quantity=5)
    first.refresh_from_db()
    assert first.quantity == 5


def test_refused_after_the_deadline_or_once_cancelled(time_machine):
    session = SessionFactory(seat_limit=10)
    reservation = book(session, quantity=2)
    time_machine.move_to(session.start)
    with pytest.raises(BookingError, match="ne peut plus être modifiée"):
        reservation_quantity_change(reservation=reservation, quantity=3)
    time_machine.move_to(session.start.replace(year=session.start.year - 1))
    reservation_cancel(reservation=reservation)
    with pytest.raises(BookingError, match="ne peut plus être modifiée"):
        reservation_quantity_change(reservation=reservation, quantity=3)
    assert reservation.status == ReservationStatus.CANCELLED


def test_refused_for_a_cancelled_session():
    session = SessionFactory(seat_limit=10)
    reservation = book(session, quantity=2)
    session.status = SessionStatus.CANCELLED
    session_save(session=session)
    with pytest.raises(BookingError):
        reservation_quantity_change(reservation=reservation, quantity=1)


def test_mail_held_past_the_mail_limit(settings):
    settings.CONFIRMATION_MAIL_LIMIT = ["1/h"]
    reservation = book(SessionFactory(seat_limit=10), quantity=2)
    reservation_quantity_change(reservation=reservation, quantity=3)
    assert changed_mails(reservation).get().state == MessageState.HELD
