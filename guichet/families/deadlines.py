"""The portal's calendar rules, pure (no database): public holidays and working days, school
holidays per zone, the days a period opens and the booking and cancellation deadlines.

Deadlines are counted back from the session's day (or, for "N heures", its start):

- "N jours à HH:MM" (`days`): N calendar days before the session's day, at HH:MM Paris time
  ("J-2 à 12:00": a Thursday session closes on Tuesday at noon);
- "N jours ouvrés à HH:MM" (`working_days`): the Nth working day before the session's day, at
  HH:MM; a working day is neither a Saturday, a Sunday nor a public holiday (with Alsace-Moselle's
  two more when the portal's subdivision says so). 0 means the session's day itself;
- "N heures" (`hours`): N hours of elapsed time before the session starts (across a change of
  clock, "72 h" stays 72 real hours).

A wall-clock time that does not exist (02:30 on the last Sunday of March) is read with the offset
before the change (03:30 summer time), one that exists twice (02:30 in October) as its first
occurrence: `zoneinfo`'s fold=0, the same every time.

Holidays come from the `holidays` library (France, subdivisions "57", "6AE"; school holidays by
"Zone A/B/C"), read once per year and subdivision.
"""

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import holidays

PARIS = ZoneInfo("Europe/Paris")


class Kind(StrEnum):
    """guichet.families.models.DeadlineKind's values."""

    DAYS = "days"
    WORKING_DAYS = "working_days"
    HOURS = "hours"


class Days(StrEnum):
    """guichet.families.models.PeriodDays's values."""

    SCHOOL = "school"
    HOLIDAYS = "holidays"
    ALL = "all"


@dataclass(frozen=True)
class Deadline:
    kind: str
    count: int
    at: time | None = None

    def __post_init__(self):
        if self.kind not in Kind.__members__.values():
            raise ValueError(f"Unknown deadline kind {self.kind!r}")
        if self.count < 0:
            raise ValueError("A deadline counts 0 or more days or hours.")
        if self.kind != Kind.HOURS and self.at is None:
            raise ValueError("A deadline in days needs its time of day.")


@functools.lru_cache(maxsize=64)
def _public_holidays(year: int, subdivision: str) -> frozenset[date]:
    found = holidays.France(years=year, subdiv=subdivision or None, categories=("public",))
    return frozenset(found)


@functools.lru_cache(maxsize=64)
def _school_holidays(year: int, zone: str) -> frozenset[date]:
    found = holidays.France(years=year, subdiv=f"Zone {zone}", categories=("school",))
    return frozenset(found)


def is_public_holiday(day: date, *, subdivision: str = "") -> bool:
    return day in _public_holidays(day.year, subdivision)


def is_working_day(day: date, *, subdivision: str = "") -> bool:
    """Neither a weekend day nor a public holiday (of the subdivision, "57" or "6AE", if any)."""
    return day.weekday() < 5 and not is_public_holiday(day, subdivision=subdivision)


def is_school_holiday(day: date, *, zone: str) -> bool:
    """Is `day` in the school holidays of `zone` ("A", "B", "C")?"""
    return day in _school_holidays(day.year, zone)


def working_day_before(day: date, count: int, *, subdivision: str = "") -> date:
    """The `count`th working day before `day` (`day` itself for 0, even if not worked)."""
    current, left = day, count
    while left > 0:
        current -= timedelta(days=1)
        if is_working_day(current, subdivision=subdivision):
            left -= 1
    return current


def paris_datetime(day: date, at: time) -> datetime:
    """`day` at `at`, Paris time (fold=0 for a time skipped or repeated by a change of clock)."""
    return datetime.combine(day, at, tzinfo=PARIS)


def deadline_at(
    deadline: Deadline, *, day: date, starts_at: datetime, subdivision: str = ""
) -> datetime:
    """When `deadline` falls for a session on `day` starting at `starts_at` (aware)."""
    if deadline.kind == Kind.HOURS:
        # Elapsed time: computed in UTC, so that a change of clock does not move it.
        return starts_at.astimezone(ZoneInfo("UTC")) - timedelta(hours=deadline.count)
    if deadline.kind == Kind.WORKING_DAYS:
        target = working_day_before(day, deadline.count, subdivision=subdivision)
    else:
        target = day - timedelta(days=deadline.count)
    return paris_datetime(target, deadline.at)


def period_days(
    *,
    first_day: date,
    last_day: date,
    weekdays: Iterable[int],
    days: str,
    zone: str,
    subdivision: str = "",
    changes: Mapping[date, bool] | None = None,
) -> list[date]:
    """The days a period opens, in order: its weekdays between its first and last days, school
    days only (`school`), school holidays only (`holidays`) or both (`all`), never a public
    holiday; then staff's changes (day → open or closed) override both calendars."""
    wanted = set(weekdays)
    changes = changes or {}
    found = []
    day = first_day
    while day <= last_day:
        if day in changes:
            opened = changes[day]
        elif day.weekday() not in wanted or is_public_holiday(day, subdivision=subdivision):
            opened = False
        elif days == Days.SCHOOL:
            opened = not is_school_holiday(day, zone=zone)
        elif days == Days.HOLIDAYS:
            opened = is_school_holiday(day, zone=zone)
        else:
            opened = True
        if opened:
            found.append(day)
        day += timedelta(days=1)
    return found
