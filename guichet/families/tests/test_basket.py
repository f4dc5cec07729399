from datetime import date, time

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
