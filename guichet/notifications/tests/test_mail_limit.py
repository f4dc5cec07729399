"""CONFIRMATION_MAIL_LIMIT: the booking form cannot flood one inbox with the city's mails."""

from datetime import UTC, datetime, timedelta

import pytest

from guichet.bookings.services import reservation_create, session_save
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.models import SessionStatus
from guichet.catalogue.tests.factories import SessionFactory
from guichet.notifications.models import MessageKind, MessageState, OutgoingMessage
from guichet.notifications.selectors import address_mail_limit_reached
from guichet.notifications.services import message_resend

pytestmark = pytest.mark.django_db

START = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _limit(settings, time_machine):
    settings.CONFIRMATION_MAIL_LIMIT = ["3/h", "10/d"]
    time_machine.move_to(START)


def book(email="alix@example.org", **overrides):
    session = SessionFactory(start=START + timedelta(days=10))
    return reservation_create(session=session, **booking_data(email=email, **overrides))


def states(reservation) -> dict[str, str]:
    return dict(reservation.messages.values_list("kind", "state"))


def test_past_three_an_hour_bookings_go_through_without_confirmation_nor_reminder():
    sent = [book() for _ in range(3)]
    held = book(email="ALIX@example.org")
    for reservation in sent:
        assert states(reservation) == {
            MessageKind.CONFIRMATION: MessageState.PENDING,
            MessageKind.REMINDER: MessageState.PENDING,
        }
        reservation.refresh_from_db()
        assert not reservation.confirmation_held
    assert held.pk is not None  # the booking itself went through
    assert states(held) == {MessageKind.CONFIRMATION: MessageState.HELD}
    held.refresh_from_db()
    assert held.confirmation_held  # kept on the row: "Ma réservation" and reminders read it
    # Another address is not held back.
    assert states(book(email="basile@example.org"))[MessageKind.CONFIRMATION] == "pending"


def test_ten_a_day(time_machine):
    confirmations = []
    for hour in range(4):
        time_machine.move_to(START + timedelta(hours=hour, minutes=1 + hour))  # 09:01, 10:02…
        confirmations += [states(book())[MessageKind.CONFIRMATION] for _ in range(3)]
    assert confirmations == [MessageState.PENDING] * 10 + [MessageState.HELD] * 2
    time_machine.move_to(START + timedelta(days=1, minutes=2))
    assert states(book())[MessageKind.CONFIRMATION] == MessageState.PENDING


def test_staff_bookings_always_send_their_confirmation():
    for _ in range(3):
        book()
    staff = book(online=False)
    assert states(staff)[MessageKind.CONFIRMATION] == MessageState.PENDING
    assert address_mail_limit_reached(email="alix@example.org", now=START)


def test_session_cancelled_and_postponed_mails_always_go():
    for _ in range(3):
        book()
    held, postponed_one = book(), book()
    held.session.status, held.session.reason = SessionStatus.CANCELLED, "Intempéries"
    session_save(session=held.session)
    session = postponed_one.session
    session.status, session.new_start = SessionStatus.POSTPONED, session.start + timedelta(days=7)
    session_save(session=session)
    assert states(held)[MessageKind.SESSION_CANCELLED] == MessageState.PENDING
    assert states(postponed_one)[MessageKind.SESSION_POSTPONED] == MessageState.PENDING
    # The postponement does not give the held-back booking a reminder after all.
    assert MessageKind.REMINDER not in states(postponed_one)


def test_an_empty_setting_turns_the_limit_off(settings):
    settings.CONFIRMATION_MAIL_LIMIT = []
    assert [states(book())[MessageKind.CONFIRMATION] for _ in range(5)] == ["pending"] * 5


def test_held_mails_are_not_counted_and_rows_not_a_cache_are():
    for _ in range(3):
        book()
    book()  # held
    OutgoingMessage.objects.filter(state=MessageState.PENDING).update(
        state=MessageState.SENT, sent_at=START
    )
    assert address_mail_limit_reached(email="alix@example.org", now=START)
    assert OutgoingMessage.objects.filter(state=MessageState.HELD).count() == 1


def test_a_held_confirmation_resent_by_staff_is_no_longer_held():
    for _ in range(3):
        book()
    held, other = book(), book()
    confirmation = held.messages.get(kind=MessageKind.CONFIRMATION)
    message_resend(message=confirmation)
    held.refresh_from_db()
    other.refresh_from_db()
    assert not held.confirmation_held  # "Ma réservation" no longer says no mail was sent
    assert other.confirmation_held
    assert states(held) == {MessageKind.CONFIRMATION: MessageState.PENDING}
    # Sent after all: a change of its session gives it its reminder, as to any booking.
    session = held.session
    session.status, session.new_start = SessionStatus.POSTPONED, session.start + timedelta(days=7)
    session_save(session=session)
    assert states(held)[MessageKind.REMINDER] == MessageState.PENDING
    assert MessageKind.REMINDER not in states(other)
