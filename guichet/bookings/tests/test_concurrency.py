"""Races for the last seats. On PostgreSQL the guarded UPDATE waits on the row lock; on SQLite
IMMEDIATE transactions queue on the database write lock. Either way nobody gets a phantom seat."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import OperationalError, connection

from guichet.bookings import services
from guichet.bookings.models import Reservation, ReservationStatus
from guichet.bookings.services import (
    AlreadyBooked,
    BookingError,
    reservation_cancel,
    reservation_create,
    reservation_quantity_change,
    reservation_update,
    seats_mismatches,
    session_save,
)
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.models import Session, SessionStatus
from guichet.catalogue.tests.factories import SessionFactory
from guichet.core.db import with_retry

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(functions):
    """Start every function at the same instant, each on its own connection; return their results."""
    barrier = threading.Barrier(len(functions))

    def run(function):
        barrier.wait()
        try:
            return function()
        finally:
            connection.close()

    with ThreadPoolExecutor(len(functions)) as pool:
        return list(pool.map(run, functions))


def booker(session_id, n):
    def book():
        try:
            session = Session.objects.select_related("activity").get(pk=session_id)
            with_retry(
                reservation_create, session=session, **booking_data(email=f"p{n}@example.org")
            )
            return "booked"
        except BookingError:
            return "refused"

    return book


def test_many_bookings_for_the_last_seats_never_oversell():
    session = SessionFactory(seat_limit=5)
    results = run_together([booker(session.pk, n) for n in range(24)])
    session.refresh_from_db()
    assert results.count("booked") == 5
    assert results.count("refused") == 19
    assert session.seats_taken == 5
    assert Reservation.objects.filter(session=session, status=ReservationStatus.VALID).count() == 5


@pytest.mark.postgres
def test_the_race_setup_catches_a_seat_function_that_reads_then_writes(monkeypatch):
    """The test above can fail: with the guarded UPDATE swapped for the usual mistake (read the
    count, check it in Python, write it back), the same crowd is sold more seats than there are.
    (As pretix's concurrency tests first prove the oversell with locks off.)"""

    def seats_take_read_then_write(*, session_id, seats):
        session = Session.objects.get(pk=session_id)
        if session.seats_left is not None and session.seats_left < seats:
            raise services.NotEnoughSeats("complet")
        time.sleep(0.01)  # the others read the same count meanwhile
        Session.objects.filter(pk=session_id).update(seats_taken=session.seats_taken + seats)
        return session.starts_at

    monkeypatch.setattr(services, "_seats_take", seats_take_read_then_write)
    session = SessionFactory(seat_limit=5)
    results = run_together([booker(session.pk, n) for n in range(24)])
    valid = Reservation.objects.filter(session=session, status=ReservationStatus.VALID).count()
    assert results.count("booked") == valid > 5  # oversold
    assert seats_mismatches() != []  # and the counter lost updates


@pytest.mark.postgres
def test_a_flash_crowd_fills_exactly_the_seats_under_the_lock_timeout(monkeypatch):
    """Every booking runs with DATABASE_LOCK_TIMEOUT (3 s): a crowd queueing on one session's row
    still gets exactly its seats, none of them answered "busy" for waiting too long."""
    timeouts = []
    mails_queue = services.notify_reservation_created

    def mails_queue_noting_the_timeout(**kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SHOW lock_timeout")
            timeouts.append(cursor.fetchone()[0])
        mails_queue(**kwargs)

    monkeypatch.setattr(services, "notify_reservation_created", mails_queue_noting_the_timeout)
    session = SessionFactory(seat_limit=10)
    results = run_together([booker(session.pk, n) for n in range(30)])
    session.refresh_from_db()
    assert (results.count("booked"), results.count("refused")) == (10, 20)
    assert session.seats_taken == 10
    assert set(timeouts) == {"3s"}


def test_crossing_moves_between_two_sessions_do_not_deadlock_or_oversell():
    first, second = SessionFactory(seat_limit=3), SessionFactory(seat_limit=3)
    a = reservation_create(session=first, **booking_data(quantity=2, online=False))
    b = reservation_create(session=second, **booking_data(quantity=2, online=False))

    def move(reservation_id, target):
        def run():
            reservation = Reservation.objects.get(pk=reservation_id)
            reservation.session = target
            try:
                with_retry(reservation_update, reservation=reservation)
                return "moved"
            except BookingError:
                return "refused"

        return run

    results = run_together([move(a.pk, second), move(b.pk, first)])
    first.refresh_from_db()
    second.refresh_from_db()
    # Each target has 1 seat free until the other move has given its 2 back: whether a move
    # succeeds depends on the order, but each gets an answer and no lock wait lasts.
    assert set(results) <= {"moved", "refused"}
    assert first.seats_taken <= 3 and second.seats_taken <= 3
    held = {s.pk: 0 for s in (first, second)}
    for reservation in Reservation.objects.all():
        held[reservation.session_id] += reservation.quantity
    assert (first.seats_taken, second.seats_taken) == (held[first.pk], held[second.pk])


def test_a_session_cancelled_during_a_rush_keeps_no_valid_reservation():
    session = SessionFactory(seat_limit=None)

    def cancel():
        staff_copy = Session.objects.get(pk=session.pk)
        staff_copy.status = SessionStatus.CANCELLED
        with_retry(session_save, session=staff_copy)
        return "cancelled"

    run_together([cancel] + [booker(session.pk, n) for n in range(10)])
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert not Reservation.objects.filter(session=session, status=ReservationStatus.VALID).exists()
    assert session.seats_taken == 0


def test_one_address_booking_twice_at_once_gets_its_places_once():
    """Seat hoarding under concurrency: every booking reads the address's places before writing
    its own; without the per-address lock, simultaneous bookings all read none and all pass."""
    session = SessionFactory(seat_limit=None, activity__max_places_per_booking=8)

    def book():
        try:
            with_retry(
                reservation_create,
                session=Session.objects.select_related("activity").get(pk=session.pk),
                **booking_data(quantity=8, email="alix@example.org"),
            )
            return "booked"
        except AlreadyBooked:
            return "refused"

    results = run_together([book] * 8)
    assert sorted(results) == ["booked"] + ["refused"] * 7
    assert Reservation.objects.filter(session=session).count() == 1


def deadlocks_so_far() -> int:
    """PostgreSQL's count of deadlocks detected in this database (all connections)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # no figure cached from earlier
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def outcome(service, **kwargs):
    """The service's result, or the SQLSTATE of its database error (no retry: we look for it)."""
    try:
        return service(**kwargs)
    except OperationalError as exc:
        return getattr(exc.__cause__, "sqlstate", str(exc))


def staff_cancelling_while(session, person, *, monkeypatch, pause_at: str) -> list:
    """Staff cancel `session`, pausing half a second on entering `services.<pause_at>` while
    holding what they locked so far; `person()` runs from then on. Returns [staff's outcome,
    the person's], once sure that PostgreSQL detected no deadlock meanwhile."""
    deadlocks = deadlocks_so_far()
    paused = threading.Event()
    original = getattr(services, pause_at)

    def slowly(**kwargs):
        paused.set()
        time.sleep(0.5)
        return original(**kwargs)

    monkeypatch.setattr(services, pause_at, slowly)

    def staff():
        staff_copy = Session.objects.get(pk=session.pk)
        staff_copy.status = SessionStatus.CANCELLED
        return outcome(session_save, session=staff_copy).status

    def person_once_staff_paused():
        assert paused.wait(timeout=10)
        return person()

    results = run_together([staff, person_once_staff_paused])
    time.sleep(1)  # the threads' backends report their statistics as they exit
    assert deadlocks_so_far() == deadlocks, results
    session.refresh_from_db()
    assert session.seats_taken == 0
    return results


@pytest.mark.postgres
def test_staff_cancelling_a_session_while_a_person_cancels_does_not_deadlock(monkeypatch):
    """Staff cancel the session while its one person cancels their reservation. Before the lock
    order, staff locked the session then updated the reservations, the person locked the
    reservation then updated the session: a deadlock (40P01), and a server error for staff."""
    session = SessionFactory(seat_limit=10)
    reservation = reservation_create(session=session, **booking_data(quantity=2, online=False))

    def person():
        return outcome(reservation_cancel, reservation=Reservation.objects.get(pk=reservation.pk))

    # Staff pause once they have locked the session and its reservations. The person's
    # cancellation waits for staff's commit, then finds the reservation cancelled.
    assert staff_cancelling_while(
        session, person, monkeypatch=monkeypatch, pause_at="notify_session_changed"
    ) == [SessionStatus.CANCELLED, False]
    assert Reservation.objects.get(pk=reservation.pk).status == ReservationStatus.CANCELLED


@pytest.mark.postgres
def test_a_person_changing_their_places_while_staff_cancel_the_session_does_not_deadlock(
    monkeypatch,
):
    """Staff cancel the session while its one person changes their places. When the change
    locked the reservation (with its session, in one joined `SELECT … FOR UPDATE`: the
    reservation's row first) instead of the session first, staff (the session, then its
    reservations) and the person waited on each other: a deadlock (40P01)."""
    session = SessionFactory(seat_limit=10)
    reservation = reservation_create(session=session, **booking_data(quantity=3))

    def person():
        mine = Reservation.objects.select_related("session__activity").get(pk=reservation.pk)
        try:
            changed = outcome(reservation_quantity_change, reservation=mine, quantity=1)
        except BookingError as refusal:
            return str(refusal)
        return getattr(changed, "quantity", changed)  # (on the old code: "40P01")

    # Staff pause once they hold the session's row, before locking its reservations. The change
    # waits for staff's commit, then finds the reservation cancelled.
    assert staff_cancelling_while(
        session, person, monkeypatch=monkeypatch, pause_at="_session_reservations_lock"
    ) == [
        SessionStatus.CANCELLED,
        "Cette réservation ne peut plus être modifiée en ligne : "
        "appelez-nous pour toute modification.",
    ]
    assert Reservation.objects.get(pk=reservation.pk).quantity == 3
