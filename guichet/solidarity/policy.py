"""The solidarity portal's answers to the bookings core (guichet.bookings.channels): its staff
group, its waiting list, the booking window a new session gets (`session_defaults`) and who may
take a seat (`invitation_eligible`), at booking and at promotion alike.

The rules (issue 13, README "Billetterie solidaire"):
- an inactive person, or another structure's, is refused;
- a guest waits while its participant holds no seat on the session ("son participant est en
  liste d'attente"); an accompanier while no participant of its booking holds one;
- a participant or a guest holds at most `weekly_quota` seated invitations on solidarity
  sessions starting in one ISO week (Monday to Sunday, Paris time), the line judged left out;
  accompaniers are exempt. Over it, the line waits, and may take a seat still free from the
  "dernier appel" (`closes_at` − `last_call_hours`). Read under the person's row lock, never
  stored.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guichet.bookings.channels import (
    SEAT,
    BookingLine,
    ChannelPolicy,
    MailEvent,
    Refuse,
    Seat,
    Verdict,
    Wait,
)
from guichet.bookings.models import LIVE_STATUSES, SEAT_HOLDING_STATUSES, Reservation
from guichet.catalogue.models import Channel, Session
from guichet.core import dates
from guichet.core.permissions import SOLIDARITY_MANAGER_GROUP
from guichet.notifications.models import MessageKind
from guichet.solidarity.models import (
    Beneficiary,
    BeneficiaryKind,
    Invitation,
    InvitationRole,
    SolidaritySettings,
    Structure,
)
from guichet.solidarity.selectors import (
    booking_recipients,
    invitations_seated_in_week,
    lines_ordered,
    session_waiting_room,
    solidarity_settings_get,
    week_bounds,
)


@dataclass(frozen=True)
class InvitationLine:
    """A `BookingLine.payload`: the person (its row locked by `booking_create`), its role, the
    participant it is the guest of, and the participants' holder keys of the same booking (for
    an accompanier). `week_held`: the person's invitations counted against the quota in the
    session's week, when `booking_create` read them for the whole booking at once, under the
    people's row locks (None: `eligible` counts them). `rules`: the settings the whole booking is
    judged by, read once for it (None: `eligible` reads them, a cache round trip a line)."""

    beneficiary: Beneficiary
    structure_id: int
    role: str
    guest_of_id: int | None = None
    group_participant_keys: frozenset[str] = frozenset()
    week_held: int | None = None
    rules: SolidaritySettings | None = None


def holder_key(beneficiary_id: int) -> str:
    return f"beneficiary:{beneficiary_id}"


def session_defaults(session: Session) -> dict:
    """A new session's window: opening at `opening_time` (Paris) on the local date
    `opening_days` before its start; closing `closing_hours` before its start; cancelling until
    the closing. Staff may change them afterwards; new settings move no existing session."""
    rules = solidarity_settings_get()
    start = session.starts_at
    if start is None:
        return {}
    zone = timezone.get_default_timezone()
    day = timezone.localtime(start).date() - timedelta(days=rules.opening_days)
    opens_at = datetime.combine(day, rules.opening_time, tzinfo=zone)
    closes_at = start - timedelta(hours=rules.closing_hours)
    return {"opens_at": opens_at, "closes_at": closes_at, "cancel_until": closes_at}


def last_call_at(session: Session, *, rules: SolidaritySettings | None = None) -> datetime:
    """From then on, a seat still free may go to someone over their weekly quota."""
    rules = rules or solidarity_settings_get()
    return session.booking_closes_at - timedelta(hours=rules.last_call_hours)


def quota_applies(session: Session, *, now: datetime, rules: SolidaritySettings) -> bool:
    """Is the weekly quota judged on `session` at `now` (a quota set, before "dernier appel")?"""
    return bool(rules.weekly_quota) and now < last_call_at(session, rules=rules)


def quota_reason(*, quota: int, session: Session) -> str:
    monday, _end = week_bounds(session.starts_at)
    return _("quota atteint (%(count)d invitations la semaine du %(day)s)") % {
        "count": quota,
        "day": dates.day_long(monday, year=False),
    }


def _candidate(candidate: BookingLine | Reservation) -> tuple[InvitationLine, int | None]:
    """The line's payload, or, for a waiting entry at promotion, its invitation read with the
    person's row locked (the quota is read under it)."""
    if isinstance(candidate, BookingLine):
        return candidate.payload, None
    invitation = Invitation.objects.get(reservation_id=candidate.pk)
    person = Beneficiary.objects.select_for_update().get(pk=invitation.beneficiary_id)
    participants = frozenset()
    if invitation.role == InvitationRole.ACCOMPANIER:
        participants = frozenset(
            holder_key(pk)
            for pk in Invitation.objects.filter(
                reservation__group_id=candidate.group_id, role=InvitationRole.PARTICIPANT
            ).values_list("beneficiary_id", flat=True)
        )
    line = InvitationLine(
        beneficiary=person,
        structure_id=invitation.structure_id,
        role=invitation.role,
        guest_of_id=invitation.guest_of_id,
        group_participant_keys=participants,
    )
    return line, candidate.pk


def invitation_seated_keys_needed(line: BookingLine) -> list[str]:
    """The policy's `seated_keys_needed`: a guest's participant (an accompanier's participants
    are lines of its booking)."""
    guest_of_id = getattr(line.payload, "guest_of_id", None)
    return [holder_key(guest_of_id)] if guest_of_id is not None else []


def invitation_eligible(
    candidate: BookingLine | Reservation, *, session: Session, seated: set[str], now: datetime
) -> Verdict:
    """The policy's `eligible`: SEAT, Wait(reason) or Refuse(reason) (see the module's rules)."""
    line, reservation_id = _candidate(candidate)
    person = line.beneficiary
    if not person.is_active:
        return Refuse(_("personne inactive"))
    if person.structure_id != line.structure_id:
        return Refuse(_("personne d'une autre structure"))
    if line.role == InvitationRole.GUEST:
        if line.guest_of_id is None or holder_key(line.guest_of_id) not in seated:
            return Wait(_("son participant est en liste d'attente"))
    if line.role == InvitationRole.ACCOMPANIER:
        if not line.group_participant_keys & seated:
            return Wait(_("aucun participant de sa réservation n'a de place"))
        return SEAT
    rules = line.rules or solidarity_settings_get()
    quota = rules.weekly_quota
    if quota_applies(session, now=now, rules=rules):
        held = line.week_held
        if held is None:
            held = invitations_seated_in_week(
                beneficiary_id=person.pk,
                moment=session.starts_at,
                exclude_reservation_id=reservation_id,
            )
        if held >= quota:
            return Wait(quota_reason(quota=quota, session=session))
    return SEAT


@dataclass(frozen=True)
class LinePreview:
    """A line of the booking page, with its likely outcome before "Enregistrer"."""

    person: Beneficiary
    outcome: str
    seated: bool


def booking_preview(
    *, structure: Structure, session: Session, people: list[Beneficiary], now: datetime
) -> list[LinePreview]:
    """What booking `people` on `session` would likely give, line by line, read without locks
    through the policy's own `eligible` (the service decides again under the locks):
    "Invitation", "Liste d'attente : complet", "Liste d'attente : quota atteint (…)",
    "Déjà inscrit(e) à cette séance"."""
    if not people:
        return []  # the page before anyone is added: no statement, no settings read
    ordered = lines_ordered(people)
    keys = {holder_key(p.pk) for p in ordered} | {
        holder_key(p.guest_of_id) for p in ordered if p.guest_of_id
    }
    rows = Reservation.objects.filter(
        session_id=session.pk, holder_key__in=keys, status__in=LIVE_STATUSES
    ).values_list("holder_key", "status")
    live = {key for key, _status in rows}
    seated = {key for key, status in rows if status in SEAT_HOLDING_STATUSES}
    participants = frozenset(
        holder_key(p.pk) for p in ordered if p.kind == BeneficiaryKind.PARTICIPANT
    )
    left = session.seats_left
    rules = solidarity_settings_get()
    previews = []
    for person in ordered:
        key = holder_key(person.pk)
        if key in live:
            previews.append(LinePreview(person, _("Déjà inscrit(e) à cette séance"), False))
            continue
        line = BookingLine(
            session_id=session.pk,
            holder_key=key,
            first_name=person.first_name,
            last_name=person.last_name,
            payload=InvitationLine(
                beneficiary=person,
                structure_id=structure.pk,
                role=person.kind,
                guest_of_id=person.guest_of_id,
                group_participant_keys=participants,
                rules=rules,
            ),
        )
        verdict = invitation_eligible(line, session=session, seated=seated, now=now)
        if isinstance(verdict, Seat) and (left is None or left > 0):
            previews.append(LinePreview(person, _("Invitation"), True))
            seated.add(key)
            left = None if left is None else left - 1
        elif isinstance(verdict, Seat | Wait) and session_waiting_room(session):
            reason = verdict.reason if isinstance(verdict, Wait) else _("complet")
            previews.append(
                LinePreview(person, _("Liste d'attente : %(reason)s") % {"reason": reason}, False)
            )
        else:
            reason = verdict.reason or _("complet, liste d'attente comprise")
            previews.append(
                LinePreview(person, _("Refusé : %(reason)s") % {"reason": reason}, False)
            )
    return previews


SOLIDARITY_POLICY = ChannelPolicy(
    channel=Channel.SOLIDARITY,
    staff_group=SOLIDARITY_MANAGER_GROUP,
    # One mail per booking (guichet.solidarity.mails), to its author or else the structure's
    # responsables (`booking_recipients`).
    group_mails={
        MailEvent.BOOKED: MessageKind.SOLIDARITY_BOOKED,
        MailEvent.PROMOTED: MessageKind.SOLIDARITY_PROMOTED,
        MailEvent.WAITING_CLOSED: MessageKind.SOLIDARITY_WAITING_CLOSED,
        MailEvent.SESSION_CANCELLED: MessageKind.SOLIDARITY_SESSION_CANCELLED,
        MailEvent.SESSION_POSTPONED: MessageKind.SOLIDARITY_SESSION_POSTPONED,
        MailEvent.REMINDER: MessageKind.SOLIDARITY_REMINDER,
        MailEvent.CANCELLED: MessageKind.SOLIDARITY_CANCELLED,
    },
    group_recipients=booking_recipients,
    waiting_list=True,
    session_defaults=session_defaults,
    eligible=invitation_eligible,
    seated_keys_needed=invitation_seated_keys_needed,
    # A line cancelled takes its guests (and a booking's lone accompaniers) with it, and the
    # author is mailed the reason: guichet.solidarity.services.invitation_cancel_by_staff.
    staff_cancel_elsewhere=gettext_lazy(
        "Les invitations de la billetterie solidaire s'annulent depuis « Billetterie solidaire "
        "› Invitations », avec un motif : leurs invités et accompagnateurs suivent, et l'auteur "
        "de la réservation en est prévenu par e-mail."
    ),
)
