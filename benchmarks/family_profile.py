"""The CPU of each step of family_opening.py's parent's path, measured in one process (Django's
test client, the benchmark's production settings): web CPU (this process), PostgreSQL CPU (the
connection's backend, read from /proc) and SQL statements per request. See docs/benchmarks.md,
"Family portal: opening morning".

    .venv/bin/python benchmarks/family_profile.py \\
        --database-url postgres://postgres@127.0.0.1:5432/guichet_bench_famperf \\
        --cache-url redis://127.0.0.1:6379/14 [--profile calendar]

It (re)creates the database, seeds as family_opening.py does (fewer households: `--households`),
opens the period at once, then plays `--paths` parents' paths one after the other and prints
each step's median and mean CPU and statements, and the whole path's. `--profile STEP` runs
cProfile over that step's requests and prints its heaviest functions.
"""

import argparse
import cProfile
import io
import os
import pickle
import pstats
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.booking_flow import (  # noqa: E402  (after the path: run as a script)
    database_recreate,
    django_setup,
    load_average,
    process_cpu,
    server_environment,
)
from benchmarks.family_opening import parent_steps, seed  # noqa: E402
from benchmarks.portal_clients import Answer, next_step  # noqa: E402


class Meter:
    """Per step: web CPU, PostgreSQL CPU, statements; and a cProfile of one step."""

    def __init__(self, profiled: str | None):
        self.samples = defaultdict(list)
        self.profiled = profiled
        self.profile = cProfile.Profile()

    def backend(self) -> int:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    def send(self, client, step: str, method: str, path: str, data=None, statuses=(200,)):
        pid = self.backend()
        database, web = process_cpu(pid), time.process_time()
        if step == self.profiled:
            self.profile.enable()
        response = getattr(client, method)(path, data or {})
        if step == self.profiled:
            self.profile.disable()
        web = time.process_time() - web
        if self.backend() != pid:
            raise SystemExit("the database connection changed during a request")
        database = process_cpu(pid) - database
        if response.status_code not in statuses:
            raise SystemExit(f"{step}: HTTP {response.status_code}")
        self.samples[step].append((web, database, int(response.get("X-SQL-Queries", 0))))
        return response


def path_play(meter: Meter, client, steps) -> None:
    """A benchmark's path (family_opening.parent_steps, solidarity_booking.flow_steps), through
    Django's test client (no CSRF check)."""
    answer = None
    while step := next_step(steps, answer):
        method = "get" if step.form is None else "post"
        response = meter.send(client, step.name, method, step.path, step.form, step.statuses)
        # errors="replace": a PDF's bytes are no text, and a path reads only pages.
        answer = Answer(response.content.decode(errors="replace"), response.get("Location", ""))


def report(meter: Meter, paths: int, what: str = "parent's path") -> None:
    print(f"\n{'step':<14} {'n':>5} {'web p50':>8} {'web mean':>9} {'PG mean':>8} {'SQL':>6}")
    web_total = database_total = 0.0
    for step, rows in meter.samples.items():
        web = [row[0] * 1000 for row in rows]
        database = [row[1] * 1000 for row in rows]
        sql = [row[2] for row in rows]
        web_total += sum(web)
        database_total += sum(database)
        print(
            f"{step:<14} {len(rows):>5} {statistics.median(web):>6.1f}ms"
            f" {statistics.fmean(web):>7.1f}ms {statistics.fmean(database):>6.1f}ms"
            f" {statistics.fmean(sql):>6.1f}"
        )
    requests = sum(len(rows) for rows in meter.samples.values())
    print(
        f"\nper {what} ({paths} of them, {requests / paths:.1f} requests): web "
        f"{web_total / paths:.1f} ms, PostgreSQL {database_total / paths:.1f} ms of CPU"
    )


def open_now() -> None:
    from django.utils import timezone

    from guichet.families.models import BookingPeriod
    from guichet.families.services import period_generate_sessions

    for period in BookingPeriod.objects.all():  # open now rather than in 30 s
        period.opens_at = timezone.now() - timedelta(minutes=1)
        period.save(update_fields=["opens_at"])
        period_generate_sessions(period=period, now=timezone.now())


def database_copy(url: str, *, from_copy: bool) -> None:
    """Keep the seeded database as `<name>_seeded`, or make it again from that copy."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    source, target = (f"{name}_seeded", name) if from_copy else (name, f"{name}_seeded")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def profile_options(parser, *, database: str, cache_db: int) -> None:
    """The options these in-process profiles share: the database (dropped and seeded again,
    or made again from the previous run's copy), the Redis database, the step to cProfile."""
    parser.add_argument("--database-url", default=f"postgres://postgres@127.0.0.1:5432/{database}")
    parser.add_argument("--cache-url", default=f"redis://127.0.0.1:6379/{cache_db}")
    parser.add_argument("--profile", metavar="STEP", help="cProfile this step")
    parser.add_argument(
        "--again",
        action="store_true",
        help="start from the copy of the database seeded by the previous run (much quicker)",
    )


def seeded_database(parser, args, seed):
    """Django set up on the database of `args`, seeded by `seed()` (its copy kept), or made
    again from the copy of the previous run (`--again`): what `seed` returned."""
    if "bench" not in args.database_url:
        parser.error("the database is dropped and created again: its name must contain 'bench'")
    args.rate_limit, args.page_cache = "", 5
    name = f"{Path(sys.argv[0]).stem}_{args.database_url.rsplit('/', 1)[1]}"
    saved = Path(tempfile.gettempdir()) / name
    with tempfile.TemporaryDirectory() as folder:
        if args.again:  # the sessions of the seeding were signed with its secret key
            seeded, secret = pickle.loads(saved.read_bytes())
            os.environ["SECRET_KEY"] = secret
        environment = server_environment(args, 8000, folder)
        if args.again:
            database_copy(args.database_url, from_copy=True)
            django_setup(environment, migrate=False)
            from django.core.management import call_command

            call_command("collectstatic", verbosity=0, interactive=False)
        else:
            database_recreate(args.database_url)
            django_setup(environment, migrate=True)
            seeded = seed()
            from django.db import connection

            connection.close()
            database_copy(args.database_url, from_copy=False)
            saved.write_bytes(pickle.dumps((seeded, environment["SECRET_KEY"])))
    return seeded


def profile_print(meter: Meter) -> None:
    """The profiled step's heaviest functions, by cumulative then by own time."""
    out = io.StringIO()
    stats = pstats.Stats(meter.profile, stream=out).sort_stats("cumulative")
    stats.print_stats(50)
    out.write("\n--- by own time ---\n")
    stats.sort_stats("tottime").print_stats(35)
    print(out.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    profile_options(parser, database="guichet_bench_famperf", cache_db=14)
    parser.add_argument("--households", type=int, default=300)
    parser.add_argument("--paths", type=int, default=100)
    parser.add_argument("--warm", type=int, default=5, help="paths played before measuring")
    args = parser.parse_args()
    load_average("before")

    def seeded_and_open():
        seeded = seed(args.households, random.Random(14))
        open_now()
        return seeded

    seeded = seeded_database(parser, args, seeded_and_open)
    from django.test import Client

    meter = Meter(args.profile)
    parents = seeded.parents[: args.warm + args.paths]
    for n, parent in enumerate(parents):
        if n == args.warm:
            meter.samples.clear()
            meter.profile = cProfile.Profile()
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies["sessionid"] = parent.session_key
        path_play(meter, client, parent_steps(parent, seeded))
    report(meter, len(parents) - args.warm)
    load_average("after")
    if args.profile:
        profile_print(meter)
    return 0


if __name__ == "__main__":
    sys.exit(main())
