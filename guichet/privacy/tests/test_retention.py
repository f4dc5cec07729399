"""The nightly retention: each limit crossed, anonymised rows valid, counters untouched, idempotent."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from guichet.bookings.models import Reservation
from guichet.bookings.services import reservation_create, reservation_update
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.models import Session
from guichet.catalogue.tests.factories import SessionFactory
from guichet.core.audit import audit_record
from guichet.core.models import AuditAction, AuditEntry
from guichet.core.scheduler import periodic_jobs
from guichet.notifications.models import MessageState, OutgoingMessage
from guichet.privacy.services import retention_apply

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(time_machine):
    """A session on 1 March 2026 with a staff-changed booking of 2 places, seen from then."""
    time_machine.move_to(timezone.make_aware(timezone.datetime(2026, 2, 1, 10)), tick=False)
    session = SessionFactory(start=timezone.make_aware(timezone.datetime(2026, 3, 1, 10)))
    reservation = reservation_create(session=session, **booking_data(quantity=2, city="Roubaix"))
    reservation.first_name = "Élodie"
    reservation_update(reservation=reservation)
    return reservation


def counters():
    return list(Session.objects.values_list("pk", "seats_taken"))


def test_a_reservation_is_anonymised_one_retention_period_after_its_session(
    booked, time_machine, settings
):
    settings.RESERVATION_RETENTION_DAYS = 365
    settings.AUDIT_RETENTION_DAYS = 1000  # the journal entry outlives the booking's details here
    session_end = booked.session.effective_end
    before = counters()
    time_machine.move_to(session_end + timedelta(days=365) - timedelta(minutes=1), tick=False)
    assert retention_apply()["reservations"] == 0

    time_machine.move_to(session_end + timedelta(days=365, minutes=1), tick=False)
    assert retention_apply()["reservations"] == 1

    row = Reservation.objects.get()
    assert (row.first_name, row.last_name, row.email, row.phone) == ("", "", "", "")
    assert (row.city, row.quantity, row.status, row.session_id) == (
        "Roubaix",
        2,
        "valid",
        booked.session_id,
    )
    assert row.anonymised_at is not None and row.token != booked.token
    assert row.created_at == booked.created_at
    row.validate_constraints()  # the database's rules accept it (and it was saved)
    assert counters() == before
    call_command("check_seats")  # exits 1 on a wrong counter
    # Its mails are gone, the journal no longer names the person.
    assert not OutgoingMessage.objects.filter(reservation=row).exists()
    entry = AuditEntry.objects.get(object_id=str(row.pk))
    assert "Élodie" not in str(entry.object_repr) + str(entry.changes)
    assert entry.changes["first_name"] == ["—", "—"]
    # A second run changes nothing.
    again = retention_apply()
    assert {"reservations", "outbox", "journal"} <= again.keys() and set(again.values()) == {0}


def test_an_anonymised_reservation_link_answers_the_french_404(booked, client, time_machine):
    time_machine.move_to(booked.session.effective_end + timedelta(days=400), tick=False)
    retention_apply()
    response = client.get(reverse("public:reservation_detail", args=[booked.token]))
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_sent_mails_are_purged_three_months_after_sending(booked, time_machine, settings):
    settings.OUTBOX_RETENTION_DAYS = 92
    message = OutgoingMessage.objects.filter(reservation=booked).first()
    sent_at = timezone.now()
    OutgoingMessage.objects.filter(pk=message.pk).update(state=MessageState.SENT, sent_at=sent_at)
    time_machine.move_to(sent_at + timedelta(days=91), tick=False)
    settings.RESERVATION_RETENTION_DAYS = 10_000
    assert retention_apply()["outbox"] == 0
    time_machine.move_to(sent_at + timedelta(days=93), tick=False)
    assert retention_apply()["outbox"] == 1
    assert not OutgoingMessage.objects.filter(pk=message.pk).exists()
    assert Reservation.objects.get().email  # the booking itself is kept until its own limit


def test_journal_entries_are_purged_after_a_year_failed_sign_ins_after_six_months(
    time_machine, settings
):
    settings.AUDIT_RETENTION_DAYS = 365
    settings.AUDIT_FAILED_SIGN_IN_RETENTION_DAYS = 183
    start = timezone.make_aware(timezone.datetime(2026, 1, 5, 12))
    time_machine.move_to(start, tick=False)
    kept = audit_record(action=AuditAction.EXPORT, note="liste")
    failed = audit_record(action=AuditAction.SIGN_IN_FAILED, note="inconnu")

    time_machine.move_to(start + timedelta(days=182), tick=False)
    assert retention_apply()["journal"] == 0
    time_machine.move_to(start + timedelta(days=184), tick=False)
    assert retention_apply()["journal"] == 1
    assert not AuditEntry.objects.filter(pk=failed.pk).exists()
    time_machine.move_to(start + timedelta(days=366), tick=False)
    assert retention_apply()["journal"] == 1
    assert not AuditEntry.objects.filter(pk=kept.pk).exists()


def test_rows_are_taken_in_batches(time_machine):
    time_machine.move_to(timezone.make_aware(timezone.datetime(2026, 2, 1, 10)), tick=False)
    session = SessionFactory()
    for _n in range(5):
        reservation_create(session=session, **booking_data())
    time_machine.move_to(session.effective_end + timedelta(days=400), tick=False)
    assert retention_apply(batch=2)["reservations"] == 5


def test_the_nightly_job_is_registered():
    assert "retention_apply_task" in {job.name for job in periodic_jobs()}
