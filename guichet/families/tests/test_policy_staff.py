"""The famille policy (ages at the session's date, groups, inactive children, promotion), and
staff's decisions: accept, refuse with a reason, book or cancel for a household, late with a
reason."""

from datetime import date, time, timedelta

import pytest

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.families.models import ChangeKind, ChangeOrigin, ReservationChange
from guichet.families.services import (
    FamilyError,
    basket_toggle_days,
    basket_validate,
    request_accept,
    request_refuse,
    staff_book,
    staff_cancel,
)
from guichet.families.tests.factories import ChildFactory, ChildGroupFactory, GuardianFactory


def book(guardian, child, sessions, now, key):
    basket_toggle_days(guardian=guardian, child=child, sessions=sessions, now=now)
    return basket_validate(guardian=guardian, now=now, submission_key=key)


@pytest.mark.parametrize(
    ("birth", "allowed"),
    [
        (date(2024, 3, 1), True),  # 3 on the session's day
        (date(2024, 3, 2), False),  # 3 the day after
        (date(2020, 3, 2), True),  # 6 until the 2nd: the maximum is inclusive
        (date(2020, 3, 1), False),  # 7 on the day
    ],
)
def test_ages_are_counted_at_the_sessions_date(rules, guardian, session_of, now, birth, allowed):
    rules.age_min, rules.age_max = 3, 6
    rules.save()
    child = ChildFactory(household=guardian.household, birth_date=birth)
    result = basket_toggle_days(
        guardian=guardian, child=child, sessions=[session_of(date(2027, 3, 1))], now=now
    )
    assert (result.action == "book") is allowed


def test_groups_and_inactive_children(rules, guardian, child, session_of, now):
    monday = session_of(date(2027, 3, 1))
    rules.groups.set([ChildGroupFactory(name="Maternelle")])
    result = basket_toggle_days(guardian=guardian, child=child, sessions=[monday], now=now)
    assert result.locked[0].reason == "non accessible à cet enfant"
    rules.groups.set([child.group])
    monday = session_of(date(2027, 3, 1))
    assert basket_toggle_days(guardian=guardian, child=child, sessions=[monday], now=now).action
    child.is_active = False
    child.save()
    submission = basket_validate(guardian=guardian, now=now, submission_key="inactive")
    assert submission.outcomes[0]["status"] == "Refusée : non accessible à cet enfant"


def test_promotion_skips_a_child_no_longer_allowed_and_keeps_its_rank(session_of, now):
    monday = session_of(date(2027, 3, 1))
    monday.seat_limit = 1
    monday.save(update_fields=["seat_limit"])
    first, second, third = (GuardianFactory() for _n in range(3))
    kids = [ChildFactory(household=parent.household) for parent in (first, second, third)]
    book(first, kids[0], [monday], now, "a")
    book(second, kids[1], [monday], now, "b")
    book(third, kids[2], [monday], now, "c")
    kids[1].is_active = False
    kids[1].save()
    book(first, kids[0], [monday], now, "cancel")
    assert (
        Reservation.objects.get(holder_key=kids[1].holder_key).status == ReservationStatus.WAITING
    )
    promoted = Reservation.objects.get(holder_key=kids[2].holder_key)
    assert promoted.status == ReservationStatus.VALID and promoted.waiting_rank == 2


def test_no_automatic_promotion_within_the_notice(session_of, now, time_machine):
    monday = session_of(date(2027, 3, 1))
    monday.seat_limit = 1
    monday.save(update_fields=["seat_limit"])
    first, second = GuardianFactory(), GuardianFactory()
    kids = [ChildFactory(household=parent.household) for parent in (first, second)]
    book(first, kids[0], [monday], now, "a")
    book(second, kids[1], [monday], now, "b")
    # 23 hours before the cancellation deadline: the notice (24 h) has begun.
    late = monday.cancel_until - timedelta(hours=23)
    book(first, kids[0], [monday], late, "cancel")
    assert (
        Reservation.objects.get(holder_key=kids[1].holder_key).status == ReservationStatus.WAITING
    )


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user("agent", is_staff=True)


@pytest.fixture
def pending(rules, guardian, child, session_of, now):
    rules.acceptance = "staff"
    rules.save()
    book(guardian, child, [session_of(date(2027, 3, 1))], now, "pending")
    return Reservation.objects.get(status=ReservationStatus.PENDING)


def test_staff_accept_a_request(pending, staff_user, now):
    request_accept(reservation=pending, staff_user=staff_user, now=now)
    pending.refresh_from_db()
    assert pending.status == ReservationStatus.VALID
    change = ReservationChange.objects.get(origin=ChangeOrigin.STAFF)
    assert change.kind == ChangeKind.ACCEPTED and change.author == staff_user
    with pytest.raises(FamilyError):
        request_accept(reservation=pending, staff_user=staff_user, now=now)


def test_staff_refuse_with_a_reason_and_the_seat_goes_to_the_list(
    pending, staff_user, session_of, now
):
    monday = session_of(date(2027, 3, 1))
    monday.seat_limit = 1
    monday.save(update_fields=["seat_limit"])
    other = GuardianFactory()
    other_child = ChildFactory(household=other.household)
    book(other, other_child, [monday], now, "waits")
    with pytest.raises(FamilyError):
        request_refuse(reservation=pending, staff_user=staff_user, reason="  ", now=now)
    with pytest.raises(FamilyError):
        request_refuse(reservation=pending, staff_user=staff_user, reason="a\x00b", now=now)
    request_refuse(reservation=pending, staff_user=staff_user, reason="Effectif complet", now=now)
    pending.refresh_from_db()
    assert pending.status == ReservationStatus.REFUSED
    assert ReservationChange.objects.get(kind=ChangeKind.REFUSED).reason == "Effectif complet"
    # The waiting child took the seat (pending too: the activity needs staff).
    assert (
        Reservation.objects.get(holder_key=other_child.holder_key).status
        == ReservationStatus.PENDING
    )
    assert ReservationChange.objects.filter(origin=ChangeOrigin.PROMOTION).count() == 1


def test_staff_book_late_needs_a_reason(rules, child, staff_user, session_of):
    monday = session_of(date(2027, 3, 1))
    late = monday.closes_at + timedelta(hours=1)
    with pytest.raises(FamilyError):
        staff_book(child=child, sessions=[monday], staff_user=staff_user, now=late)
    rules.arrival_from, rules.arrival_until = time(7, 30), time(8, 0)
    rules.save()
    monday = session_of(date(2027, 3, 1))
    statuses = staff_book(
        child=child,
        sessions=[monday],
        staff_user=staff_user,
        reason="Appel de la famille",
        arrival=time(7, 45),
        now=late,
    )
    assert statuses == ["Acceptée"]
    row = Reservation.objects.get()
    assert row.status == ReservationStatus.VALID and row.family_hours.arrival == time(7, 45)
    change = ReservationChange.objects.get()
    assert change.origin == ChangeOrigin.STAFF and change.reason == "Appel de la famille"


def test_staff_cancel_late_needs_a_reason(guardian, child, staff_user, session_of, now):
    monday = session_of(date(2027, 3, 1))
    book(guardian, child, [monday], now, "b")
    row = Reservation.objects.get()
    late = monday.cancel_until + timedelta(hours=1)
    with pytest.raises(FamilyError):
        staff_cancel(reservations=[row], staff_user=staff_user, now=late)
    assert staff_cancel(reservations=[row], staff_user=staff_user, reason="Malade", now=late) == 1
    row.refresh_from_db()
    assert row.status == ReservationStatus.CANCELLED
    assert ReservationChange.objects.filter(kind=ChangeKind.CANCELLED, reason="Malade").exists()
