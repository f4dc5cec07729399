"""The portals' bookings in the core: allocation, promotion, cancellation, the waiting list's
closing, the nightly table, with a scripted `solidaire` policy (conftest.py). One test per line
of docs/design/waiting-list.md's pseudo-code where it can be."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from guichet.bookings.channels import SEAT, MailEvent, Refuse, Wait
from guichet.bookings.models import Reservation, ReservationGroup, ReservationStatus
from guichet.bookings.selectors import reservation_cancellable_online, session_booking_refusal
from guichet.bookings.services import (
    BookingError,
    SessionNotBookable,
    reservation_cancel,
    reservation_create,
    reservation_group_create,
    reservation_update,
    reservations_allocate,
    reservations_archive_past,
    reservations_cancel,
    seats_mismatches,
    session_save,
    sessions_lock,
    waiting_list_close,
    waiting_mismatches,
    waiting_promote,
)
from guichet.bookings.tests.conftest import line, portal_session
from guichet.bookings.tests.factories import PortalReservationFactory, booking_data
from guichet.catalogue.models import Activity, Channel, Session, SessionStatus
from guichet.catalogue.services import activity_save
from guichet.catalogue.tests.factories import ActivityFactory, SessionFactory
from guichet.core.models import AuditEntry
from guichet.notifications.models import OutgoingMessage

pytestmark = pytest.mark.django_db

WAITING, VALID, PENDING = (
    ReservationStatus.WAITING,
    ReservationStatus.VALID,
    ReservationStatus.PENDING,
)
REFUSED = ReservationStatus.REFUSED


def states(outcomes) -> list[tuple]:
    return [(o.state, o.rank, o.reason) for o in outcomes]


def counters(session) -> tuple[int, int]:
    return Session.objects.values_list("seats_taken", "waiting_count").get(pk=session.pk)


def rows(session) -> dict[str, tuple]:
    """holder key → (status, rank, reason) of the session's reservations."""
    return {
        key: (status, rank, reason)
        for key, status, rank, reason in Reservation.objects.filter(session=session).values_list(
            "holder_key", "status", "waiting_rank", "waiting_reason"
        )
    }


def fill(solidaire, session, keys):
    return solidaire.allocate([line(session, key) for key in keys])


def promote(session, now=None):
    with transaction.atomic():
        locked = sessions_lock(ids=[session.pk])[session.pk]
        return waiting_promote(session=locked, now=now or timezone.now())


# --- allocation -------------------------------------------------------------------------------


def test_seats_then_the_waiting_list_then_full(solidaire):
    session = portal_session(seat_limit=2, waiting_limit=2)
    outcomes = fill(solidaire, session, [1, 2, 3, 4, 5])
    assert states(outcomes) == [
        (VALID, None, ""),
        (VALID, None, ""),
        (WAITING, 1, "complet"),
        (WAITING, 2, "complet"),
        (REFUSED, None, "complet, liste d'attente comprise"),
    ]
    assert outcomes[0].reservation.pk and outcomes[4].reservation is None
    assert counters(session) == (2, 2)
    assert Reservation.objects.count() == 4  # a refused line writes no row


def test_lines_keep_their_order_across_sessions(solidaire):
    later, earlier = portal_session(seat_limit=1), portal_session(seat_limit=1)
    outcomes = solidaire.allocate(
        [line(later, 1), line(earlier, 1), line(later, 2), line(earlier, 2)]
    )
    assert states(outcomes) == [
        (VALID, None, ""),
        (VALID, None, ""),
        (WAITING, 1, "complet"),
        (WAITING, 1, "complet"),
    ]
    assert [o.line.session_id for o in outcomes] == [later.pk, earlier.pk, later.pk, earlier.pk]


def test_a_portal_row_keeps_the_names_the_group_and_the_channel(solidaire, django_user_model):
    session = portal_session()
    author = django_user_model.objects.create_user("referente", "referente@example.org")
    [outcome] = solidaire.allocate([line(session, 7, first_name="Élodie")], author=author)
    row = Reservation.objects.get(pk=outcome.reservation.pk)
    assert (row.channel, row.holder_key, row.first_name) == ("solidaire", "beneficiary:7", "Élodie")
    assert (row.email, row.phone, row.city) == ("", "", "")
    assert row.group.author == author
    assert row.search_text == "elodie exemple7"


def test_a_cancelled_session_refuses_its_lines_even_for_staff(solidaire):
    session = portal_session(status=SessionStatus.CANCELLED, reason="Pluie")
    for staff in (False, True):
        [outcome] = solidaire.allocate([line(session, 1)], staff=staff)
        assert states([outcome]) == [(REFUSED, None, "Cette session est annulée.")]


def test_outside_the_window_lines_are_refused_unless_staff_book(solidaire):
    now = timezone.now()
    early = portal_session(opens_at=now + timedelta(hours=1))
    late = portal_session(opens_at=now - timedelta(days=2), closes_at=now)
    outcomes = solidaire.allocate([line(early, 1), line(late, 1)], now=now)
    assert outcomes[0].state == outcomes[1].state == REFUSED
    assert outcomes[0].reason.startswith("Les réservations ouvrent le ")
    assert outcomes[1].reason == "Les réservations sont closes pour cette session."
    staff = solidaire.allocate([line(early, 1), line(late, 1)], now=now, staff=True)
    assert [o.state for o in staff] == [VALID, VALID]


def test_another_channels_session_is_refused(solidaire):
    parks = SessionFactory()
    [outcome] = solidaire.allocate([line(parks, 1)])
    assert outcome.reason == "Cette session relève d'un autre portail."


def test_the_waiting_list_is_promoted_before_newcomers(solidaire):
    session = portal_session(seat_limit=1)
    fill(solidaire, session, [1, 2])
    Session.objects.filter(pk=session.pk).update(seat_limit=2)  # a seat added behind our back
    [outcome] = fill(solidaire, session, [3])
    assert outcome.state == WAITING and outcome.rank == 2
    assert rows(session)["beneficiary:2"][0] == VALID


def test_a_holder_already_live_on_the_session_is_refused(solidaire):
    session = portal_session(seat_limit=1)
    fill(solidaire, session, [1, 2])
    outcomes = fill(solidaire, session, [1, 2, 3, 3])
    assert [o.reason for o in outcomes] == [
        "déjà inscrit",
        "déjà inscrit",
        "complet",
        "déjà inscrit",
    ]
    assert solidaire.asked.count("beneficiary:1") == 1  # asked at its first booking only


def test_a_cancelled_holder_may_book_again(solidaire):
    session = portal_session()
    [first] = fill(solidaire, session, [1])
    reservation_cancel(reservation=first.reservation)
    assert fill(solidaire, session, [1])[0].state == VALID


def test_the_policys_refusal_writes_no_row(solidaire):
    session = portal_session()
    solidaire.verdicts["beneficiary:1"] = Refuse("personne inactive")
    assert states(fill(solidaire, session, [1])) == [(REFUSED, None, "personne inactive")]
    assert not Reservation.objects.exists()


def test_a_seat_is_pending_when_the_policy_needs_staff_unless_staff_book(solidaire):
    session = portal_session()
    solidaire.needs_staff = True
    assert fill(solidaire, session, [1])[0].state == PENDING
    assert solidaire.allocate([line(session, 2)], staff=True)[0].state == VALID
    assert counters(session) == (2, 0)  # pending holds its seat


def test_the_policys_wait_goes_on_the_list_with_its_reason_even_with_seats_left(solidaire):
    session = portal_session(seat_limit=5)
    solidaire.verdicts["beneficiary:1"] = Wait("quota atteint")
    assert states(fill(solidaire, session, [1])) == [(WAITING, 1, "quota atteint")]
    assert counters(session) == (0, 1)


def test_a_wait_without_room_on_the_list_is_refused_with_its_reason(solidaire):
    session = portal_session(seat_limit=5, waiting_limit=0)
    solidaire.verdicts["beneficiary:1"] = Wait("quota atteint")
    assert states(fill(solidaire, session, [1, 2])) == [
        (REFUSED, None, "quota atteint"),
        (VALID, None, ""),
    ]


def test_seated_holders_are_told_to_the_policy_this_allocations_included(solidaire):
    session = portal_session(seat_limit=1)
    guest = "beneficiary:2"
    solidaire.verdicts[guest] = lambda seated: SEAT if "beneficiary:1" in seated else Wait("x")
    assert [o.state for o in fill(solidaire, session, [1, 2])] == [VALID, WAITING]


def test_a_line_wanting_more_than_is_left_waits(solidaire):
    session = portal_session(seat_limit=3)
    outcomes = solidaire.allocate([line(session, 1, quantity=2), line(session, 2, quantity=2)])
    assert [o.state for o in outcomes] == [VALID, WAITING]


def test_no_list_for_a_policy_without_one_a_zero_limit_or_a_closed_list(solidaire, monkeypatch):
    from dataclasses import replace

    from guichet.bookings import channels

    full = "complet, liste d'attente comprise"
    no_list = portal_session(seat_limit=1, waiting_limit=0)
    assert fill(solidaire, no_list, [1, 2])[1].reason == full
    closed = portal_session(seat_limit=1)
    closed.waiting_closed_at = timezone.now()
    closed.save()
    assert fill(solidaire, closed, [1, 2])[1].reason == full
    monkeypatch.setitem(
        channels._POLICIES, Channel.SOLIDARITY, replace(solidaire.policy, waiting_list=False)
    )
    assert fill(solidaire, portal_session(seat_limit=1), [1, 2])[1].reason == full


def test_ranks_are_gapless_and_continue_after_promotions_and_cancellations(solidaire):
    session = portal_session(seat_limit=1)
    outcomes = fill(solidaire, session, [1, 2, 3, 4])
    assert [o.rank for o in outcomes] == [None, 1, 2, 3]
    reservation_cancel(reservation=outcomes[0].reservation)  # rank 1 promoted, keeps its rank
    reservation_cancel(reservation=outcomes[3].reservation)  # rank 3 cancelled
    assert [o.rank for o in fill(solidaire, session, [5, 6])] == [4, 5]
    assert rows(session)["beneficiary:2"] == (VALID, 1, "")


def test_group_mails_one_per_group_booked_and_promoted(solidaire, monkeypatch, django_user_model):
    solidaire.group_mails_set(
        monkeypatch, {MailEvent.BOOKED: "confirmation", MailEvent.PROMOTED: "reminder"}
    )
    author = django_user_model.objects.create_user("ref", "ref@example.org")
    session = portal_session(seat_limit=1)
    first = solidaire.allocate([line(session, 1), line(session, 2)], author=author)
    mails = list(OutgoingMessage.objects.values_list("kind", "group_id", "recipients", "details"))
    group = first[0].reservation.group_id
    pks = sorted(o.reservation.pk for o in first)
    assert mails == [
        ("confirmation", group, ["ref@example.org"], {"event": "booked", "reservations": pks})
    ]
    reservation_cancel(reservation=first[0].reservation)
    promoted = OutgoingMessage.objects.get(kind="reminder")
    assert (promoted.group_id, promoted.details["reservations"]) == (group, [pks[1]])


def test_portal_rows_get_no_parks_mail(solidaire):
    session = portal_session(seat_limit=1)
    [first, _second] = fill(solidaire, session, [1, 2])
    reservation_cancel(reservation=first.reservation)
    assert not OutgoingMessage.objects.exists()


# --- promotion ----------------------------------------------------------------------------------


def test_promotion_does_nothing_without_anyone_waiting(solidaire, django_assert_num_queries):
    session = portal_session(seat_limit=1)
    with transaction.atomic():
        locked = sessions_lock(ids=[session.pk])[session.pk]
        with django_assert_num_queries(0):
            assert waiting_promote(session=locked, now=timezone.now()) == []


def test_promotion_seats_in_rank_order_until_no_seat_is_left(solidaire):
    session = portal_session(seat_limit=1)
    fill(solidaire, session, [1, 2, 3, 4])
    Session.objects.filter(pk=session.pk).update(seat_limit=3)
    promoted = promote(session)
    assert [p.holder_key for p in promoted] == ["beneficiary:2", "beneficiary:3"]
    assert counters(session) == (3, 1)
    assert rows(session)["beneficiary:4"] == (WAITING, 3, "complet")


def test_promotion_skips_an_entry_wanting_more_than_is_left(solidaire):
    session = portal_session(seat_limit=1)
    solidaire.allocate([line(session, 1), line(session, 2, quantity=3), line(session, 3)])
    Session.objects.filter(pk=session.pk).update(seat_limit=2)
    assert [p.holder_key for p in promote(session)] == ["beneficiary:3"]
    assert rows(session)["beneficiary:2"][:2] == (WAITING, 1)


def test_an_entry_the_policy_does_not_seat_keeps_its_rank_and_the_reason(solidaire):
    session = portal_session(seat_limit=1)
    fill(solidaire, session, [1, 2, 3])
    solidaire.verdicts["beneficiary:2"] = Wait("quota atteint")
    solidaire.verdicts["beneficiary:3"] = Refuse("personne inactive")
    Session.objects.filter(pk=session.pk).update(seat_limit=3)
    assert promote(session) == []
    assert rows(session)["beneficiary:2"] == (WAITING, 1, "quota atteint")
    assert rows(session)["beneficiary:3"] == (WAITING, 2, "personne inactive")
    solidaire.verdicts.clear()
    assert len(promote(session)) == 2


def test_promotion_tells_the_policy_who_it_just_seated(solidaire):
    session = portal_session(seat_limit=1)
    fill(solidaire, session, [9, 1, 2])
    solidaire.verdicts["beneficiary:2"] = lambda seated: (
        SEAT if "beneficiary:1" in seated else Wait("son participant est en liste d'attente")
    )
    Session.objects.filter(pk=session.pk).update(seat_limit=3)
    assert [p.holder_key for p in promote(session)] == ["beneficiary:1", "beneficiary:2"]


def test_promotion_makes_pending_rows_when_the_policy_needs_staff(solidaire):
    session = portal_session(seat_limit=1)
    fill(solidaire, session, [1, 2])
    solidaire.needs_staff = True
    Session.objects.filter(pk=session.pk).update(seat_limit=2)
    assert [p.status for p in promote(session)] == [PENDING]
    assert counters(session) == (2, 0)


def test_promotion_stops_when_the_policy_closes_it(solidaire):
    session = portal_session(seat_limit=1)
    fill(solidaire, session, [1, 2])
    Session.objects.filter(pk=session.pk).update(seat_limit=2)
    solidaire.promotion_closes_at = timezone.now()
    assert promote(session) == []
    assert promote(session, now=timezone.now() - timedelta(seconds=1)) != []


# --- cancellation -------------------------------------------------------------------------------


def test_cancelling_several_lines_releases_once_and_promotes(solidaire):
    session = portal_session(seat_limit=2)
    outcomes = fill(solidaire, session, [1, 2, 3, 4, 5])
    cancelled = reservations_cancel(
        reservations=[outcomes[0].reservation, outcomes[1].reservation, outcomes[4].reservation]
    )
    assert len(cancelled) == 3
    assert outcomes[0].reservation.status == ReservationStatus.CANCELLED  # updated in place
    assert rows(session)["beneficiary:3"][0] == rows(session)["beneficiary:4"][0] == VALID
    assert counters(session) == (2, 0)
    assert AuditEntry.objects.filter(action="cancel").count() == 3
    assert reservations_cancel(reservations=[outcomes[0].reservation]) == []


def test_cancelling_a_pending_row_gives_its_seat_to_the_list(solidaire):
    session = portal_session(seat_limit=1)
    solidaire.needs_staff = True
    outcomes = fill(solidaire, session, [1, 2])
    assert reservation_cancel(reservation=outcomes[0].reservation)
    assert rows(session)["beneficiary:2"][0] == PENDING
    assert counters(session) == (1, 0)


# --- staff edits --------------------------------------------------------------------------------


def test_a_smaller_quantity_a_move_or_a_refused_pending_row_promote(solidaire):
    session = portal_session(seat_limit=3)
    outcomes = solidaire.allocate([line(session, 1, quantity=3), line(session, 2)])
    reservation = Reservation.objects.get(pk=outcomes[0].reservation.pk)
    reservation.quantity = 2
    reservation_update(reservation=reservation)
    assert rows(session)["beneficiary:2"][0] == VALID
    other = portal_session(seat_limit=3)
    fill(solidaire, session, [3])
    reservation.session = other
    reservation_update(reservation=reservation)
    assert rows(session)["beneficiary:3"][0] == VALID
    assert counters(session) == (2, 0) and counters(other) == (2, 0)
    solidaire.needs_staff = True
    fill(solidaire, other, [4, 5])
    pending = Reservation.objects.get(session=other, holder_key="beneficiary:4")
    pending.status = ReservationStatus.REFUSED
    reservation_update(reservation=pending)
    assert rows(other)["beneficiary:5"][0] == PENDING
    assert seats_mismatches() == waiting_mismatches() == []


def test_a_move_across_channels_is_refused(solidaire):
    [outcome] = fill(solidaire, portal_session(), [1])
    reservation = Reservation.objects.get(pk=outcome.reservation.pk)
    reservation.session = SessionFactory()
    with pytest.raises(BookingError, match="Cette session relève d'un autre portail."):
        reservation_update(reservation=reservation)


def test_staff_taking_a_row_off_the_list_keeps_the_counter(solidaire):
    session = portal_session(seat_limit=1)
    outcomes = fill(solidaire, session, [1, 2])
    waiting = Reservation.objects.get(pk=outcomes[1].reservation.pk)
    waiting.status = ReservationStatus.CANCELLED
    reservation_update(reservation=waiting)
    assert counters(session) == (1, 0)


# --- sessions -----------------------------------------------------------------------------------


def test_a_limit_raised_seats_the_list(solidaire):
    session = portal_session(seat_limit=1)
    fill(solidaire, session, [1, 2, 3])
    session.seat_limit = 2
    session_save(session=session)
    assert rows(session)["beneficiary:2"][0] == VALID
    assert (session.seats_taken, session.waiting_count) == (2, 1)


def test_a_waiting_limit_below_the_people_waiting_is_refused(solidaire):
    session = portal_session(seat_limit=1)
    fill(solidaire, session, [1, 2, 3])
    stale = Session.objects.get(pk=session.pk)
    stale.waiting_count = 0  # a form read earlier: the locked row's count decides
    stale.waiting_limit = 1
    with pytest.raises(ValidationError) as refused:
        session_save(session=stale)
    assert refused.value.message_dict["waiting_limit"] == [
        "2 personnes sont en liste d'attente : la limite ne peut pas être inférieure."
    ]


def test_cancelling_a_session_cancels_valid_pending_and_waiting_rows(solidaire):
    session = portal_session(seat_limit=2)
    fill(solidaire, session, [1])
    solidaire.needs_staff = True
    fill(solidaire, session, [2, 3])
    session.status, session.reason = SessionStatus.CANCELLED, "Travaux"
    session_save(session=session)
    assert {status for status, _rank, _reason in rows(session).values()} == {"cancelled"}
    assert counters(session) == (0, 0)


def test_a_session_change_mails_each_group(solidaire, monkeypatch):
    solidaire.group_mails_set(
        monkeypatch,
        {
            MailEvent.SESSION_POSTPONED: "session_postponed",
            MailEvent.SESSION_CANCELLED: "session_cancelled",
        },
    )
    session = portal_session(seat_limit=1)
    fill(solidaire, session, [1, 2])
    fill(solidaire, session, [3])
    session.start += timedelta(days=1)
    session.end += timedelta(days=1)
    session_save(session=session)
    assert OutgoingMessage.objects.filter(kind="session_postponed").count() == 2  # two groups
    session.status, session.new_start, session.new_end = SessionStatus.CANCELLED, None, None
    session_save(session=session)
    assert OutgoingMessage.objects.filter(kind="session_cancelled").count() == 2


def test_a_postponement_moves_the_window_unless_staff_edit_it(solidaire):
    start = timezone.now().replace(microsecond=0) + timedelta(days=30)
    window = {
        "opens_at": start - timedelta(days=40),
        "closes_at": start - timedelta(days=2),
        "cancel_until": start - timedelta(days=2),
    }
    session = portal_session(start=start, **window)
    assert fill(solidaire, session, [1])[0].state == VALID
    session.start = start + timedelta(days=7)
    session.end = session.start + timedelta(hours=1)
    session.cancel_until = start - timedelta(days=1)  # edited in the same save: kept
    session_save(session=session)
    session.refresh_from_db()
    assert session.status == SessionStatus.POSTPONED
    assert session.opens_at == window["opens_at"] + timedelta(days=7)
    assert session.closes_at == window["closes_at"] + timedelta(days=7)
    assert session.cancel_until == start - timedelta(days=1)


def test_a_new_session_gets_its_channels_defaults(solidaire, monkeypatch):
    from dataclasses import replace

    from guichet.bookings import channels

    def defaults(session):
        return {"closes_at": session.start - timedelta(hours=48), "waiting_limit": 5}

    monkeypatch.setitem(
        channels._POLICIES, Channel.SOLIDARITY, replace(solidaire.policy, session_defaults=defaults)
    )
    activity = ActivityFactory(channel=Channel.SOLIDARITY)
    start = timezone.now().replace(microsecond=0) + timedelta(days=9)
    session = session_save(session=Session(activity=activity, start=start, waiting_limit=2))
    assert (session.closes_at, session.waiting_limit) == (start - timedelta(hours=48), 2)


# --- closing the list, the nightly table --------------------------------------------------------


def test_closing_the_list_marks_its_entries_not_served_once(solidaire):
    session = portal_session(seat_limit=1)
    fill(solidaire, session, [1, 2, 3])
    now = timezone.now()
    with transaction.atomic():
        locked = sessions_lock(ids=[session.pk])[session.pk]
        closed = waiting_list_close(session=locked, now=now)
        assert [entry.holder_key for entry in closed] == ["beneficiary:2", "beneficiary:3"]
        assert waiting_list_close(session=locked, now=now) == []
    assert rows(session)["beneficiary:2"][0] == ReservationStatus.NOT_SERVED
    session.refresh_from_db()
    assert (session.waiting_count, session.waiting_closed_at) == (0, now)
    assert fill(solidaire, session, [4])[0].reason == "complet, liste d'attente comprise"


def test_the_nightly_table(solidaire, time_machine):
    session = portal_session(seat_limit=2)
    fill(solidaire, session, [1])
    solidaire.needs_staff = True
    fill(solidaire, session, [2, 3])
    time_machine.move_to(session.start - timedelta(minutes=1), tick=False)
    assert reservations_archive_past() == 0
    time_machine.move_to(session.start, tick=False)  # started: pending and waiting not served
    assert reservations_archive_past() == 2
    assert rows(session) == {
        "beneficiary:1": (VALID, None, ""),
        "beneficiary:2": ("not_served", None, ""),
        "beneficiary:3": ("not_served", 1, "complet"),
    }
    assert counters(session) == (1, 0)
    time_machine.move_to(session.end + timedelta(seconds=1), tick=False)
    assert reservations_archive_past() == 1
    assert rows(session)["beneficiary:1"][0] == ReservationStatus.ARCHIVED
    assert reservations_archive_past() == 0


# --- the other portals' sessions in the parks services ------------------------------------------


def test_reservation_create_refuses_another_portals_session():
    session = SessionFactory(activity__channel=Channel.FAMILY)
    for online in (True, False):
        with pytest.raises(SessionNotBookable, match="Cette session relève d'un autre portail."):
            reservation_create(session=session, **booking_data(online=online))


def test_an_activitys_channel_is_fixed_once_it_has_reservations(solidaire):
    activity = ActivityFactory(channel=Channel.SOLIDARITY)
    activity.channel = Channel.FAMILY
    activity_save(activity=activity)  # no reservation yet
    PortalReservationFactory(session__activity=activity, channel=Channel.FAMILY)
    activity = Activity.objects.get(pk=activity.pk)
    activity.channel = Channel.PARKS
    with pytest.raises(ValidationError) as refused:
        activity_save(activity=activity)
    assert refused.value.messages == [
        "Cette activité a des réservations : son portail ne peut plus changer."
    ]
    activity.channel, activity.name = Channel.FAMILY, "Nouveau nom"
    activity_save(activity=activity)  # other changes go on


def test_the_window_in_the_public_refusal():
    now = timezone.now()
    session = SessionFactory(opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=2))
    assert session_booking_refusal(session=session, now=now).startswith(
        "Les réservations ouvrent le "
    )
    assert session_booking_refusal(session=session, now=now + timedelta(days=1)) is None
    assert session_booking_refusal(session=session, now=now + timedelta(days=2)) == (
        "Les réservations sont closes pour cette session."
    )


def test_check_seats_checks_the_waiting_lists(solidaire):
    session = portal_session(seat_limit=1)
    fill(solidaire, session, [1, 2])
    call_command("check_seats")
    Session.objects.filter(pk=session.pk).update(waiting_count=0)
    with pytest.raises(CommandError):
        call_command("check_seats")
    assert [(s.pk, right) for s, right in waiting_mismatches()] == [(session.pk, 1)]


# --- statements per call (the budget of benchmarks/allocation.py) -------------------------------

_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")


def sent(captured) -> list[str]:
    """The statements sent, as benchmarks/bench_urls.py counts them (Django logs the
    transaction's BEGIN and COMMIT too; psycopg sends those implicitly)."""
    sqls = [query["sql"] for query in captured.captured_queries]
    return [sql for sql in sqls if not sql.startswith(_TRANSACTION_CONTROL)]


@pytest.mark.django_db(transaction=True)
def test_an_allocation_of_eight_lines_costs_at_most_twelve_statements(
    solidaire, monkeypatch, django_user_model, django_assert_max_num_queries
):
    solidaire.group_mails_set(
        monkeypatch, {MailEvent.BOOKED: "confirmation", MailEvent.PROMOTED: "reminder"}
    )
    author = django_user_model.objects.create_user("ref", "ref@example.org")
    session = portal_session(seat_limit=6)
    # The costly case: someone waits with seats left (promotion runs, seats nobody) and lines
    # go both to seats and to the list.
    solidaire.verdicts["beneficiary:2"] = Wait("quota atteint")
    fill(solidaire, session, [1, 2])
    lines = [line(session, key) for key in range(10, 18)]
    with django_assert_max_num_queries(14) as captured:
        with transaction.atomic():
            sessions = sessions_lock(ids=[session.pk])
            group = ReservationGroup.objects.create(channel=Channel.SOLIDARITY, author=author)
            outcomes = reservations_allocate(
                sessions=sessions,
                lines=lines,
                policy=solidaire.policy,
                group=group,
                now=timezone.now(),
            )
    assert len(sent(captured)) <= 12
    assert [o.state for o in outcomes] == [VALID] * 5 + [WAITING] * 3
    assert [o.rank for o in outcomes[5:]] == [2, 3, 4]
    assert OutgoingMessage.objects.filter(group=group).count() == 1


def round_trips(monkeypatch, call) -> list[list[str]]:
    """The statements `call` sends through the bookings' services, by round trip: a pipeline's
    (psycopg's pipeline mode checked) together, each other on its own (transaction control
    aside)."""
    from guichet.bookings import services

    trips, opened = [], []
    pipeline = services.pipeline

    @contextmanager
    def watched_pipeline():
        opened.append([])
        with pipeline():
            yield
        trips.append(opened.pop())

    def watched(execute, sql, params, many, context):
        verb = sql.split()[0]
        if opened:
            assert connection.connection.pgconn.pipeline_status != 0
            opened[-1].append(verb)
        elif verb not in ("SAVEPOINT", "RELEASE"):
            trips.append([verb])
        return execute(sql, params, many, context)

    monkeypatch.setattr(services, "pipeline", watched_pipeline)
    with connection.execute_wrapper(watched):
        call()
    return trips


@pytest.mark.postgres
@pytest.mark.parametrize("reads_with_lock", [False, True])
def test_an_allocation_sends_its_writes_and_its_mail_in_one_round_trip(
    solidaire, monkeypatch, reads_with_lock
):
    """Psycopg's pipeline: what the allocation reads leaves in one round trip (with the
    sessions' lock, when sessions_lock is given the lines' keys); then the counters, the rows
    (their keys drawn beforehand) and the group's mail in another, nothing read back in
    between (the session stays locked two round trips less)."""
    solidaire.group_mails_set(monkeypatch, {MailEvent.BOOKED: "confirmation"})
    session = portal_session(seat_limit=2)
    fill(solidaire, session, [1])  # someone seated: the next booking's rows are not the first
    lines = [line(session, 2), line(session, 3)]
    outcomes = []
    trips = round_trips(
        monkeypatch,
        lambda: outcomes.extend(solidaire.allocate(lines, reads_with_lock=reads_with_lock)),
    )
    locked_and_read = [["INSERT"], ["SELECT", "SELECT", "SELECT"]]
    if not reads_with_lock:
        locked_and_read = [["INSERT"], ["SELECT"], ["SELECT", "SELECT"]]
    assert trips == [*locked_and_read, ["UPDATE", "INSERT", "INSERT"]]
    assert [o.state for o in outcomes] == [VALID, WAITING]
    assert Reservation.objects.get(pk=outcomes[1].reservation.pk).waiting_rank == 1
    assert counters(session) == (2, 1)
    [mail] = OutgoingMessage.objects.filter(group=outcomes[0].reservation.group_id)
    assert mail.details["reservations"] == sorted(o.reservation.pk for o in outcomes)


def test_reads_made_with_the_lock_book_as_reads_made_after_it(solidaire):
    """sessions_lock given the lines' keys: the same outcomes as the allocation reading them
    itself, on a session with people seated and waiting."""
    results = []
    for reads_with_lock in (False, True):
        session = portal_session(seat_limit=3)
        fill(solidaire, session, [1, 2, 3, 4])  # three seated, one waiting
        fill(solidaire, session, [5])
        lines = [line(session, key) for key in (2, 4, 6, 7)]
        outcomes = solidaire.allocate(lines, reads_with_lock=reads_with_lock)
        results.append((states(outcomes), counters(session), rows(session)))
    assert results[0] == results[1]
    assert results[1][0] == [
        (REFUSED, None, "déjà inscrit"),
        (REFUSED, None, "déjà inscrit"),
        (WAITING, 3, "complet"),
        (WAITING, 4, "complet"),
    ]


def test_reads_made_with_the_lock_serve_one_allocation_only(solidaire):
    """A second allocation in the same transaction reads again: the first one's rows count."""
    session = portal_session(seat_limit=3)
    with transaction.atomic():
        group = reservation_group_create(channel=Channel.SOLIDARITY)
        sessions = sessions_lock(ids=[session.pk], holder_keys=["beneficiary:1"])
        booking = {"sessions": sessions, "policy": solidaire.policy, "group": group}
        first = reservations_allocate(lines=[line(session, 1)], now=timezone.now(), **booking)
        again = reservations_allocate(lines=[line(session, 1)], now=timezone.now(), **booking)
    assert [o.state for o in first + again] == [VALID, REFUSED]
    assert again[0].reason == "déjà inscrit"


def test_the_policy_is_told_the_seats_of_the_keys_it_needs(solidaire):
    """A booking reads the seats of its lines' holders and of the keys the policy names for
    them (`seated_keys_needed`), no other."""
    session = portal_session(seat_limit=5)
    fill(solidaire, session, [1])
    told = {}

    def telling(key):
        def verdict(seated):
            told[key] = set(seated)
            return SEAT

        return verdict

    solidaire.verdicts["beneficiary:2"] = telling(2)
    solidaire.needed["beneficiary:2"] = {"beneficiary:1"}
    solidaire.verdicts["beneficiary:3"] = telling(3)
    fill(solidaire, session, [2])
    fill(solidaire, session, [3])
    assert told == {2: {"beneficiary:1"}, 3: set()}


@pytest.mark.django_db(transaction=True)
def test_a_submission_key_used_already_fails_at_the_group(solidaire):
    reservation_group_create(channel=Channel.SOLIDARITY, submission_key="formulaire-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        reservation_group_create(channel=Channel.SOLIDARITY, submission_key="formulaire-1")
    assert ReservationGroup.objects.filter(submission_key="formulaire-1").count() == 1


@pytest.mark.postgres
def test_without_pipeline_mode_the_allocation_sends_its_statements_one_by_one(
    solidaire, monkeypatch
):
    """A libpq older than 14 has no pipeline mode: the same statements, each on its own."""
    monkeypatch.setattr("guichet.core.db._pipeline_supported", lambda: False)
    session = portal_session(seat_limit=1)
    statuses = []

    def watched(execute, sql, params, many, context):
        statuses.append(connection.connection.pgconn.pipeline_status)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watched):
        outcomes = fill(solidaire, session, [1, 2])
    assert [o.state for o in outcomes] == [VALID, WAITING]
    assert counters(session) == (1, 1)
    assert set(statuses) == {0}


@pytest.mark.django_db(transaction=True)
def test_an_insert_refused_by_the_database_still_raises_its_integrity_error(solidaire, monkeypatch):
    """Sent in a pipeline on PostgreSQL, the rows' insert still fails as Django's IntegrityError
    and books nothing."""
    session = portal_session(seat_limit=4)
    taken = fill(solidaire, session, [1])[0].reservation
    monkeypatch.setattr(Reservation._meta.get_field("token"), "_get_default", lambda: taken.token)
    with pytest.raises(IntegrityError):
        fill(solidaire, session, [2])
    assert counters(session) == (1, 0)
    assert list(rows(session)) == ["beneficiary:1"]


@pytest.mark.django_db(transaction=True)
def test_a_cancellation_promoting_four_costs_at_most_ten_statements(
    solidaire, monkeypatch, django_user_model, django_assert_max_num_queries
):
    solidaire.group_mails_set(monkeypatch, {MailEvent.PROMOTED: "reminder"})
    author = django_user_model.objects.create_user("ref", "ref@example.org")
    session = portal_session(seat_limit=4)
    booked = solidaire.allocate([line(session, key) for key in range(4)], author=author)
    for key in range(10, 14):  # four groups waiting
        solidaire.allocate([line(session, key)], author=author)
    ContentType.objects.get_for_model(Reservation)  # the journal's: cached once per process
    with django_assert_max_num_queries(12) as captured:
        cancelled = reservations_cancel(reservations=[o.reservation for o in booked])
    assert len(sent(captured)) <= 10
    assert len(cancelled) == 4
    assert {status for status, _r, _w in rows(session).values()} == {"cancelled", "valid"}
    assert counters(session) == (4, 0)
    assert OutgoingMessage.objects.filter(kind="reminder").count() == 4


def test_the_online_cancellation_ends_at_cancel_until_when_set():
    session = SessionFactory(seat_limit=None)
    reservation = reservation_create(session=session, **booking_data())
    session.cancel_until = session.start - timedelta(days=2)
    before, after = session.cancel_until - timedelta(seconds=1), session.cancel_until
    assert reservation_cancellable_online(reservation=reservation, now=before)
    assert not reservation_cancellable_online(reservation=reservation, now=after)
