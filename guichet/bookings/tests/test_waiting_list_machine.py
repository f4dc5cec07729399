"""Any sequence of portal bookings, cancellations, limit changes, session cancellations and
postponements, nightly runs and time passing keeps the counters and the waiting lists right
(hypothesis's stateful testing, with the scripted `solidaire` policy of conftest.py)."""

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from guichet.bookings.channels import SEAT, Refuse, Wait
from guichet.bookings.models import LIVE_STATUSES, SEAT_HOLDING_STATUSES, Reservation
from guichet.bookings.services import (
    reservations_archive_past,
    reservations_cancel,
    session_save,
    sessions_lock,
    waiting_list_close,
)
from guichet.bookings.tests.conftest import line, portal_session
from guichet.catalogue.models import Session, SessionStatus

pytestmark = pytest.mark.django_db

HOLDERS = st.integers(min_value=1, max_value=24)


def verdict(key: str):
    """Fixed per holder, so that "nobody eligible waits behind a free seat" can be checked."""
    number = int(key.split(":")[1])
    if number % 7 == 0:
        return Wait("quota atteint")
    if number % 11 == 0:
        return Refuse("personne inactive")
    return SEAT


class WaitingLists(RuleBasedStateMachine):
    script = None  # the `solidaire` fixture, set by the test

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.traveller = time_machine.travel(timezone.now().replace(microsecond=0), tick=False)
        self.clock = self.traveller.start()
        self.script.verdicts = {f"beneficiary:{n}": verdict(f"beneficiary:{n}") for n in range(25)}
        start = timezone.now() + timedelta(days=2)
        self.sessions = [
            portal_session(start=start, seat_limit=2),
            portal_session(start=start + timedelta(days=1), seat_limit=2, waiting_limit=3),
            portal_session(start=start + timedelta(days=2), seat_limit=3),
        ]

    def teardown(self):
        self.traveller.stop()
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def session(self, index) -> Session:
        return Session.objects.select_related("activity").get(pk=self.sessions[index].pk)

    @rule(
        index=st.integers(0, 2),
        holders=st.lists(HOLDERS, min_size=1, max_size=8),
        staff=st.booleans(),
    )
    def allocate(self, index, holders, staff):
        """A group of 1 to 8 people, one place each (as the portals book)."""
        session = self.sessions[index]
        lines = [line(session, key) for key in holders]
        outcomes = self.script.allocate(lines, staff=staff)
        assert len(outcomes) == len(lines)

    def live(self) -> list[Reservation]:
        sessions = [session.pk for session in self.sessions]
        rows = Reservation.objects.filter(session__in=sessions, status__in=LIVE_STATUSES)
        return list(rows.order_by("pk"))

    @precondition(lambda self: self.live())
    @rule(picks=st.lists(st.integers(0, 30), min_size=1, max_size=3))
    def cancel(self, picks):
        live = self.live()
        chosen = {live[pick % len(live)].pk: live[pick % len(live)] for pick in picks}
        reservations_cancel(reservations=list(chosen.values()))

    @rule(
        index=st.integers(0, 2),
        seat_limit=st.integers(1, 6),
        waiting_limit=st.one_of(st.none(), st.integers(0, 4)),
    )
    def change_limits(self, index, seat_limit, waiting_limit):
        session = self.session(index)
        session.seat_limit, session.waiting_limit = seat_limit, waiting_limit
        try:
            with transaction.atomic():
                session_save(session=session)
        except ValidationError as refused:
            assert set(refused.message_dict) <= {"seat_limit", "waiting_limit"}

    @rule(index=st.integers(0, 2), days=st.integers(0, 3))
    def cancel_or_postpone_session(self, index, days):
        """0 days: cancelled; else postponed by that many days."""
        session = self.session(index)
        if session.is_cancelled:
            return
        if days:
            session.status = SessionStatus.POSTPONED
            session.new_start, session.new_end = session.starts_at + timedelta(days=days), None
        else:
            session.status, session.reason = SessionStatus.CANCELLED, "Intempéries"
            session.new_start = session.new_end = None
        session_save(session=session)

    @rule(index=st.integers(0, 2))
    def close_list(self, index):
        with transaction.atomic():
            session = sessions_lock(ids=[self.sessions[index].pk])[self.sessions[index].pk]
            waiting_list_close(session=session, now=timezone.now())

    @rule(hours=st.integers(0, 48))
    def time_passes_and_the_night_job_runs(self, hours):
        self.clock.shift(timedelta(hours=hours))
        reservations_archive_past()

    @invariant()
    def counters_and_lists_are_right(self):
        now = timezone.now()
        for stored in self.sessions:
            session = self.session(self.sessions.index(stored))
            rows = list(Reservation.objects.filter(session=session))
            held = sum(r.quantity for r in rows if r.status in SEAT_HOLDING_STATUSES)
            waiting = [r for r in rows if r.status == "waiting"]
            assert session.seats_taken == held
            assert session.seat_limit is None or held <= session.seat_limit
            assert session.waiting_count == len(waiting)
            ranks = sorted(r.waiting_rank for r in rows if r.waiting_rank is not None)
            assert ranks == list(range(1, len(ranks) + 1))  # unique and gapless
            live = Counter(r.holder_key for r in rows if r.status in LIVE_STATUSES)
            assert max(live.values(), default=0) <= 1
            promotion_open = (
                not session.is_cancelled
                and session.waiting_closed_at is None
                and now < self.script.policy.promotion_closes_at(session)
            )
            if promotion_open:
                left = session.seats_left
                for entry in waiting:
                    fits = left is None or entry.quantity <= left
                    assert not (fits and verdict(entry.holder_key) is SEAT), (entry, left)


def test_any_sequence_keeps_counters_ranks_and_lists_right(solidaire):
    WaitingLists.script = solidaire
    run_state_machine_as_test(
        WaitingLists,
        settings=settings(
            max_examples=30,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
