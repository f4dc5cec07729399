"""Sending the outbox: what the worker runs (guichet.notifications.tasks).

A worker claims a batch of due rows (a guarded UPDATE, after `SELECT … FOR UPDATE SKIP LOCKED`
where the database has it), sends them over one SMTP connection, and records each outcome as soon
as it is known, one short statement per mail. Two workers never hold the same row; a worker that
dies leaves its rows claimed until NOTIFICATIONS_CLAIM_TIMEOUT has passed, then another sends them:
delivery is at least once, and a mail may go twice only if a worker dies between handing it to the
SMTP server and recording it: at most the one mail it was sending.
"""

import logging
import smtplib
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import cache
from uuid import uuid4

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.bookings.models import SEAT_HOLDING_STATUSES, Reservation, ReservationStatus
from guichet.core.db import lock_timeout_lifted
from guichet.notifications.emails import MailRenderer, account_recipients, mail_context_builder
from guichet.notifications.models import (
    ACCOUNT_KINDS,
    DEFERRED_KINDS,
    MessageKind,
    MessageState,
    OutgoingMessage,
)
from guichet.notifications.selectors import messages_claimable, reminder_due

logger = logging.getLogger(__name__)

# Kinds that lose their point once the session has started: withdrawn rather than sent late.
LATE_KINDS = (MessageKind.CONFIRMATION, MessageKind.REMINDER, MessageKind.SOLIDARITY_REMINDER)

# Kept free of the claim time-out at the end of a batch: a send started before that point ends
# (or times out, after EMAIL_TIMEOUT) while the claim still holds.
CLAIM_MARGIN = timedelta(seconds=5)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    withdrawn: int = 0
    released: int = 0

    @property
    def handled(self) -> int:
        return sum(self.as_dict().values())

    def add(self, other: "DeliveryReport") -> None:
        for name, value in other.as_dict().items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def messages_claim(*, limit: int) -> str:
    """Claim up to `limit` due rows for this worker; returns the claim's token. The UPDATE
    re-checks that each row is still claimable, so a row another worker claimed in between is
    left to it."""
    now = timezone.now()
    token = uuid4().hex
    claimable = messages_claimable(now=now)
    with transaction.atomic():
        candidates = claimable.order_by("scheduled_for", "pk")
        if db_connection.features.has_select_for_update_skip_locked:
            # PostgreSQL: workers take different rows instead of queueing on the same ones.
            # (SQLite serialises write transactions, which the guarded UPDATE then re-checks.)
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:limit])
        if ids:
            claimable.filter(pk__in=ids).update(claimed_at=now, claim_token=token)
    return token


def _retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8… times NOTIFICATIONS_RETRY_DELAY after the 1st, 2nd, 3rd, 4th… failure, never
    more than NOTIFICATIONS_RETRY_MAX_DELAY."""
    doubled = settings.NOTIFICATIONS_RETRY_DELAY * 2 ** min(attempts - 1, 30)
    return timedelta(seconds=min(doubled, settings.NOTIFICATIONS_RETRY_MAX_DELAY))


def _is_permanent(exc: Exception) -> bool:
    """A refusal of this mail that the server will repeat: a 5xx answer to its recipient (unknown
    mailbox) or to its content. A 5xx to the sender or to the log-in is the server's set-up, which
    staff can fix: that, connection errors and 4xx answers are retried."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


def _account_withdraw_reason(message: OutgoingMessage) -> str | None:
    user = message.user
    if user is None:
        return _("Le compte a été supprimé.")
    if not user.is_active:
        return _("Le compte a été désactivé.")
    if (
        message.kind in (MessageKind.SOLIDARITY_INVITATION, MessageKind.FAMILY_INVITATION)
        and user.has_usable_password()
    ):
        # Its link would be dead on arrival: the account chose its password meanwhile.
        return _("Le mot de passe a déjà été choisi.")
    if not account_recipients(message):
        return _("Le compte n'a pas d'adresse e-mail.")
    return None


def _withdraw_reason(message: OutgoingMessage, *, now: datetime) -> str | None:
    if message.kind in ACCOUNT_KINDS:
        return _account_withdraw_reason(message)
    reservation = message.reservation
    if reservation is None and message.kind in DEFERRED_KINDS:
        return _group_reminder_withdraw_reason(message, now=now)
    if reservation is None:
        if message.group_id is not None or mail_context_builder(message.kind) is not None:
            # A portal's mail about a whole booking, or its own (the family portal's daily
            # report): its builder reads the rest.
            return None
        return _("La réservation a été supprimée.")
    stale = reservation.status != ReservationStatus.VALID or reservation.session.is_cancelled
    if message.kind == MessageKind.REMINDER and stale:
        # Normally withdrawn with the change; this covers a change made without the services.
        return _("La réservation n'est plus valide.")
    if message.kind in LATE_KINDS and message.created_at < reservation.session.starts_at <= now:
        # Meant to arrive before the start and held up (an outage): arriving after it, it only
        # confuses. A booking recorded during the session is still confirmed.
        return _("La session a commencé avant que l'e-mail puisse partir.")
    return None


def _group_reminder_withdraw_reason(message: OutgoingMessage, *, now: datetime) -> str | None:
    """A group's J-2 reminder: normally withdrawn with the change (notifications.services.
    group_reminders_sync); this covers a change made without the services."""
    session = message.session
    if message.group_id is None or session is None:
        return _("La réservation a été supprimée.")
    seated = Reservation.objects.filter(
        group_id=message.group_id, session_id=session.pk, status__in=SEAT_HOLDING_STATUSES
    ).exists()
    if not seated or session.is_cancelled:
        return _("La réservation n'a plus d'invitation pour cette séance.")
    if message.created_at < session.starts_at <= now:
        return _("La session a commencé avant que l'e-mail puisse partir.")
    return None


def _reminder_not_due(message: OutgoingMessage, token: str) -> bool:
    """Just before a reminder goes: is it still due for its session's effective start as it is
    now? If the start moved later without the reminder (a change that missed it), the reminder
    goes back to pending at the right time. (Once the session has started, `_withdraw_reason`
    has already withdrawn it.) True when it must not go now."""
    if message.kind not in DEFERRED_KINDS:
        return False
    # As read with the batch, just after the claim.
    session = message.reservation.session if message.reservation else message.session
    if session is None:
        return False
    due = reminder_due(session=session)
    if due <= timezone.now():
        return False
    OutgoingMessage.objects.filter(pk=message.pk, claim_token=token).update(
        scheduled_for=due, claimed_at=None, claim_token=""
    )
    return True


def _record_failure(
    message: OutgoingMessage, token: str, exc: Exception, report: DeliveryReport
) -> None:
    now = timezone.now()
    attempts = message.attempts + 1
    failing_since = message.failing_since or now
    error = f"{type(exc).__name__}: {exc}"[:2000]
    changes = {
        "attempts": attempts,
        "last_error": error,
        "failing_since": failing_since,
        "claimed_at": None,
        "claim_token": "",
    }
    retry_ends = failing_since + timedelta(hours=settings.NOTIFICATIONS_RETRY_HOURS)
    if _is_permanent(exc) or now >= retry_ends:
        changes |= {"state": MessageState.FAILED, "failed_at": now}
        report.failed += 1
        logger.error(
            "Notification %s failed for good after %d attempt(s): %s", message.pk, attempts, error
        )
    else:
        changes["scheduled_for"] = min(now + _retry_delay(attempts), retry_ends)
        report.retried += 1
        logger.warning(
            "Notification %s not sent (attempt %d), will retry: %s", message.pk, attempts, error
        )
    # Unless a withdrawal came in meanwhile: then it stays withdrawn.
    OutgoingMessage.objects.filter(
        pk=message.pk, claim_token=token, state=MessageState.PENDING
    ).update(**changes)


@cache
def _sent_sql() -> str:
    """The UPDATE that records one mail of one claim as sent. Written once, by hand: the ORM
    spends several times what the statement itself costs building it, and it runs for every mail
    (benchmarks/reminders.py)."""
    meta, quote = OutgoingMessage._meta, db_connection.ops.quote_name

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    return (
        f"UPDATE {quote(meta.db_table)} SET {column('state')} = %s, {column('sent_at')} = %s, "
        f"{column('attempts')} = {column('attempts')} + 1, {column('last_error')} = %s, "
        f"{column('failing_since')} = NULL, {column('claimed_at')} = NULL, "
        f"{column('claim_token')} = %s WHERE {column('id')} = %s AND {column('claim_token')} = %s"
    )


def _record_sent(message: OutgoingMessage, token: str, email) -> None:
    """Marks the row sent as soon as the server has accepted it: one short statement (its own
    transaction), so a worker dying mid-batch sends again at most the mail it was sending."""
    if message.recipients != email.to or message.subject != email.subject:
        # Where it really went: the reservation's address may have been corrected meanwhile.
        OutgoingMessage.objects.filter(pk=message.pk).update(
            recipients=email.to, subject=email.subject
        )
    sent_at = db_connection.ops.adapt_datetimefield_value(timezone.now())
    with db_connection.cursor() as cursor:
        cursor.execute(_sent_sql(), [MessageState.SENT.value, sent_at, "", "", message.pk, token])


def _release(ids: list[int], token: str) -> None:
    OutgoingMessage.objects.filter(pk__in=ids, claim_token=token).update(
        claimed_at=None, claim_token=""
    )


def messages_deliver(*, token: str, mail_connection) -> DeliveryReport:
    """Send the rows held by claim `token` over `mail_connection` and record each outcome.
    Texts and settings are read once per batch, so an edit shows from the next batch on."""
    report = DeliveryReport()
    messages = list(
        OutgoingMessage.objects.filter(claim_token=token)
        .select_related(
            "reservation__session__activity__location", "user", "session", "group__author"
        )
        .order_by("scheduled_for", "pk")
    )
    if not messages:
        return report
    renderer = MailRenderer()
    email_timeout = timedelta(seconds=settings.EMAIL_TIMEOUT or 0)
    claim_ends = messages[0].claimed_at + timedelta(seconds=settings.NOTIFICATIONS_CLAIM_TIMEOUT)
    # Past this point no send starts: the rows are left for the next claim rather than sent
    # after another worker may have taken them over.
    stop_at = claim_ends - email_timeout - CLAIM_MARGIN
    for index, message in enumerate(messages):
        now = timezone.now()
        if now >= stop_at:
            rest = [m.pk for m in messages[index:]]
            _release(rest, token)
            report.released += len(rest)
            break
        reason = _withdraw_reason(message, now=now)
        if reason:
            OutgoingMessage.objects.filter(pk=message.pk, claim_token=token).update(
                state=MessageState.WITHDRAWN, last_error=reason, claimed_at=None, claim_token=""
            )
            report.withdrawn += 1
            continue
        if _reminder_not_due(message, token):
            continue
        try:
            email = renderer.email(message, connection=mail_connection)
            mail_connection.open()  # no-op while open; reopens after a failure closed it
            mail_connection.send_messages([email])
        except Exception as exc:  # SMTP, network or rendering: the row records it and is retried
            mail_connection.close()  # the SMTP session may be in any state: start the next afresh
            _record_failure(message, token, exc, report)
            continue
        _record_sent(message, token, email)
        report.sent += 1
    return report


def messages_send_due(*, batch_size: int | None = None) -> DeliveryReport:
    """Send every due row, a batch at a time (never every row at once), over one connection.
    No lock time-out here: a mail the server accepted is recorded as sent, however long that
    waits, rather than sent again."""
    batch_size = batch_size or settings.NOTIFICATIONS_BATCH_SIZE
    report = DeliveryReport()
    mail_connection = get_connection()
    try:
        with lock_timeout_lifted():
            while True:
                batch = messages_deliver(
                    token=messages_claim(limit=batch_size), mail_connection=mail_connection
                )
                report.add(batch)
                if batch.handled < batch_size or batch.released:
                    return report
    finally:
        mail_connection.close()
