"""The calendar rules (guichet.families.deadlines), pure: each deadline kind, working days around
public holidays (with and without Alsace-Moselle's), school holidays per zone, a change of clock;
and, on generated sessions, the boundary minute."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from guichet.families.deadlines import (
    PARIS,
    Deadline,
    deadline_at,
    is_school_holiday,
    is_working_day,
    paris_datetime,
    period_days,
    working_day_before,
)

UTC = ZoneInfo("UTC")


def at(day: date, hour: int = 7, minute: int = 30) -> datetime:
    return paris_datetime(day, time(hour, minute))


def test_n_days_at_a_time_counts_calendar_days():
    thursday = date(2027, 3, 4)
    deadline = deadline_at(Deadline("days", 2, time(12, 0)), day=thursday, starts_at=at(thursday))
    assert deadline == datetime(2027, 3, 2, 12, 0, tzinfo=PARIS)  # "J-2 à 12:00": Tuesday noon


def test_n_days_zero_is_the_day_itself():
    day = date(2027, 3, 4)
    assert deadline_at(Deadline("days", 0, time(7, 0)), day=day, starts_at=at(day)) == at(day, 7, 0)


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        (date(2027, 3, 1), 1, date(2027, 2, 26)),  # Monday → Friday: the weekend skipped
        (date(2027, 3, 1), 2, date(2027, 2, 25)),
        (date(2027, 3, 4), 2, date(2027, 3, 2)),  # within a week
        (date(2026, 5, 15), 1, date(2026, 5, 13)),  # Ascension Thursday (14 May) skipped
        (date(2026, 5, 26), 1, date(2026, 5, 22)),  # Whit Monday (25 May) and the weekend
        (date(2027, 3, 30), 1, date(2027, 3, 26)),  # Easter Monday 2027 (29 March)
        (date(2027, 3, 30), 0, date(2027, 3, 30)),
    ],
)
def test_working_days_skip_weekends_and_public_holidays(day, count, expected):
    assert working_day_before(day, count) == expected
    deadline = deadline_at(Deadline("working_days", count, time(18, 0)), day=day, starts_at=at(day))
    assert deadline == paris_datetime(expected, time(18, 0))


def test_alsace_moselle_has_good_friday_and_saint_stephen():
    tuesday = date(2026, 4, 7)  # after Easter Monday (6 April)
    # Nationally Good Friday (3 April) is worked; in Moselle and Alsace it is not.
    assert working_day_before(tuesday, 2) == date(2026, 4, 2)
    assert working_day_before(tuesday, 2, subdivision="57") == date(2026, 4, 1)
    assert working_day_before(tuesday, 2, subdivision="6AE") == date(2026, 4, 1)
    assert is_working_day(date(2025, 12, 26))
    assert not is_working_day(date(2025, 12, 26), subdivision="57")  # a Friday


def test_n_hours_is_elapsed_time_across_the_change_of_clock():
    # Clocks go forward on Sunday 28 March 2027: 72 hours before Tuesday 07:30 (summer time)
    # is Saturday 06:30 (winter time), not 07:30.
    tuesday = date(2027, 3, 30)
    start = at(tuesday)
    deadline = deadline_at(Deadline("hours", 72), day=tuesday, starts_at=start)
    assert deadline == datetime(2027, 3, 27, 6, 30, tzinfo=PARIS)
    assert start - deadline == timedelta(hours=72)


def test_n_days_keeps_the_wall_clock_across_the_change_of_clock():
    tuesday = date(2027, 3, 30)
    deadline = deadline_at(Deadline("days", 3, time(12, 0)), day=tuesday, starts_at=at(tuesday))
    assert deadline.astimezone(UTC) == datetime(2027, 3, 27, 11, 0, tzinfo=UTC)  # noon, winter


def test_a_time_skipped_by_the_change_of_clock_reads_as_the_hour_after():
    deadline = paris_datetime(date(2027, 3, 28), time(2, 30))
    assert deadline.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 03:30 summer


def test_a_deadline_needs_its_time_of_day_unless_in_hours():
    with pytest.raises(ValueError):
        Deadline("days", 2, None)
    with pytest.raises(ValueError):
        Deadline("weeks", 2, time(12, 0))
    with pytest.raises(ValueError):
        Deadline("hours", -1)
    assert Deadline("hours", 72).at is None


@pytest.mark.parametrize(
    ("zone", "first", "last"),
    [
        ("A", date(2027, 2, 13), date(2027, 2, 28)),
        ("B", date(2027, 2, 20), date(2027, 3, 7)),
        ("C", date(2027, 2, 6), date(2027, 2, 21)),
    ],
)
def test_school_holidays_by_zone(zone, first, last):
    assert is_school_holiday(first, zone=zone)
    assert is_school_holiday(last, zone=zone)
    assert not is_school_holiday(first - timedelta(days=1), zone=zone)
    assert not is_school_holiday(last + timedelta(days=1), zone=zone)
    holidays = period_days(
        first_day=date(2027, 2, 1),
        last_day=date(2027, 3, 31),
        weekdays=range(7),
        days="holidays",
        zone=zone,
    )
    assert holidays == [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_school_days_leave_the_holidays_and_public_holidays_out():
    days = period_days(
        first_day=date(2027, 3, 1),
        last_day=date(2027, 3, 31),
        weekdays=[0, 1, 3, 4],
        days="school",
        zone="B",
    )
    assert days[0] == date(2027, 3, 8)  # zone B's holidays end on Sunday 7 March
    assert date(2027, 3, 29) not in days  # Easter Monday
    assert all(day.weekday() in (0, 1, 3, 4) for day in days)
    assert len(days) == 13  # 3 weeks of 4 days, then Tuesday 30 March


def test_staff_changes_override_both_calendars():
    changes = {
        date(2027, 3, 29): True,  # Easter Monday opened
        date(2027, 3, 1): False,  # a closure
        date(2027, 3, 6): True,  # a Saturday opened
    }
    days = period_days(
        first_day=date(2027, 3, 1),
        last_day=date(2027, 3, 31),
        weekdays=range(5),
        days="all",
        zone="B",
        changes=changes,
    )
    assert date(2027, 3, 29) in days
    assert date(2027, 3, 1) not in days
    assert date(2027, 3, 6) in days
    assert date(2027, 3, 7) not in days
