"""The family portal's answers to the bookings core (guichet.bookings.channels).

- `eligible`: the household's active child, its age at the session's date and its group
  (`non accessible à cet enfant`), and no other unit of the child overlapping this one
  (`horaires incompatibles`). A line from the basket carries its child and hours in its
  `payload` (`FamilyLine`), checked by the basket service beforehand; a waiting entry at
  promotion is checked against the database.
- `needs_staff`: the activity's acceptance is "Par nos services".
- `promotion_closes_at`: `cancel_until` − "Délai de prévenance": a family promoted automatically
  can still cancel; later, staff promote by hand.
- no per-booking mail: the daily report tells (guichet.families.digest).
"""

from dataclasses import dataclass
from datetime import datetime, time

from django.utils.translation import gettext_lazy

from guichet.bookings.channels import SEAT, ChannelPolicy, Refuse, Verdict
from guichet.bookings.models import LIVE_STATUSES, Reservation
from guichet.catalogue.models import Channel, Session
from guichet.core.permissions import FAMILY_MANAGER_GROUP
from guichet.families.models import Child, ReservationHours, holder_key_child_id
from guichet.families.selectors import (
    REASON_NOT_FOR_CHILD,
    REASON_OVERLAP,
    child_refusal,
    family_settings_get,
    rules_of,
    session_day,
    spans_overlap,
    unit_span,
)


@dataclass(frozen=True)
class FamilyLine:
    """A basket line's payload (guichet.bookings.channels.BookingLine.payload): the locked child,
    the hours chosen, and whether the basket service found an overlap already."""

    child: Child
    arrival: time | None = None
    departure: time | None = None
    overlap: bool = False


def child_overlaps(
    *,
    child_id: int,
    session: Session,
    arrival: time | None,
    departure: time | None,
    exclude_session_ids: set[int] = frozenset(),
) -> bool:
    """Has the child another live unit that day whose hours cross this one's?"""
    day = session_day(session)
    span = unit_span(session=session, arrival=arrival, departure=departure)
    others = (
        Reservation.objects.filter(
            channel=Channel.FAMILY,
            holder_key=f"child:{child_id}",
            status__in=LIVE_STATUSES,
            session__family_day__day=day,
        )
        .exclude(session_id=session.pk)
        .exclude(session_id__in=exclude_session_ids)
        .select_related("session", "family_hours")
    )
    for other in others:
        hours = _hours_of(other)
        other_span = unit_span(session=other.session, arrival=hours[0], departure=hours[1])
        if spans_overlap(span, other_span):
            return True
    return False


def _hours_of(reservation: Reservation) -> tuple[time | None, time | None]:
    try:
        hours = reservation.family_hours
    except ReservationHours.DoesNotExist:
        return None, None
    return hours.arrival, hours.departure


def eligible(candidate, *, session: Session, seated: set[str], now: datetime) -> Verdict:
    rules = rules_of(session)
    payload = getattr(candidate, "payload", None)
    if isinstance(payload, FamilyLine):
        child, arrival, departure, overlap = (
            payload.child,
            payload.arrival,
            payload.departure,
            payload.overlap,
        )
    else:  # a waiting entry, at promotion
        child_id = holder_key_child_id(candidate.holder_key)
        child = Child.objects.filter(pk=child_id).first() if child_id else None
        if child is None:
            return Refuse(str(REASON_NOT_FOR_CHILD))
        arrival, departure = _hours_of(candidate) if candidate.pk else (None, None)
        overlap = child_overlaps(
            child_id=child.pk, session=session, arrival=arrival, departure=departure
        )
    refusal = child_refusal(child=child, session=session, rules=rules)
    if refusal:
        return Refuse(refusal)
    if overlap:
        return Refuse(str(REASON_OVERLAP))
    return SEAT


def needs_staff(session: Session) -> bool:
    rules = rules_of(session)
    return rules is not None and rules.needs_staff


def promotion_closes_at(session: Session) -> datetime:
    limit = session.cancel_until or session.booking_closes_at
    return limit - family_settings_get().notice


FAMILY_POLICY = ChannelPolicy(
    channel=Channel.FAMILY,
    staff_group=FAMILY_MANAGER_GROUP,
    waiting_list=True,
    eligible=eligible,
    needs_staff=needs_staff,
    promotion_closes_at=promotion_closes_at,
    # Past the family's deadlines a reason is required, and each cancellation is kept in the
    # household's journal: guichet.families.services.staff_cancel.
    staff_cancel_elsewhere=gettext_lazy(
        "Les réservations du portail famille s'annulent depuis « Portail famille › Réserver "
        "pour une famille » : le journal de la famille les garde, avec le motif s'il le faut."
    ),
)
