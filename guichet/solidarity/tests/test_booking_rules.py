"""The solidarity ticketing's rules: settings and window, who may take a seat (guests,
accompaniers, the weekly quota and its "dernier appel"), booking, cancellation, the minute
task. Services are called as the pages call them, with `now` given."""

from datetime import time, timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.bookings.services import seats_mismatches, waiting_mismatches
from guichet.catalogue.models import Session
from guichet.solidarity.models import (
    Invitation,
    InvitationRole,
    SolidaritySettings,
)
from guichet.solidarity.policy import booking_preview, last_call_at
from guichet.solidarity.selectors import solidarity_settings_get, week_bounds
from guichet.solidarity.services import (
    TOO_LATE,
    InvitationError,
    beneficiary_deactivate,
    beneficiary_update,
    invitations_cancel,
    invitations_close,
)
from guichet.solidarity.tests.booking_helpers import (
    accompanier,
    book,
    guest,
    paris,
    participant,
    solidarity_session,
    states,
)
from guichet.solidarity.tests.factories import StructureFactory

pytestmark = pytest.mark.django_db

VALID, WAITING, REFUSED = "valid", "waiting", "refused"


def rules(**fields) -> SolidaritySettings:
    row = solidarity_settings_get()
    for name, value in fields.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    return row


def status(person, session) -> str:
    return Reservation.objects.get(
        session=session,
        holder_key=f"beneficiary:{person.pk}",
        status__in=["valid", "waiting", "pending", "archived"],
    ).status


def assert_counters_right():
    assert seats_mismatches() == [] and waiting_mismatches() == []


# --- settings and window ---------------------------------------------------------------------


def test_a_new_session_gets_the_window_of_the_settings():
    session = solidarity_session(paris(2026, 6, 12, 20, 0))
    assert session.opens_at == paris(2026, 5, 13, 9, 0)
    assert session.closes_at == paris(2026, 6, 10, 20, 0)
    assert session.cancel_until == session.closes_at


@pytest.mark.parametrize(
    ("start", "opening_utc_hour"),
    [
        (paris(2026, 4, 10, 10, 0), 8),  # opening on 11 March: winter time (UTC+1)
        (paris(2026, 11, 5, 10, 0), 7),  # opening on 6 October: summer time (UTC+2)
        (paris(2026, 4, 28, 10, 0), 7),  # 29 March, the day clocks go forward, at 9:00 local
        (paris(2026, 11, 24, 10, 0), 8),  # 25 October, the day clocks go back
    ],
)
def test_the_opening_is_at_nine_paris_time_across_both_clock_changes(start, opening_utc_hour):
    session = solidarity_session(start)
    assert session.opens_at.astimezone(paris(2026, 1, 1).tzinfo).time() == time(9, 0)
    assert session.opens_at.utctimetuple().tm_hour == opening_utc_hour


def test_staff_values_are_kept_and_new_settings_move_no_session():
    start = paris(2026, 6, 12, 20, 0)
    kept = solidarity_session(start, opens_at=paris(2026, 6, 1, 14, 0))
    assert kept.opens_at == paris(2026, 6, 1, 14, 0)
    before = solidarity_session(start)
    rules(opening_days=10, closing_hours=24, opening_time=time(10, 0))
    before.refresh_from_db()
    assert before.opens_at == paris(2026, 5, 13, 9, 0)
    after = solidarity_session(start)
    assert after.opens_at == paris(2026, 6, 2, 10, 0)
    assert after.closes_at == paris(2026, 6, 11, 20, 0)


def test_settings_are_cached_and_saving_clears_the_cache():
    cache.clear()
    solidarity_settings_get()
    SolidaritySettings.objects.update(weekly_quota=5)  # behind the cache's back: not seen
    assert solidarity_settings_get().weekly_quota == 2
    rules(weekly_quota=3)
    assert solidarity_settings_get().weekly_quota == 3


def test_the_opening_must_come_a_day_before_the_closing():
    row = solidarity_settings_get()
    row.opening_days, row.closing_hours = 2, 48
    with pytest.raises(Exception, match="Ouverture"):
        row.full_clean()


def test_booking_happens_inside_the_window_to_the_second(structure):
    session = solidarity_session(paris(2026, 6, 12, 20, 0))
    person = participant(structure)
    with pytest.raises(InvitationError, match="Les réservations ouvrent le"):
        book(session, [person], now=session.opens_at - timedelta(seconds=1))
    with pytest.raises(InvitationError, match="closes"):
        book(session, [person], now=session.closes_at)
    result = book(session, [person], now=session.closes_at - timedelta(seconds=1))
    assert states(result) == [(person.last_name, VALID, None)]


def test_cancelling_ends_at_cancel_until_to_the_second(structure):
    session = solidarity_session(paris(2026, 6, 12, 20, 0))
    first, second = participant(structure), participant(structure)
    result = book(session, [first, second])
    [a, b] = [o.reservation for o in result.outcomes]
    with pytest.raises(InvitationError) as refused:
        invitations_cancel(structure=structure, reservation_ids=[a.pk], now=session.cancel_until)
    assert str(refused.value) == str(TOO_LATE)
    cancelled = invitations_cancel(
        structure=structure,
        reservation_ids=[a.pk],
        now=session.cancel_until - timedelta(seconds=1),
    )
    assert [row.pk for row in cancelled] == [a.pk]
    # Staff may still cancel, from the back-office.
    assert invitations_cancel(
        structure=structure, reservation_ids=[b.pk], now=session.cancel_until, staff=True
    )


# --- booking -----------------------------------------------------------------------------------


def test_lines_are_booked_participant_then_guests_accompaniers_last(structure):
    session = solidarity_session(paris(2026, 6, 12, 20, 0), seats=3, waiting=None)
    host, other = (
        participant(structure, last_name="Ahost"),
        participant(structure, last_name="Bother"),
    )
    friend = guest(host, last_name="Cfriend")
    helper = accompanier(structure, last_name="Dhelper")
    result = book(session, [helper, other, friend, host])
    assert states(result) == [
        ("Bother", VALID, None),
        ("Ahost", VALID, None),
        ("Cfriend", VALID, None),
        ("Dhelper", WAITING, 1),
    ]
    invitation = Invitation.objects.get(beneficiary=friend)
    assert invitation.role == InvitationRole.GUEST and invitation.guest_of == host
    assert invitation.structure == structure
    assert invitation.reservation.holder_key == f"beneficiary:{friend.pk}"
    assert invitation.number == f"S-{invitation.reservation.reference}"
    assert_counters_right()


def test_a_guest_booked_alone_follows_its_participant_booked_before(structure):
    """The participant's seat, from an earlier booking, is read for its guest (the policy's
    `seated_keys_needed`): seated, the guest is seated; waiting (over the weekly quota, with
    seats left), the guest waits."""
    week = [solidarity_session(paris(2026, 6, day, 20, 0)) for day in (8, 10, 12)]
    now = week[-1].opens_at
    seated_host, waiting_host = participant(structure), participant(structure)
    for session in week[:2]:
        book(session, [waiting_host], now=now)
    book(week[2], [seated_host, waiting_host], now=now)
    assert status(waiting_host, week[2]) == WAITING  # quota reached
    outcomes = [
        book(week[2], [guest(host)], now=now).outcomes[0] for host in (seated_host, waiting_host)
    ]
    assert [(o.state, o.reason) for o in outcomes] == [
        (ReservationStatus.VALID, ""),
        (ReservationStatus.WAITING, "son participant est en liste d'attente"),
    ]
    assert_counters_right()


def test_a_guest_waits_while_its_participant_waits(structure):
    session = solidarity_session(paris(2026, 6, 12, 20, 0), seats=1)
    filler = participant(structure)
    book(session, [filler])
    host = participant(structure)
    friend = guest(host)
    result = book(session, [host, friend])
    assert [(o.state, o.rank, o.reason) for o in result.outcomes] == [
        (ReservationStatus.WAITING, 1, "complet"),
        (ReservationStatus.WAITING, 2, "son participant est en liste d'attente"),
    ]
    # The filler cancels: the host is promoted, then the guest waits for a seat, not its host.
    invitations_cancel(
        structure=structure,
        reservation_ids=[Invitation.objects.get(beneficiary=filler).pk],
        now=session.opens_at,
    )
    assert status(host, session) == VALID
    friend_row = Reservation.objects.get(invitation__beneficiary=friend)
    assert friend_row.status == WAITING


def test_an_accompanier_waits_while_no_participant_of_its_booking_is_seated(structure):
    session = solidarity_session(paris(2026, 6, 12, 20, 0), seats=1)
    book(session, [participant(structure)])
    host, helper = participant(structure), accompanier(structure)
    result = book(session, [host, helper])
    assert [o.reason for o in result.outcomes] == [
        "complet",
        "aucun participant de sa réservation n'a de place",
    ]


def test_an_accompanier_does_not_come_with_a_participant_booked_by_another_booking(structure):
    # Found by test_booking_machine: the participant is refused here ("déjà inscrit"), so this
    # booking has no participant; seating its accompanier would leave it alone in its group.
    session = solidarity_session(paris(2026, 6, 12, 20, 0), seats=4)
    host, helper = participant(structure), accompanier(structure)
    book(session, [host])
    result = book(session, [host, helper])
    assert [o.reason for o in result.outcomes] == [
        "déjà inscrit",
        "aucun participant de sa réservation n'a de place",
    ]
    assert Reservation.objects.get(invitation__beneficiary=helper).status == WAITING


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda s: [accompanier(s)], "Un accompagnateur vient avec au moins un participant"),
        (lambda s: [guest(participant(s))], "vient en invité(e) : ajoutez aussi son participant"),
        (lambda s: [participant(s, is_active=False)], "est inactif(ve)"),
        (lambda s: [participant(s) for _ in range(9)], "au plus 8 personnes"),
        (lambda s: [participant(StructureFactory())], "n'est pas suivie par votre structure"),
    ],
)
def test_bad_bookings_are_refused_with_a_french_reason_and_book_nothing(structure, make, message):
    session = solidarity_session(paris(2026, 6, 12, 20, 0))
    people = make(structure)
    with pytest.raises(InvitationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        book(session, people, structure=structure)
    assert not Reservation.objects.exists()
    assert not Invitation.objects.exists()


def test_a_person_already_booked_is_told_and_the_others_booked(structure):
    session = solidarity_session(paris(2026, 6, 12, 20, 0))
    first, second = participant(structure), participant(structure)
    book(session, [first])
    result = book(session, [first, second])
    assert [o.state for o in result.outcomes] == [
        ReservationStatus.REFUSED,
        ReservationStatus.VALID,
    ]
    with pytest.raises(InvitationError, match="déjà inscrit"):
        book(session, [first])


def test_a_used_submission_key_leads_to_its_booking(structure):
    session = solidarity_session(paris(2026, 6, 12, 20, 0))
    person = participant(structure)
    first = book(session, [person], key="k1")
    again = book(session, [person], key="k1")
    assert again.replayed and again.group == first.group
    assert Reservation.objects.count() == 1
    with pytest.raises(InvitationError, match="expiré"):
        book(session, [participant(StructureFactory())], key="k1")


def test_a_rename_updates_the_live_rows(structure):
    session = solidarity_session(paris(2026, 6, 12, 20, 0))
    person = participant(structure, last_name="Avant")
    book(session, [person])
    beneficiary_update(beneficiary=person, last_name="Après")
    row = Reservation.objects.get()
    assert row.last_name == "Après" and "apres" in row.search_text


# --- quota ------------------------------------------------------------------------------------


def test_the_weekly_quota_sends_the_third_invitation_of_a_week_to_the_list(structure):
    week = [solidarity_session(paris(2026, 6, day, 20, 0)) for day in (8, 10, 12, 14)]
    person, helper = participant(structure), accompanier(structure)
    now = week[-1].opens_at
    for session in week[:2]:
        assert states(book(session, [person], now=now))[0][1] == VALID
    result = book(week[2], [person], now=now)
    assert result.outcomes[0].state == ReservationStatus.WAITING
    assert result.outcomes[0].reason == "quota atteint (2 invitations la semaine du lundi 8 juin)"
    # Accompaniers are exempt.
    for session in week:
        host = participant(structure)
        assert states(book(session, [host, helper], now=now))[1][1] == VALID


def test_a_booking_and_its_preview_read_the_settings_once_whatever_their_lines(structure):
    session = solidarity_session(paris(2026, 6, 8, 20, 0))
    people = [participant(structure) for _ in range(3)]
    key = solidarity_settings_get().CACHE_KEY  # made and kept in the cache
    with mock.patch.object(cache, "get", wraps=cache.get) as read:
        assert (
            booking_preview(structure=structure, session=session, people=[], now=session.opens_at)
            == []
        )
        assert not read.called  # the page before anyone is added
        booking_preview(structure=structure, session=session, people=people, now=session.opens_at)
        assert [c.args[0] for c in read.call_args_list].count(key) == 1
        result = book(session, people, now=session.opens_at)
        assert [c.args[0] for c in read.call_args_list].count(key) == 2
    assert [state for _name, state, _rank in states(result)] == [VALID] * 3


def test_the_quota_week_ends_on_sunday_midnight_paris_time(structure):
    person = participant(structure)
    sunday = solidarity_session(paris(2026, 3, 29, 23, 59))  # the clocks went forward that day
    monday = solidarity_session(paris(2026, 3, 30, 0, 0))
    saturday = solidarity_session(paris(2026, 3, 28, 10, 0))
    assert week_bounds(sunday.start)[1] == monday.start
    now = monday.opens_at
    book(saturday, [person], now=now)
    book(sunday, [person], now=now)
    assert states(book(monday, [person], now=now))[0][1] == VALID  # another week


def test_over_quota_waits_until_the_last_call_then_takes_a_free_seat(structure):
    week = [solidarity_session(paris(2026, 6, day, 20, 0)) for day in (8, 9, 12)]
    person = participant(structure)
    now = week[2].opens_at
    book(week[0], [person], now=now)
    book(week[1], [person], now=now)
    entry = book(week[2], [person], now=now).outcomes[0].reservation
    assert entry.status == WAITING
    call = last_call_at(week[2])
    assert call == week[2].closes_at - timedelta(hours=24)
    invitations_close(now=call - timedelta(seconds=1))
    entry.refresh_from_db()
    assert entry.status == WAITING
    invitations_close(now=call)
    entry.refresh_from_db()
    assert entry.status == VALID
    assert_counters_right()


def test_cancelling_a_seat_promotes_the_person_on_the_same_weeks_sessions(structure):
    week = [solidarity_session(paris(2026, 6, day, 20, 0)) for day in (8, 9, 12)]
    person = participant(structure)
    now = week[2].opens_at
    first = book(week[0], [person], now=now).outcomes[0].reservation
    book(week[1], [person], now=now)
    entry = book(week[2], [person], now=now).outcomes[0].reservation
    invitations_cancel(structure=structure, reservation_ids=[first.pk], now=now)
    entry.refresh_from_db()
    assert entry.status == VALID
    assert_counters_right()


# --- cancellation -----------------------------------------------------------------------------


def test_cancelling_a_participant_cancels_their_guests_and_lone_accompaniers(structure):
    session = solidarity_session(paris(2026, 6, 12, 20, 0), seats=4)
    host, other = participant(structure), participant(structure)
    friend, helper = guest(host), accompanier(structure)
    waiting = participant(structure)
    result = book(session, [host, friend, other, helper])
    book(session, [waiting])
    rows = {o.line.payload.beneficiary.pk: o.reservation for o in result.outcomes}
    cancelled = invitations_cancel(
        structure=structure, reservation_ids=[rows[host.pk].pk], now=session.opens_at
    )
    assert {row.pk for row in cancelled} == {rows[host.pk].pk, rows[friend.pk].pk}
    assert status(waiting, session) == VALID  # promoted at once
    cancelled = invitations_cancel(
        structure=structure, reservation_ids=[rows[other.pk].pk], now=session.opens_at
    )
    assert {row.pk for row in cancelled} == {rows[other.pk].pk, rows[helper.pk].pk}
    assert_counters_right()


def test_another_structure_cannot_cancel(structure):
    session = solidarity_session(paris(2026, 6, 12, 20, 0))
    row = book(session, [participant(structure)]).outcomes[0].reservation
    assert (
        invitations_cancel(
            structure=StructureFactory(), reservation_ids=[row.pk], now=session.opens_at
        )
        == []
    )
    row.refresh_from_db()
    assert row.status == VALID


def test_deactivating_a_person_cancels_their_invitations_to_come(structure):
    past = solidarity_session(paris(2026, 6, 1, 20, 0))
    coming = solidarity_session(paris(2026, 6, 12, 20, 0))
    person = participant(structure)
    old = book(past, [person]).outcomes[0].reservation
    new = book(coming, [person], now=coming.opens_at).outcomes[0].reservation
    beneficiary_deactivate(beneficiary=person, now=paris(2026, 6, 5, 12, 0))
    old.refresh_from_db()
    new.refresh_from_db()
    person.refresh_from_db()
    assert (old.status, new.status, person.is_active) == (VALID, "cancelled", False)


# --- the minute task ---------------------------------------------------------------------------


def test_the_minute_task_closes_the_lists_once(structure):
    session = solidarity_session(paris(2026, 6, 12, 20, 0), seats=1)
    book(session, [participant(structure)])
    entry = book(session, [participant(structure)]).outcomes[0].reservation
    assert invitations_close(now=session.closes_at - timedelta(seconds=1)) == 0
    invitations_close(now=session.closes_at)
    entry.refresh_from_db()
    session.refresh_from_db()
    assert entry.status == ReservationStatus.NOT_SERVED
    assert session.waiting_closed_at == session.closes_at and session.waiting_count == 0
    assert invitations_close(now=session.closes_at + timedelta(minutes=1)) == 0
    assert_counters_right()


def test_the_minute_task_catches_up_after_an_outage(structure):
    sessions = [solidarity_session(paris(2026, 6, day, 20, 0), seats=1) for day in (10, 11)]
    for session in sessions:
        book(session, [participant(structure)])
        book(session, [participant(structure)])
    invitations_close(now=paris(2026, 6, 20, 0, 0))
    assert not Reservation.objects.filter(status=WAITING).exists()
    assert Session.objects.filter(waiting_closed_at__isnull=False).count() == 2


# --- properties ---------------------------------------------------------------------------------


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    days=st.lists(st.sampled_from([8, 9, 10, 13, 14, 15, 16]), min_size=1, max_size=8),
    quota=st.integers(min_value=0, max_value=3),
)
def test_nobody_holds_more_than_the_quota_in_a_week(structure, days, quota):
    rules(weekly_quota=quota)
    person = participant(structure)
    sessions = {day: solidarity_session(paris(2026, 6, day, 20, 0)) for day in set(days)}
    now = paris(2026, 6, 5, 12, 0)
    for day in days:
        try:
            book(sessions[day], [person], now=now)
        except InvitationError:
            pass  # already booked on that session
    for week_start in (paris(2026, 6, 8, 0, 0), paris(2026, 6, 15, 0, 0)):
        start, end = week_bounds(week_start)
        held = Reservation.objects.filter(
            invitation__beneficiary=person,
            status=VALID,
            session__effective_start__gte=start,
            session__effective_start__lt=end,
        ).count()
        distinct = len({day for day in days if start <= sessions[day].start < end})
        assert held == (min(distinct, quota) if quota else distinct)
    assert_counters_right()
