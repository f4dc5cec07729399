from datetime import date, datetime, time, timedelta

import pytest

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.families.deadlines import PARIS
from guichet.families.models import (
    BasketAction,
    BasketLine,
    ChangeKind,
    ReservationChange,
    ReservationHours,
)
from guichet.families.services import (
    FamilyError,
    basket_set_hours,
    basket_toggle_days,
    basket_validate,
)


def lines(guardian):
    return sorted(
        (line.session.start.astimezone(PARIS).date(), line.action)
        for line in BasketLine.objects.filter(basket__guardian=guardian).select_related("session")
    )


def test_a_day_toggled_twice_comes_back(guardian, child, session_of, now):
    monday = session_of(date(2027, 3, 1))
    result = basket_toggle_days(guardian=guardian, child=child, sessions=[monday], now=now)
    assert result.action == "book" and result.changed == [monday.pk]
    assert lines(guardian) == [(date(2027, 3, 1), BasketAction.BOOK)]
    result = basket_toggle_days(guardian=guardian, child=child, sessions=[monday], now=now)
    assert result.action == "cancel"
    assert lines(guardian) == []


def test_validate_books_and_logs(guardian, child, session_of, now):
    week = [session_of(date(2027, 3, day)) for day in (1, 2, 3)]
    basket_toggle_days(guardian=guardian, child=child, sessions=week, now=now)
    submission = basket_validate(guardian=guardian, now=now, submission_key="k1")
    assert [line["status"] for line in submission.outcomes] == ["Acceptée"] * 3
    assert Reservation.objects.filter(status=ReservationStatus.VALID).count() == 3
    assert ReservationChange.objects.filter(kind=ChangeKind.ACCEPTED).count() == 3
    assert lines(guardian) == []
    again = basket_validate(guardian=guardian, now=now, submission_key="k1")
    assert again.pk == submission.pk


def test_hours_are_kept_on_the_reservation(guardian, child, rules, session_of, now):
    rules.arrival_from, rules.arrival_until = time(7, 30), time(8, 30)
    rules.save()
    day = session_of(date(2027, 3, 1))
    locked = basket_set_hours(
        guardian=guardian, child=child, sessions=[day], arrival=time(7, 45), departure=None, now=now
    )
    assert locked == []
    basket_validate(guardian=guardian, now=now, submission_key="k2")
    hours = ReservationHours.objects.get()
    assert hours.arrival == time(7, 45)
    with pytest.raises(FamilyError):
        basket_set_hours(
            guardian=guardian,
            child=child,
            sessions=[day],
            arrival=time(8, 0),
            departure=time(7, 0),
            now=now,
        )


# --- toggles ------------------------------------------------------------------------------------


def week(session_of, *days):
    return [session_of(date(2027, 3, day)) for day in days]


def test_the_first_bookable_day_decides_book_all(guardian, child, session_of, now):
    days = week(session_of, 1, 2, 3, 4, 5)
    # Wednesday is booked already (in the basket): the first bookable day, Monday, is not.
    basket_toggle_days(guardian=guardian, child=child, sessions=[days[2]], now=now)
    result = basket_toggle_days(guardian=guardian, child=child, sessions=days, now=now)
    assert result.action == "book"
    assert sorted(result.changed) == sorted(s.pk for s in days if s != days[2])
    assert [action for _day, action in lines(guardian)] == [BasketAction.BOOK] * 5


def test_the_first_bookable_day_booked_cancels_all(guardian, child, session_of, now):
    days = week(session_of, 1, 2, 3)
    basket_toggle_days(guardian=guardian, child=child, sessions=days[:2], now=now)
    basket_validate(guardian=guardian, now=now, submission_key="b")
    # Monday booked (sent), Tuesday booked, Wednesday not: cancel every booked one.
    result = basket_toggle_days(guardian=guardian, child=child, sessions=days, now=now)
    assert result.action == "cancel"
    assert lines(guardian) == [
        (date(2027, 3, 1), BasketAction.CANCEL),
        (date(2027, 3, 2), BasketAction.CANCEL),
    ]
    # Again: the first day is "to cancel", not booked any more in the basket → book all, which
    # takes the cancellations back and books Wednesday.
    result = basket_toggle_days(guardian=guardian, child=child, sessions=days, now=now)
    assert result.action == "book"
    assert lines(guardian) == [(date(2027, 3, 3), BasketAction.BOOK)]


def test_locked_days_are_skipped_and_listed(guardian, child, session_of, now):
    days = week(session_of, 1, 2, 3)
    late = now.replace(year=2027, month=2, day=27, hour=13)  # Monday closed (J-2 at noon)
    result = basket_toggle_days(guardian=guardian, child=child, sessions=days, now=late)
    assert result.action == "book"
    assert [(locked.session.pk, locked.reason) for locked in result.locked] == [
        (days[0].pk, "hors délai")
    ]
    assert [day for day, _action in lines(guardian)] == [date(2027, 3, 2), date(2027, 3, 3)]


def test_a_child_not_allowed_is_listed_on_every_day(guardian, child, rules, session_of, now):
    rules.age_min = 10
    rules.save()
    result = basket_toggle_days(
        guardian=guardian, child=child, sessions=week(session_of, 1, 2), now=now
    )
    assert result.action is None
    assert {locked.reason for locked in result.locked} == {"non accessible à cet enfant"}


def test_another_households_child_is_refused(guardian, session_of, now):
    from guichet.families.tests.factories import ChildFactory

    stranger = ChildFactory()
    with pytest.raises(FamilyError):
        basket_toggle_days(guardian=guardian, child=stranger, sessions=week(session_of, 1), now=now)


# --- validation ---------------------------------------------------------------------------------


def book(guardian, child, sessions, now, key):
    basket_toggle_days(guardian=guardian, child=child, sessions=sessions, now=now)
    return basket_validate(guardian=guardian, now=now, submission_key=key)


def test_full_sessions_put_children_on_the_list_with_ranks(session_of, now):
    from guichet.families.tests.factories import ChildFactory, GuardianFactory

    monday = session_of(date(2027, 3, 1))
    monday.seat_limit = 1
    monday.save(update_fields=["seat_limit"])
    statuses = []
    for n in range(3):
        parent = GuardianFactory()
        kid = ChildFactory(household=parent.household)
        statuses.append(book(parent, kid, [monday], now, f"rank{n}").outcomes[0]["status"])
    assert statuses == [
        "Acceptée",
        "Mise en liste d'attente (rang 1)",
        "Mise en liste d'attente (rang 2)",
    ]
    assert ReservationChange.objects.filter(kind=ChangeKind.WAITING).count() == 2


def test_no_room_on_the_list_is_refused_plus_de_place(session_of, now, guardian, child):
    from guichet.families.tests.factories import ChildFactory, GuardianFactory

    monday = session_of(date(2027, 3, 1))
    monday.seat_limit, monday.waiting_limit = 1, 0
    monday.save(update_fields=["seat_limit", "waiting_limit"])
    other = GuardianFactory()
    book(other, ChildFactory(household=other.household), [monday], now, "first")
    submission = book(guardian, child, [monday], now, "second")
    assert submission.outcomes[0]["status"] == "Refusée : plus de place"
    assert ReservationChange.objects.filter(kind=ChangeKind.REFUSED).count() == 1


def test_a_seat_lost_between_the_recap_and_the_confirmation(session_of, now, guardian, child):
    """The recap showed a free seat; another family confirmed first: the line waits."""
    from guichet.families.tests.factories import ChildFactory, GuardianFactory

    monday = session_of(date(2027, 3, 1))
    monday.seat_limit = 1
    monday.save(update_fields=["seat_limit"])
    basket_toggle_days(guardian=guardian, child=child, sessions=[monday], now=now)  # recap
    other = GuardianFactory()
    book(other, ChildFactory(household=other.household), [monday], now, "faster")
    submission = basket_validate(guardian=guardian, now=now, submission_key="slower")
    assert submission.outcomes[0]["status"] == "Mise en liste d'attente (rang 1)"


def test_staff_acceptance_makes_requests_pending(rules, session_of, now, guardian, child):
    rules.acceptance = "staff"
    rules.save()
    submission = book(guardian, child, [session_of(date(2027, 3, 1))], now, "pending")
    assert submission.outcomes[0]["status"] == "En attente de traitement par nos services"
    assert Reservation.objects.get().status == ReservationStatus.PENDING


def test_overlapping_units_of_a_child_are_refused(rules, period, session_of, now, guardian, child):
    from guichet.families.services import period_generate_sessions
    from guichet.families.tests.factories import ActivityRulesFactory

    lunch = ActivityRulesFactory(
        activity__name="RESTAURATION", starts_at=time(8, 0), ends_at=time(9, 0)
    )
    period.activities.add(lunch.activity)
    period_generate_sessions(period=period, now=now)
    morning = session_of(date(2027, 3, 1), rules.activity)
    meal = session_of(date(2027, 3, 1), lunch.activity)
    submission = book(guardian, child, [morning], now, "one")
    basket_toggle_days(guardian=guardian, child=child, sessions=[meal], now=now)
    submission = basket_validate(guardian=guardian, now=now, submission_key="two")
    assert submission.outcomes[0]["status"] == "Refusée : horaires incompatibles"
    # With hours that no longer cross (leaving at 8:00), the meal fits.
    rules.departure_from, rules.departure_until = time(7, 45), time(8, 30)
    rules.save()
    morning = session_of(date(2027, 3, 1), rules.activity)  # its rules read afresh
    locked = basket_set_hours(
        guardian=guardian,
        child=child,
        sessions=[morning],
        arrival=None,
        departure=time(8, 0),
        now=now,
    )
    assert locked == []
    basket_toggle_days(guardian=guardian, child=child, sessions=[meal], now=now)
    submission = basket_validate(guardian=guardian, now=now, submission_key="three")
    assert sorted(line["status"] for line in submission.outcomes) == [
        "Acceptée",
        "Horaires modifiés",
    ]


def test_cancellation_promotes_the_waiting_list_and_logs_it(session_of, now, guardian, child):
    from guichet.families.tests.factories import ChildFactory, GuardianFactory

    monday = session_of(date(2027, 3, 1))
    monday.seat_limit = 1
    monday.save(update_fields=["seat_limit"])
    book(guardian, child, [monday], now, "seated")
    other = GuardianFactory()
    other_child = ChildFactory(household=other.household)
    book(other, other_child, [monday], now, "waiting")
    submission = book(guardian, child, [monday], now, "cancel")
    assert submission.outcomes[0]["status"] == "Annulée"
    promoted = Reservation.objects.get(holder_key=other_child.holder_key)
    assert promoted.status == ReservationStatus.VALID
    change = ReservationChange.objects.get(child=other_child, origin="promotion")
    assert change.kind == ChangeKind.ACCEPTED and change.household_id == other.household_id


def test_an_empty_basket_validates_to_nothing(guardian, now):
    assert basket_validate(guardian=guardian, now=now, submission_key="empty").outcomes == []


def test_a_key_of_another_guardian_is_refused(guardian, child, session_of, now):
    from guichet.families.tests.factories import GuardianFactory

    book(guardian, child, [session_of(date(2027, 3, 1))], now, "mine")
    with pytest.raises(FamilyError):
        basket_validate(guardian=GuardianFactory(), now=now, submission_key="mine")


def test_old_baskets_are_purged(guardian, child, session_of, now):
    from guichet.families.services import baskets_purge

    basket_toggle_days(
        guardian=guardian, child=child, sessions=[session_of(date(2027, 3, 1))], now=now
    )
    assert baskets_purge(now=datetime.now(PARIS) + timedelta(days=6)) == 0
    assert baskets_purge(now=datetime.now(PARIS) + timedelta(days=8)) == 1


@pytest.mark.parametrize("days", [(9,), (15, 16), (15, 16, 17), (15, 16, 17, 18, 19)])
def test_validation_statements_are_within_the_issue_bound(
    guardian, child, session_of, now, django_assert_max_num_queries, days
):
    """The issue's target, ≤ 10 + 2 × sessions statements per confirm: one statement per session
    for its counters, the rest once (12 for one day, 16 for five), whatever the number of days;
    plus the test transaction's savepoint and its release (2)."""
    sessions = [session_of(date(2027, 3, day)) for day in days]
    basket_toggle_days(guardian=guardian, child=child, sessions=sessions, now=now)
    with django_assert_max_num_queries(10 + 2 * len(days) + 2):
        submission = basket_validate(guardian=guardian, now=now, submission_key="count")
    assert [line["status"] for line in submission.outcomes] == ["Acceptée"] * len(days)


def test_validation_reads_the_rules_groups_with_the_lines(guardian, child, rules, session_of, now):
    """The rules and their groups come with the basket's lines (a row per line and group): a
    child outside the groups is still refused, and rules without any group admit every child."""
    from guichet.families.tests.factories import ChildGroupFactory

    monday, tuesday, wednesday = (session_of(date(2027, 3, day)) for day in (1, 2, 3))
    book(guardian, child, [monday], now, "no-groups")
    assert Reservation.objects.filter(session=monday, status=ReservationStatus.VALID).exists()
    # Put in the basket while the child may attend; the groups change before "Valider".
    basket_toggle_days(guardian=guardian, child=child, sessions=[tuesday], now=now)
    rules.groups.set([ChildGroupFactory(name="Maternelle"), ChildGroupFactory(name="CP")])
    submission = basket_validate(guardian=guardian, now=now, submission_key="other-groups")
    assert [line["status"] for line in submission.outcomes] == [
        "Refusée : non accessible à cet enfant"
    ]
    rules.groups.add(child.group)
    submission = book(guardian, child, [wednesday], now, "in-a-group")
    assert [line["status"] for line in submission.outcomes] == ["Acceptée"]
