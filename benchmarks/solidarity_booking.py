"""Solidarity ticketing's bookings under load (issue 13, "Benchmark"): the opening rush on
twenty small sessions, and the steady flow of bookings with their PDF. See docs/benchmarks.md.

    flock /work/wt/bench.lock .venv/bin/python benchmarks/solidarity_booking.py --rush \\
        --database-url postgres://postgres@127.0.0.1:5432/guichet_bench_solbooking \\
        --cache-url redis://127.0.0.1:6379/5
    flock /work/wt/bench.lock .venv/bin/python benchmarks/solidarity_booking.py --flow …

Each run (re)creates the database (its name must contain "bench"), migrates, seeds, signs the
référents in while seeding (a session row each) and starts gunicorn as benchmarks/booking_flow.py
does (production settings, DEBUG off, Redis cache, 2 gthread workers of 4 threads, the
X-SQL-Queries header of bench_settings).

--rush: 20 sessions of 15 invitations, all in one ISO week, open 10 s after the clients start;
300 référents of 60 structures (10 participants each) reload their session's event sheet every
2 s until then, and at the opening each loads the booking page, books 1–4 participants of its
structure ("Enregistrer"), loads the result page and "Mes réservations". Targets: exactly 300
seated; waiting ranks 1…n per session; no one over the weekly quota; every result page equal to
the database; no server error; p99 ≤ 1 s for "Enregistrer", ≤ 300 ms for the other pages;
≤ 25 SQL statements per booking.

--flow: 50 sessions of 1,000,000 seats over 25 weeks, 200 structures × 300 participants; 16
référents loop for 20 s over the event list, an event's sheet, the booking page, "Enregistrer"
for 3 people of their structure not booked yet that week, the result page and the booking's PDF;
meanwhile one more référent prints a booking of 4 invitations every 0.25 s. Targets: ≥ 30 flows
per second, p99 ≤ 300 ms per request, the PDF of 4 invitations p95 ≤ 80 ms, every booking of 3
seated in the database, no server error, ≤ 25 SQL statements per booking.
"""

import argparse
import asyncio
import html
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.booking_flow import (  # noqa: E402  (after the path: run as a script)
    Addresses,
    CpuMeter,
    HttpError,
    Target,
    load_average,
    milliseconds,
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
from benchmarks.solidarity_pages import (  # noqa: E402
    events_seed,
    places_seed,
    referents_seed,
    structures_seed,
)

# --rush
RUSH_SESSIONS = 20
RUSH_SEATS = 15
RUSH_REFERENTS = 300
RUSH_STRUCTURES = 60
RUSH_PEOPLE = 10  # participants per structure: some are booked on several sessions of the week
OPENING_AFTER = 10.0  # seconds after the clients start
RELOAD_EVERY = 2.0
BOOKING_P99 = 1.0
# --flow
FLOW_SESSIONS = 50
FLOW_WEEKS = 25
FLOW_SEATS = 1_000_000
FLOW_STRUCTURES = 200
FLOW_PEOPLE = 300
FLOW_REFERENTS = 16
FLOW_PEOPLE_PER_BOOKING = 3
PRINTED_INVITATIONS = 4
PRINT_EVERY = 0.25
FLOWS_PER_SECOND = 30
PDF_P95 = 0.080
# both
PAGE_P99 = 0.300
MAX_BOOKING_STATEMENTS = 25

EVENT_LINK = re.compile(r'href="/solidaire/billetterie/(\d+)/"')
BOOK_LINK = re.compile(r'href="/solidaire/seances/(\d+)/reserver/"')
SUBMISSION_INPUT = re.compile(r'name="submission" value="([^"]+)"')
# Where "Enregistrer" leads: the booking's result page (`?resultat=1`, which starts the download).
BOOKING_PATH = re.compile(r"/solidaire/reservations/(\d+)/(?:\?resultat=1)?$")
RESULT_ROW = re.compile(r'<th scope="row">([^<]*)</th>\s*<td>[^<]*</td>\s*<td>([^<]*)')


@dataclass
class Referent:
    session_key: str
    structure_id: int
    people: list[int]  # the structure's participants, in pk order


@dataclass
class Seeded:
    referents: list[Referent]
    session_ids: list[int]
    event_of: dict[int, int]  # session id: event id
    week_of: dict[int, int] = field(default_factory=dict)  # session id: week number (flow)
    printed: tuple[str, int] | None = None  # (session key, booking id) of the booking of 4


# --- Seeding (in this process, with the server's settings) --------------------------------------


def _monday_in(weeks: int, now: datetime) -> datetime:
    """Monday 10:00 (Paris) `weeks` weeks after this week's."""
    from django.utils import timezone

    local = timezone.localtime(now)
    monday = local.date() - timedelta(days=local.weekday()) + timedelta(weeks=weeks)
    return datetime(monday.year, monday.month, monday.day, 10, tzinfo=local.tzinfo)


def _sessions_create(events: list, starts: list[datetime], seats: int, opens_at: datetime) -> list:
    from guichet.catalogue.models import Session
    from guichet.solidarity.policy import session_defaults

    sessions = []
    for event, start in zip(events, starts, strict=True):
        session = Session(
            activity=event, start=start, end=start + timedelta(minutes=90), seat_limit=seats
        )
        # The window a new session gets (bulk_create calls no save()), opening at `opens_at`.
        for name, value in (session_defaults(session) | {"opens_at": opens_at}).items():
            setattr(session, name, value)
        sessions.append(session)
    return Session.objects.bulk_create(sessions)


def _referents(structures: list, count: int) -> list[Referent]:
    from guichet.solidarity.models import Beneficiary

    people: dict[int, list[int]] = {}
    for pk, structure_id in Beneficiary.objects.order_by("pk").values_list("pk", "structure_id"):
        people.setdefault(structure_id, []).append(pk)
    users = referents_seed(structures, count)
    return [
        Referent(
            session_key=signed_in_session(user),
            structure_id=structures[n % len(structures)].pk,
            people=people[structures[n % len(structures)].pk],
        )
        for n, user in enumerate(users)
    ]


def rush_seed() -> Seeded:
    from django.db import transaction
    from django.utils import timezone

    now = timezone.now()
    monday = _monday_in(2, now)  # its sessions close ≥ 5 days away: the quota applies
    with transaction.atomic():
        places = places_seed()
        events = events_seed(places, RUSH_SESSIONS, now)
        starts = [monday + timedelta(days=n % 7, hours=n // 7) for n in range(RUSH_SESSIONS)]
        sessions = _sessions_create(events, starts, RUSH_SEATS, now + timedelta(days=1))
        structures = structures_seed(places, RUSH_STRUCTURES, RUSH_PEOPLE)
    return Seeded(
        referents=_referents(structures, RUSH_REFERENTS),
        session_ids=[s.pk for s in sessions],
        event_of={s.pk: s.activity_id for s in sessions},
    )


def opening_set(session_ids: list[int]) -> float:
    """The sessions open OPENING_AFTER from now (the server is up): time.time() of it."""
    from django.utils import timezone

    from guichet.catalogue.models import Session

    opening_at = timezone.now() + timedelta(seconds=OPENING_AFTER)
    Session.objects.filter(pk__in=session_ids).update(opens_at=opening_at)
    return time.time() + (opening_at - timezone.now()).total_seconds()


def flow_seed() -> Seeded:
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from guichet.solidarity.models import Structure
    from guichet.solidarity.services import booking_create

    now = timezone.now()
    first = _monday_in(2, now)
    with transaction.atomic():
        places = places_seed()
        events = events_seed(places, FLOW_SESSIONS, now)
        weeks = [n * FLOW_WEEKS // FLOW_SESSIONS for n in range(FLOW_SESSIONS)]
        starts = [first + timedelta(weeks=w, days=n % 5) for n, w in enumerate(weeks)]
        sessions = _sessions_create(events, starts, FLOW_SEATS, now - timedelta(days=1))
        structures = structures_seed(places, FLOW_STRUCTURES, FLOW_PEOPLE)
    referents = _referents(structures, FLOW_REFERENTS + 1)
    printer = referents.pop()  # its structure is no flow client's: its people stay its own
    booking = booking_create(
        structure=Structure.objects.get(pk=printer.structure_id),
        author=User.objects.get(username=f"referent-{FLOW_REFERENTS}"),
        session=sessions[0],
        lines=printer.people[:PRINTED_INVITATIONS],
        submission_key=None,
    )
    return Seeded(
        referents=referents,
        session_ids=[s.pk for s in sessions],
        event_of={s.pk: s.activity_id for s in sessions},
        week_of={s.pk: w for s, w in zip(sessions, weeks, strict=True)},
        printed=(printer.session_key, booking.group.pk),
    )


# --- What the database holds ----------------------------------------------------------------


def shown_text(reservation) -> str:
    """A row of the result page as the client reads it: name, then the "Etat"."""
    from guichet.solidarity.selectors import invitation_state_text

    name = f"{reservation.last_name.upper()} {reservation.first_name}"
    return f"{name} | {invitation_state_text(reservation)}"


def answers_check(shown: dict[int, list[str]], seeded_booking: int | None = None) -> list[str]:
    """Result pages against the database, and no booking that no client saw (but the one made
    while seeding)."""
    from guichet.bookings.models import Reservation
    from guichet.catalogue.models import Channel

    rows: dict[int, list[str]] = {}
    for reservation in Reservation.objects.filter(channel=Channel.SOLIDARITY).order_by("pk"):
        rows.setdefault(reservation.group_id, []).append(shown_text(reservation))
    problems = []
    wrong = [pk for pk, lines in shown.items() if sorted(lines) != sorted(rows.get(pk, []))]
    if wrong:
        problems.append(
            f"{len(wrong)} result pages differ from the database, e.g. booking {wrong[0]}: "
            f"shown {shown[wrong[0]]}, stored {rows.get(wrong[0])}"
        )
    if unseen := set(rows) - set(shown) - {seeded_booking}:
        problems.append(f"{len(unseen)} bookings in the database never reached a client")
    return problems


def rush_check(session_ids: list[int]) -> tuple[list[str], str]:
    """Exactly the seats seated, ranks 1…n per session, the quota held, counters right."""
    from django.db.models import Count, Sum

    from guichet.bookings.models import SEAT_HOLDING_STATUSES, Reservation, ReservationStatus
    from guichet.bookings.services import seats_mismatches, waiting_mismatches
    from guichet.catalogue.models import Session
    from guichet.solidarity.selectors import solidarity_settings_get

    lines = Reservation.objects.filter(session_id__in=session_ids)
    seated = lines.filter(status__in=SEAT_HOLDING_STATUSES)
    problems = []
    expected = RUSH_SESSIONS * RUSH_SEATS
    if seated.count() != expected:
        problems.append(f"{seated.count()} seated (≠ {expected})")
    taken = Session.objects.filter(pk__in=session_ids).aggregate(n=Sum("seats_taken"))["n"]
    if taken != expected:
        problems.append(f"seat counters add up to {taken} (≠ {expected})")
    ranks: dict[int, list[int]] = {}
    for session_id, rank in lines.filter(status=ReservationStatus.WAITING).values_list(
        "session_id", "waiting_rank"
    ):
        ranks.setdefault(session_id, []).append(rank)
    gaps = [pk for pk, values in ranks.items() if sorted(values) != list(range(1, len(values) + 1))]
    if gaps:
        problems.append(f"{len(gaps)} sessions whose waiting ranks are not 1…n")
    quota = solidarity_settings_get().weekly_quota
    held = (
        seated.values("invitation__beneficiary_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("n", flat=True)
    )
    most = held[0] if held else 0
    if most > quota:
        problems.append(f"someone holds {most} invitations in the week (quota {quota})")
    if mismatches := seats_mismatches():
        problems.append(f"seat counters differ from the rows: {mismatches[:5]}")
    if mismatches := waiting_mismatches():
        problems.append(f"waiting counters differ from the rows: {mismatches[:5]}")
    over_quota = lines.filter(
        status=ReservationStatus.WAITING, waiting_reason__contains="quota"
    ).count()
    summary = (
        f"{seated.count()} seated, {sum(map(len, ranks.values()))} waiting in "
        f"{len(ranks)} sessions ({over_quota} over the quota), most held by one person: {most}"
    )
    return problems, summary


def flow_check(booked: dict[int, int]) -> list[str]:
    """Every booking the clients made holds its people seated; the counters agree."""
    from django.db.models import Count

    from guichet.bookings.models import SEAT_HOLDING_STATUSES, Reservation
    from guichet.bookings.services import seats_mismatches

    seated = dict(
        Reservation.objects.filter(group_id__in=booked, status__in=SEAT_HOLDING_STATUSES)
        .values("group_id")
        .annotate(n=Count("pk"))
        .values_list("group_id", "n")
    )
    problems = []
    if wrong := [pk for pk, n in booked.items() if seated.get(pk) != n]:
        problems.append(f"{len(wrong)} bookings without all their people seated")
    if mismatches := seats_mismatches():
        problems.append(f"seat counters differ from the rows: {mismatches[:5]}")
    return problems


# --- The référent's steps -------------------------------------------------------------------


async def booking_page(client: PortalClient, session_id: int):
    return await client.get("booking page", f"/solidaire/seances/{session_id}/reserver/")


def booking_form(page: str, people: list[int]) -> dict:
    """ "Enregistrer"'s form on the booking page `page` for `people` (its CSRF token aside)."""
    submission = SUBMISSION_INPUT.search(page)
    if submission is None:
        raise PathBroken("booking page: no form")
    return {"submission": submission.group(1), "person": [str(pk) for pk in people], "save": "1"}


async def save(client: PortalClient, page, session_id: int, people: list[int]) -> tuple[int, str]:
    """ "Enregistrer" on the booking page `page` with `people`: (booking id, its result page)."""
    form = {"csrfmiddlewaretoken": csrf_token(page), **booking_form(page.text, people)}
    path = f"/solidaire/seances/{session_id}/reserver/"
    answer = await client.post("Enregistrer", path, form)
    found = BOOKING_PATH.search(answer.headers.get("location", ""))
    if found is None:
        raise PathBroken("Enregistrer: no booking page")
    result = await client.get("result page", found.group(0))
    return int(found.group(1)), result.text


def result_rows(page: str) -> list[str]:
    return [
        f"{html.unescape(name).strip()} | {html.unescape(state).strip()}"
        for name, state in RESULT_ROW.findall(page)
    ]


# --- --rush ---------------------------------------------------------------------------------


def rush_plan(seeded: Seeded, rng: random.Random) -> list[tuple[int, list[int]]]:
    """Each référent's session and 1–4 participants of its structure; never one person twice on
    one session (a line "Déjà inscrit(e)" is not what is measured)."""
    taken: set[tuple[int, int]] = set()
    plan = []
    for referent in seeded.referents:
        session_id = rng.choice(seeded.session_ids)
        free = [pk for pk in referent.people if (pk, session_id) not in taken]
        people = rng.sample(free, min(len(free), rng.randint(1, 4)))
        taken.update((pk, session_id) for pk in people)
        plan.append((session_id, people))
    return plan


async def rush(args, target: Target, seeded: Seeded) -> list[str]:
    timings = Timings()
    shown: dict[int, list[str]] = {}
    addresses = Addresses()
    plan = rush_plan(seeded, random.Random(13))
    await server_ready(target, 60)
    opening = await asyncio.to_thread(opening_set, seeded.session_ids)
    print(f"clients start; opening in {opening - time.time():.1f} s", flush=True)

    async def referent(number: int) -> None:
        rng = random.Random(number)
        session_id, people = plan[number]
        client = PortalClient(
            target, addresses.next(), seeded.referents[number].session_key, timings
        )
        try:
            await asyncio.sleep(rng.uniform(0, RELOAD_EVERY))
            while time.time() < opening - RELOAD_EVERY:
                await client.get(
                    "event sheet", f"/solidaire/billetterie/{seeded.event_of[session_id]}/"
                )
                await asyncio.sleep(RELOAD_EVERY)
            page = await booking_page(client, session_id)  # the booking made ready
            await asyncio.sleep(max(0.0, opening - time.time()))
            booking_id, page = await save(client, page, session_id, people)
            shown[booking_id] = result_rows(page)
            await client.get("Mes réservations", "/solidaire/reservations/")
        except (HttpError, PathBroken, OSError) as exc:
            timings.errors[str(exc) or type(exc).__name__] += 1
        finally:
            client.close()

    meter = CpuMeter(args.server_pid)
    await meter.start()
    await asyncio.gather(*(referent(n) for n in range(len(seeded.referents))))
    cpu = await meter.used()
    print(f"\nRush: {len(seeded.referents)} référents, {RUSH_SESSIONS} sessions of {RUSH_SEATS}")
    timings.print_steps()
    print(CpuMeter.text(cpu, len(seeded.referents), "référent (all their requests)"))
    failures = []
    if timings.errors:
        failures.append(f"{sum(timings.errors.values())} errors")
    failures += latency_failures(timings, {"Enregistrer": BOOKING_P99})
    failures += statements_failures(timings)
    problems, summary = await asyncio.to_thread(rush_check, seeded.session_ids)
    problems += await asyncio.to_thread(answers_check, shown)
    print(f"\nDatabase: {summary}; {len(shown)} result pages read")
    print("  " + ("; ".join(problems) if problems else "every target of the database held"))
    return failures + problems


def latency_failures(timings: Timings, most: dict[str, float]) -> list[str]:
    failures = []
    for step, values in timings.seconds.items():
        limit = most.get(step, PAGE_P99)
        if (p99 := percentile(values, 99)) > limit:
            failures.append(f"{step}: p99 {p99 * 1000:.0f} ms (> {limit * 1000:.0f} ms)")
    return failures


def statements_failures(timings: Timings) -> list[str]:
    most = max(timings.sql.get("Enregistrer", [0]))
    print(f"  SQL statements per booking: at most {most} (≤ {MAX_BOOKING_STATEMENTS})")
    if most > MAX_BOOKING_STATEMENTS:
        return [f"{most} SQL statements in a booking (> {MAX_BOOKING_STATEMENTS})"]
    return []


# --- --flow ---------------------------------------------------------------------------------


def flow_steps(
    me: Referent, week_of: dict[int, int], used: Counter, rng: random.Random
) -> Generator[Step, Answer, None]:
    """A référent's flow, described once: played by `flow` over HTTP and by
    solidarity_profile.py through Django's test client. It yields each request and is sent its
    answer; `used` counts the people of each structure booked each week, so that every booking
    takes people free that week."""
    page = yield Step("event list", "/solidaire/billetterie/")
    events = EVENT_LINK.findall(page.text)
    if not events:
        raise PathBroken("event list: no event")
    page = yield Step("event sheet", f"/solidaire/billetterie/{rng.choice(events)}/")
    sessions = BOOK_LINK.findall(page.text)
    if not sessions:
        raise PathBroken("event sheet: no session to book")
    session_id = int(rng.choice(sessions))
    week = (me.structure_id, week_of[session_id])
    first = used[week]
    used[week] += FLOW_PEOPLE_PER_BOOKING
    path = f"/solidaire/seances/{session_id}/reserver/"
    page = yield Step("booking page", path)
    people = me.people[first : first + FLOW_PEOPLE_PER_BOOKING]
    answer = yield Step("Enregistrer", path, booking_form(page.text, people), posted=(302,))
    found = BOOKING_PATH.search(answer.location)
    if found is None:
        raise PathBroken(f"Enregistrer: no result page ({answer.location or 'no redirection'})")
    yield Step("result page", found.group(0))
    yield Step("PDF", f"/solidaire/reservations/{found.group(1)}/invitations.pdf")


async def flow(args, target: Target, seeded: Seeded) -> list[str]:
    timings, printing = Timings(), Timings()
    booked: dict[int, int] = {}
    shown: dict[int, list[str]] = {}
    addresses = Addresses()
    used: Counter = Counter()  # (structure, week): people of the structure booked that week
    await server_ready(target, 60)
    flows = 0

    async def referent(number: int, deadline: float) -> None:
        nonlocal flows
        rng = random.Random(number)
        me = seeded.referents[number]
        client = PortalClient(target, addresses.next(), me.session_key, timings)
        try:
            while time.perf_counter() < deadline:
                steps, answer, page = flow_steps(me, seeded.week_of, used, rng), None, None
                try:
                    while step := next_step(steps, answer):
                        if step.form is None:
                            response = await client.get(step.name, step.path)
                        else:
                            form = {"csrfmiddlewaretoken": csrf_token(page), **step.form}
                            response = await client.post(step.name, step.path, form, step.statuses)
                            posted = step.form
                        if step.name == "result page":
                            booking_id = int(BOOKING_PATH.search(step.path).group(1))
                            booked[booking_id] = len(posted["person"])
                            shown[booking_id] = result_rows(response.text)
                        page = response
                        answer = Answer(response.text, response.headers.get("location", ""))
                    flows += 1
                except (HttpError, PathBroken, OSError) as exc:
                    timings.errors[str(exc) or type(exc).__name__] += 1
        finally:
            client.close()

    async def printer(deadline: float) -> None:
        session_key, booking_id = seeded.printed
        client = PortalClient(target, addresses.next(), session_key, printing)
        path = f"/solidaire/reservations/{booking_id}/invitations.pdf"
        try:
            while time.perf_counter() < deadline:
                try:
                    await client.get(f"PDF of {PRINTED_INVITATIONS}", path)
                except (HttpError, OSError) as exc:
                    printing.errors[str(exc) or type(exc).__name__] += 1
                await asyncio.sleep(PRINT_EVERY)
        finally:
            client.close()

    async def phase(seconds: float) -> float:
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(
            printer(deadline), *(referent(n, deadline) for n in range(len(seeded.referents)))
        )
        return time.perf_counter() - started

    await phase(args.warmup)  # connections, caches, the workers' first imports
    for measured in (timings.seconds, timings.sql, printing.seconds, printing.sql):
        measured.clear()
    flows = 0
    meter = CpuMeter(args.server_pid)
    await meter.start()
    elapsed = await phase(args.seconds)
    cpu = await meter.used()
    rate = flows / elapsed
    print(f"\nFlow: {len(seeded.referents)} référents for {elapsed:.1f} s")
    print(f"  flows           {flows} = {rate:.1f} per second")
    timings.print_steps()
    print(CpuMeter.text(cpu, flows, "flow"))
    pdf = printing.seconds.get(f"PDF of {PRINTED_INVITATIONS}", [])
    print(f"  PDF of {PRINTED_INVITATIONS} invitations, every {PRINT_EVERY} s: {milliseconds(pdf)}")
    failures = []
    if rate < FLOWS_PER_SECOND:
        failures.append(f"{rate:.1f} flows per second (< {FLOWS_PER_SECOND})")
    if timings.errors or printing.errors:
        failures.append(f"{sum((timings.errors + printing.errors).values())} errors")
    failures += latency_failures(timings, {})
    if not pdf:
        failures.append(f"PDF of {PRINTED_INVITATIONS}: never printed")
    elif (p95 := percentile(pdf, 95)) > PDF_P95:
        failures.append(
            f"PDF of {PRINTED_INVITATIONS}: p95 {p95 * 1000:.0f} ms (> {PDF_P95 * 1000:.0f} ms)"
        )
    failures += statements_failures(timings)
    problems = await asyncio.to_thread(flow_check, booked)
    problems += await asyncio.to_thread(answers_check, shown, seeded.printed[1])
    print(f"\nDatabase: {len(booked)} bookings made (with the warm-up)")
    print("  " + ("; ".join(problems) if problems else "every booking seated, as its page said"))
    return failures + problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--rush", action="store_true", help="the opening rush")
    which.add_argument("--flow", action="store_true", help="the steady flow of bookings")
    server_options(parser, database="guichet_bench_solbooking", cache_db=5)
    parser.add_argument("--seconds", type=float, default=20, help="length of the flow")
    parser.add_argument("--warmup", type=float, default=3, help="flow's warm-up")
    args = parser.parse_args()
    load_average("before")
    with seeded_server(parser, args, rush_seed if args.rush else flow_seed) as seeded:
        target = Target("127.0.0.1", args.port)
        failures = asyncio.run((rush if args.rush else flow)(args, target, seeded))
    load_average("after")
    print("\n" + ("Targets met." if not failures else "Targets missed: " + "; ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
