"""The solidarity bookings racing each other on PostgreSQL (threads released together, each on
its own connection): the last seats, a promotion against a new booking, one person booked by two
référents in one week, a double submit, two workers closing one list (one set of mails); and no
deadlock."""

from datetime import timedelta

import pytest

from guichet.bookings.models import Reservation, ReservationGroup, ReservationStatus
from guichet.bookings.services import seats_mismatches, waiting_mismatches
from guichet.bookings.tests.test_concurrency import deadlocks_so_far, run_together
from guichet.catalogue.models import Session
from guichet.core.db import with_retry
from guichet.notifications.delivery import messages_send_due
from guichet.notifications.models import MessageKind, OutgoingMessage
from guichet.solidarity.models import Invitation, MemberRole
from guichet.solidarity.selectors import solidarity_settings_get
from guichet.solidarity.services import booking_create, invitations_cancel, invitations_close
from guichet.solidarity.tests.booking_helpers import paris, participant, solidarity_session
from guichet.solidarity.tests.factories import MembershipFactory, StructureFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def booker(session_id, people, *, now, key=None):
    def book():
        session = Session.objects.select_related("activity").get(pk=session_id)
        result = with_retry(
            booking_create,
            structure=people[0].structure,
            author=None,
            session=session,
            lines=[person.pk for person in people],
            submission_key=key,
            now=now,
        )
        return result.group.pk

    return book


@pytest.fixture(autouse=True)
def no_deadlock():
    before = deadlocks_so_far()
    yield
    assert deadlocks_so_far() == before
    assert seats_mismatches() == [] and waiting_mismatches() == []


def test_two_structures_on_the_last_seats_get_them_once():
    session = solidarity_session(paris(2026, 6, 12, 20, 0), seats=2)
    structures = [StructureFactory() for _ in range(4)]
    teams = [[participant(structure) for _ in range(2)] for structure in structures]
    run_together([booker(session.pk, team, now=session.opens_at) for team in teams])
    rows = Reservation.objects.filter(session=session)
    assert rows.filter(status=ReservationStatus.VALID).count() == 2
    ranks = sorted(
        rows.filter(status=ReservationStatus.WAITING).values_list("waiting_rank", flat=True)
    )
    assert ranks == list(range(1, 7))


def test_a_promotion_racing_a_new_booking_seats_the_waiting_entry():
    session = solidarity_session(paris(2026, 6, 12, 20, 0), seats=1)
    structure = StructureFactory()
    seated, waiting, newcomer = (participant(structure) for _ in range(3))
    now = session.opens_at
    booking_create(
        structure=structure,
        author=None,
        session=session,
        lines=[seated.pk],
        submission_key=None,
        now=now,
    )
    booking_create(
        structure=structure,
        author=None,
        session=session,
        lines=[waiting.pk],
        submission_key=None,
        now=now,
    )
    seat = Reservation.objects.get(invitation__beneficiary=seated)

    def cancel():
        with_retry(invitations_cancel, structure=structure, reservation_ids=[seat.pk], now=now)

    run_together([cancel, booker(session.pk, [newcomer], now=now)])
    assert (
        Reservation.objects.get(invitation__beneficiary=waiting).status == ReservationStatus.VALID
    )
    assert (
        Reservation.objects.get(invitation__beneficiary=newcomer).status
        == ReservationStatus.WAITING
    )


def test_one_person_booked_in_one_week_by_two_referents_at_once_is_seated_once():
    rules = solidarity_settings_get()
    rules.weekly_quota = 1
    rules.save()
    sessions = [solidarity_session(paris(2026, 6, day, 20, 0)) for day in (9, 11)]
    person = participant(StructureFactory())
    now = sessions[1].opens_at
    run_together([booker(session.pk, [person], now=now) for session in sessions])
    statuses = sorted(
        Reservation.objects.filter(invitation__beneficiary=person).values_list("status", flat=True)
    )
    assert statuses == [ReservationStatus.VALID, ReservationStatus.WAITING]


def test_a_double_submit_books_once():
    session = solidarity_session(paris(2026, 6, 12, 20, 0))
    people = [participant(StructureFactory())]
    groups = run_together(
        [booker(session.pk, people, now=session.opens_at, key="same") for _ in range(4)]
    )
    assert len(set(groups)) == 1
    assert ReservationGroup.objects.count() == 1 and Invitation.objects.count() == 1


def test_two_workers_closing_one_list_close_it_once(smtp):
    session = solidarity_session(paris(2026, 6, 12, 20, 0), seats=1)
    structure = StructureFactory()
    # The bookings have no author: their mails go to the structure's responsable.
    responsable = MembershipFactory(structure=structure, role=MemberRole.MANAGER)
    for _ in range(3):
        booking_create(
            structure=structure,
            author=None,
            session=session,
            lines=[participant(structure).pk],
            submission_key=None,
            now=session.opens_at,
        )
    closing = session.closes_at + timedelta(seconds=5)
    run_together([lambda: with_retry(invitations_close, now=closing) for _ in range(2)])
    session.refresh_from_db()
    assert session.waiting_closed_at == closing and session.waiting_count == 0
    assert Reservation.objects.filter(status=ReservationStatus.NOT_SERVED).count() == 2
    # One set of mails: "Liste d'attente close" once per booking left on the list.
    closed = OutgoingMessage.objects.filter(kind=MessageKind.SOLIDARITY_WAITING_CLOSED)
    assert closed.count() == 2 and len({message.group_id for message in closed}) == 2
    messages_send_due()
    lists = [e for e in smtp.envelopes if b"Liste d'attente close" in e.original_content]
    assert len(lists) == 2
    assert all(e.rcpt_tos == [responsable.user.email] for e in lists)
