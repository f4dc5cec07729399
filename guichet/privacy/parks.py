"""The parks' personal data (bookings and their mails), registered with guichet.privacy:
the apps below it cannot import its registry themselves."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from guichet.bookings.models import Reservation, reservation_token
from guichet.core.models import AuditEntry
from guichet.core.search import search_text_of
from guichet.notifications.models import MessageState, OutgoingMessage
from guichet.privacy.anonymise import REDACTED, person_rows_find
from guichet.privacy.registry import (
    PersonQuery,
    PersonSource,
    RetentionRule,
    person_source_register,
    retention_rule_register,
)

# Blanked by an anonymisation; session, quantity, status, city and dates stay for statistics.
PERSON_FIELDS = ("first_name", "last_name", "email", "phone")


def reservations_find(query: PersonQuery) -> QuerySet[Reservation]:
    return person_rows_find(Reservation.objects.filter(anonymised_at__isnull=True), query)


def _reservation_export(reservation: Reservation) -> dict:
    return {
        "reference": reservation.reference,
        "session": str(reservation.session),
        "status": reservation.get_status_display(),
        "first_name": reservation.first_name,
        "last_name": reservation.last_name,
        "email": reservation.email,
        "phone": reservation.phone,
        "city": reservation.city,
        "quantity": reservation.quantity,
        "created_at": reservation.created_at.isoformat(),
        "cancelled_at": reservation.cancelled_at.isoformat() if reservation.cancelled_at else None,
    }


def reservations_anonymise(rows: QuerySet[Reservation], now: datetime) -> int:
    """Blank the person's fields of `rows`, change their links (the old one answers 404), delete
    their mails and redact the journal entries about them. Seats and statuses are untouched."""
    batch = list(rows.filter(anonymised_at__isnull=True).order_by("pk").select_for_update())
    for reservation in batch:
        for field in PERSON_FIELDS:
            setattr(reservation, field, "")
        reservation.token = reservation_token()
        reservation.submission_key = None
        reservation.anonymised_at = now
        reservation.search_text = search_text_of(reservation, Reservation.search_sources)
        reservation.save(update_fields=[*PERSON_FIELDS, "token", "submission_key", "anonymised_at"])
    OutgoingMessage.objects.filter(reservation__in=batch).delete()
    _journal_redact(batch)
    return len(batch)


def _journal_redact(reservations: list[Reservation]) -> None:
    """The one exception to the journal being append-only: entries about an anonymised
    reservation lose the person's name and the values of their personal fields."""
    by_id = {str(reservation.pk): reservation for reservation in reservations}
    entries = list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Reservation), object_id__in=by_id
        )
    )
    for entry in entries:
        entry.object_repr = by_id[entry.object_id].reference  # no longer the person's name
        entry.changes = {
            name: [REDACTED, REDACTED] if name in PERSON_FIELDS else pair
            for name, pair in entry.changes.items()
        }
    AuditEntry.objects.bulk_update(entries, ["object_repr", "changes"])


def messages_find(query: PersonQuery) -> QuerySet[OutgoingMessage]:
    return OutgoingMessage.objects.filter(reservation__in=reservations_find(query))


def _message_export(message: OutgoingMessage) -> dict:
    return {
        "kind": message.get_kind_display(),
        "subject": message.subject,
        "recipients": ", ".join(message.recipients),
        "reservation": message.reservation.reference if message.reservation else None,
        "created_at": message.created_at.isoformat(),
        "sent_at": message.sent_at.isoformat() if message.sent_at else None,
        "state": message.get_state_display(),
    }


def _messages_delete(rows: QuerySet[OutgoingMessage], now: datetime) -> int:
    return rows.delete()[0]


def reservations_expired(now: datetime) -> QuerySet[Reservation]:
    """Reservations whose session ended more than RESERVATION_RETENTION_DAYS ago."""
    cutoff = now - timedelta(days=settings.RESERVATION_RETENTION_DAYS)
    over = Q(session__effective_end__lt=cutoff) | Q(
        session__effective_end__isnull=True, session__effective_start__lt=cutoff
    )
    return Reservation.objects.filter(over, anonymised_at__isnull=True)


@transaction.atomic
def _reservations_retention_batch(now: datetime, batch: int) -> int:
    ids = list(reservations_expired(now).order_by("pk").values_list("pk", flat=True)[:batch])
    return reservations_anonymise(Reservation.objects.filter(pk__in=ids), now)


@transaction.atomic
def _outbox_retention_batch(now: datetime, batch: int) -> int:
    """Mails sent (or given up) more than OUTBOX_RETENTION_DAYS ago: text and recipients go."""
    cutoff = now - timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    done = Q(state=MessageState.SENT, sent_at__lt=cutoff) | Q(
        ~Q(state__in=[MessageState.SENT, MessageState.PENDING]), scheduled_for__lt=cutoff
    )
    ids = list(
        OutgoingMessage.objects.filter(done).order_by("pk").values_list("pk", flat=True)[:batch]
    )
    return OutgoingMessage.objects.filter(pk__in=ids).delete()[0]


def register() -> None:
    person_source_register(
        PersonSource(
            name="reservations",
            label=_("Réservations"),
            find=reservations_find,
            columns=(
                "reference",
                "session",
                "status",
                *PERSON_FIELDS,
                "city",
                "quantity",
                "created_at",
                "cancelled_at",
            ),
            export_row=_reservation_export,
            anonymise=reservations_anonymise,
        )
    )
    person_source_register(
        PersonSource(
            name="mails",
            label=_("E-mails"),
            find=messages_find,
            columns=(
                "kind",
                "subject",
                "recipients",
                "reservation",
                "created_at",
                "sent_at",
                "state",
            ),
            export_row=_message_export,
            anonymise=_messages_delete,
        )
    )
    retention_rule_register(RetentionRule("reservations", _reservations_retention_batch))
    retention_rule_register(RetentionRule("outbox", _outbox_retention_batch))
