"""Writing the outbox. Each function runs inside the transaction of the change that causes the
mail (guichet.bookings.services calls them), so a rolled-back change leaves no mail, and a mail
due now is handed to the worker only once that transaction has committed. See docs/notifications.md.

Which mail goes when (the table of the guide, section 8.4):
- a reservation is made: confirmation now (none once the session is over), reminder at
  start − 2 days (none if that is past);
- a reservation is cancelled (by staff or by the person): reservation-cancelled mail, reminder
  withdrawn;
- a session is cancelled: session-cancelled mail to each valid reservation, reminders withdrawn
  (its reservations are then cancelled without the reservation-cancelled mail);
- a session is postponed, or gets other new dates: postponement mail to each valid reservation,
  reminders moved to the new start − 2 days (moving the start of a booked session is a
  postponement, see bookings.selectors.session_change_postpone_if_booked);
- a session's end changes (its start does not): schedule-change mail to each valid reservation;
- an online booking is refused because its address already holds its places for the session:
  the reservation-link mail of each of that address's bookings for the session.
These per-reservation mails go only to the channels whose policy keeps their kind (its
`core_mails`, guichet.bookings.channels: every one for the parks, none for the portals); a
portal's channel writes its own kinds instead, one mail per group of reservations (`group_mails`,
`notify_group_mails`), when the session of its lines changes too.
Confirmations of online bookings and reservation-link mails obey CONFIRMATION_MAIL_LIMIT: past it
they are written "Retenu" (never sent) and the booking gets no reminder.
"""

import math
import secrets
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy

from guichet.accounts.models import EMAIL_TAKEN, Profile, email_normalise
from guichet.accounts.selectors import user_has_chosen_password
from guichet.bookings.channels import MailEvent, policy_for
from guichet.bookings.models import SEAT_HOLDING_STATUSES, Reservation, ReservationStatus
from guichet.bookings.selectors import SESSION_CHANGE_STATUSES
from guichet.catalogue.models import Session
from guichet.core.audit import audit_changes, audit_record
from guichet.core.db import rows_insert
from guichet.core.models import AuditAction
from guichet.notifications.emails import ACCOUNT_MAILS, message_subject
from guichet.notifications.models import ACCOUNT_KINDS, MessageKind, MessageState, OutgoingMessage
from guichet.notifications.selectors import (
    SESSION_CHANGE_EVENTS,
    account_mail_limit_reached,
    address_mail_limit_reached,
    reminder_due,
    session_change_kind,
)
from guichet.notifications.tasks import messages_send_due_task


def _stamp(value: datetime | None) -> str:
    """An instant in a dedupe key: the same whatever time zone the datetime carries."""
    return "-" if value is None else str(int(value.timestamp() * 1_000_000))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


# A burst of changes wakes the worker once per NOTIFICATIONS_WAKE_SECONDS, not once per mail.
DELIVERY_WAKE_KEY = "notifications.delivery_wake"
# The last window (its length, its number) for which this process saw a delivery queued, by
# itself or by another process: its other commits of that window skip the cache.
_window_queued: tuple[float, int] | None = None


@receiver(setting_changed)
def _window_forget(*, setting: str, **_kwargs) -> None:
    """Another window length, cache or task queue (tests): what the process saw no longer holds."""
    global _window_queued
    if setting in ("NOTIFICATIONS_WAKE_SECONDS", "CACHES", "TASKS"):
        _window_queued = None


def _send_on_commit() -> None:
    # If waking the worker fails (robust: the commit stands), the row stays pending and the
    # periodic job sends it: the outbox, not the task queue, is what must not be lost.
    transaction.on_commit(_delivery_wake, robust=True)


def _delivery_wake() -> None:
    """Queue the delivery of every mail due now, once per window of NOTIFICATIONS_WAKE_SECONDS.

    Time is cut into windows of that length (window n: [n × w, (n + 1) × w)). The first commit
    of a window queues a task to run when the window ends; the other commits of the window
    queue nothing, since that task starts after them and finds their mails too. So a mail
    committed at t is claimed by t + w + the worker's polling interval.

    Each window has its own cache key, which must only outlive its window: how exactly a
    backend expires keys does not matter (the database cache rounds expiry times to whole
    seconds; an earlier single key, taken for w seconds, thus outlived the task it stood for
    and left the mails committed just after that task had started to the scheduler's minute).
    A mail that still misses its window (the clocks of two machines apart, the cache down)
    goes with the next window or the periodic job.

    A process that has seen the window's task queued (it queued it, or found the key taken)
    does not ask the cache again in that window: a crowd of bookings then costs one cache call
    per process and window, not one per commit."""
    global _window_queued
    window = settings.NOTIFICATIONS_WAKE_SECONDS
    if window <= 0:
        messages_send_due_task.enqueue()
        return
    number = math.floor(timezone.now().timestamp() / window)
    if _window_queued == (window, number):
        return
    # Kept past its window, whole seconds rounded down included; then never asked again.
    key = f"{DELIVERY_WAKE_KEY}.{number}"
    if cache.add(key, True, timeout=math.ceil(window) + 2):
        task = messages_send_due_task
        if task.get_backend().supports_defer:
            window_end = datetime.fromtimestamp((number + 1) * window, tz=UTC)
            task = task.using(run_after=window_end)
        task.enqueue()
    # else: already queued for this window
    _window_queued = (window, number)


def _kept(kind: str, reservation: Reservation) -> bool:
    """Does the reservation's channel keep this wave-1 mail (its policy's `core_mails`)?"""
    return kind in policy_for(reservation.channel).core_mails


def _message_build(
    *,
    kind: MessageKind,
    reservation: Reservation,
    key: str,
    scheduled_for: datetime,
    details: dict | None = None,
) -> OutgoingMessage:
    return OutgoingMessage(
        dedupe_key=key,
        kind=kind,
        subject=message_subject(kind=kind, activity_name=reservation.session.activity.name),
        recipients=[reservation.email],
        reservation=reservation,
        session=reservation.session,
        details=details or {},
        scheduled_for=scheduled_for,
    )


def _message_add(
    *,
    kind: MessageKind,
    reservation: Reservation,
    key: str,
    scheduled_for: datetime | None = None,
    details: dict | None = None,
) -> None:
    if not _kept(kind, reservation):
        return
    now = timezone.now()
    built = _message_build(
        kind=kind,
        reservation=reservation,
        key=key,
        scheduled_for=scheduled_for or now,
        details=details,
    )
    defaults = {field: getattr(built, field) for field in _BUILT_FIELDS}
    message, created = OutgoingMessage.objects.get_or_create(dedupe_key=key, defaults=defaults)
    if created and message.scheduled_for <= now:
        _send_on_commit()


_BUILT_FIELDS = (
    "kind",
    "subject",
    "recipients",
    "reservation",
    "session",
    "group",
    "details",
    "scheduled_for",
)


def _withdraw(messages) -> None:
    # The claim is left alone: a worker already sending the row still records that it went.
    messages.filter(state=MessageState.PENDING).update(state=MessageState.WITHDRAWN)


def _reminder_when(reservation: Reservation) -> tuple[str, datetime]:
    """The dedupe key and due time of the reminder for the session's current (effective) start."""
    session = reservation.session
    return f"reminder:{reservation.pk}:{_stamp(session.starts_at)}", reminder_due(session=session)


def _deferred_sync(*, existing, key: str, due: datetime, wanted: bool, build) -> None:
    """The one pending row `key` due at `due` among `existing` (a reservation's or a group's
    reminders) when `wanted`, `build()` writing it if it was never written; every other row
    withdrawn."""
    _withdraw(existing.exclude(dedupe_key=key) if wanted else existing)
    if not wanted:
        return
    # The reminder for this date may have been withdrawn (cancelled, then restored or promoted).
    existing.filter(dedupe_key=key, state=MessageState.WITHDRAWN).update(
        state=MessageState.PENDING, scheduled_for=due
    )
    built = build()
    defaults = {field: getattr(built, field) for field in _BUILT_FIELDS}
    OutgoingMessage.objects.get_or_create(dedupe_key=key, defaults=defaults)


def reminder_sync(*, reservation: Reservation) -> None:
    """Give the reservation one pending reminder at `reminder_due` of its session if it is valid,
    its session not cancelled and that time still ahead; withdraw any other. `reservation.session`
    must be the session as committed (locked by the calling service)."""
    session = reservation.session
    key, due = _reminder_when(reservation)
    wanted = (
        reservation.status == ReservationStatus.VALID
        and _kept(MessageKind.REMINDER, reservation)
        and not session.is_cancelled
        and due > timezone.now()
        # The address had too many mails: it gets no reminder either.
        and not reservation.confirmation_held
    )
    _deferred_sync(
        existing=OutgoingMessage.objects.filter(reservation=reservation, kind=MessageKind.REMINDER),
        key=key,
        due=due,
        wanted=wanted,
        build=lambda: _message_build(
            kind=MessageKind.REMINDER, reservation=reservation, key=key, scheduled_for=due
        ),
    )


def notify_reservation_created(*, reservation: Reservation) -> None:
    """A new reservation has no message yet: its confirmation, unless staff recorded it for a
    session already over, and its reminder when the session starts more than 2 days from now,
    go in one insert. With `reservation.confirmation_held` (set by the online booking when its
    address has had CONFIRMATION_MAIL_LIMIT mails already, read with `mail_counts_sql`), the
    confirmation is written held back, never sent, and no reminder is written."""
    now = timezone.now()
    session = reservation.session
    messages = []
    if (session.ends_at or session.starts_at) > now and _kept(
        MessageKind.CONFIRMATION, reservation
    ):
        confirmation = _message_build(
            kind=MessageKind.CONFIRMATION,
            reservation=reservation,
            key=f"confirmation:{reservation.pk}",
            scheduled_for=now,
        )
        if reservation.confirmation_held:
            confirmation.state = MessageState.HELD
            confirmation.save()
            return
        messages.append(confirmation)
    reminder_key, reminder_at = _reminder_when(reservation)
    if reminder_at > now and _kept(MessageKind.REMINDER, reservation):
        messages.append(
            _message_build(
                kind=MessageKind.REMINDER,
                reservation=reservation,
                key=reminder_key,
                scheduled_for=reminder_at,
            )
        )
    if messages:
        OutgoingMessage.objects.bulk_create(messages)
        _send_on_commit()


def _limited_message_add(
    *, kind: MessageKind, reservation: Reservation, details: dict | None = None
) -> None:
    """A mail someone can cause again and again from the public site, sent now: held back like
    a confirmation past CONFIRMATION_MAIL_LIMIT."""
    if not _kept(kind, reservation):
        return
    now = timezone.now()
    message = _message_build(
        kind=kind,
        reservation=reservation,
        # Each request its own mail, even two in the same microsecond (a frozen test clock).
        key=f"{kind}:{reservation.pk}:{_stamp(now)}:{secrets.token_hex(4)}",
        scheduled_for=now,
        details=details,
    )
    held = address_mail_limit_reached(email=reservation.email, now=now)
    if held:
        message.state = MessageState.HELD
    message.save()
    if not held:
        _send_on_commit()


def notify_reservation_link(*, reservation: Reservation) -> None:
    """The link of an existing reservation, mailed again to its address (someone tried to book
    the same session with it)."""
    _limited_message_add(kind=MessageKind.RESERVATION_LINK, reservation=reservation)


def notify_reservation_quantity_changed(*, reservation: Reservation, previous: int) -> None:
    """The person changed their number of places from their page ("Réservation modifiée")."""
    _limited_message_add(
        kind=MessageKind.RESERVATION_CHANGED,
        reservation=reservation,
        details={"previous_quantity": previous, "quantity": reservation.quantity},
    )


def notify_reservations_list(*, email: str) -> None:
    """ "Retrouver mes réservations": one mail to `email` with the links of its valid
    reservations to come; none when it has none (the page says the same either way)."""
    pks = list(
        Reservation.objects.filter(
            email__iexact=email.strip(),
            status=ReservationStatus.VALID,
            session__effective_start__gt=timezone.now(),
        )
        .order_by("session__effective_start", "pk")
        .values_list("pk", flat=True)[:50]
    )
    if not pks:
        return
    first = Reservation.objects.select_related("session__activity").get(pk=pks[0])
    _limited_message_add(
        kind=MessageKind.RESERVATION_LIST, reservation=first, details={"reservations": pks}
    )


def notify_reservation_cancelled(*, reservation: Reservation) -> None:
    """After `reservation` was set to "Annulé" (its cancelled_at set)."""
    key = f"reservation_cancelled:{reservation.pk}:{_stamp(reservation.cancelled_at)}"
    _message_add(kind=MessageKind.RESERVATION_CANCELLED, reservation=reservation, key=key)
    reminder_sync(reservation=reservation)


def notify_reservation_updated(*, reservation: Reservation, before: Reservation) -> None:
    """After a staff edit: cancelling sends the reservation-cancelled mail; moving it to another
    session, or back to "Valide", moves or restores its reminder."""
    if (
        reservation.status == ReservationStatus.CANCELLED
        and before.status != ReservationStatus.CANCELLED
    ):
        notify_reservation_cancelled(reservation=reservation)
    else:
        reminder_sync(reservation=reservation)


def _session_change_details(kind: MessageKind, *, session: Session, before: Session) -> dict:
    """The change as its mail tells it, whatever the session becomes before the mail goes."""
    if kind == MessageKind.SESSION_CANCELLED:
        return {
            "start": _iso(before.starts_at),
            "end": _iso(before.ends_at),
            "reason": session.reason,
        }
    return {
        "previous_start": _iso(before.starts_at),
        "previous_end": _iso(before.ends_at),
        "start": _iso(session.starts_at),
        "end": _iso(session.ends_at),
        "reason": session.reason,
    }


def _session_change_key(kind: MessageKind, reservation: Reservation, *, before: Session) -> str:
    if kind == MessageKind.SESSION_CANCELLED:
        # One per reservation: its reservation is cancelled with the session, for good.
        return f"session_cancelled:{reservation.pk}"
    session = reservation.session
    change = (before.starts_at, before.ends_at, session.starts_at, session.ends_at)
    return f"{kind.value}:{reservation.pk}:" + ":".join(_stamp(value) for value in change)


def notify_session_changed(*, session: Session, before: Session) -> None:
    """After `session` was saved over `before` (its locked previous row), while its reservations
    are still as they were: call it before a cancellation cancels them. The session's channel
    says how people are told: one mail per valid reservation when its policy keeps the kind
    (`core_mails`: the parks), else one per group of reservations, of the kind its policy names
    for the change (`group_mails`), else none."""
    kind = session_change_kind(session=session, before=before)
    policy = policy_for(session.activity.channel)
    if kind is not None and kind not in policy.core_mails:
        _session_changed_group_mails(session=session, before=before, kind=kind)
        kind = None  # no mail per reservation
    moved = session.is_cancelled or session.starts_at != before.starts_at
    reminders = moved and MessageKind.REMINDER in policy.core_mails
    if kind is None and not reminders:
        return
    reservations = list(
        Reservation.objects.filter(session=session, status=ReservationStatus.VALID).order_by("pk")
    )
    for reservation in reservations:
        reservation.session = session  # the new state, without a query per reservation
    if kind is not None:
        details = _session_change_details(kind, session=session, before=before)
        for reservation in reservations:
            key = _session_change_key(kind, reservation, before=before)
            _message_add(kind=kind, reservation=reservation, key=key, details=details)
    if reminders:
        for reservation in reservations:
            reminder_sync(reservation=reservation)


def _session_changed_group_mails(*, session: Session, before: Session, kind: MessageKind) -> None:
    event = SESSION_CHANGE_EVENTS[kind]
    if event not in policy_for(session.activity.channel).group_mails:
        return
    reservations = list(
        Reservation.objects.filter(
            session=session, status__in=SESSION_CHANGE_STATUSES, group__isnull=False
        )
        .select_related("group__author")
        .order_by("pk")
    )
    for reservation in reservations:
        reservation.session = session
    details = _session_change_details(kind, session=session, before=before)
    notify_group_mails(event=event, reservations=reservations, details=details)


def notify_group_mails(
    *, event: MailEvent, reservations: list[Reservation], details: dict | None = None
) -> None:
    """A portal's mails about whole bookings: one per `ReservationGroup` among `reservations`
    (its lines just booked or promoted, or their session cancelled or postponed), of the kind
    its channel's policy names for `event` in `group_mails`; none when it names none (parks,
    the family portal's daily report). Written to the policy's `group_recipients` (by default
    the group's author, read with the rows: `select_related("group__author")`), in one
    statement; the row names the group and, in its details, the reservations concerned (and
    the session's change: `details`). A new booking's J-2 reminder (`MailEvent.REMINDER`) is
    written in the same statement; other events move or withdraw the groups' reminders."""
    by_group: dict[int, list[Reservation]] = {}
    for reservation in reservations:
        if reservation.group_id is not None:
            by_group.setdefault(reservation.group_id, []).append(reservation)
    now = timezone.now()
    messages = []
    for group_id, lines in sorted(by_group.items()):
        mails = policy_for(lines[0].channel).group_mails
        kind = mails.get(event)
        if kind:
            pks = sorted(line.pk for line in lines)
            messages.append(
                _group_message(
                    kind=kind,
                    line=lines[0],
                    key=f"{kind}:{group_id}:{event}:{pks[0]}:{_stamp(now)}",
                    scheduled_for=now,
                    details=(details or {}) | {"event": str(event), "reservations": pks},
                )
            )
        reminder = mails.get(MailEvent.REMINDER)
        if reminder and event == MailEvent.BOOKED:
            # A new group has no reminder yet: written with its booking mail.
            messages += _group_reminders_due(kind=reminder, lines=lines, now=now)
    if messages:
        rows_insert(messages, ignore_conflicts=True)
        _send_on_commit()
    if event in _REMINDER_MOVING_EVENTS:
        group_reminders_sync(reservations=reservations)


# The events after which a group's reminders may move: a seat taken, or the session's change.
# (A cancellation syncs them itself, bookings.services: whoever cancels.)
_REMINDER_MOVING_EVENTS = (
    MailEvent.PROMOTED,
    MailEvent.SESSION_CANCELLED,
    MailEvent.SESSION_POSTPONED,
)


def _group_message(
    *, kind: str, line: Reservation, key: str, scheduled_for: datetime, details: dict
) -> OutgoingMessage:
    """A row of a group's mail, about `line`'s group and session."""
    group, session = line.group, line.session
    return OutgoingMessage(
        dedupe_key=key,
        kind=kind,
        subject=message_subject(kind=kind, activity_name=session.activity.name),
        recipients=policy_for(line.channel).group_recipients(group),
        group=group,
        session=session,
        details=details,
        scheduled_for=scheduled_for,
    )


def _group_reminder_when(*, kind: str, group_id: int, session: Session) -> tuple[str, datetime]:
    """The dedupe key and due time of a group's reminder for the session's current start."""
    key = f"{kind}:{group_id}:{session.pk}:{_stamp(session.starts_at)}"
    return key, reminder_due(session=session)


def _group_reminders_due(
    *, kind: str, lines: list[Reservation], now: datetime
) -> list[OutgoingMessage]:
    """The reminders of a new group: one per session where it took a seat, when still ahead."""
    rows = []
    for line in {line.session_id: line for line in lines if line.holds_seats}.values():
        key, due = _group_reminder_when(kind=kind, group_id=line.group_id, session=line.session)
        if due > now and not line.session.is_cancelled:
            rows.append(
                _group_message(
                    kind=kind,
                    line=line,
                    key=key,
                    scheduled_for=due,
                    details={"event": str(MailEvent.REMINDER)},
                )
            )
    return rows


def group_reminders_sync(*, reservations: list[Reservation]) -> None:
    """After lines of portal groups changed (cancelled, promoted, their session moved or
    cancelled): each of their groups whose policy has a J-2 reminder gets one pending reminder
    per session at `reminder_due`, while it holds a seat there, the session is not cancelled and
    that time is ahead; any other is withdrawn (as a parks reservation's, `reminder_sync`). The
    rows' `session` must be as committed (locked by the calling service)."""
    pairs: dict[tuple[int, int], tuple[str, Reservation]] = {}
    for line in reservations:
        if line.group_id is None:
            continue
        kind = policy_for(line.channel).group_mails.get(MailEvent.REMINDER)
        if kind:
            pairs.setdefault((line.group_id, line.session_id), (kind, line))
    if not pairs:
        return
    seated = set(
        Reservation.objects.filter(
            group_id__in={group_id for group_id, _session in pairs},
            session_id__in={session_id for _group, session_id in pairs},
            status__in=SEAT_HOLDING_STATUSES,
        ).values_list("group_id", "session_id")
    )
    now = timezone.now()
    for (group_id, session_id), (kind, line) in sorted(pairs.items()):
        session = line.session
        key, due = _group_reminder_when(kind=kind, group_id=group_id, session=session)
        _deferred_sync(
            existing=OutgoingMessage.objects.filter(
                group_id=group_id, session_id=session_id, kind=kind
            ),
            key=key,
            due=due,
            wanted=(group_id, session_id) in seated and not session.is_cancelled and due > now,
            build=lambda kind=kind, line=line, key=key, due=due: _group_message(
                kind=kind,
                line=line,
                key=key,
                scheduled_for=due,
                details={"event": str(MailEvent.REMINDER)},
            ),
        )


def notify_portal_mails(*, messages: list[OutgoingMessage]) -> int:
    """A portal's own mails (its kinds rendered by the context builder it registered, such as
    the family portal's daily report): inserted in one statement, a row whose `dedupe_key`
    exists already skipped (safe to write twice); the worker is woken after the commit.
    Returns how many rows were new."""
    if not messages:
        return 0
    keys = [message.dedupe_key for message in messages]
    known = set(
        OutgoingMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    new = [message for message in messages if message.dedupe_key not in known]
    OutgoingMessage.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        _send_on_commit()
    return len(new)


def account_password_link_send(
    *, user, reset_kind: MessageKind, invitation_kind: MessageKind
) -> None:
    """A portal's "Mot de passe oublié" for an account it has found: a reset link when the
    account chose its password, a new invitation link when it never did."""
    kind = reset_kind if user_has_chosen_password(user) else invitation_kind
    with transaction.atomic():
        notify_account_mail(kind=kind, user=user)


def account_email_change_request(*, user, email: str, kind: MessageKind, field: str) -> bool:
    """A portal's change of address: a link to confirm the new address, mailed to it. False
    when the address is the account's own already (nothing to confirm); another account's
    address is refused on the form's `field`."""
    email = email_normalise(email)
    if email == user.email:
        return False
    if Profile.objects.filter(email=email).exclude(user=user).exists():
        raise ValidationError({field: EMAIL_TAKEN})
    with transaction.atomic():
        notify_account_mail(kind=kind, user=user, email=email)
    return True


def notify_account_mail(*, kind: MessageKind, user, email: str = "") -> OutgoingMessage:
    """An account mail (ACCOUNT_KINDS), sent now to the account's address, or to `email` for
    the confirmation of a new address. The row stores the account (and that address) only: the
    link is made when the mail is rendered. Past CONFIRMATION_MAIL_LIMIT for the account it is
    held back ("Retenu"), like a confirmation."""
    now = timezone.now()
    message = OutgoingMessage(
        # Each request its own mail, even two in the same microsecond (a frozen test clock).
        dedupe_key=f"{kind}:{user.pk}:{_stamp(now)}:{secrets.token_hex(4)}",
        kind=kind,
        subject=str(ACCOUNT_MAILS[kind].subject),
        recipients=[email or user.email],
        user=user,
        details={"email": email} if email else {},
        scheduled_for=now,
    )
    held = account_mail_limit_reached(user=user, now=now)
    if held:
        message.state = MessageState.HELD
    message.save()
    if not held:
        _send_on_commit()
    return message


class ResendRefused(Exception):
    pass


ACCOUNT_RESEND_REFUSED = gettext_lazy(
    "Un e-mail de lien (invitation, mot de passe, adresse e-mail) ne se renvoie pas : envoyez "
    "une nouvelle invitation, ou la personne demande un nouveau lien."
)


def message_resend(*, message: OutgoingMessage) -> None:
    """Back-office "Renvoyer": the row goes back to pending, due now, attempts counted afresh.
    Refused for an account mail: its link would be made anew for someone who did not ask; they
    ask for a new one instead."""
    if message.kind in ACCOUNT_KINDS:
        raise ResendRefused(str(ACCOUNT_RESEND_REFUSED))
    OutgoingMessage.objects.filter(pk=message.pk).update(
        state=MessageState.PENDING,
        scheduled_for=timezone.now(),
        sent_at=None,
        attempts=0,
        last_error="",
        failing_since=None,
        failed_at=None,
        claimed_at=None,
        claim_token="",
    )
    if (
        message.kind == MessageKind.CONFIRMATION
        and message.state == MessageState.HELD
        and message.reservation_id
    ):
        # Sent after all: "Ma réservation" no longer says it was not, and a change of the
        # session may give the reservation its reminder again.
        Reservation.objects.filter(pk=message.reservation_id).update(confirmation_held=False)
    _send_on_commit()
    audit_record(action=AuditAction.CHANGE, obj=message, changes=_resent(message))


def _resent(message: OutgoingMessage) -> dict:
    return audit_changes({"state": message.state}, {"state": MessageState.PENDING.value})
