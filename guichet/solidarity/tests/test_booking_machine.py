"""Any sequence of solidarity bookings, cancellations, seats added, people deactivated,
sessions postponed, time passing and minute-task runs, over three sessions in two weeks, keeps
the portal's rules (hypothesis's stateful testing): no oversell, the weekly quota held per
person and week, no seated guest without its participant seated, no accompanier left without a
live participant of its booking, and nobody eligible waiting behind a free seat while promotion
is open."""

from datetime import timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from guichet.bookings.channels import Seat
from guichet.bookings.models import LIVE_STATUSES, SEAT_HOLDING_STATUSES, Reservation
from guichet.bookings.services import seats_mismatches, session_save, waiting_mismatches
from guichet.catalogue.models import Session
from guichet.solidarity.models import Beneficiary, InvitationRole
from guichet.solidarity.policy import invitation_eligible
from guichet.solidarity.selectors import solidarity_settings_get, week_bounds
from guichet.solidarity.services import (
    InvitationError,
    beneficiary_deactivate,
    booking_create,
    invitations_cancel,
    invitations_close,
)
from guichet.solidarity.tests.booking_helpers import (
    accompanier,
    guest,
    paris,
    participant,
    solidarity_session,
)
from guichet.solidarity.tests.factories import StructureFactory

pytestmark = pytest.mark.django_db

QUOTA = 1


class Bookings(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        rules = solidarity_settings_get()
        # No "dernier appel" before the closing: the quota then holds strictly.
        rules.weekly_quota, rules.last_call_hours = QUOTA, 0
        rules.save()
        self.structure = StructureFactory()
        hosts = [participant(self.structure) for _ in range(4)]
        self.people = [
            *hosts,
            guest(hosts[0]),
            guest(hosts[1]),
            accompanier(self.structure),
        ]
        self.sessions = [
            solidarity_session(paris(2026, 6, 9, 12, 0), seats=2),
            solidarity_session(paris(2026, 6, 11, 12, 0), seats=2),
            solidarity_session(paris(2026, 6, 16, 12, 0), seats=1),
        ]
        self.now = paris(2026, 5, 20, 10, 0)  # every window open

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def session(self, index) -> Session:
        return Session.objects.select_related("activity").get(pk=self.sessions[index].pk)

    def tick(self):
        invitations_close(now=self.now)

    @rule(index=st.integers(0, 2), chosen=st.lists(st.integers(0, 6), min_size=1, max_size=4))
    def book(self, index, chosen):
        people = [self.people[i] for i in dict.fromkeys(chosen)]
        try:
            booking_create(
                structure=self.structure,
                author=None,
                session=self.session(index),
                lines=[p.pk for p in people],
                submission_key=None,
                now=self.now,
            )
        except InvitationError:
            pass
        self.tick()

    @rule(pick=st.integers(0, 50))
    def cancel(self, pick):
        live = list(Reservation.objects.filter(status__in=LIVE_STATUSES).order_by("pk"))
        if live:
            row = live[pick % len(live)]
            try:
                invitations_cancel(structure=self.structure, reservation_ids=[row.pk], now=self.now)
            except InvitationError:
                pass
        self.tick()

    @rule(index=st.integers(0, 2))
    def add_seats(self, index):
        session = self.session(index)
        session.seat_limit += 1
        session_save(session=session, now=self.now)
        self.tick()

    @rule(pick=st.integers(0, 6))
    def deactivate(self, pick):
        person = Beneficiary.objects.get(pk=self.people[pick].pk)
        if person.is_active and person.kind != "participant":
            beneficiary_deactivate(beneficiary=person, now=self.now)
        self.tick()

    @rule(index=st.integers(0, 2), hours=st.integers(1, 3))
    def postpone(self, index, hours):
        session = self.session(index)
        session.start += timedelta(hours=hours)
        session.end += timedelta(hours=hours)
        session_save(session=session, now=self.now)
        self.tick()

    @rule(hours=st.integers(1, 24 * 10))
    def move_time(self, hours):
        self.now += timedelta(hours=hours)
        self.tick()

    @invariant()
    def counters_right(self):
        assert seats_mismatches() == [] and waiting_mismatches() == []

    @invariant()
    def quota_held(self):
        for person in self.people:
            for week in (paris(2026, 6, 8), paris(2026, 6, 15)):
                start, end = week_bounds(week)
                seated = Reservation.objects.filter(
                    invitation__beneficiary_id=person.pk,
                    invitation__role__in=[InvitationRole.PARTICIPANT, InvitationRole.GUEST],
                    status__in=SEAT_HOLDING_STATUSES,
                    session__effective_start__gte=start,
                    session__effective_start__lt=end,
                ).count()
                assert seated <= QUOTA, (person, week)

    @invariant()
    def guests_and_accompaniers_not_alone(self):
        seated = Reservation.objects.filter(status__in=SEAT_HOLDING_STATUSES).select_related(
            "invitation"
        )
        for row in seated:
            invitation = row.invitation
            if invitation.role == InvitationRole.GUEST:
                assert Reservation.objects.filter(
                    session_id=row.session_id,
                    holder_key=f"beneficiary:{invitation.guest_of_id}",
                    status__in=SEAT_HOLDING_STATUSES,
                ).exists(), row
            if invitation.role == InvitationRole.ACCOMPANIER:
                assert Reservation.objects.filter(
                    session_id=row.session_id,
                    group_id=row.group_id,
                    invitation__role=InvitationRole.PARTICIPANT,
                    status__in=LIVE_STATUSES,
                ).exists(), row

    @invariant()
    def nobody_eligible_behind_a_free_seat(self):
        for index in range(3):
            session = self.session(index)
            if session.seats_left == 0 or self.now >= session.booking_closes_at:
                continue
            if session.opens_at and self.now < session.opens_at:
                continue
            seated = set(
                Reservation.objects.filter(
                    session=session, status__in=SEAT_HOLDING_STATUSES
                ).values_list("holder_key", flat=True)
            )
            for entry in Reservation.objects.filter(session=session, status="waiting"):
                verdict = invitation_eligible(entry, session=session, seated=seated, now=self.now)
                assert not isinstance(verdict, Seat), entry


def test_any_sequence_keeps_the_portals_rules():
    run_state_machine_as_test(
        Bookings,
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
