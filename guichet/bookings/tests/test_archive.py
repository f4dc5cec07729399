"""Archiving as operators run it: the `archive_reservations` command and the nightly task."""

from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from guichet.bookings.models import ReservationStatus
from guichet.bookings.services import reservation_cancel, reservation_create, session_save
from guichet.bookings.tasks import reservations_archive_task
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.models import Session, SessionStatus
from guichet.catalogue.tests.factories import SessionFactory
from guichet.core.tests.commands import command_output

pytestmark = pytest.mark.django_db


@pytest.fixture
def postponed():
    """A postponed session, postponed ten days on, with a valid and a cancelled reservation."""
    session = SessionFactory(seat_limit=10)
    kept = reservation_create(session=session, **booking_data(quantity=2))
    cancelled = reservation_create(session=session, **booking_data(email="autre@example.org"))
    reservation_cancel(reservation=cancelled)
    session.status = SessionStatus.POSTPONED
    session.new_start = session.start + timedelta(days=10)
    session.new_end = session.new_start + timedelta(hours=2)
    session_save(session=session)
    return session, kept, cancelled


def test_command_archives_a_postponed_session_by_its_new_date_once(postponed, time_machine):
    session, kept, cancelled = postponed

    time_machine.move_to(session.end + timedelta(days=1), tick=False)  # original date over
    assert command_output("archive_reservations") == "0 réservation(s) archivée(s).\n"

    time_machine.move_to(session.new_end + timedelta(minutes=1), tick=False)
    assert command_output("archive_reservations") == "1 réservation(s) archivée(s).\n"
    assert command_output("archive_reservations") == "0 réservation(s) archivée(s).\n"

    kept.refresh_from_db()
    cancelled.refresh_from_db()
    assert kept.status == ReservationStatus.ARCHIVED
    assert cancelled.status == ReservationStatus.CANCELLED
    assert Session.objects.get(pk=session.pk).seats_taken == 2  # archived seats stay counted


@pytest.mark.django_db(transaction=True)  # the worker closes the database connection when done
def test_nightly_task_archives_when_the_worker_runs_it(postponed, time_machine):
    session, kept, _cancelled = postponed
    time_machine.move_to(session.new_end + timedelta(minutes=1), tick=False)

    result = reservations_archive_task.enqueue()
    command_output("db_worker", "--batch", "--no-startup-delay")

    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
    assert reservations_archive_task.get_result(result.id).return_value == 1
    kept.refresh_from_db()
    assert kept.status == ReservationStatus.ARCHIVED
