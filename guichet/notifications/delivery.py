"""Sending the outbox: what the worker runs (guichet.notifications.tasks).

A worker claims a batch of due rows (a guarded UPDATE, after `SELECT … FOR UPDATE SKIP LOCKED`
where the database has it), sends them over one SMTP connection, then records each outcome.
Two workers never hold the same row; a worker that dies leaves its rows claimed until
NOTIFICATIONS_CLAIM_TIMEOUT has passed, then another sends them: delivery is at least once, and a
mail may go twice only if a worker dies between handing it to the SMTP server and recording it.
"""

import logging
import smtplib
from dataclasses import asdict, dataclass
from datetime import timedelta
from uuid import uuid4

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.bookings.models import ReservationStatus
from guichet.notifications.emails import MailRenderer
from guichet.notifications.models import MessageKind, MessageState, OutgoingMessage
from guichet.notifications.selectors import messages_claimable

logger = logging.getLogger(__name__)

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
    """1, 2, 4, 8… times NOTIFICATIONS_RETRY_DELAY after the 1st, 2nd, 3rd, 4th… failure."""
    return timedelta(seconds=settings.NOTIFICATIONS_RETRY_DELAY * 2 ** (attempts - 1))


def _is_permanent(exc: Exception) -> bool:
    """A refusal the server will repeat (5xx: unknown mailbox, rejected sender): no retry."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _withdraw_reason(message: OutgoingMessage) -> str | None:
    reservation = message.reservation
    if reservation is None:
        return _("La réservation a été supprimée.")
    stale = reservation.status != ReservationStatus.VALID or reservation.session.is_cancelled
    if message.kind == MessageKind.REMINDER and stale:
        # Normally withdrawn with the change; this covers a change made without the services.
        return _("La réservation n'est plus valide.")
    return None


def _record_failure(
    message: OutgoingMessage, token: str, exc: Exception, report: DeliveryReport
) -> None:
    attempts = message.attempts + 1
    error = f"{type(exc).__name__}: {exc}"[:2000]
    changes = {"attempts": attempts, "last_error": error, "claimed_at": None, "claim_token": ""}
    if _is_permanent(exc) or attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
        changes["state"] = MessageState.FAILED
        report.failed += 1
        logger.error(
            "Notification %s failed for good after %d attempt(s): %s", message.pk, attempts, error
        )
    else:
        changes["scheduled_for"] = timezone.now() + _retry_delay(attempts)
        report.retried += 1
        logger.warning(
            "Notification %s not sent (attempt %d), will retry: %s", message.pk, attempts, error
        )
    # Unless a withdrawal came in meanwhile: then it stays withdrawn.
    OutgoingMessage.objects.filter(
        pk=message.pk, claim_token=token, state=MessageState.PENDING
    ).update(**changes)


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
        .select_related("reservation__session__activity__location")
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
    sent = []
    for index, message in enumerate(messages):
        if timezone.now() >= stop_at:
            rest = [m.pk for m in messages[index:]]
            _release(rest, token)
            report.released += len(rest)
            break
        reason = _withdraw_reason(message)
        if reason:
            OutgoingMessage.objects.filter(pk=message.pk, claim_token=token).update(
                state=MessageState.WITHDRAWN, last_error=reason, claimed_at=None, claim_token=""
            )
            report.withdrawn += 1
            continue
        try:
            email = renderer.email(message, connection=mail_connection)
            mail_connection.open()  # no-op while open; reopens after a failure closed it
            mail_connection.send_messages([email])
        except Exception as exc:  # SMTP, network or rendering: the row records it and is retried
            mail_connection.close()  # the SMTP session may be in any state: start the next afresh
            _record_failure(message, token, exc, report)
            continue
        sent.append(message.pk)
        if message.recipients != email.to or message.subject != email.subject:
            # Where it really went: the reservation's address may have been corrected meanwhile.
            OutgoingMessage.objects.filter(pk=message.pk).update(
                recipients=email.to, subject=email.subject
            )
    if sent:
        # One statement for the batch. A worker dying before it leaves these rows claimed: they
        # go again after the claim time-out (at least once).
        OutgoingMessage.objects.filter(pk__in=sent, claim_token=token).update(
            state=MessageState.SENT,
            sent_at=timezone.now(),
            attempts=F("attempts") + 1,
            last_error="",
            claimed_at=None,
            claim_token="",
        )
        report.sent += len(sent)
    return report


def messages_send_due(*, batch_size: int | None = None) -> DeliveryReport:
    """Send every due row, a batch at a time (never every row at once), over one connection."""
    batch_size = batch_size or settings.NOTIFICATIONS_BATCH_SIZE
    report = DeliveryReport()
    mail_connection = get_connection()
    try:
        while True:
            batch = messages_deliver(
                token=messages_claim(limit=batch_size), mail_connection=mail_connection
            )
            report.add(batch)
            if batch.handled < batch_size or batch.released:
                return report
    finally:
        mail_connection.close()
