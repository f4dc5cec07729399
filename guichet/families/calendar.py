"""The calendar's reads ("Réservations"): the units (activity-days) of one child over some days,
each with its look (guichet.families.states), and the month grid built from them.

Everything goes through the household's scope (`HouseholdScope`) and fam-core's selectors
(`sessions_of_days`, `child_refusal`, `unit_booking_refusal`, `unit_cancel_refusal`): the rules
the page shows are the ones the basket services enforce. A month costs a fixed number of
statements whatever the number of activities (the sessions with their activity and rules, the
rules' groups, the child's reservations, the basket's lines): `test_calendar_queries`.
"""

import calendar as pycalendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.catalogue.models import Activity, Session
from guichet.families.models import ActivityRules, BasketLine, Child
from guichet.families.selectors import (
    HouseholdScope,
    child_refusal,
    rules_of,
    session_day,
    sessions_of_days,
    unit_booking_refusal,
    unit_cancel_refusal,
)
from guichet.families.states import (
    BOOKABLE_STATES,
    CANCELLABLE_STATES,
    Basket,
    Look,
    Mine,
    UnitFacts,
    day_legend,
    day_state,
    unit_legend,
    unit_state,
)

# The months a parent may look at: far enough for any period, near enough to refuse a forged
# "?mois=9999-12" (a date the calendar could not add a month to).
FIRST_YEAR = 2000
LAST_YEAR = 2100

MINE_OF_STATUS = {
    ReservationStatus.VALID: Mine.BOOKED,
    ReservationStatus.ARCHIVED: Mine.BOOKED,
    ReservationStatus.PENDING: Mine.PENDING,
    ReservationStatus.WAITING: Mine.WAITING,
}


@dataclass
class CalendarUnit:
    """One activity on one day for the child: its session, what the child has there, its look."""

    session: Session
    day: date
    look: Look
    reservation: Reservation | None = None
    line: BasketLine | None = None
    arrival: time | None = None
    departure: time | None = None
    refusal: str | None = None  # why it cannot be booked now (None: it can)

    @property
    def activity(self) -> Activity:
        return self.session.activity

    @property
    def rules(self) -> ActivityRules | None:
        return rules_of(self.session)

    @property
    def has_hours(self) -> bool:
        rules = self.rules
        return rules is not None and rules.has_hours

    @property
    def actionable(self) -> bool:
        return self.look.state in BOOKABLE_STATES | CANCELLABLE_STATES or self.line is not None

    @property
    def wanted(self) -> bool:
        """Booked once the basket is sent (the basket counted)."""
        if self.line is not None:
            return self.line.action != "cancel"
        return self.reservation is not None


@dataclass
class CalendarDay:
    day: date
    in_month: bool
    units: list[CalendarUnit] = field(default_factory=list)
    look: Look | None = None  # None: no activity that day


@dataclass
class MonthCalendar:
    child: Child
    activity: Activity | None
    month: date  # its first day
    weeks: list[list[CalendarDay]]
    legend: list[Look]

    @property
    def previous_month(self) -> date | None:
        before = (self.month - timedelta(days=1)).replace(day=1)
        return before if before.year >= FIRST_YEAR else None

    @property
    def next_month(self) -> date | None:
        after = (self.month + timedelta(days=32)).replace(day=1)
        return after if after.year <= LAST_YEAR else None

    @property
    def days(self) -> list[CalendarDay]:
        return [day for week in self.weeks for day in week if day.in_month]


def month_parse(value: str | None, *, today: date) -> date | None:
    """ "2026-12" → 1 December 2026; None when the value is not such a month (the page says so)."""
    if not value:
        return today.replace(day=1)
    parts = value.split("-")
    if len(parts) != 2 or not all(part.isascii() and part.isdigit() for part in parts):
        return None
    if len(parts[0]) != 4 or len(parts[1]) not in (1, 2):
        return None
    year, month = int(parts[0]), int(parts[1])
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def month_last_day(month: date) -> date:
    return month.replace(day=pycalendar.monthrange(month.year, month.month)[1])


def _groups_fill(sessions: list[Session]) -> None:
    """Read the groups of every activity's rules in one statement, and give each rules instance
    (one per session row, as select_related builds them) the set `rules_group_ids` caches."""
    rules = [r for r in (rules_of(s) for s in sessions) if r is not None]
    if not rules:
        return
    through = ActivityRules.groups.through
    groups: dict[int, set[int]] = {r.pk: set() for r in rules}
    for rules_id, group_id in through.objects.filter(
        activityrules_id__in=list(groups)
    ).values_list("activityrules_id", "childgroup_id"):
        groups[rules_id].add(group_id)
    for r in rules:
        r._group_ids = groups[r.pk]


def _waiting_room(session: Session) -> bool:
    if session.waiting_closed_at is not None:
        return False
    return session.waiting_limit is None or session.waiting_count < session.waiting_limit


def unit_facts(
    *,
    session: Session,
    child: Child,
    reservation: Reservation | None,
    line: BasketLine | None,
    now: datetime,
) -> tuple[UnitFacts, str | None]:
    """The facts `unit_state` reads for one unit, and why it cannot be booked now (or None)."""
    refusal = unit_booking_refusal(session=session, now=now) or child_refusal(
        child=child, session=session, rules=rules_of(session)
    )
    mine = Mine.NONE
    rank = None
    if reservation is not None:
        mine = MINE_OF_STATUS.get(reservation.status, Mine.NONE)
        rank = reservation.waiting_rank
    basket = Basket(line.action) if line is not None else Basket.NONE
    facts = UnitFacts(
        basket=basket,
        mine=mine,
        rank=rank,
        cancellable=unit_cancel_refusal(session=session, now=now) is None,
        open=refusal is None,
        seats_left=session.seats_left,
        waiting_room=_waiting_room(session),
    )
    return facts, refusal


def child_units(
    *,
    scope: HouseholdScope,
    child: Child,
    activity_ids: list[int] | None,
    first_day: date,
    last_day: date,
    now: datetime,
) -> list[CalendarUnit]:
    """The child's units of these days (every activity when `activity_ids` is None), by day
    then activity: four statements."""
    sessions = list(
        sessions_of_days(activity_ids=activity_ids, first_day=first_day, last_day=last_day)
    )
    if not sessions:
        return []
    _groups_fill(sessions)
    session_ids = [s.pk for s in sessions]
    reservations = {
        r.session_id: r
        for r in scope.live_reservations().filter(
            holder_key=child.holder_key, session_id__in=session_ids
        )
    }
    lines = {
        line.session_id: line
        for line in scope.basket_lines().filter(child_id=child.pk, session_id__in=session_ids)
    }
    units = []
    for session in sessions:
        reservation = reservations.get(session.pk)
        line = lines.get(session.pk)
        facts, refusal = unit_facts(
            session=session, child=child, reservation=reservation, line=line, now=now
        )
        arrival = departure = None
        if line is not None and line.action != "cancel":
            arrival, departure = line.arrival, line.departure
        elif reservation is not None:
            hours = getattr(reservation, "family_hours", None)
            if hours is not None:
                arrival, departure = hours.arrival, hours.departure
        units.append(
            CalendarUnit(
                session=session,
                day=session_day(session),
                look=unit_state(facts),
                reservation=reservation,
                line=line,
                arrival=arrival,
                departure=departure,
                refusal=refusal,
            )
        )
    return units


def month_calendar(
    *, scope: HouseholdScope, child: Child, activity: Activity | None, month: date, now: datetime
) -> MonthCalendar:
    """The month grid of `child` for `activity` (None: "Toutes les activités", one look per
    day from its units). Weeks start on Monday; days of the next and previous months are
    blank."""
    last = month_last_day(month)
    units = child_units(
        scope=scope,
        child=child,
        activity_ids=None if activity is None else [activity.pk],
        first_day=month,
        last_day=last,
        now=now,
    )
    by_day: dict[date, list[CalendarUnit]] = {}
    for unit in units:
        by_day.setdefault(unit.day, []).append(unit)
    weeks = []
    for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        row = []
        for day in week:
            day_units = by_day.get(day, []) if day.month == month.month else []
            look = None
            if day_units:
                looks = [unit.look for unit in day_units]
                look = looks[0] if activity is not None else day_state(looks)
            row.append(
                CalendarDay(day=day, in_month=day.month == month.month, units=day_units, look=look)
            )
        weeks.append(row)
    legend = unit_legend() if activity is not None else day_legend()
    return MonthCalendar(child=child, activity=activity, month=month, weeks=weeks, legend=legend)
