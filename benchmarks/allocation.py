"""The portals' core under load: `reservations_allocate` and `reservations_cancel` called by 16
processes at once on PostgreSQL, as the portals' pages will call them. See docs/benchmarks.md
("Allocation (portals' core)").

    .venv/bin/python benchmarks/allocation.py
    .venv/bin/python benchmarks/allocation.py --processes 16 --seconds 10 \\
        --phases statements,flash,throughput

It (re)creates the PostgreSQL database `guichet_bench_allocation` (--database-url: its name must
contain `bench`), migrates and registers a policy for the `solidaire` channel (waiting list on,
every line SEAT, one mail per group booked or promoted: the portal apps do not exist yet). Each
call is a portal's booking: a group, the sessions' lock, the allocation, in one transaction under
the lock time-out, through `with_retry`. The worker processes each run `django.setup()` and keep
their own database connection, with the production settings (DEBUG off, prepared statements, a
Redis cache). Three phases, each with its target; the script exits 1 when one is missed:

- statements (in this process, CaptureQueriesContext, after a warm-up): an allocation of 1 to 8
  lines, some seated and some put on the waiting list, sends at most 12 statements; a
  cancellation of four seats that promotes four people waiting, at most 10;
- flash: 200 groups of 1 to 4 lines, released together (a barrier) on one session of 50 seats
  with an unlimited waiting list, the 16 processes each sending its share one after another:
  exactly 50 seats held, the others ranked 1…n without gap, the counters equal to the rows, and
  every call answered within 2 s of the release (p50, p99, max);
- throughput: groups of 1 to 4 lines on one of 20 sessions (200 seats each, then the waiting
  list), each process booking one after another for 10 s: at least 400 allocations per second
  and a p99 of at most 50 ms.

Two more phases, asked for by name (`--phases single,floor`), tell where the time goes on the
machine at hand: `single`, in this process, allocations of 1 to 4 lines on 20 sessions one
after another (the CPU and the time of one call with nothing else running); `floor`, the 16
processes running, one after another for --seconds, transactions of as many round trips as an
allocation (four) made of `SELECT 1`, through Django as the allocations go: what this machine
gives to the round trips alone.

The machine's load average (/proc/loadavg) is printed before each phase: other programs running
at the same time lower the rates.
"""

import argparse
import multiprocessing
import os
import random
import secrets
import sys
import time
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.booking_flow import (  # noqa: E402
    database_backends,
    database_recreate,
    percentile,
    process_cpu,
)

ALLOCATION_STATEMENTS = 12
CANCELLATION_STATEMENTS = 10
FLASH_ANSWER_SECONDS = 2.0
THROUGHPUT_RATE = 400
THROUGHPUT_P99_SECONDS = 0.050
THROUGHPUT_SEATS = 200


# --- Every process: settings, the benchmark's policy, a portal's booking ---


def environment(args) -> dict[str, str]:
    """The production settings, on the benchmark's database."""
    return {
        "DJANGO_SETTINGS_MODULE": "guichet.settings",
        "DEBUG": "off",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": args.database_url,
        "CACHE_URL": args.cache_url,
        "EMAIL_URL": "consolemail://",  # no task worker runs: the mails stay queued
        "LOG_LEVEL": "WARNING",
    }


def django_setup(settings: dict[str, str]) -> None:
    """django.setup() with the benchmark's settings, then its policy for `solidaire`."""
    os.environ.update(settings)
    import django

    django.setup()
    from guichet.bookings.channels import ChannelPolicy, MailEvent, policy_register
    from guichet.catalogue.models import Channel

    policy_register(
        ChannelPolicy(
            channel=Channel.SOLIDARITY,
            staff_group="Gestionnaire solidaire",
            waiting_list=True,
            # Stand-ins for the portal's own kinds: one mail per group, as the portal will send.
            group_mails={MailEvent.BOOKED: "confirmation", MailEvent.PROMOTED: "reminder"},
        )
    )


def allocate(*, session_id: int, holders: list[int], author) -> list:
    """A portal's booking of one line per holder on one session, as its page will make it. The
    group is a new row nobody else sees: written before the session's lock, which is then held
    only for the allocation itself."""
    from django.db import transaction
    from django.utils import timezone

    from guichet.bookings.channels import BookingLine, policy_for
    from guichet.bookings.services import (
        reservation_group_create,
        reservations_allocate,
        sessions_lock,
    )
    from guichet.catalogue.models import Channel
    from guichet.core.db import with_retry

    lines = [
        BookingLine(
            session_id=session_id,
            holder_key=f"beneficiary:{holder}",
            first_name="Camille",
            last_name=f"Exemple{holder}",
        )
        for holder in holders
    ]

    def book():
        with transaction.atomic():
            group = reservation_group_create(
                channel=Channel.SOLIDARITY, author=author, submission_key=secrets.token_hex(16)
            )
            sessions = sessions_lock(
                ids=[session_id], holder_keys=[line.holder_key for line in lines]
            )
            return reservations_allocate(
                sessions=sessions,
                lines=lines,
                policy=policy_for(Channel.SOLIDARITY),
                group=group,
                now=timezone.now(),
            )

    return with_retry(book)


def cancel(*, reservations: list) -> list:
    from guichet.bookings.services import reservations_cancel
    from guichet.core.db import with_retry

    return with_retry(reservations_cancel, reservations=reservations)


# --- The worker processes ---


_worker: dict = {}  # a worker process's barrier, author and lock conflicts met


def retries_taken() -> dict[str, int]:
    """The lock conflicts this worker met since the last call (by SQLSTATE)."""
    retries, _worker["retries"] = dict(_worker["retries"]), Counter()
    return retries


def worker_init(settings: dict[str, str], barrier, author_id: int) -> None:
    django_setup(settings)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from guichet.core import db

    _worker.update(barrier=barrier, retries=Counter())
    _worker["author"] = get_user_model().objects.get(pk=author_id)
    is_retryable = db._is_retryable

    def is_retryable_counted(exc) -> bool:
        # Each lock conflict with_retry retries (or answers "busy" after the last) is counted.
        retryable = is_retryable(exc)
        if retryable:
            _worker["retries"][getattr(exc.__cause__, "sqlstate", None) or str(exc)] += 1
        return retryable

    db._is_retryable = is_retryable_counted
    connection.ensure_connection()


def worker_warm_up(job: tuple[int, int]) -> int:
    """One booking on the warm-up session (a running server's workers are warm), then wait for
    the others: each worker takes one job. Returns its process id."""
    session_id, holder = job
    allocate(session_id=session_id, holders=[holder], author=_worker["author"])
    _worker["barrier"].wait()
    return os.getpid()


def worker_flash(job: tuple[int, list[list[int]]]) -> dict:
    """Wait for the others, then book each group in turn; the time of each answer since the
    release (the last process to reach the barrier), and what each line got."""
    session_id, groups = job
    arrived = time.monotonic()
    _worker["barrier"].wait()
    answers = []
    for holders in groups:
        started = time.monotonic()
        outcomes = allocate(session_id=session_id, holders=holders, author=_worker["author"])
        answers.append(
            {
                "started": started,
                "done": time.monotonic(),
                "lines": [(o.line.holder_key, str(o.state), o.rank) for o in outcomes],
            }
        )
    return {"arrived": arrived, "answers": answers, "retries": retries_taken()}


def worker_throughput(job: tuple[list[int], float, int]) -> dict:
    """Book groups of 1 to 4 lines on sessions drawn at random, one after another, until time is
    up; the time of each call."""
    session_ids, seconds, seed = job
    rng = random.Random(seed)
    holders = iter(range(seed * 10_000_000, (seed + 1) * 10_000_000))
    states: Counter = Counter()
    _worker["barrier"].wait()
    started = time.monotonic()
    deadline = started + seconds
    latencies = []
    while True:
        before = time.monotonic()
        if before >= deadline:
            break
        group = [next(holders) for _ in range(rng.randint(1, 4))]
        outcomes = allocate(
            session_id=rng.choice(session_ids), holders=group, author=_worker["author"]
        )
        latencies.append(time.monotonic() - before)
        states.update(str(o.state) for o in outcomes)
    return {
        "started": started,
        "ended": time.monotonic(),
        "latencies": latencies,
        "states": states,
        "retries": retries_taken(),
    }


def worker_floor(job: tuple[int, float]) -> list[float]:
    """Transactions of `trips` round trips (the BEGIN with the first `SELECT 1`, the COMMIT),
    one after another until time is up; the time of each."""
    from django.db import connection, transaction

    trips, seconds = job
    _worker["barrier"].wait()
    deadline = time.monotonic() + seconds
    latencies = []
    while (before := time.monotonic()) < deadline:
        with transaction.atomic():
            for _ in range(trips - 1):
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
                    cursor.fetchall()
        latencies.append(time.monotonic() - before)
    return latencies


# --- This process: the database, the seed, the checks ---


def author_create():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        "referente-banc", "referente-banc@example.org", password=None
    )


def session_create(*, seats: int | None, name: str) -> int:
    from guichet.catalogue.models import Channel
    from guichet.catalogue.tests.factories import ActivityFactory, SessionFactory

    activity = ActivityFactory(name=name, channel=Channel.SOLIDARITY)
    return SessionFactory(activity=activity, seat_limit=seats, waiting_limit=None).pk


def session_check(session_id: int, *, seats: int, lines: dict[str, tuple[str, int | None]]):
    """What differs between what the calls were told (holder key: state, rank) and the session's
    rows and counters, after a flash."""
    from guichet.bookings.models import Reservation
    from guichet.bookings.services import seats_mismatches, waiting_mismatches
    from guichet.catalogue.models import Session

    rows = {
        key: (status, rank)
        for key, status, rank in Reservation.objects.filter(session_id=session_id).values_list(
            "holder_key", "status", "waiting_rank"
        )
    }
    waiting = sorted(rank for status, rank in rows.values() if status == "waiting")
    taken, count = Session.objects.values_list("seats_taken", "waiting_count").get(pk=session_id)
    problems = []
    held = sum(status == "valid" for status, _rank in rows.values())
    if held != seats or taken != seats:
        problems.append(f"{held} seats held, counter {taken}, for {seats} seats")
    if waiting != list(range(1, len(waiting) + 1)):
        problems.append(f"the waiting ranks are not 1…{len(waiting)} without gap")
    if count != len(waiting) or len(waiting) + held != len(rows):
        problems.append(f"waiting counter {count}, {len(waiting)} waiting, {len(rows)} rows")
    if rows != lines:
        problems.append("the rows differ from what the calls were told")
    if seats_mismatches() or waiting_mismatches():
        problems.append("a session's counters differ from its rows (check_seats)")
    return problems


def sent(captured) -> list[str]:
    """The statements sent, transaction control aside (as test_waiting_list.py counts them)."""
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(control)]


def statements_phase(author) -> list[str]:
    """The statements of one allocation of 1 to 8 lines on a session with 4 seats left (beyond
    4 lines, the rest go to the waiting list), and of one cancellation of four seats promoting
    four people waiting (four groups, one mail each)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from guichet.bookings.models import Reservation

    holders = iter(range(1, 1_000_000))
    warm_up = session_create(seats=4, name="Banc d'essai : échauffement")
    booked = allocate(session_id=warm_up, holders=[next(holders)], author=author)
    cancel(reservations=[booked[0].reservation])
    counts = []
    for size in range(1, 9):
        session_id = session_create(seats=4, name=f"Banc d'essai : {size} lignes")
        group = [next(holders) for _ in range(size)]
        with CaptureQueriesContext(connection) as captured:
            allocate(session_id=session_id, holders=group, author=author)
        counts.append(len(sent(captured)))
    session_id = session_create(seats=4, name="Banc d'essai : annulation")
    seated = allocate(
        session_id=session_id, holders=[next(holders) for _ in range(4)], author=author
    )
    for _ in range(4):
        allocate(session_id=session_id, holders=[next(holders)], author=author)
    rows = list(Reservation.objects.filter(pk__in=[o.reservation.pk for o in seated]))
    with CaptureQueriesContext(connection) as captured:
        cancel(reservations=rows)
    promoted = Reservation.objects.filter(session_id=session_id, status="valid").count()
    cancellation = len(sent(captured))
    print("\nStatements per call (transaction control aside), in one process")
    print(
        "  allocation of 1…8 lines  "
        + " ".join(map(str, counts))
        + f"  (target ≤ {ALLOCATION_STATEMENTS})"
    )
    print(
        f"  cancellation of 4 seats promoting {promoted}  {cancellation}  (target ≤ {CANCELLATION_STATEMENTS})"
    )
    failures = []
    if max(counts) > ALLOCATION_STATEMENTS:
        failures.append(f"an allocation sent {max(counts)} statements")
    if cancellation > CANCELLATION_STATEMENTS or promoted != 4:
        failures.append(f"the cancellation sent {cancellation} statements, promoted {promoted}")
    return failures


# --- The phases in the workers ---


def shares(items: list, parts: int) -> list[list]:
    """`items` dealt out to `parts` workers in turn."""
    return [items[n::parts] for n in range(parts)]


def flash_phase(args, pool, author) -> list[str]:
    rng = random.Random(50)
    session_id = session_create(seats=args.seats, name="Banc d'essai : foule")
    holders = iter(range(1, 1_000_000))
    groups = [[next(holders) for _ in range(rng.randint(1, 4))] for _ in range(args.groups)]
    results = pool.map(
        worker_flash, [(session_id, share) for share in shares(groups, args.processes)], chunksize=1
    )
    released = max(result["arrived"] for result in results)
    answers = [answer for result in results for answer in result["answers"]]
    waits = [answer["done"] - released for answer in answers]
    calls = [answer["done"] - answer["started"] for answer in answers]
    lines = {key: (state, rank) for a in answers for key, state, rank in a["lines"]}
    states = Counter(state for state, _rank in lines.values())
    retries = sum((Counter(result["retries"]) for result in results), Counter())
    problems = session_check(session_id, seats=args.seats, lines=lines)
    print(
        f"\nFlash: {len(groups)} groups ({len(lines)} lines) released together on a session of "
        f"{args.seats} seats, {args.processes} processes each sending its share in turn"
    )
    print(f"  lines           {dict(states)}")
    print(f"  answered after  {seconds_text(waits)} (since the release)")
    print(f"  each call       {seconds_text(calls)}")
    print(f"  retries         {dict(retries) or 0}")
    print(
        "  database        " + ("; ".join(problems) or "exactly as told; ranks 1…n, counters right")
    )
    if max(waits) > FLASH_ANSWER_SECONDS:
        problems.append(f"the last answer came after {max(waits):.2f} s")
    if retries:
        problems.append("lock conflicts retried")
    return [f"flash: {problem}" for problem in problems]


def throughput_phase(args, pool, author) -> list[str]:
    session_ids = [
        session_create(seats=THROUGHPUT_SEATS, name=f"Banc d'essai : débit {n + 1:02d}")
        for n in range(args.sessions)
    ]
    backends = database_backends()
    groups = {"workers": args.worker_pids, "PostgreSQL": backends}
    cpu_before = {name: sum(map(process_cpu, pids)) for name, pids in groups.items()}
    busy_before = machine_busy()
    jobs = [(session_ids, args.seconds, n + 1) for n in range(args.processes)]
    results = pool.map(worker_throughput, jobs, chunksize=1)
    cpu = {name: sum(map(process_cpu, pids)) - cpu_before[name] for name, pids in groups.items()}
    busy = machine_busy() - busy_before
    started = min(result["started"] for result in results)
    ended = max(result["ended"] for result in results)
    latencies = [latency for result in results for latency in result["latencies"]]
    states = sum((result["states"] for result in results), Counter())
    retries = sum((Counter(result["retries"]) for result in results), Counter())
    rate = len(latencies) / (ended - started)
    p99 = percentile(latencies, 99)
    print(
        f"\nThroughput: groups of 1–4 lines on {args.sessions} sessions of {THROUGHPUT_SEATS} "
        f"seats, {args.processes} processes booking one after another for {args.seconds:g} s"
    )
    print(
        f"  allocations     {len(latencies)} = {rate:.0f} per second (target ≥ {THROUGHPUT_RATE})"
    )
    print(
        f"  each call       {seconds_text(latencies)} (target p99 ≤ {THROUGHPUT_P99_SECONDS * 1000:.0f} ms)"
    )
    print(f"  lines           {dict(states)}")
    print(f"  retries         {dict(retries) or 0}")
    print(
        "  CPU per call    "
        + ", ".join(f"{name} {used / len(latencies) * 1000:.1f} ms" for name, used in cpu.items())
    )
    elapsed = ended - started
    print(
        f"  cores busy      {busy / elapsed:.2f} of {os.cpu_count()}, of which this benchmark "
        f"{sum(cpu.values()) / elapsed:.2f}"
    )
    failures = []
    if rate < THROUGHPUT_RATE or p99 > THROUGHPUT_P99_SECONDS:
        failures.append(f"throughput: {rate:.0f} allocations/s, p99 {p99 * 1000:.0f} ms")
    if retries:
        failures.append("throughput: lock conflicts retried")
    return failures


SINGLE_CALLS = 1_000
FLOOR_ROUND_TRIPS = 4  # an allocation's: the group, the lock and its reads, the writes, COMMIT


def single_phase(author) -> None:
    """Allocations in this process alone, after a warm-up: CPU and time per call."""
    rng = random.Random(7)
    session_ids = [
        session_create(seats=THROUGHPUT_SEATS, name=f"Banc d'essai : un processus {n + 1:02d}")
        for n in range(20)
    ]
    holders = iter(range(900_000_000, 1_000_000_000))

    def calls(count: int) -> None:
        for _ in range(count):
            group = [next(holders) for _ in range(rng.randint(1, 4))]
            allocate(session_id=rng.choice(session_ids), holders=group, author=author)

    calls(100)
    cpu, started = time.process_time(), time.perf_counter()
    calls(SINGLE_CALLS)
    cpu, elapsed = time.process_time() - cpu, time.perf_counter() - started
    print(f"\nOne process: {SINGLE_CALLS} allocations of 1–4 lines on 20 sessions, in turn")
    print(
        f"  each call       {cpu / SINGLE_CALLS * 1000:.2f} ms of CPU here, "
        f"{elapsed / SINGLE_CALLS * 1000:.2f} ms in all"
    )


def floor_phase(args, pool) -> None:
    jobs = [(FLOOR_ROUND_TRIPS, args.seconds)] * args.processes
    started = time.monotonic()
    latencies = [
        latency for result in pool.map(worker_floor, jobs, chunksize=1) for latency in result
    ]
    rate = len(latencies) / (time.monotonic() - started)
    print(
        f"\nFloor: transactions of {FLOOR_ROUND_TRIPS} round trips of SELECT 1, "
        f"{args.processes} processes one after another for {args.seconds:g} s"
    )
    print(f"  transactions    {rate:.0f} per second, {seconds_text(latencies)}")


def seconds_text(values: list[float]) -> str:
    return " ".join(f"p{p} {percentile(values, p) * 1000:.0f} ms" for p in (50, 99)) + (
        f" max {max(values) * 1000:.0f} ms"
    )


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (all but idle and I/O wait) since it started."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/guichet_bench_allocation"
    )
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/2")
    parser.add_argument("--processes", type=int, default=16)
    parser.add_argument("--groups", type=int, default=200, help="groups in the flash")
    parser.add_argument("--seats", type=int, default=50, help="seats of the flash's session")
    parser.add_argument("--sessions", type=int, default=20, help="sessions of the throughput")
    parser.add_argument("--seconds", type=float, default=10, help="length of the throughput")
    parser.add_argument("--phases", default="statements,flash,throughput")
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    if "bench" not in urllib.parse.urlsplit(args.database_url).path:
        parser.error("the database is dropped and created again: its name must contain 'bench'")

    print(f"load average before the run: {load_average()}", flush=True)
    settings = environment(args)
    database_recreate(args.database_url)
    django_setup(settings)
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    cache.clear()
    author = author_create()
    failures = []
    if "statements" in phases:
        failures += statements_phase(author)
    if "single" in phases:
        single_phase(author)
    connection.close()  # the workers must not share this process's connection
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(args.processes)
    with context.Pool(
        args.processes, initializer=worker_init, initargs=(settings, barrier, author.pk)
    ) as pool:
        warm_up = session_create(seats=None, name="Banc d'essai : échauffement des processus")
        jobs = [(warm_up, 10_000 + n) for n in range(args.processes)]
        args.worker_pids = pool.map(worker_warm_up, jobs, chunksize=1)
        if "flash" in phases:
            print(f"\nload average before the flash: {load_average()}", flush=True)
            failures += flash_phase(args, pool, author)
        if "throughput" in phases:
            print(f"\nload average before the throughput: {load_average()}", flush=True)
            failures += throughput_phase(args, pool, author)
        if "floor" in phases:
            print(f"\nload average before the floor: {load_average()}", flush=True)
            floor_phase(args, pool)
    print(f"\nload average after the run: {load_average()}")
    print("\n" + ("Targets met." if not failures else "Targets missed: " + "; ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
