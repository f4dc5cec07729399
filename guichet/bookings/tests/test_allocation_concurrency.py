"""The portals' allocation, promotion and cancellations racing each other on PostgreSQL: threads
released together on a barrier (`run_together`), each on its own connection, every service called
as a portal's page, the back-office or the nightly task calls it (`with_retry`, the lock time-out
on). In every test PostgreSQL's deadlock count for the database does not move and `with_retry`
meets no lock conflict: the lock order of docs/design/seats.md holds with the waiting lists
(docs/design/waiting-list.md), so nobody waits in a circle or long enough to be told "busy"."""

import random
import threading
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from guichet.bookings import services
from guichet.bookings.models import Reservation, ReservationGroup, ReservationStatus
from guichet.bookings.services import seats_mismatches, waiting_mismatches
from guichet.bookings.tests.conftest import line, portal_session
from guichet.bookings.tests.test_concurrency import deadlocks_so_far, run_together
from guichet.catalogue.models import Channel, Session, SessionStatus
from guichet.core import db
from guichet.core.db import with_retry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VALID, PENDING, WAITING = (
    ReservationStatus.VALID,
    ReservationStatus.PENDING,
    ReservationStatus.WAITING,
)
CANCELLED, ARCHIVED, NOT_SERVED = (
    ReservationStatus.CANCELLED,
    ReservationStatus.ARCHIVED,
    ReservationStatus.NOT_SERVED,
)


class LockConflicts:
    """The lock conflicts the test's threads met: those `with_retry` caught (each one a retry, or
    "busy" after the last) and PostgreSQL's deadlocks in the test database."""

    def __init__(self, monkeypatch):
        self.retried: list[str] = []
        self.deadlocks = deadlocks_so_far()
        is_retryable = db._is_retryable

        def is_retryable_noted(exc) -> bool:
            retryable = is_retryable(exc)
            if retryable:
                self.retried.append(getattr(exc.__cause__, "sqlstate", None) or str(exc))
            return retryable

        monkeypatch.setattr(db, "_is_retryable", is_retryable_noted)

    def assert_none(self) -> None:
        time.sleep(1)  # the threads' backends report their statistics as they exit
        assert self.retried == []
        assert deadlocks_so_far() == self.deadlocks


@pytest.fixture
def conflicts(transactional_db, monkeypatch) -> LockConflicts:
    return LockConflicts(monkeypatch)


class Turns:
    """Who locks first in a race. With `first` set, the thread playing that role keeps the
    sessions it has just locked for 0.3 s, and the others start only once it holds them, so that
    they queue behind it: each order of a race is tried, whatever the scheduler does. Every
    thread names its role first (`enter(role)`); with `first` unset they all start at once."""

    def __init__(self, monkeypatch):
        self.first: str | None = None
        self.role = threading.local()
        self.held = threading.Event()
        sessions_lock = services.sessions_lock

        def sessions_lock_holding(**kwargs):
            locked = sessions_lock(**kwargs)
            if getattr(self.role, "name", None) == self.first and not self.held.is_set():
                self.held.set()
                time.sleep(0.3)
            return locked

        monkeypatch.setattr(services, "sessions_lock", sessions_lock_holding)

    def enter(self, role: str) -> None:
        self.role.name = role
        if self.first not in (None, role):
            assert self.held.wait(timeout=10)


@pytest.fixture
def turns(monkeypatch) -> Turns:
    return Turns(monkeypatch)


def booking(solidaire, lines, *, role="booking", turns=None):
    """A portal's booking of `lines`, as its page will make it: the sessions locked (the
    connection's lock time-out on), a group, the allocation; retried by `with_retry`. Returns the outcomes."""

    def allocate():
        with transaction.atomic():
            sessions = services.sessions_lock(ids={line.session_id for line in lines})
            group = ReservationGroup.objects.create(channel=Channel.SOLIDARITY)
            return services.reservations_allocate(
                sessions=sessions,
                lines=lines,
                policy=solidaire.policy,
                group=group,
                now=timezone.now(),
            )

    def run():
        if turns is not None:
            turns.enter(role)
        return with_retry(allocate)

    return run


def cancellation(reservations, *, role="cancellation", turns=None):
    """Staff (or a portal) cancelling these lines in one call, in the order given."""

    def run():
        if turns is not None:
            turns.enter(role)
        fresh = [Reservation.objects.get(pk=reservation.pk) for reservation in reservations]
        return with_retry(services.reservations_cancel, reservations=fresh)

    return run


def rows(session) -> list[tuple[str, str, int | None]]:
    """(holder key, status, rank) of the session's reservations, by pk."""
    return list(
        Reservation.objects.filter(session=session)
        .order_by("pk")
        .values_list("holder_key", "status", "waiting_rank")
    )


def keys_in(session, *statuses) -> set[str]:
    return {key for key, status, _rank in rows(session) if status in statuses}


def counters(session) -> tuple[int, int]:
    return Session.objects.values_list("seats_taken", "waiting_count").get(pk=session.pk)


def test_sixty_groups_on_twenty_seats_seat_twenty_and_rank_the_rest(solidaire, conflicts):
    session = portal_session(seat_limit=20)
    rng = random.Random(20)
    groups = [
        [line(session, group * 10 + n) for n in range(rng.randint(1, 4))] for group in range(60)
    ]
    results = run_together([booking(solidaire, lines) for lines in groups])

    conflicts.assert_none()
    outcomes = [outcome for result in results for outcome in result]
    assert len(outcomes) == sum(map(len, groups))
    assert [o.state for o in outcomes].count(VALID) == 20
    waiting = len(outcomes) - 20
    assert {o.state for o in outcomes} == {VALID, WAITING}
    ranks = sorted(o.rank for o in outcomes if o.state == WAITING)
    assert ranks == list(range(1, waiting + 1))  # gapless and unique
    # What each booking was told is what the database holds.
    held = {key: (status, rank) for key, status, rank in rows(session)}
    assert held == {o.line.holder_key: (o.state, o.rank) for o in outcomes}
    assert counters(session) == (20, waiting)
    assert seats_mismatches() == [] and waiting_mismatches() == []
    # One booking at a time under the session's lock: each group's ranks follow each other in
    # its lines' order, and at most one group got both seats and ranks (the one that took the
    # last seats).
    for result in results:
        group_states = [o.state for o in result]
        assert group_states == sorted(group_states, key=[VALID, WAITING].index)
        group_ranks = [o.rank for o in result if o.state == WAITING]
        if group_ranks:
            assert group_ranks == list(range(group_ranks[0], group_ranks[0] + len(group_ranks)))
    assert sum(len({o.state for o in result}) == 2 for result in results) <= 1


@pytest.mark.parametrize("first", ["cancellation", "booking", None])
def test_a_seat_freed_while_a_newcomer_books_goes_to_the_waiting_list(
    solidaire, conflicts, turns, first
):
    """Two seats freed by a cancellation while a group of two books: whoever locks the session
    first, the two people waiting get the seats and the newcomers wait behind them."""
    session = portal_session(seat_limit=3)
    seated = solidaire.allocate([line(session, key) for key in (1, 2, 3)])
    solidaire.allocate([line(session, 4), line(session, 5)])  # waiting, ranks 1 and 2
    turns.first = first

    cancelled, newcomers = run_together(
        [
            cancellation([seated[0].reservation, seated[1].reservation], turns=turns),
            booking(solidaire, [line(session, 6), line(session, 7)], turns=turns),
        ]
    )

    conflicts.assert_none()
    assert {row.holder_key for row in cancelled} == {"beneficiary:1", "beneficiary:2"}
    assert [(o.state, o.rank) for o in newcomers] == [(WAITING, 3), (WAITING, 4)]
    assert rows(session) == [
        ("beneficiary:1", CANCELLED, None),
        ("beneficiary:2", CANCELLED, None),
        ("beneficiary:3", VALID, None),
        ("beneficiary:4", VALID, 1),  # promoted, its rank kept
        ("beneficiary:5", VALID, 2),
        ("beneficiary:6", WAITING, 3),
        ("beneficiary:7", WAITING, 4),
    ]
    assert counters(session) == (3, 2)


def test_crossing_cancellations_on_two_sessions_do_not_deadlock(solidaire, conflicts):
    """Eight calls each cancel one seated line on each of two sessions, half of them naming the
    first session's line first, half the second's; each cancellation promotes on both."""
    first, second = portal_session(seat_limit=8), portal_session(seat_limit=8)
    seated = {
        session: solidaire.allocate([line(session, key) for key in range(8)])
        for session in (first, second)
    }
    for session in (first, second):  # eight groups waiting on each
        for key in range(10, 18):
            solidaire.allocate([line(session, key)])

    calls = []
    for n in range(8):
        pair = [seated[first][n].reservation, seated[second][n].reservation]
        calls.append(cancellation(pair if n % 2 else pair[::-1]))
    results = run_together(calls)

    conflicts.assert_none()
    assert [len(result) for result in results] == [2] * 8
    for session in (first, second):
        assert keys_in(session, CANCELLED) == {f"beneficiary:{key}" for key in range(8)}
        assert keys_in(session, VALID) == {f"beneficiary:{key}" for key in range(10, 18)}
        assert counters(session) == (8, 0)
    assert seats_mismatches() == [] and waiting_mismatches() == []


@pytest.mark.parametrize("first", ["nightly", "session", "lines", "closing", None])
def test_staff_cancelling_during_the_nightly_job_do_not_deadlock(
    solidaire, conflicts, turns, first
):
    """The nightly job (`reservations_archive_past`) and the closing of a waiting list run while
    staff cancel a session (`session_save`) and lines on two other sessions (one
    `reservations_cancel`, which promotes). Whoever goes first, the others wait their turn; in
    the end the nightly table holds for every row the staff did not cancel."""
    one, two, three = (portal_session(seat_limit=limit) for limit in (3, 2, 1))
    a1, _a2 = (o.reservation for o in solidaire.allocate([line(one, 1), line(one, 2)]))
    solidaire.needs_staff = True
    solidaire.allocate([line(one, 3)])  # pending
    solidaire.needs_staff = False
    solidaire.allocate([line(one, 4), line(one, 5)])  # waiting, ranks 1 and 2
    solidaire.allocate([line(two, 1), line(two, 2), line(two, 3)])  # 2 seated, 1 waiting
    [c1] = (o.reservation for o in solidaire.allocate([line(three, 1)]))
    solidaire.allocate([line(three, 2), line(three, 3)])  # waiting, ranks 1 and 2
    turns.first = first
    night = max(session.ends_at for session in (one, two, three)) + timedelta(hours=2)

    def nightly():
        turns.enter("nightly")
        return with_retry(services.reservations_archive_past, now=night)

    def session_cancel():
        turns.enter("session")
        staff_copy = Session.objects.select_related("activity").get(pk=two.pk)
        staff_copy.status = SessionStatus.CANCELLED
        return with_retry(services.session_save, session=staff_copy).status

    def closing():
        turns.enter("closing")

        def close():
            with transaction.atomic():
                session = services.sessions_lock(ids=[three.pk])[three.pk]
                return services.waiting_list_close(session=session, now=timezone.now())

        return with_retry(close)

    run_together(
        [
            nightly,
            session_cancel,
            cancellation([c1, a1], role="lines", turns=turns),  # the caller's order, not pk's
            closing,
        ]
    )

    conflicts.assert_none()
    assert seats_mismatches() == [] and waiting_mismatches() == []
    # Nothing is left valid, pending or waiting: the night has come for every session.
    assert not Reservation.objects.filter(status__in=(VALID, PENDING, WAITING)).exists()
    assert keys_in(one, CANCELLED) == keys_in(three, CANCELLED) == {"beneficiary:1"}
    two.refresh_from_db()
    assert two.status == SessionStatus.CANCELLED
    # The night first: its seated lines archived (they keep their seats), the one waiting not
    # served; staff first: all three cancelled.
    assert [status for _key, status, _rank in rows(two)] in (
        [ARCHIVED, ARCHIVED, NOT_SERVED],
        [CANCELLED, CANCELLED, CANCELLED],
    )
    assert counters(one)[1] == counters(two)[1] == counters(three)[1] == 0
