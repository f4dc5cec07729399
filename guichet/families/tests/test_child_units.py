"""The calendar's read of a child's reservations and basket lines (`child_units_rows`, written
by hand): the rows the ORM's querysets of the household's scope read, in two statements."""

from datetime import date, time

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.families.models import BasketAction, BasketLine
from guichet.families.selectors import HouseholdScope, sessions_of_days
from guichet.families.services import basket_get, staff_book
from guichet.families.tests.factories import ChildFactory, GuardianFactory

DAYS = [date(2027, 3, day) for day in (1, 2, 3, 4, 5)]


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.fixture
def booked(guardian, child, rules, period, session_of, django_user_model, now):
    """Day 1 valid with hours, day 2 waiting without, day 3 cancelled; this guardian's lines:
    day 1 "cancel", day 4 "book"; a sibling's reservation, another guardian's line on day 5."""
    rules.arrival_from, rules.arrival_until = time(7, 30), time(8, 0)
    rules.save()
    staff = django_user_model.objects.create_user("agent", is_staff=True)
    staff_book(
        child=child, sessions=[session_of(DAYS[0])], staff_user=staff, arrival=time(7, 45), now=now
    )
    staff_book(child=child, sessions=[session_of(d) for d in DAYS[1:3]], staff_user=staff, now=now)
    Reservation.objects.filter(session=session_of(DAYS[1])).update(
        status=ReservationStatus.WAITING, waiting_rank=1
    )
    Reservation.objects.filter(session=session_of(DAYS[2])).update(
        status=ReservationStatus.CANCELLED
    )
    sibling = ChildFactory(household=guardian.household)
    staff_book(child=sibling, sessions=[session_of(DAYS[3])], staff_user=staff, now=now)
    basket = basket_get(guardian=guardian)
    BasketLine.objects.create(
        basket=basket, child=child, session=session_of(DAYS[0]), action=BasketAction.CANCEL
    )
    BasketLine.objects.create(
        basket=basket,
        child=child,
        session=session_of(DAYS[3]),
        action=BasketAction.BOOK,
        arrival=time(7, 30),
    )
    other = GuardianFactory(household=guardian.household)
    BasketLine.objects.create(
        basket=basket_get(guardian=other),
        child=child,
        session=session_of(DAYS[4]),
        action=BasketAction.BOOK,
    )


def test_child_units_rows_reads_what_the_scope_querysets_read(guardian, child, booked):
    scope = HouseholdScope(guardian.household, guardian=guardian)
    sessions = {
        s.pk: s for s in sessions_of_days(activity_ids=None, first_day=DAYS[0], last_day=DAYS[-1])
    }
    with CaptureQueriesContext(connection) as queries:
        reservations, lines = scope.child_units_rows(child, sessions)
    assert len(queries) == 2
    expected = scope.live_reservations().filter(holder_key=child.holder_key)
    assert {r.session_id: _fields(r) for r in expected} == {
        pk: _fields(r) for pk, r in reservations.items()
    }
    assert len(reservations) == 2  # valid and waiting, not cancelled nor the sibling's
    for reservation in reservations.values():
        assert reservation.session is sessions[reservation.session_id]
    first = min(reservations.values(), key=lambda r: r.session.start)
    assert first.family_hours.arrival == time(7, 45) and first.family_hours.reservation is first
    later = max(reservations.values(), key=lambda r: r.session.start)
    assert getattr(later, "family_hours", None) is None
    expected_lines = scope.basket_lines().filter(child=child)
    assert {line.session_id: _fields(line) for line in expected_lines} == {
        pk: _fields(line) for pk, line in lines.items()
    }
    assert sorted(line.action for line in lines.values()) == ["book", "cancel"]
    with CaptureQueriesContext(connection) as queries:
        assert [line.child for line in lines.values()] == [child, child]
        assert {line.session.pk for line in lines.values()} <= set(sessions)
    assert not queries  # relations set, as select_related would


def test_child_units_rows_of_another_household_or_without_guardian(guardian, child, booked):
    sessions = {
        s.pk: s for s in sessions_of_days(activity_ids=None, first_day=DAYS[0], last_day=DAYS[-1])
    }
    with pytest.raises(Http404):
        HouseholdScope(GuardianFactory().household).child_units_rows(child, sessions)
    reservations, lines = HouseholdScope(guardian.household).child_units_rows(child, sessions)
    assert len(reservations) == 2 and lines == {}  # staff's scope: no basket
    assert HouseholdScope(guardian.household).child_units_rows(child, {}) == ({}, {})
