"""The family portal's demo: the four activities of the seeds ("APS MATIN", "RESTAURATION",
"ALSH 3-6 ans Journée", "ALSH 6-12 Matin") with their rules, two periods from today (weekday
mornings and lunches; the centres' days), invented households with and without e-mail, and
bookings so that every colour of the calendar shows: booked, pending, waiting, full with a list,
full list included, closed, past the cancellation deadline.

`demo-parent-1` (password DEMO_PASSWORD) is the Martin household (Lina, 5, and Noah, 8);
`demo-parent-2` has no e-mail address (its "Lettre d'activation" is printed from the
back-office); the others fill the seats. Found again by natural keys: loading twice on the same
day adds nothing; on another day the periods move to start today and "Générer les séances"
follows them."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from guichet.accounts.models import Profile
from guichet.bookings.models import LIVE_STATUSES, Reservation
from guichet.bookings.services import session_save
from guichet.catalogue.models import Activity, Channel, Location
from guichet.catalogue.services import activity_save
from guichet.demo.common import account_load, assign
from guichet.families.deadlines import PARIS
from guichet.families.models import (
    Acceptance,
    ActivityRules,
    BookingPeriod,
    Child,
    ChildGroup,
    Guardian,
    Household,
    PeriodDays,
    SessionDay,
)
from guichet.families.services import (
    basket_toggle_days,
    basket_validate,
    period_generate_sessions,
    staff_book,
)

SCHOOL = {
    "name": "Groupe scolaire des Tilleuls (démo)",
    "address": "4 rue des Tilleuls\n59200 Tourcoing",
    "description": "<p>L'accueil périscolaire, la restauration et les centres de loisirs.</p>",
    "latitude": "50.724000",
    "longitude": "3.161000",
}
GROUPS = ("Maternelle", "Élémentaire")


@dataclass(frozen=True)
class DemoRules:
    name: str
    starts_at: time
    ends_at: time
    acceptance: str = Acceptance.AUTOMATIC
    age_min: int | None = None
    age_max: int | None = None
    groups: tuple[str, ...] = ()
    arrival: tuple[time, time] | None = None
    departure: tuple[time, time] | None = None
    waiting_limit: int | None = 10


APS = DemoRules("APS MATIN", time(7, 30), time(8, 30), arrival=(time(7, 30), time(8, 15)))
LUNCH = DemoRules("RESTAURATION", time(11, 30), time(13, 30), waiting_limit=5)
ALSH_SMALL = DemoRules(
    "ALSH 3-6 ans Journée",
    time(8, 30),
    time(17, 30),
    acceptance=Acceptance.STAFF,
    age_min=3,
    age_max=6,
    groups=("Maternelle",),
    arrival=(time(8, 0), time(9, 30)),
    departure=(time(16, 30), time(18, 0)),
)
ALSH_BIG = DemoRules(
    "ALSH 6-12 Matin", time(8, 30), time(12, 0), age_min=6, age_max=12, groups=("Élémentaire",)
)
RULES = (APS, LUNCH, ALSH_SMALL, ALSH_BIG)


@dataclass(frozen=True)
class DemoHousehold:
    number: str
    name: str
    username: str
    email: bool
    children: tuple[tuple[str, int, str], ...]  # first name, age, group


HOUSEHOLDS = (
    DemoHousehold(
        "D0001",
        "Martin",
        "demo-parent-1",
        True,
        (("Lina", 5, "Maternelle"), ("Noah", 8, "Élémentaire")),
    ),
    DemoHousehold("D0002", "Bernard", "demo-parent-2", False, (("Jade", 7, "Élémentaire"),)),
    DemoHousehold("D0003", "Petit", "demo-parent-3", True, (("Malo", 9, "Élémentaire"),)),
    DemoHousehold("D0004", "Durand", "demo-parent-4", True, (("Rose", 4, "Maternelle"),)),
    DemoHousehold("D0005", "Moreau", "demo-parent-5", True, (("Sacha", 10, "Élémentaire"),)),
)


def _activity_load(spec: DemoRules, location: Location, groups: dict) -> Activity:
    activity = Activity.objects.filter(name=spec.name, channel=Channel.FAMILY).first()
    if activity is None:
        activity = activity_save(
            activity=Activity(
                name=spec.name,
                channel=Channel.FAMILY,
                location=location,
                description=f"<p>{spec.name}</p>",
            )
        )
    rules = ActivityRules.objects.filter(activity=activity).first() or ActivityRules(
        activity=activity
    )
    changed = assign(
        rules,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        acceptance=spec.acceptance,
        age_min=spec.age_min,
        age_max=spec.age_max,
        arrival_from=spec.arrival[0] if spec.arrival else None,
        arrival_until=spec.arrival[1] if spec.arrival else None,
        departure_from=spec.departure[0] if spec.departure else None,
        departure_until=spec.departure[1] if spec.departure else None,
        waiting_limit=spec.waiting_limit,
    )
    if changed or rules.pk is None:
        rules.full_clean()
        rules.save()
    rules.groups.set([groups[name] for name in spec.groups])
    return activity


def _household_load(spec: DemoHousehold, password: str, groups: dict, today: date):
    household = Household.objects.filter(number=spec.number).first() or Household(
        number=spec.number
    )
    if assign(
        household, name=f"Famille {spec.name} (démo)", address="4 rue des Exemples\n59200 Tourcoing"
    ):
        household.full_clean()
        household.save()
    user = account_load(
        spec.username, password=password, staff=False, first_name="Alex", last_name=spec.name
    )
    email = user.email if spec.email else ""
    if user.email != email:
        user.email = email
        user.save(update_fields=["email"])
    Profile.objects.update_or_create(user=user, defaults={"email": email})
    guardian, _created = Guardian.objects.get_or_create(
        user=user, defaults={"household": household}
    )
    children = []
    for first_name, age, group in spec.children:
        child = Child.objects.filter(household=household, first_name=first_name).first() or Child(
            household=household, first_name=first_name
        )
        # `age` years old today and for the six weeks of the periods.
        birth = (
            date(today.year - age, 1, 1) if today.month >= 6 else date(today.year - age - 1, 7, 1)
        )
        if assign(child, last_name=spec.name, birth_date=birth, group_id=groups[group].pk):
            child.full_clean()
            child.save()
        children.append(child)
    return guardian, children


def _period_load(name: str, activities, *, first: date, last: date, weekdays, seats: int):
    """The period, from today; once made, kept until it is over (then it starts today again),
    so that loading again within its six weeks changes nothing."""
    period = BookingPeriod.objects.filter(name=name).first() or BookingPeriod(name=name)
    if period.pk is not None and period.last_day >= first:
        period.activities.set(activities)
        return period
    opens = datetime.combine(first - timedelta(days=21), time(8, 0), tzinfo=PARIS)
    if assign(
        period,
        first_day=first,
        last_day=last,
        weekdays=list(weekdays),
        days=PeriodDays.ALL,
        opens_at=opens,
        seat_limit=seats,
    ):
        period.full_clean()
        period.save()
    period.activities.set(activities)
    return period


def _session(activity: Activity, day: date):
    row = SessionDay.objects.filter(activity=activity, day=day).select_related("session").first()
    return row.session if row is not None else None


def _days(period: BookingPeriod, activity: Activity) -> list:
    return [
        row.session
        for row in SessionDay.objects.filter(
            period=period, activity=activity, removed_at__isnull=True
        )
        .select_related("session__activity")
        .order_by("day")
    ]


def _booked(child: Child, session) -> bool:
    return Reservation.objects.filter(
        holder_key=child.holder_key, session=session, status__in=LIVE_STATUSES
    ).exists()


def _staff_book(child, session, *, staff, now) -> None:
    if session is not None and not _booked(child, session):
        staff_book(child=child, sessions=[session], staff_user=staff, reason="Démo", now=now)


def _limit(session, *, seats: int, waiting: int | None) -> None:
    """A smaller session (never below what it holds)."""
    session.refresh_from_db()
    seats = max(seats, session.seats_taken)
    waiting = None if waiting is None else max(waiting, session.waiting_count)
    if assign(session, seat_limit=seats, waiting_limit=waiting):
        session_save(session=session)


def families_demo_load(*, password: str, staff) -> None:
    today = timezone.localdate()
    now = timezone.now()
    location = Location.objects.filter(name=SCHOOL["name"]).first() or Location()
    if assign(location, **SCHOOL):
        location.full_clean()
        location.save()
    groups = {}
    for position, name in enumerate(GROUPS):
        groups[name], _created = ChildGroup.objects.get_or_create(
            name=name, defaults={"position": position}
        )
    aps, lunch, small, big = (_activity_load(spec, location, groups) for spec in RULES)
    families = [_household_load(spec, password, groups, today) for spec in HOUSEHOLDS]
    school = _period_load(
        "Accueil périscolaire (démo)",
        [aps, lunch],
        first=today,
        last=today + timedelta(days=41),
        weekdays=(0, 1, 3, 4),
        seats=12,
    )
    centres = _period_load(
        "Centres de loisirs (démo)",
        [small, big],
        first=today,
        last=today + timedelta(days=41),
        weekdays=(2,),
        seats=8,
    )
    for period in (school, centres):
        period_generate_sessions(period=period, now=now)
    (martin, (lina, noah)), _bernard, (_p3, (malo,)), (_p4, (rose,)), (_p5, (sacha,)) = families
    mornings, lunches = _days(school, aps), _days(school, lunch)
    # Booked, the first ones past their cancellation deadline (padlocked).
    for session in mornings[:6]:
        _staff_book(noah, session, staff=staff, now=now)
    for session in lunches[:3]:
        _staff_book(lina, session, staff=staff, now=now)
    if len(mornings) > 8:
        # Full, with room on the list: Noah waits (violet, rank 1); Lina sees it yellow.
        full = mornings[7]
        for child in (malo, sacha):
            _staff_book(child, full, staff=staff, now=now)
        _limit(full, seats=2, waiting=3)
        _staff_book(noah, full, staff=staff, now=now)
        # Full, list included (red).
        closed = mornings[8]
        _staff_book(malo, closed, staff=staff, now=now)
        _limit(closed, seats=1, waiting=1)
        _staff_book(sacha, closed, staff=staff, now=now)
    centre_days = _days(centres, small)
    if len(centre_days) > 2:
        # A request waiting for staff ("En attente de traitement", hourglass): the parent's own.
        day = centre_days[2]
        if not _booked(lina, day):
            basket_toggle_days(guardian=martin, child=lina, sessions=[day], now=now)
            basket_validate(guardian=martin, now=now, submission_key=f"demo-{lina.pk}-{day.pk}")
        _staff_book(rose, day, staff=staff, now=now)
