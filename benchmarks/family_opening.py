"""The family portal on the morning a booking period opens (issue 14, "Benchmark").
See docs/benchmarks.md, "Family portal: opening morning".

    flock /work/wt/bench.lock .venv/bin/python benchmarks/family_opening.py \\
        --database-url postgres://postgres@127.0.0.1:5432/guichet_bench_family \\
        --cache-url redis://127.0.0.1:6379/7

It (re)creates the database, migrates, seeds 20 activities × 20 days (24 seats, 10 waiting
places each, acceptance automatic) in one period that opens 30 s after the start, and 2,500
households of 1–3 children whose guardians are signed in while seeding (a session row each, as
after "Se souvenir de moi"). It starts gunicorn as benchmarks/booking_flow.py does (its helpers
are imported: production settings, plus the X-SQL-Queries header of bench_settings).

Parents arrive after the opening following an exponential law of mean 20 s (≈ 40 % in the first
10 s), cut at 120 s (a later draw is drawn again). Each plays the parent's path, each request
waiting for the previous one (with `--think` seconds between clicks, exponential, mean 0 by
default: parents as fast as the server answers): the calendar of the first child and one
activity; the week arrow, a weekday arrow and a day (each a POST redirected to the calendar,
which is loaded again); the recap; "Valider"; the result; "Suivi"; then half of the parents with
a second child: "Copier" the first child's days to it, the recap, "Valider", the result.

Targets (exit 1 on a miss): no server error (5xx, time-out, broken connection); no session over
its seat or waiting limit, and the counters equal to the rows (check_seats); every outcome shown
on a result page equal to the database (accepted ↔ valid, waiting rank N ↔ waiting rank N,
refused ↔ no live row); p99 ≤ 500 ms per page or toggle and ≤ 1.5 s per confirm; each confirm
≤ 10 + 2 × its sessions SQL statements.
"""

import argparse
import asyncio
import random
import re
import sys
import time
import urllib.parse
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.booking_flow import (  # noqa: E402  (after the path: run as a script)
    Addresses,
    CpuMeter,
    HttpError,
    Target,
    load_average,
    percentile,
    server_ready,
)
from benchmarks.portal_clients import (  # noqa: E402
    Answer,
    PathBroken,
    PortalClient,
    Step,
    Timings,
    csrf_token,
    next_step,
    seeded_server,
    server_options,
    signed_in_session,
)

ACTIVITIES = 20
WEEKS = 4  # 4 weeks × 5 weekdays = 20 days
SEATS = 24
WAITING = 10
HOUSEHOLDS = 2500
OPENING_AFTER = 30.0  # seconds after the start
ARRIVAL_MEAN = 20.0
ARRIVAL_CUT = 120.0
PAGE_P99 = 0.5
CONFIRM_P99 = 1.5

KEY_INPUT = re.compile(r'name="submission_key" value="([^"]+)"')
RECAP_ROW = re.compile(r'<tr data-session="(\d+)"')
OUTCOME_ROW = re.compile(
    r'<tr data-child="(\d*)" data-session="(\d*)" data-action="(\w*)" '
    r'data-state="(\w*)" data-rank="(\d*)"'
)
SUBMISSION_PATH = re.compile(r"/famille/envois/(\d+)/$")


@dataclass
class Parent:
    number: int
    session_key: str
    children: list[int]
    arrival: float = 0.0  # seconds after the opening


@dataclass
class Seeded:
    parents: list[Parent]
    activity_ids: list[int]
    month: date
    days: list[date]
    opening: float  # time.time() of the opening


@dataclass
class Stats:
    timings: Timings = field(default_factory=Timings)
    confirm_sql: list[tuple[int, int]] = field(default_factory=list)  # (statements, sessions)
    shown: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    flows: int = 0
    started: int = 0


# --- Seeding (in this process, with the server's settings) --------------------------------------


def _month_for_period(today: date) -> tuple[date, date]:
    """A month at least two weeks away whose first Monday starts 4 full weeks inside it."""
    month = (today.replace(day=1) + timedelta(days=45)).replace(day=1)
    while True:
        monday = month + timedelta(days=(7 - month.weekday()) % 7)
        last = monday + timedelta(days=7 * WEEKS - 3)  # the 4th Friday
        if last.month == month.month:
            return month, monday
        month = (month + timedelta(days=32)).replace(day=1)


def seed(households: int, rng: random.Random) -> Seeded:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from guichet.accounts.models import Profile
    from guichet.core.models import Organisation
    from guichet.families.deadlines import PARIS
    from guichet.families.models import ActivityRules, Child, ChildGroup, Guardian, Household
    from guichet.families.services import period_generate_sessions
    from guichet.families.tests.factories import (
        ActivityRulesFactory,
        BookingPeriodFactory,
    )

    Organisation.objects.update_or_create(
        pk=Organisation.SINGLETON_PK,
        defaults={"name": "Ville d'Exemple", "phone": "+33320000000"},
    )
    today = timezone.now().astimezone(PARIS).date()
    month, monday = _month_for_period(today)
    days = [monday + timedelta(days=7 * w + d) for w in range(WEEKS) for d in range(5)]
    # Opens for real once the households are seeded (below), 30 s after the benchmark starts.
    opening_at = timezone.now() + timedelta(days=1)
    with transaction.atomic():
        rules = [
            ActivityRulesFactory(
                activity__name=f"Activité banc {n + 1:02d}",
                activity__slug=f"activite-banc-{n + 1:02d}",
                waiting_limit=WAITING,
            )
            for n in range(ACTIVITIES)
        ]
        period = BookingPeriodFactory(
            name="Période du banc d'essai",
            first_day=days[0],
            last_day=days[-1],
            weekdays=[0, 1, 2, 3, 4],
            days="all",
            opens_at=opening_at,
            seat_limit=SEATS,
            waiting_limit=WAITING,
            activities=[r.activity for r in rules],
        )
        period_generate_sessions(period=period, now=timezone.now())
    group, _created = ChildGroup.objects.get_or_create(name="Élémentaire")
    password = make_password(None)
    User = get_user_model()
    parents = []
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(
                username=f"banc-parent-{n}",
                first_name="Camille",
                last_name=f"Banc{n}",
                password=password,
            )
            for n in range(households)
        )
        Profile.objects.bulk_create(Profile(user=user) for user in users)
        homes = Household.objects.bulk_create(
            Household(number=f"B{n:05d}", name=f"Famille Banc {n}") for n in range(households)
        )
        Guardian.objects.bulk_create(
            Guardian(household=home, user=user) for home, user in zip(homes, users, strict=True)
        )
        children = []
        for n, home in enumerate(homes):
            for k in range(rng.choice((1, 1, 2, 2, 3))):
                children.append(
                    Child(
                        household=home,
                        first_name=f"Enfant{chr(65 + k)}",
                        last_name=f"Banc{n}",
                        birth_date=date(2017, 1 + k, 10),
                        group=group,
                    )
                )
        Child.objects.bulk_create(children)
    by_home: dict[int, list[int]] = {}
    for child in Child.objects.filter(household__in=homes).order_by("pk"):
        by_home.setdefault(child.household_id, []).append(child.pk)
    for n, (home, user) in enumerate(zip(homes, users, strict=True)):
        parents.append(
            Parent(number=n, session_key=signed_in_session(user), children=by_home[home.pk])
        )
    assert ActivityRules.objects.count() == ACTIVITIES
    opening_at = timezone.now() + timedelta(seconds=OPENING_AFTER)
    period.opens_at = opening_at
    period.save(update_fields=["opens_at"])
    period_generate_sessions(period=period, now=timezone.now())  # idempotent: the new window
    delay = (opening_at - timezone.now()).total_seconds()
    return Seeded(
        parents=parents,
        activity_ids=[r.activity_id for r in rules],
        month=month,
        days=days,
        opening=time.time() + delay,
    )


def database_check(shown: dict[tuple[int, int], tuple[str, str]]) -> list[str]:
    """What differs between the outcomes shown on result pages and the database, and any
    session over its limits."""
    from django.db.models import F

    from guichet.bookings.models import LIVE_STATUSES, Reservation
    from guichet.bookings.services import seats_mismatches, waiting_mismatches
    from guichet.catalogue.models import Channel, Session

    rows = {
        (int(r.holder_key.split(":")[1]), r.session_id): (r.status, r.waiting_rank)
        for r in Reservation.objects.filter(channel=Channel.FAMILY, status__in=LIVE_STATUSES)
    }
    problems = []
    wrong = []
    for key, (state, rank) in shown.items():
        found = rows.get(key)
        if state in ("valid", "pending"):
            ok = found is not None and found[0] == state
        elif state == "waiting":
            ok = found is not None and found[0] == "waiting" and str(found[1]) == rank
        else:  # refused
            ok = found is None
        if not ok:
            wrong.append((key, state, rank, found))
    if wrong:
        problems.append(f"{len(wrong)} outcomes shown differ from the database: {wrong[:5]}")
    if unseen := set(rows) - set(shown):
        problems.append(f"{len(unseen)} live reservations were never shown to a parent")
    family = Session.objects.filter(activity__channel=Channel.FAMILY)
    if over := family.filter(seats_taken__gt=F("seat_limit")).count():
        problems.append(f"{over} sessions over their seat limit")
    if over := family.filter(waiting_count__gt=F("waiting_limit")).count():
        problems.append(f"{over} sessions over their waiting limit")
    if mismatches := seats_mismatches():
        problems.append(f"seat counters differ from the rows: {mismatches[:5]}")
    if mismatches := waiting_mismatches():
        problems.append(f"waiting counters differ from the rows: {mismatches[:5]}")
    return problems


# --- The parent's path --------------------------------------------------------------------------
# One description of the path, played by this benchmark over HTTP and by family_profile.py through
# Django's test client, so that the profile measures exactly the requests the benchmark sends.


def parent_steps(parent: Parent, seeded: Seeded) -> Generator[Step, Answer, None]:
    """The parent's path: yields each request and is sent its answer."""
    rng = random.Random(parent.number)
    child = parent.children[0]
    activity = rng.choice(seeded.activity_ids)
    month = f"{seeded.month:%Y-%m}"
    calendar = f"/famille/reservations/?enfant={child}&activite={activity}&mois={month}"
    yield Step("calendar", calendar)
    base = {"enfant": child, "activite": activity, "mois": month}
    week = seeded.days[5 * rng.randrange(WEEKS)]
    for name, extra in (
        ("week arrow", {"semaine": week.isoformat()}),
        ("weekday arrow", {"jour_semaine": rng.randrange(5)}),
        ("day", {"jour": rng.choice(seeded.days).isoformat()}),
    ):
        yield Step(name, "/famille/reservations/basculer/", base | extra, think=True)
        yield Step("calendar", calendar)
    yield from _confirm_steps()
    yield Step("suivi", f"/famille/suivi/?enfant={child}", think=True)
    if len(parent.children) > 1 and parent.number % 2 == 0:
        second = parent.children[1]
        copy = f"/famille/reservations/copier/?enfant={second}&activite={activity}&mois={month}"
        yield Step("copy", copy, think=True)
        form = {
            "enfant": second,
            "activite": activity,
            "mois": month,
            "source_child": child,
            "source_activity": activity,
            "first_day": seeded.days[0].isoformat(),
            "last_day": seeded.days[-1].isoformat(),
            "weeks_later": 0,
        }
        yield Step("copy submit", "/famille/reservations/copier/", form)
        yield from _confirm_steps()


def _confirm_steps() -> Generator[Step, Answer, None]:
    recap = yield Step("recap", "/famille/panier/", think=True)
    key = KEY_INPUT.search(recap.text)
    if not key:
        raise PathBroken("recap: empty basket")
    answer = yield Step("confirm", "/famille/panier/valider/", {"submission_key": key.group(1)})
    if not SUBMISSION_PATH.search(answer.location):
        raise PathBroken(f"confirm: no result page ({answer.location or 'no redirection'})")
    yield Step("result", urllib.parse.urlsplit(answer.location).path)


async def _think(rng: random.Random, mean: float) -> None:
    if mean > 0:
        await asyncio.sleep(rng.expovariate(1 / mean))


async def parent_path(
    target: Target, source: str, parent: Parent, seeded: Seeded, stats: Stats, think: float
) -> None:
    rng = random.Random(parent.number)
    client = PortalClient(target, source, parent.session_key, stats.timings)
    stats.started += 1
    steps, answer, page = parent_steps(parent, seeded), None, None
    try:
        while step := next_step(steps, answer):
            if step.think:
                await _think(rng, think)
            if step.form is None:
                response = await client.get(step.name, step.path)
            else:
                form = {"csrfmiddlewaretoken": csrf_token(page), **step.form}
                response = await client.post(step.name, step.path, form, step.statuses)
            if step.name == "confirm":
                sessions = len(set(RECAP_ROW.findall(page.text)))  # page: the recap
                stats.confirm_sql.append((response.sql or 0, sessions))
            elif step.name == "result":
                for child, session, action, state, rank in OUTCOME_ROW.findall(response.text):
                    if action == "book" and child and session:
                        stats.shown[(int(child), int(session))] = (state, rank)
            page, answer = response, Answer(response.text, response.headers.get("location", ""))
        stats.flows += 1
    except (HttpError, PathBroken, OSError) as exc:
        stats.timings.errors[str(exc) or type(exc).__name__] += 1
    finally:
        client.close()


def arrivals(count: int, rng: random.Random) -> list[float]:
    times = []
    while len(times) < count:
        value = rng.expovariate(1 / ARRIVAL_MEAN)
        if value < ARRIVAL_CUT:
            times.append(value)
    return sorted(times)


async def opening(args, target: Target, seeded: Seeded) -> Stats:
    stats = Stats()
    addresses = Addresses()
    rng = random.Random(7)
    for parent, at in zip(seeded.parents, arrivals(len(seeded.parents), rng), strict=True):
        parent.arrival = at
    wait = seeded.opening - time.time()
    print(f"opening in {wait:.1f} s", flush=True)
    if wait > 0:
        await asyncio.sleep(wait)
    started = time.perf_counter()
    meter = CpuMeter(args.server_pid)
    await meter.start()

    async def arrive(parent: Parent) -> None:
        await asyncio.sleep(max(0.0, parent.arrival - (time.perf_counter() - started)))
        await parent_path(target, addresses.next(), parent, seeded, stats, args.think)

    await asyncio.gather(*(arrive(parent) for parent in seeded.parents))
    print(f"last parent done {time.perf_counter() - started:.1f} s after the opening")
    # Per parent who started, finished or not: what the server spent on the crowd.
    print(CpuMeter.text(await meter.used(), stats.started, "parent (all their requests)"))
    return stats


def report(stats: Stats) -> list[str]:
    failures = []
    print(f"\nParents: {stats.started} arrived, {stats.flows} finished their path")
    timings = stats.timings
    timings.print_steps()
    if timings.errors:
        failures.append("server errors or broken paths")
    for step, values in timings.seconds.items():
        most = CONFIRM_P99 if step == "confirm" else PAGE_P99
        if percentile(values, 99) > most:
            failures.append(f"{step}: p99 over {most * 1000:.0f} ms")
    over = [(sql, n) for sql, n in stats.confirm_sql if sql > 10 + 2 * n]
    if stats.confirm_sql:
        worst = max(sql - 2 * n for sql, n in stats.confirm_sql)
        print(
            f"  SQL/confirm   max {max(sql for sql, _n in stats.confirm_sql)} statements, "
            f"worst margin: {worst} ≤ 10 + 2 × sessions ({len(over)} over)"
        )
    if over:
        failures.append(f"{len(over)} confirms over 10 + 2 × sessions SQL statements")
    return failures


async def run(args, seeded: Seeded) -> int:
    target = Target("127.0.0.1", args.port)
    await server_ready(target, 60)
    stats = await opening(args, target, seeded)
    failures = report(stats)
    problems = await asyncio.to_thread(database_check, stats.shown)
    print(
        f"\nDatabase: {len(stats.shown)} outcomes shown to parents: "
        + ("; ".join(problems) if problems else "exactly those in the database, within limits")
    )
    failures += problems
    load_average("after")
    print("\n" + ("Targets met." if not failures else "Targets missed: " + "; ".join(failures)))
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    server_options(parser, database="guichet_bench_family", cache_db=7)
    parser.add_argument("--households", type=int, default=HOUSEHOLDS)
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean seconds between a parent's clicks"
    )
    args = parser.parse_args()
    load_average("before")

    def seeded_households() -> Seeded:
        seeded = seed(args.households, random.Random(14))
        print(
            f"seeded {len(seeded.parents)} households, {sum(len(p.children) for p in seeded.parents)}"
            f" children, {ACTIVITIES} activities × {len(seeded.days)} days",
            flush=True,
        )
        if seeded.opening - time.time() < 5:
            raise SystemExit("seeding took longer than the 30 s before the opening")
        return seeded

    with seeded_server(parser, args, seeded_households, rate_limit="") as seeded:
        return asyncio.run(run(args, seeded))


if __name__ == "__main__":
    sys.exit(main())
