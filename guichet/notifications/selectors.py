from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guichet.bookings.channels import ChannelPolicy, MailEvent, policy_for
from guichet.bookings.models import Reservation, ReservationStatus
from guichet.bookings.selectors import SESSION_CHANGE_STATUSES
from guichet.catalogue.models import Session
from guichet.catalogue.selectors import staff_channels
from guichet.core.db import sql_name
from guichet.core.rates import rate_parse
from guichet.notifications.default_texts import default_texts
from guichet.notifications.models import (
    ACCOUNT_KINDS,
    MessageAttachment,
    MessageKind,
    MessageState,
    MessageTemplate,
    OutgoingMessage,
    message_kinds_of,
)

# The reminder goes out this long before the session's (effective) start.
REMINDER_LEAD = timedelta(days=2)

# The mails an online booking sends at once to the address typed: counted together against
# CONFIRMATION_MAIL_LIMIT, so that the booking form cannot be used to flood someone's inbox.
LIMITED_KINDS = (
    MessageKind.CONFIRMATION,
    MessageKind.RESERVATION_LINK,
    MessageKind.RESERVATION_CHANGED,
    MessageKind.RESERVATION_LIST,
)


def message_kinds_for_staff(*, user) -> list[str]:
    """The kinds of mail whose texts, attachments and outbox rows `user` sees in the back-office:
    those of the channels they manage."""
    return message_kinds_of(staff_channels(user=user))


def mail_counts_sql(*, email: str, now: datetime) -> tuple[list[str], list]:
    """One SQL subquery per window of CONFIRMATION_MAIL_LIMIT, counting the limited mails
    `email` has had in it, and their parameters: the caller reads them in a statement it makes
    anyway (a booking, with the address's places: one round trip). Written by hand: the ORM
    spends a millisecond building them, more than the statement costs. Counted on the outbox
    (held-back mails left out), not in a cache that could be emptied."""
    message, reservation = OutgoingMessage, Reservation
    subquery = (
        f"(SELECT COUNT(*) FROM {sql_name(message)} m JOIN {sql_name(reservation)} r"
        f" ON r.{sql_name(reservation, 'id')} = m.{sql_name(message, 'reservation')}"
        f" WHERE m.{sql_name(message, 'kind')} IN ({', '.join(['%s'] * len(LIMITED_KINDS))})"
        f" AND m.{sql_name(message, 'state')} <> %s"
        f" AND UPPER(r.{sql_name(reservation, 'email')}) = UPPER(%s)"
        f" AND m.{sql_name(message, 'created_at')} > %s)"
    )
    items, params = [], []
    for _count, seconds in _mail_windows():
        since = connection.ops.adapt_datetimefield_value(now - timedelta(seconds=seconds))
        items.append(subquery)
        params += [*(kind.value for kind in LIMITED_KINDS), MessageState.HELD.value, email, since]
    return items, params


def mail_limit_reached(counts: Sequence[int]) -> bool:
    """Whether the counts read with `mail_counts_sql` reach CONFIRMATION_MAIL_LIMIT."""
    windows = _mail_windows()
    return any(sent >= count for sent, (count, _s) in zip(counts, windows, strict=True))


def address_mail_limit_reached(*, email: str, now: datetime) -> bool:
    """Whether `email` has had as many limited mails as CONFIRMATION_MAIL_LIMIT allows."""
    items, params = mail_counts_sql(email=email, now=now)
    if not items:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(items)}", params)
        return mail_limit_reached(cursor.fetchone())


def account_mail_limit_reached(*, user, now: datetime) -> bool:
    """Whether `user` has had as many account mails (invitations, resets, new addresses) as
    CONFIRMATION_MAIL_LIMIT allows: "Mot de passe oublié" cannot flood anyone's inbox."""
    sent = OutgoingMessage.objects.filter(user=user, kind__in=ACCOUNT_KINDS).exclude(
        state=MessageState.HELD
    )
    return any(
        sent.filter(created_at__gt=now - timedelta(seconds=seconds)).count() >= count
        for count, seconds in _mail_windows()
    )


def _mail_windows() -> list[tuple[int, int]]:
    return [rate_parse(rate) for rate in settings.CONFIRMATION_MAIL_LIMIT if rate.strip()]


def reminder_due(*, session: Session) -> datetime:
    """When the J-2 reminder of a reservation of `session` goes: the one rule, used when it is
    scheduled, checked again just before it is sent, and shown in the back-office's preview."""
    return session.starts_at - REMINDER_LEAD


def message_template_get(*, kind: str) -> MessageTemplate:
    """The editable texts of one kind of mail (installed by a migration; recreated with the
    default texts if removed)."""
    template, _created = MessageTemplate.objects.get_or_create(
        kind=kind, defaults=default_texts(kind)
    )
    return template


def session_change_kind(*, session: Session, before: Session) -> MessageKind | None:
    """The mail that a change of `before` into `session` sends to each valid reservation, if any.
    A change is the session becoming cancelled, becoming postponed, a postponed session getting
    other new dates, or a session without status getting another end (a booked session whose
    start moves becomes postponed first: bookings.selectors.session_change_postpone_if_booked).
    Editing the reason alone, or setting the status back to none, sends nothing."""
    if session.is_cancelled:
        return None if before.is_cancelled else MessageKind.SESSION_CANCELLED
    if session.is_postponed and (
        not before.is_postponed
        or (before.new_start, before.new_end) != (session.new_start, session.new_end)
    ):
        return MessageKind.SESSION_POSTPONED
    if not session.status and not before.status and session.end != before.end:
        return MessageKind.SCHEDULE_CHANGED
    return None


# A session's change told to a portal's groups (`group_mails`): the event of the mail that
# parks visitors get for it, one per reservation.
SESSION_CHANGE_EVENTS = {
    MessageKind.SESSION_CANCELLED: MailEvent.SESSION_CANCELLED,
    MessageKind.SESSION_POSTPONED: MailEvent.SESSION_POSTPONED,
    MessageKind.SCHEDULE_CHANGED: MailEvent.SESSION_POSTPONED,
}


@dataclass(frozen=True)
class SessionChangePreview:
    """What saving a session change will send, for the confirmation step of the back-office."""

    kind: MessageKind | None
    reservations: int  # one mail per valid reservation (a portal: its reservations concerned)
    addresses: int  # different e-mail addresses the mails go to
    reminders_move_to: datetime | None  # the new time of the J-2 reminders, when they move
    reminders_withdrawn: bool
    # A portal's session: one mail per group of reservations (`groups` of them), or none.
    per_group: bool = False
    groups: int = 0


def session_change_preview(
    *, session: Session, before: Session, now: datetime | None = None
) -> SessionChangePreview:
    """The mails notifications.services.notify_session_changed will write for this change."""
    now = now or timezone.now()
    kind = session_change_kind(session=session, before=before)
    policy = policy_for(session.activity.channel)
    if kind is not None and kind not in policy.core_mails:
        return _session_change_group_preview(kind=kind, before=before, policy=policy)
    counts = Reservation.objects.filter(
        session_id=before.pk, status=ReservationStatus.VALID
    ).aggregate(reservations=Count("pk"), addresses=Count("email", distinct=True))
    moves = not session.is_cancelled and session.starts_at != before.starts_at
    due = reminder_due(session=session)
    return SessionChangePreview(
        kind=kind,
        reservations=counts["reservations"],
        addresses=counts["addresses"],
        reminders_move_to=due if moves and due > now else None,
        reminders_withdrawn=session.is_cancelled or (moves and due <= now),
    )


def _session_change_group_preview(
    *, kind: MessageKind, before: Session, policy: ChannelPolicy
) -> SessionChangePreview:
    group_kind = policy.group_mails.get(SESSION_CHANGE_EVENTS[kind])
    counts = Reservation.objects.filter(
        session_id=before.pk, status__in=SESSION_CHANGE_STATUSES
    ).aggregate(
        reservations=Count("pk"),
        groups=Count("group", distinct=True),
        addresses=Count("group__author__email", distinct=True),
    )
    return SessionChangePreview(
        kind=MessageKind(group_kind) if group_kind else None,
        reservations=counts["reservations"],
        addresses=counts["addresses"],
        reminders_move_to=None,
        reminders_withdrawn=False,
        per_group=True,
        groups=counts["groups"],
    )


def messages_claimable(*, now: datetime) -> QuerySet[OutgoingMessage]:
    """Pending rows whose time has come and that no live worker holds: never claimed, or claimed
    longer ago than NOTIFICATIONS_CLAIM_TIMEOUT (that worker died or hung)."""
    expired = now - timedelta(seconds=settings.NOTIFICATIONS_CLAIM_TIMEOUT)
    return OutgoingMessage.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=expired),
        state=MessageState.PENDING,
        scheduled_for__lte=now,
    )


# Failed mails are reported over this span: the daily summary names each failure once.
FAILED_ALERT_SPAN = timedelta(days=1)


@dataclass(frozen=True)
class MailAlerts:
    """What staff should know about the outbox: mails given up over the last day, and mails
    still waiting more than MAIL_PENDING_ALERT_MINUTES after they were due (worker down, server
    refusing them)."""

    failed: int
    late: int
    minutes: int

    def __bool__(self) -> bool:
        return bool(self.failed or self.late)

    def sentences(self) -> list[str]:
        """In French, one per count that is not zero (the admin index and the summary mail)."""
        sentences = []
        if self.failed:
            sentences.append(
                ngettext(
                    "%(count)d e-mail n'a pas pu être envoyé ces dernières 24 heures.",
                    "%(count)d e-mails n'ont pas pu être envoyés ces dernières 24 heures.",
                    self.failed,
                )
                % {"count": self.failed}
            )
        if self.late:
            sentences.append(
                ngettext(
                    "%(count)d e-mail attend d'être envoyé depuis plus de %(minutes)d minutes.",
                    "%(count)d e-mails attendent d'être envoyés depuis plus de %(minutes)d minutes.",
                    self.late,
                )
                % {"count": self.late, "minutes": self.minutes}
            )
        return sentences


def message_alerts(*, now: datetime) -> MailAlerts:
    minutes = settings.MAIL_PENDING_ALERT_MINUTES
    late_since = now - timedelta(minutes=minutes)
    pending = OutgoingMessage.objects.filter(state=MessageState.PENDING)
    return MailAlerts(
        failed=OutgoingMessage.objects.filter(
            state=MessageState.FAILED, failed_at__gt=now - FAILED_ALERT_SPAN
        ).count(),
        # Due long ago and never tried, or retried (its due time moved on) since long ago.
        late=pending.filter(
            Q(scheduled_for__lte=late_since) | Q(failing_since__lte=late_since)
        ).count(),
        minutes=minutes,
    )


def attachments_missing() -> list[MessageAttachment]:
    """The attachments whose file is gone from the storage (deleted by hand, a backup restored
    without the media): their mails go without them."""
    return [
        attachment
        for attachment in MessageAttachment.objects.all()
        if not attachment.file.storage.exists(attachment.file.name)
    ]


def attachment_missing_sentence(attachment: MessageAttachment) -> str:
    return _(
        "Pièce jointe introuvable : « %(name)s » (%(kind)s). Les e-mails partent sans elle ; "
        "déposez le fichier de nouveau."
    ) % {"name": attachment.filename, "kind": attachment.get_kind_display()}
