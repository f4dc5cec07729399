"""Which mail goes when: the table of the guide (section 8.4) and the rules on session changes.
Each scenario makes its changes through guichet.bookings.services, then lets the periodic job
deliver everything up to after the session, and looks at what went out."""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.text import capfirst

from guichet.bookings.models import ReservationStatus
from guichet.bookings.services import (
    reservation_cancel,
    reservation_cancel_online,
    reservation_create,
    reservation_update,
    session_save,
)
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.models import Session, SessionStatus
from guichet.catalogue.tests.factories import SessionFactory
from guichet.core import dates
from guichet.notifications.models import MessageKind, MessageState, OutgoingMessage
from guichet.notifications.selectors import REMINDER_LEAD
from guichet.notifications.services import notify_session_changed
from guichet.notifications.tests.helpers import deliver_at

pytestmark = pytest.mark.django_db

CONFIRMATION = MessageKind.CONFIRMATION
REMINDER = MessageKind.REMINDER
SESSION_CANCELLED = MessageKind.SESSION_CANCELLED
SESSION_POSTPONED = MessageKind.SESSION_POSTPONED
RESERVATION_CANCELLED = MessageKind.RESERVATION_CANCELLED


def book(session, **overrides):
    return reservation_create(session=session, **booking_data(**overrides))


def fresh(session) -> Session:
    """The session as the admin form would load it."""
    return Session.objects.select_related("activity").get(pk=session.pk)


def postpone(session, *, days: int, end: bool = True, reason: str = "Intempéries") -> Session:
    session = fresh(session)
    session.status = SessionStatus.POSTPONED
    session.new_start = session.start + timedelta(days=days)
    session.new_end = session.new_start + timedelta(hours=1) if end else None
    session.reason = reason
    return session_save(session=session)


def cancel_session(session, reason: str = "Travaux") -> Session:
    session = fresh(session)
    session.status, session.new_start, session.new_end, session.reason = (
        SessionStatus.CANCELLED,
        None,
        None,
        reason,
    )
    return session_save(session=session)


def rows(kind, **filters) -> list[OutgoingMessage]:
    return list(OutgoingMessage.objects.filter(kind=kind, **filters).order_by("pk"))


def deliver_everything(time_machine, session) -> list[str]:
    """Now, then at each reminder time, then after the session: every kind that went out."""
    kinds = deliver_at(time_machine, timezone.now())
    for reminder in rows(REMINDER, state=MessageState.PENDING):
        kinds += deliver_at(time_machine, reminder.scheduled_for + timedelta(seconds=1))
    kinds += deliver_at(time_machine, fresh(session).starts_at + timedelta(days=1))
    return kinds


# --- the table of section 8.4 ---------------------------------------------------------------


def booked(session):
    book(session)


def booked_then_cancelled(session):
    reservation_cancel(reservation=book(session))


def booked_then_postponed(session):
    book(session)
    postpone(session, days=3)


def booked_then_session_cancelled(session):
    book(session)
    cancel_session(session)


def booked_postponed_then_cancelled(session):
    reservation = book(session)
    postpone(session, days=3)
    reservation_cancel(reservation=reservation)


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        (booked, [CONFIRMATION, REMINDER]),
        (booked_then_cancelled, [CONFIRMATION, RESERVATION_CANCELLED]),
        (booked_then_postponed, [CONFIRMATION, SESSION_POSTPONED, REMINDER]),
        (booked_then_session_cancelled, [CONFIRMATION, SESSION_CANCELLED]),
        (booked_postponed_then_cancelled, [CONFIRMATION, SESSION_POSTPONED, RESERVATION_CANCELLED]),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_the_guides_table(time_machine, scenario, expected):
    session = SessionFactory(start=timezone.now() + timedelta(days=7))
    scenario(session)
    assert deliver_everything(time_machine, session) == expected


def test_the_reminder_goes_two_days_before_the_start(time_machine):
    session = SessionFactory(start=timezone.now().replace(microsecond=0) + timedelta(days=7))
    book(session)
    assert deliver_at(time_machine, session.start - REMINDER_LEAD - timedelta(minutes=1)) == [
        CONFIRMATION
    ]
    assert deliver_at(time_machine, session.start - REMINDER_LEAD + timedelta(seconds=30)) == [
        REMINDER
    ]


def test_a_postponed_reminder_goes_two_days_before_the_new_start(time_machine):
    session = SessionFactory(start=timezone.now().replace(microsecond=0) + timedelta(days=7))
    book(session)
    session = postpone(session, days=5)
    [reminder] = rows(REMINDER, state=MessageState.PENDING)
    assert reminder.scheduled_for == session.new_start - REMINDER_LEAD
    assert deliver_at(time_machine, session.start - REMINDER_LEAD + timedelta(minutes=1)) == [
        CONFIRMATION,
        SESSION_POSTPONED,
    ]
    assert deliver_at(time_machine, session.new_start - REMINDER_LEAD + timedelta(minutes=1)) == [
        REMINDER
    ]
    # The reminder gives the new dates.
    new_dates = capfirst(dates.long(session.new_start, session.new_end))
    assert f"\n{new_dates}\n" in mail.outbox[-1].body


def test_no_reminder_for_a_booking_made_less_than_two_days_before(time_machine):
    session = SessionFactory(start=timezone.now() + timedelta(days=1))
    book(session)
    assert rows(REMINDER) == []
    assert deliver_everything(time_machine, session) == [CONFIRMATION]


@pytest.mark.parametrize("end_in_hours", [-1, None])
def test_no_mail_for_a_booking_staff_record_after_the_session(end_in_hours):
    start = timezone.now() - timedelta(hours=2)
    end = None if end_in_hours is None else timezone.now() + timedelta(hours=end_in_hours)
    session = SessionFactory(start=start, end=end)
    book(session, online=False)
    assert rows(CONFIRMATION) == rows(REMINDER) == []


def test_a_booking_during_the_session_is_confirmed():
    now = timezone.now()
    session = SessionFactory(start=now - timedelta(hours=1), end=now + timedelta(hours=1))
    book(session, online=False)
    assert len(rows(CONFIRMATION)) == 1


def test_a_postponement_gives_a_late_booking_its_reminder_and_a_late_one_withdraws_it():
    soon = SessionFactory(start=timezone.now() + timedelta(days=1))
    book(soon)
    postpone(soon, days=10)
    assert [r.state for r in rows(REMINDER)] == [MessageState.PENDING]

    later = SessionFactory(start=timezone.now() + timedelta(days=7))
    book(later)
    later = fresh(later)
    later.status, later.new_start = SessionStatus.POSTPONED, timezone.now() + timedelta(days=1)
    session_save(session=later)
    assert [r.state for r in rows(REMINDER, session=later)] == [MessageState.WITHDRAWN]


# --- cancellations -------------------------------------------------------------------------


def test_staff_setting_a_reservation_to_cancelled_sends_the_mail_and_withdraws_the_reminder():
    reservation = book(SessionFactory())
    reservation.status = ReservationStatus.CANCELLED
    reservation_update(reservation=reservation)
    assert len(rows(RESERVATION_CANCELLED, reservation=reservation)) == 1
    assert [r.state for r in rows(REMINDER)] == [MessageState.WITHDRAWN]


def test_the_person_cancelling_from_their_page_gets_the_mail():
    reservation = book(SessionFactory())
    reservation_cancel_online(reservation=reservation)
    assert len(rows(RESERVATION_CANCELLED, reservation=reservation)) == 1


def test_cancelling_twice_sends_one_mail():
    reservation = book(SessionFactory())
    assert reservation_cancel(reservation=reservation)
    assert not reservation_cancel(reservation=reservation)
    assert len(rows(RESERVATION_CANCELLED)) == 1


def test_a_cancelled_session_mails_its_valid_reservations_only_once_each_with_the_reason():
    session = SessionFactory()
    first, second = book(session, email="a@example.org"), book(session, email="b@example.org")
    already = book(session, email="c@example.org")
    reservation_cancel(reservation=already)
    cancel_session(session, reason="Tempête annoncée")
    cancelled = rows(SESSION_CANCELLED)
    assert [m.reservation for m in cancelled] == [first, second]
    assert {m.details["reason"] for m in cancelled} == {"Tempête annoncée"}
    # Its reservations are cancelled with it, without the reservation-cancelled mail.
    assert [m.reservation for m in rows(RESERVATION_CANCELLED)] == [already]
    first.refresh_from_db()
    assert first.status == ReservationStatus.CANCELLED
    assert {r.state for r in rows(REMINDER)} == {MessageState.WITHDRAWN}


# --- what counts as a change ---------------------------------------------------------------


def test_editing_only_the_reason_sends_nothing():
    session = SessionFactory()
    book(session)
    postpone(session, days=3, reason="Intempéries")
    session = fresh(session)
    session.reason = "Intempéries annoncées"
    session_save(session=session)
    assert len(rows(SESSION_POSTPONED)) == 1


def test_status_back_to_none_sends_nothing_and_the_reminder_returns_to_the_first_date():
    session = SessionFactory(start=timezone.now() + timedelta(days=7))
    book(session)
    postpone(session, days=3)
    session = fresh(session)
    session.status, session.new_start, session.new_end = SessionStatus.NONE, None, None
    session_save(session=session)
    assert len(rows(SESSION_POSTPONED)) == 1
    [reminder] = rows(REMINDER, state=MessageState.PENDING)
    assert reminder.scheduled_for == session.start - REMINDER_LEAD


def test_saving_the_same_postponement_again_sends_no_second_mail():
    session = SessionFactory()
    book(session)
    session = postpone(session, days=3)
    session_save(session=fresh(session))
    assert len(rows(SESSION_POSTPONED)) == 1


@pytest.mark.parametrize(
    ("status", "kind"),
    [(SessionStatus.POSTPONED, SESSION_POSTPONED), (SessionStatus.CANCELLED, SESSION_CANCELLED)],
)
def test_the_same_change_recorded_twice_writes_one_mail(status, kind):
    session = SessionFactory()
    book(session)
    before = fresh(session)
    after = fresh(session)
    after.status = status
    after.new_start = after.start + timedelta(days=2) if status == SessionStatus.POSTPONED else None
    notify_session_changed(session=after, before=before)
    notify_session_changed(session=after, before=before)
    assert len(rows(kind)) == 1


def test_postponed_twice_sends_two_mails_and_the_reminder_follows(time_machine):
    session = SessionFactory(start=timezone.now() + timedelta(days=7))
    book(session)
    postpone(session, days=3)
    session = postpone(session, days=6, end=False)
    postponed = rows(SESSION_POSTPONED)
    assert len(postponed) == 2
    assert datetime.fromisoformat(
        postponed[1].details["previous_start"]
    ) == session.start + timedelta(days=3)
    # No new end: it keeps its length.
    assert datetime.fromisoformat(postponed[1].details["end"]) == session.new_start + (
        session.end - session.start
    )
    [reminder] = rows(REMINDER, state=MessageState.PENDING)
    assert reminder.scheduled_for == session.new_start - REMINDER_LEAD
    assert deliver_everything(time_machine, session) == [
        CONFIRMATION,
        SESSION_POSTPONED,
        SESSION_POSTPONED,
        REMINDER,
    ]


def test_postponed_then_cancelled_sends_both_mails(time_machine):
    session = SessionFactory()
    book(session)
    postpone(session, days=3)
    cancel_session(session)
    assert deliver_everything(time_machine, session) == [
        CONFIRMATION,
        SESSION_POSTPONED,
        SESSION_CANCELLED,
    ]


# --- staff edits of a reservation ----------------------------------------------------------


def test_moving_a_reservation_to_another_session_moves_its_reminder():
    reservation = book(SessionFactory(start=timezone.now() + timedelta(days=7)))
    other = SessionFactory(start=timezone.now() + timedelta(days=20))
    reservation.session = other
    reservation_update(reservation=reservation)
    pending = rows(REMINDER, state=MessageState.PENDING)
    assert [(m.reservation, m.scheduled_for) for m in pending] == [
        (reservation, other.start - REMINDER_LEAD)
    ]
    assert rows(CONFIRMATION)[0].reservation == reservation  # no new confirmation


def test_a_reservation_restored_by_staff_gets_its_reminder_back():
    reservation = book(SessionFactory())
    reservation_cancel(reservation=reservation)
    reservation.refresh_from_db()
    reservation.status = ReservationStatus.VALID
    reservation_update(reservation=reservation)
    assert [r.state for r in rows(REMINDER)] == [MessageState.PENDING]


def test_a_staff_booking_gets_the_same_mails_as_an_online_one():
    book(SessionFactory(), online=False)
    assert [m.kind for m in OutgoingMessage.objects.order_by("pk")] == [CONFIRMATION, REMINDER]


# --- a reminder follows the session's dates as they are, not as a booking read them ----------


def test_a_booking_from_a_session_read_before_a_postponement_reminds_at_the_new_date():
    """The booking page read the session; staff postponed it by 10 days; the booking then went
    through with the session it had read. Its reminder follows the committed row."""
    session = SessionFactory(start=timezone.now().replace(microsecond=0) + timedelta(days=7))
    read_by_the_booking_page = fresh(session)
    postponed = postpone(session, days=10)
    reservation = book(read_by_the_booking_page)
    [reminder] = rows(REMINDER, reservation=reservation, state=MessageState.PENDING)
    assert reminder.scheduled_for == postponed.new_start - REMINDER_LEAD


def test_a_reminder_left_at_an_old_date_is_put_back_at_the_right_time(time_machine):
    """Delivery checks, just before sending, that the reminder is still due for the session's
    start as it is now (here the dates changed without the services, so the reminder did not)."""
    session = SessionFactory(start=timezone.now().replace(microsecond=0) + timedelta(days=7))
    reservation = book(session)
    new_start = session.start + timedelta(days=10)
    Session.objects.filter(pk=session.pk).update(
        status=SessionStatus.POSTPONED, new_start=new_start
    )
    assert deliver_at(time_machine, session.start - REMINDER_LEAD + timedelta(minutes=1)) == [
        CONFIRMATION
    ]
    [reminder] = rows(REMINDER, reservation=reservation, state=MessageState.PENDING)
    assert reminder.scheduled_for == new_start - REMINDER_LEAD
    assert reminder.claim_token == ""
    assert deliver_at(time_machine, new_start - REMINDER_LEAD + timedelta(minutes=1)) == [REMINDER]


def test_a_reminder_whose_session_has_started_is_withdrawn(time_machine):
    session = SessionFactory(start=timezone.now().replace(microsecond=0) + timedelta(days=7))
    reservation = book(session)
    assert deliver_at(time_machine, timezone.now()) == [CONFIRMATION]
    # Moved to an hour from now without the services: the reminder, due in 5 days, was not moved.
    Session.objects.filter(pk=session.pk).update(start=timezone.now() + timedelta(hours=1))
    assert deliver_at(time_machine, session.start - REMINDER_LEAD + timedelta(minutes=1)) == []
    [reminder] = rows(REMINDER, reservation=reservation)
    assert reminder.state == MessageState.WITHDRAWN


# --- moving the dates of a session: never silently -----------------------------------------


def test_moving_the_start_of_a_booked_session_postpones_it(time_machine):
    session = SessionFactory(start=timezone.now().replace(microsecond=0) + timedelta(days=7))
    original_start, original_end = session.start, session.end
    book(session)
    staff_copy = fresh(session)
    staff_copy.start += timedelta(days=3)  # the end left as it was: it moves with the start
    saved = session_save(session=staff_copy)
    assert saved.status == SessionStatus.POSTPONED
    assert (saved.start, saved.end) == (original_start, original_end)  # the original dates stay
    assert (saved.new_start, saved.new_end) == (
        original_start + timedelta(days=3),
        original_end + timedelta(days=3),
    )
    [postponement] = rows(SESSION_POSTPONED)
    assert postponement.details["previous_start"] == original_start.isoformat()
    [reminder] = rows(REMINDER, state=MessageState.PENDING)
    assert reminder.scheduled_for == saved.new_start - REMINDER_LEAD


def test_moving_the_start_of_a_session_nobody_booked_corrects_it():
    session = SessionFactory(start=timezone.now().replace(microsecond=0) + timedelta(days=7))
    cancelled = book(session)
    reservation_cancel(reservation=cancelled)
    staff_copy = fresh(session)
    staff_copy.start += timedelta(hours=2)
    staff_copy.end += timedelta(hours=2)
    saved = session_save(session=staff_copy)
    assert (saved.status, saved.start, saved.new_start) == (
        SessionStatus.NONE,
        session.start + timedelta(hours=2),
        None,
    )
    assert rows(SESSION_POSTPONED) == []


def test_changing_only_the_end_of_a_booked_session_sends_the_schedule_change(time_machine):
    session = SessionFactory(start=timezone.now().replace(microsecond=0) + timedelta(days=7))
    book(session)
    staff_copy = fresh(session)
    staff_copy.end += timedelta(hours=1)
    saved = session_save(session=staff_copy)
    assert (saved.status, saved.end) == (SessionStatus.NONE, session.end + timedelta(hours=1))
    assert deliver_at(time_machine, timezone.now()) == [CONFIRMATION, MessageKind.SCHEDULE_CHANGED]
    assert dates.when(saved.start, saved.end) in mail.outbox[-1].body
    [reminder] = rows(REMINDER, state=MessageState.PENDING)
    assert reminder.scheduled_for == session.start - REMINDER_LEAD  # the start did not move
