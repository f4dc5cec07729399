"""A scripted policy for the `solidaire` channel, swapped in for a test: the core's allocation
and promotion are tested without the solidarity portal."""

from dataclasses import dataclass, field, replace
from datetime import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from guichet.bookings import channels
from guichet.bookings.channels import SEAT, BookingLine, ChannelPolicy, Verdict
from guichet.bookings.services import (
    reservation_group_create,
    reservations_allocate,
    sessions_lock,
)
from guichet.catalogue.models import Channel, Session
from guichet.catalogue.tests.factories import SessionFactory


@dataclass
class ScriptedPolicy:
    """What the `solidaire` policy answers, changed by the test as it goes.

    `verdicts`: holder key → a verdict, or a function of the seated keys giving one (SEAT for
    the others); `needed`: holder key → the other keys whose seats that function looks at (the
    policy's `seated_keys_needed`); `needs_staff`; `promotion_closes_at`: None for the session's
    booking close."""

    verdicts: dict = field(default_factory=dict)
    needed: dict = field(default_factory=dict)
    needs_staff: bool = False
    promotion_closes_at: datetime | None = None
    asked: list = field(default_factory=list)

    def eligible(self, candidate, *, session, seated, now) -> Verdict:
        self.asked.append(candidate.holder_key)
        verdict = self.verdicts.get(candidate.holder_key, SEAT)
        return verdict(seated) if callable(verdict) else verdict

    def seated_keys_needed(self, line: BookingLine) -> set[str]:
        return self.needed.get(line.holder_key, set())

    @property
    def policy(self) -> ChannelPolicy:
        return channels.policy_for(Channel.SOLIDARITY)

    def group_mails_set(self, monkeypatch, group_mails: dict) -> None:
        monkeypatch.setitem(
            channels._POLICIES, Channel.SOLIDARITY, replace(self.policy, group_mails=group_mails)
        )

    def allocate(self, lines, *, now=None, staff=False, author=None, reads_with_lock=False):
        """A portal's booking: make the group, lock the sessions (`reads_with_lock`: giving
        sessions_lock the lines' keys), allocate."""
        with transaction.atomic():
            group = reservation_group_create(channel=Channel.SOLIDARITY, author=author)
            sessions = sessions_lock(
                ids={line.session_id for line in lines},
                holder_keys=[line.holder_key for line in lines] if reads_with_lock else (),
            )
            return reservations_allocate(
                sessions=sessions,
                lines=lines,
                policy=self.policy,
                group=group,
                now=now or timezone.now(),
                staff=staff,
            )


@pytest.fixture
def solidaire(monkeypatch) -> ScriptedPolicy:
    script = ScriptedPolicy()
    policy = ChannelPolicy(
        channel=Channel.SOLIDARITY,
        staff_group="Gestionnaire solidaire",
        waiting_list=True,
        eligible=script.eligible,
        seated_keys_needed=script.seated_keys_needed,
        needs_staff=lambda session: script.needs_staff,
        promotion_closes_at=lambda session: script.promotion_closes_at or session.booking_closes_at,
    )
    monkeypatch.setitem(channels._POLICIES, Channel.SOLIDARITY, policy)
    return script


def portal_session(**fields) -> Session:
    """A `solidaire` session a week from now (10 seats, an unlimited waiting list)."""
    return SessionFactory(activity__channel=Channel.SOLIDARITY, **fields)


def line(session, key, quantity=1, **fields) -> BookingLine:
    return BookingLine(
        session_id=session.pk,
        holder_key=f"beneficiary:{key}" if isinstance(key, int) else key,
        first_name=fields.pop("first_name", "Anne"),
        last_name=fields.pop("last_name", f"Exemple{key}"),
        quantity=quantity,
        **fields,
    )
