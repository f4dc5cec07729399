"""The calendar's reads ("Réservations"): the units (activity-days) of one child over some days,
each with its look (guichet.families.states), and the month grid built from them.

Everything goes through the household's scope (`HouseholdScope`) and fam-core's selectors
(`sessions_of_days`, `child_refusal`, `unit_booking_refusal`, `unit_cancel_refusal`): the rules
the page shows are the ones the basket services enforce. A month costs a fixed number of
statements whatever the number of activities (the sessions with their activity and rules, the
rules' groups, the child's reservations, the basket's lines): `test_calendar_queries`.
"""

import calendar as pycalendar
import threading
import time as time_module
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.catalogue.models import Activity, Session
from guichet.core import dates
from guichet.families.deadlines import PARIS
from guichet.families.models import ActivityRules, BasketLine, Child
from guichet.families.selectors import (
    HouseholdScope,
    child_refusal,
    rules_group_ids_read,
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
    def hours_text(self) -> str:
        """ "7 h 45 – 17 h" when hours are chosen (one end may be the default)."""
        if self.arrival is None and self.departure is None:
            return ""
        return f"{hour_text(self.arrival)} – {hour_text(self.departure)}"

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
    def title(self) -> str:
        return month_title(self.month)

    @property
    def days(self) -> list[CalendarDay]:
        return [day for week in self.weeks for day in week if day.in_month]


def hour_text(value: time | None) -> str:
    """A time of day the French way ("7 h 45"), through core's date module; "" for None."""
    if value is None:
        return ""
    return dates.hour(datetime.combine(date(2000, 1, 3), value, tzinfo=PARIS))


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


def month_title(month: date) -> str:
    """ "Décembre 2026"."""
    return f"{dates.MONTHS[month.month - 1]} {month.year}".capitalize()


def month_last_day(month: date) -> date:
    return month.replace(day=pycalendar.monthrange(month.year, month.month)[1])


def _groups_fill(sessions: list[Session]) -> None:
    """The groups of every activity's rules (one instance per session row, as select_related
    builds them), in one statement."""
    rules_group_ids_read([r for r in (rules_of(s) for s in sessions) if r is not None])


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


# The sessions of some days with their activity, rules and groups are the same for every
# parent: the calendar and its toggles share them within a process for a few seconds.
SHARED_SECONDS_MAX = 5
SHARED_ENTRIES_MAX = 512
_shared: dict[tuple, tuple[float, list[Session]]] = {}
_shared_lock = threading.Lock()


def shared_sessions_seconds() -> int:
    """settings.PUBLIC_PAGE_CACHE_SECONDS, at most 5 s, as the public pages' seat counts."""
    return max(0, min(settings.PUBLIC_PAGE_CACHE_SECONDS, SHARED_SECONDS_MAX))


def days_sessions(
    *, activity_ids: list[int] | None, first_day: date, last_day: date, shared: bool = False
) -> list[Session]:
    """`sessions_of_days` with the rules' groups read (two statements). `shared`: the list
    another request of this process read at most `shared_sessions_seconds()` ago, when there is
    one (no statement): its seat and waiting counts may be that old, so only pages read it; the
    services decide on the rows they lock. Its instances are shared between threads: read only."""
    seconds = shared_sessions_seconds() if shared else 0
    key = (None if activity_ids is None else tuple(activity_ids), first_day, last_day)
    if seconds:
        found = _shared.get(key)
        if found is not None and found[0] > time_module.monotonic():
            return found[1]
    sessions = list(
        sessions_of_days(activity_ids=activity_ids, first_day=first_day, last_day=last_day)
    )
    _groups_fill(sessions)
    if seconds:
        with _shared_lock:
            if len(_shared) >= SHARED_ENTRIES_MAX:
                _shared.clear()
            _shared[key] = (time_module.monotonic() + seconds, sessions)
    return sessions


def child_units(
    *,
    scope: HouseholdScope,
    child: Child,
    activity_ids: list[int] | None,
    first_day: date,
    last_day: date,
    now: datetime,
    shared: bool = False,
) -> list[CalendarUnit]:
    """The child's units of these days (every activity when `activity_ids` is None), by day
    then activity: four statements (two with `shared` sessions, see `days_sessions`)."""
    sessions = days_sessions(
        activity_ids=activity_ids, first_day=first_day, last_day=last_day, shared=shared
    )
    if not sessions:
        return []
    reservations, lines = scope.child_units_rows(child, {s.pk: s for s in sessions})
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


@dataclass
class StaffUnit:
    """A row of staff's "Réserver pour une famille": the child's unit, and which of the
    family's deadlines have passed (staff may still act then, giving a reason)."""

    unit: CalendarUnit
    booking_late: bool
    cancel_late: bool


def staff_child_units(
    *, scope: HouseholdScope, child: Child, month: date, now: datetime
) -> list[StaffUnit]:
    """The child's units of `month` staff may act on, by day then activity: those the child may
    attend (active, age, group) on a session not cancelled, and those it holds."""
    rows = []
    for unit in child_units(
        scope=scope,
        child=child,
        activity_ids=None,
        first_day=month,
        last_day=month_last_day(month),
        now=now,
    ):
        session = unit.session
        held = unit.reservation is not None
        if not held and (
            session.is_cancelled or child_refusal(child=child, session=session, rules=unit.rules)
        ):
            continue
        rows.append(
            StaffUnit(
                unit=unit,
                booking_late=unit_booking_refusal(session=session, now=now) is not None,
                cancel_late=unit_cancel_refusal(session=session, now=now) is not None,
            )
        )
    return rows


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
        shared=True,
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


# --- "Suivi", the result of "Valider", "Compte rendu" ---------------------------------------------


@dataclass
class FollowRow:
    reservation: Reservation
    child: Child
    day: date
    arrival: time | None
    departure: time | None
    state: str
    cancellable: bool
    in_basket: bool
    live: bool


def _status_text(reservation: Reservation) -> str:
    if reservation.status == ReservationStatus.WAITING:
        return _("En liste d'attente (rang %(rank)s)") % {"rank": reservation.waiting_rank}
    if reservation.status in (ReservationStatus.VALID, ReservationStatus.ARCHIVED):
        return str(_("Réservé"))
    return str(reservation.get_status_display())


def follow_rows(
    *,
    scope: HouseholdScope,
    children: list[Child],
    child: Child | None,
    activity: Activity | None,
    month: date | None,
    statuses: tuple[str, ...] | None,
    now: datetime,
) -> list[FollowRow]:
    """ "Suivi": the household's reservations (every state), by date, child and activity; two
    statements (the reservations with their session and hours, the basket's cancellations).
    `children`: the household's, read by the page already."""
    holders = {c.holder_key: c for c in children}
    rows = scope.reservations(children)
    if child is not None:
        rows = rows.filter(holder_key=child.holder_key)
    if activity is not None:
        rows = rows.filter(session__activity_id=activity.pk)
    if month is not None:
        rows = rows.filter(
            session__family_day__day__gte=month, session__family_day__day__lte=month_last_day(month)
        )
    if statuses:
        rows = rows.filter(status__in=statuses)
    rows = rows.order_by("session__start", "holder_key", "session__activity__name", "pk")
    cancelling = set(
        scope.basket_lines().filter(action="cancel").values_list("child_id", "session_id")
    )
    found = []
    for reservation in rows:
        holder = holders.get(reservation.holder_key)
        if holder is None:
            continue
        hours = getattr(reservation, "family_hours", None)
        live = reservation.status in (
            ReservationStatus.VALID,
            ReservationStatus.PENDING,
            ReservationStatus.WAITING,
        )
        found.append(
            FollowRow(
                reservation=reservation,
                child=holder,
                day=session_day(reservation.session),
                arrival=hours.arrival if hours else None,
                departure=hours.departure if hours else None,
                state=_status_text(reservation),
                cancellable=live
                and unit_cancel_refusal(session=reservation.session, now=now) is None,
                in_basket=(holder.pk, reservation.session_id) in cancelling,
                live=live or reservation.status == ReservationStatus.ARCHIVED,
            )
        )
    return found


@dataclass
class OutcomeRow:
    """One line of a "Valider"'s result, from the outcome fam-core's service stored."""

    child_id: int | None
    child: str
    session_id: int | None
    activity: str
    day: date | None
    action: str
    arrival: time | None
    departure: time | None
    state: str
    rank: int | None
    status: str


def _stored_time(value) -> time | None:
    try:
        return time.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def submission_rows(*, submission) -> list[OutcomeRow]:
    """The lines of one "Valider" (its stored outcomes), as the result page shows them."""
    rows = []
    for outcome in submission.outcomes or []:
        day = outcome.get("day")
        try:
            day = date.fromisoformat(day) if isinstance(day, str) else None
        except ValueError:
            day = None
        rank = outcome.get("rank")
        rows.append(
            OutcomeRow(
                child_id=outcome.get("child_id"),
                child=str(outcome.get("child", "")),
                session_id=outcome.get("session_id"),
                activity=str(outcome.get("activity", "")),
                day=day,
                action=str(outcome.get("action", "")),
                arrival=_stored_time(outcome.get("arrival")),
                departure=_stored_time(outcome.get("departure")),
                state=str(outcome.get("state", "")),
                rank=rank if isinstance(rank, int) else None,
                status=str(outcome.get("status", "")),
            )
        )
    return rows


def report_days(*, scope: HouseholdScope, now: datetime) -> list:
    """ "Compte rendu": the household's daily reports of the last 30 days, newest first, built
    by fam-core's digest module from the logged movements (the same report the mail carries)."""
    from guichet.families.digest import digest_build, digest_html

    by_day: dict[date, list] = {}
    for change in scope.changes(now=now).order_by("at", "pk"):
        by_day.setdefault(change.at.astimezone(PARIS).date(), []).append(change)
    reports = []
    for day in sorted(by_day, reverse=True):
        digest = digest_build(day=day, changes=by_day[day])
        reports.append({"day": day, "digest": digest, "html": digest_html(digest)})
    return reports
