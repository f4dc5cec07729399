"""The public booking site under load: the whole visitor flow, the activity list beside a minimal
Django view, and a flash crowd on the last seats. See docs/benchmarks.md.

    .venv/bin/python benchmarks/booking_flow.py                     # starts its own server
    .venv/bin/python benchmarks/booking_flow.py --url http://127.0.0.1:8000 \\
        --database-url postgres://postgres@127.0.0.1:5432/guichet_bench   # a running server

Without --url it (re)creates the PostgreSQL database `guichet_bench`, migrates, collects the
static files into a temporary folder, seeds the benchmark's activities and starts gunicorn with
production settings (DEBUG off, rate limit on) and benchmarks/bench_settings.py, which only adds
the minimal view /bench/ok/ and an X-SQL-Queries header; it stops the server when done.
With --url, that server must run with DJANGO_SETTINGS_MODULE=benchmarks.bench_settings on the
database given by --database-url, which the benchmark seeds and checks.

Every visitor is a new TCP connection from its own loopback address (127.b.c.d, never reused),
so the per-address booking rate limit applies to each as it would to people. Load runs only
against 127.0.0.0/8 and every phase stops by itself.
"""

import argparse
import asyncio
import itertools
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACTIVITY_COUNT = 24  # two pages of the list
SESSIONS_PER_ACTIVITY = 3
FLOW_SEATS = 10_000_000  # the flow never fills a session
SLUG_PREFIX = "banc-essai"
REQUEST_TIMEOUT = 10  # seconds, for one request
FLASH_TIMEOUT = 30  # seconds, for the whole flash crowd

ACTIVITY_LINK = re.compile(rf'href="(/activites/{SLUG_PREFIX}-[^"/]+/)"')
BOOKING_LINK = re.compile(r'href="(/sessions/\d+/reserver/)"')
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION_INPUT = re.compile(r'name="submission" value="([^"]+)"')
RESERVATION_PATH = re.compile(r"^(?:https?://[^/]+)?/reservation/([A-Za-z0-9_-]+)/(?:\?[^#]*)?$")


# --- HTTP client: raw HTTP/1.1 with keep-alive, light enough not to be the bottleneck ---


class HttpError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def sql(self) -> int | None:
        value = self.headers.get("x-sql-queries")
        return int(value) if value is not None else None


class Connection:
    """One keep-alive connection from one source address; reopened if the server closes it."""

    def __init__(self, host: str, port: int, source: str):
        self.host, self.port, self.source = host, port, source
        self.reader = self.writer = None
        self.cookies: dict[str, str] = {}

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, local_addr=(self.source, 0)
        )

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(
        self, method: str, path: str, form: dict | None = None, origin: str = ""
    ) -> Response:
        if self.writer is None:
            await self._open()
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Accept-Encoding: identity",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = b""
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True).encode()  # a list: a field repeated
            lines += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
                f"Origin: {origin}",
                f"Referer: {origin}{path}",
            ]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        async with asyncio.timeout(REQUEST_TIMEOUT):
            response = await self._read()
        if response.headers.get("connection", "").lower() == "close":
            self.close()
        self.cookies |= response.cookies
        return response

    async def _read(self) -> Response:
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            self.close()
            raise HttpError("connection closed by the server") from exc
        status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
        headers, cookies = {}, {}
        for line in header_lines:
            name, _sep, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie_name, _sep, rest = value.partition("=")
                cookies[cookie_name] = rest.split(";", 1)[0]
            else:
                headers[name] = value
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._read_chunked()
        else:
            body = await self.reader.read()
            self.close()
        return Response(int(status_line.split(" ", 2)[1]), headers, cookies, body)

    async def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunks.append(await self.reader.readexactly(size + 2))
            if size == 0:
                return b"".join(chunk[:-2] for chunk in chunks)


class Addresses:
    """127.b.c.d, d in 1..254 and b from 1: never 127.0.0.1 (the server's) and never twice."""

    def __init__(self):
        self.count = 0

    def next(self) -> str:
        n, self.count = self.count, self.count + 1
        d, n = 1 + n % 254, n // 254
        c, n = n % 256, n // 256
        return f"127.{1 + n % 254}.{c}.{d}"


# --- The visitor flow ---


@dataclass
class Target:
    host: str
    port: int

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass
class Stats:
    """What one phase saw."""

    latencies: list[float] = field(default_factory=list)  # seconds per completed flow
    sql: list[int] = field(default_factory=list)  # statements per completed flow
    sql_by_step: dict[str, list[int]] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)  # reservation token: quantity
    errors: Counter = field(default_factory=Counter)
    new_sessions: int = 0  # responses that set a session cookie (public pages should not)

    def count_sql(self, step: str, response: Response) -> int:
        value = response.sql or 0
        self.sql_by_step.setdefault(step, []).append(value)
        if "sessionid" in response.cookies:
            self.new_sessions += 1
        return value


# One e-mail address per booking: a person may hold only so many places of a session, and gets
# only so many confirmation mails an hour (random addresses would now and then collide).
EMAIL_NUMBERS = itertools.count(1)


def booking_form(first_name: str, page: str, quantity: int) -> dict:
    """The form as a visitor fills it; `first_name` in letters only (the form refuses digits)."""
    csrf, submission = CSRF_INPUT.search(page), SUBMISSION_INPUT.search(page)
    if not csrf or not submission:
        raise HttpError("no booking form on the page")
    return {
        "csrfmiddlewaretoken": csrf.group(1),
        "submission": submission.group(1),
        "first_name": first_name,
        "last_name": "Exemple",
        "email": f"visiteur{next(EMAIL_NUMBERS)}@example.org",
        "phone": "06 12 34 56 78",
        "city": "Exempleville",
        "quantity": str(quantity),
        "website": "",
    }


def expect(response: Response, status: int, step: str) -> Response:
    if response.status != status:
        raise HttpError(f"{step}: HTTP {response.status}")
    return response


async def visitor_flow(target: Target, source: str, stats: Stats, rng: random.Random) -> None:
    """List, activity page, booking form, submission, confirmation page: one booking."""
    connection = Connection(target.host, target.port, source)
    started = time.perf_counter()
    sql = 0
    try:
        page = expect(await connection.request("GET", "/"), 200, "list")
        sql += stats.count_sql("list", page)
        activity = rng.choice(ACTIVITY_LINK.findall(page.text) or [None])
        if activity is None:
            raise HttpError("list: no benchmark activity")
        page = expect(await connection.request("GET", activity), 200, "activity")
        sql += stats.count_sql("activity", page)
        form_path = rng.choice(BOOKING_LINK.findall(page.text) or [None])
        if form_path is None:
            raise HttpError("activity: no bookable session")
        page = expect(await connection.request("GET", form_path), 200, "form")
        sql += stats.count_sql("form", page)
        quantity = rng.randint(1, 3)
        form = booking_form("Visiteur", page.text, quantity)
        answer = await connection.request("POST", form_path, form, origin=target.origin)
        sql += stats.count_sql("submit", expect(answer, 303, "submit"))
        token = RESERVATION_PATH.match(answer.headers.get("location", ""))
        if token is None:
            raise HttpError("submit: no reservation link")
        stats.tokens[token.group(1)] = quantity  # booked: the rest of the flow only shows it
        page = expect(
            await connection.request("GET", f"/reservation/{token.group(1)}/"), 200, "confirmation"
        )
        sql += stats.count_sql("confirmation", page)
        stats.latencies.append(time.perf_counter() - started)
        stats.sql.append(sql)
    except (HttpError, OSError, TimeoutError) as exc:
        stats.errors[str(exc) or type(exc).__name__] += 1
    finally:
        connection.close()


async def flow_phase(
    target: Target, addresses: Addresses, clients: int, seconds: float
) -> tuple[Stats, float]:
    """`clients` concurrent clients, each playing one visitor after another until time is up."""
    stats = Stats()
    deadline = time.perf_counter() + seconds

    async def client(number: int) -> None:
        rng = random.Random(number)
        while time.perf_counter() < deadline:
            await visitor_flow(target, addresses.next(), stats, rng)

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    return stats, time.perf_counter() - started


@dataclass
class Rate:
    """Requests to one page, added up over the slices of a comparison."""

    done: int = 0
    errors: int = 0
    seconds: float = 0.0
    cpu: Counter = field(default_factory=Counter)

    @property
    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def cpu_text(self) -> str:
        return CpuMeter.text(self.cpu, self.done, "request")


async def rate_slice(
    target: Target, addresses: Addresses, path: str, clients: int, seconds: float, rate: Rate
) -> None:
    """`clients` keep-alive connections asking for `path`, one request at a time each."""
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        connection = Connection(target.host, target.port, addresses.next())
        try:
            while time.perf_counter() < deadline:
                try:
                    response = await connection.request("GET", path)
                except (HttpError, OSError, TimeoutError):
                    rate.errors += 1
                    connection.close()
                    continue
                if response.status == 200:
                    rate.done += 1
                else:
                    rate.errors += 1
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    rate.seconds += time.perf_counter() - started


async def rates_compare(
    target: Target, addresses: Addresses, paths: list[str], clients: int, seconds: float, meter
) -> list[Rate]:
    """The pages in turn, one second each, `seconds` times: a change in the machine's other
    load during the run weighs on every page alike."""
    rates = [Rate() for _ in paths]
    for _round in range(max(1, round(seconds))):
        for path, rate in zip(paths, rates, strict=True):
            await meter.start()
            await rate_slice(target, addresses, path, clients, 1.0, rate)
            rate.cpu.update(await meter.used())
    return rates


@dataclass
class Crowd:
    winners: dict[str, float] = field(default_factory=dict)  # token: seconds waited
    losers: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)


async def flash_phase(
    target: Target, addresses: Addresses, session_id: int, crowd_size: int
) -> Crowd:
    """`crowd_size` visitors load the booking form, then all send it at the same instant."""
    crowd = Crowd()
    path = f"/sessions/{session_id}/reserver/"
    release = asyncio.Event()
    ready = 0
    released_at = 0.0

    async def visitor() -> None:
        nonlocal ready, released_at
        connection = Connection(target.host, target.port, addresses.next())
        try:
            page = expect(await connection.request("GET", path), 200, "form")
            form = booking_form("Foule", page.text, 1)
        except (HttpError, OSError, TimeoutError) as exc:
            crowd.errors[f"form: {exc or type(exc).__name__}"] += 1
            return
        finally:
            # A new connection at the release: an idle keep-alive one may be closed by then.
            connection.close()
            ready += 1
            if ready == crowd_size:
                released_at = time.perf_counter()
                release.set()
        await release.wait()
        try:
            answer = await connection.request("POST", path, form, origin=target.origin)
        except (HttpError, OSError, TimeoutError) as exc:
            crowd.errors[f"submit: {exc or type(exc).__name__}"] += 1
            return
        finally:
            connection.close()
        waited = time.perf_counter() - released_at
        crowd.statuses[answer.status] += 1
        token = RESERVATION_PATH.match(answer.headers.get("location", ""))
        if answer.status == 303 and token:
            crowd.winners[token.group(1)] = waited
        elif answer.status == 409:
            crowd.losers.append(waited)

    async with asyncio.timeout(FLASH_TIMEOUT):
        await asyncio.gather(*(visitor() for _ in range(crowd_size)))
    return crowd


async def pages_exist(target: Target, addresses: Addresses, tokens) -> int:
    """How many of these reservation pages the server shows (the winners' confirmation pages)."""
    connection = Connection(target.host, target.port, addresses.next())
    try:
        return sum(
            [
                (await connection.request("GET", f"/reservation/{token}/")).status == 200
                for token in tokens
            ]
        )
    finally:
        connection.close()


async def server_ready(target: Target, seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while True:
        connection = Connection(target.host, target.port, "127.0.0.1")
        try:
            if (await connection.request("GET", "/bench/ok/")).status == 200:
                return
        except (HttpError, OSError, TimeoutError):
            if time.perf_counter() > deadline:
                raise
        finally:
            connection.close()
        await asyncio.sleep(0.2)


# --- CPU used, per process group: robust to other load on the machine, unlike rates ---


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process, 0 once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def database_backends() -> list[int]:
    """The PostgreSQL processes serving the benchmark's database (not this one's own)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


class CpuMeter:
    """CPU seconds used during a phase by the web server's workers, the database's backends
    and this load client."""

    def __init__(self, server_pid: int | None):
        self.server_pid = server_pid

    async def start(self) -> None:
        self.groups = {
            "web server": children(self.server_pid) if self.server_pid else [],
            "PostgreSQL": await asyncio.to_thread(database_backends),
        }
        self.before = {name: sum(map(process_cpu, pids)) for name, pids in self.groups.items()}
        self.client_before = time.process_time()

    async def used(self) -> dict[str, float]:
        used = {
            name: sum(map(process_cpu, pids)) - self.before[name]
            for name, pids in self.groups.items()
        }
        # Backends opened during the phase (a connection past CONN_MAX_AGE) count whole.
        started = set(self.groups["PostgreSQL"])
        new = [pid for pid in await asyncio.to_thread(database_backends) if pid not in started]
        used["PostgreSQL"] += sum(map(process_cpu, new))
        return used | {"load client": time.process_time() - self.client_before}

    async def report(self, per: int, what: str) -> str:
        return self.text(await self.used(), per, what)

    @staticmethod
    def text(used: dict[str, float], per: int, what: str) -> str:
        if not per:
            return ""
        return f"  CPU per {what}  " + ", ".join(
            f"{name} {seconds / per * 1000:.1f} ms" for name, seconds in used.items() if seconds
        )


# --- Database: seeding and checking, with the server's own settings ---


def server_environment(args, port: int, static_root: str) -> dict[str, str]:
    """Production settings for plain HTTP on 127.0.0.1."""
    return {
        "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
        "DEBUG": "off",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "off",
        "SESSION_COOKIE_SECURE": "off",
        "CSRF_COOKIE_SECURE": "off",
        "DATABASE_URL": args.database_url,
        "CACHE_URL": args.cache_url,
        "BOOKING_RATE_LIMIT": args.rate_limit,
        "PUBLIC_PAGE_CACHE_SECONDS": str(args.page_cache),
        "STATIC_ROOT": static_root,
        "EMAIL_URL": "consolemail://",  # no task worker runs: the mails stay queued
    }


def database_recreate(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def django_setup(environment: dict[str, str], *, migrate: bool) -> None:
    os.environ.update(environment)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command

    if migrate:
        call_command("migrate", verbosity=0)
        if settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
            call_command("createcachetable", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)
    cache.clear()  # no rate-limit count or cached page from an earlier run


def seed() -> list[int]:
    """The benchmark's activities in a few places, publics and types, each with sessions to come
    that have more seats than any run takes."""
    from django.db import transaction
    from django.utils import timezone

    from guichet.catalogue.models import Activity
    from guichet.catalogue.tests.factories import (
        ActivityFactory,
        ActivityTypeFactory,
        AudienceFactory,
        CategoryFactory,
        LocationFactory,
        SessionFactory,
    )
    from guichet.core.models import Organisation

    if Activity.objects.filter(slug__startswith=SLUG_PREFIX).exists():
        raise SystemExit("The database already has the benchmark's activities: give a new one.")
    Organisation.objects.update_or_create(
        pk=Organisation.SINGLETON_PK,
        defaults={
            "name": "Ville d'Exemple",
            "phone": "+33320000000",
            "online_cancellation_allowed": True,
        },
    )
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(days=10)
    with transaction.atomic():
        locations = LocationFactory.create_batch(4)
        audiences = AudienceFactory.create_batch(3)
        types = ActivityTypeFactory.create_batch(4)
        category = CategoryFactory()
        sessions = []
        for n in range(ACTIVITY_COUNT):
            activity = ActivityFactory(
                name=f"Banc d'essai {n + 1:02d}",
                slug=f"{SLUG_PREFIX}-{n + 1:02d}",
                location=locations[n % len(locations)],
                audience=audiences[n % len(audiences)],
                activity_type=types[n % len(types)],
                category=category,
            )
            sessions += SessionFactory.create_batch(
                SESSIONS_PER_ACTIVITY,
                activity=activity,
                start=start + timedelta(days=n),
                seat_limit=FLOW_SEATS,
            )
    return [session.pk for session in sessions]


def flash_session_create(seats: int) -> int:
    from django.utils import timezone

    from guichet.catalogue.models import Activity
    from guichet.catalogue.tests.factories import SessionFactory

    activity = Activity.objects.get(slug=f"{SLUG_PREFIX}-01")
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    return SessionFactory(activity=activity, start=start, seat_limit=seats).pk


def database_check(tokens: dict[str, int], session_ids) -> list[str]:
    """What differs between the reservations the clients saw and those in the database."""
    from django.db.models import Sum

    from guichet.bookings.models import Reservation
    from guichet.bookings.services import seats_mismatches
    from guichet.catalogue.models import Session

    rows = dict(
        Reservation.objects.filter(session_id__in=session_ids).values_list("token", "quantity")
    )
    problems = []
    if missing := set(tokens) - set(rows):
        problems.append(f"{len(missing)} reservations seen by clients are not in the database")
    if unseen := set(rows) - set(tokens):
        problems.append(
            f"{len(unseen)} reservations in the database were never confirmed to a client"
        )
    if wrong := [t for t in set(rows) & set(tokens) if rows[t] != tokens[t]]:
        problems.append(f"{len(wrong)} reservations hold another quantity than the one booked")
    taken = (
        Session.objects.filter(pk__in=session_ids).aggregate(total=Sum("seats_taken"))["total"] or 0
    )
    if taken != sum(tokens.values()):
        problems.append(f"seats taken {taken} != seats booked by clients {sum(tokens.values())}")
    if mismatches := seats_mismatches():
        problems.append(f"seat counters differ from the reservations: {mismatches}")
    return problems


# --- The server ---


@contextmanager
def gunicorn(args, environment: dict[str, str], port: int, log_path: Path):
    """The server, its output in log_path (every refused booking logs a warning)."""
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "guichet.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={args.workers}",
        f"--worker-class={args.worker_class}",
        f"--threads={args.threads}",
        "--keep-alive=5",
        "--backlog=2048",
        "--log-level=warning",
    ]
    print("server: gunicorn", " ".join(command[1:]), flush=True)
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env=os.environ | environment,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    try:
        yield server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        lines = log_path.read_text(errors="replace").splitlines()
        print(f"server log: {len(lines)} lines" + (f", the last: {lines[-1]}" if lines else ""))


# --- Report ---


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def milliseconds(values: list[float]) -> str:
    if not values:
        return "n/a"
    return " ".join(f"p{p} {percentile(values, p) * 1000:.0f} ms" for p in (50, 95, 99)) + (
        f" max {max(values) * 1000:.0f} ms"
    )


def flow_report(stats: Stats, elapsed: float, clients: int) -> None:
    bookings = len(stats.latencies)
    print(
        f"\nVisitor flow, {clients} clients, {elapsed:.1f} s: list, activity, form, submit, confirmation"
    )
    print(f"  bookings      {bookings} = {bookings / elapsed:.1f} per second")
    print(f"  flow latency  {milliseconds(stats.latencies)}")
    print(f"  errors        {sum(stats.errors.values())} {dict(stats.errors) or ''}")
    if stats.sql and any(stats.sql):
        steps = ", ".join(
            f"{step} {statistics.mean(v):.1f}" for step, v in stats.sql_by_step.items()
        )
        print(
            f"  SQL per flow  mean {statistics.mean(stats.sql):.1f}, max {max(stats.sql)} ({steps})"
        )
    else:
        print(
            "  SQL per flow  n/a (the server does not send X-SQL-Queries: run it with bench_settings)"
        )
    if stats.new_sessions:
        print(f"  note: {stats.new_sessions} responses created a session (sessionid cookie)")


def outcome(problems: list[str], fine: str) -> str:
    return "; ".join(problems) if problems else fine


async def list_phase(args, target: Target, addresses: Addresses) -> list[str]:
    minimal, listing = await rates_compare(
        target,
        addresses,
        ["/bench/ok/", "/"],
        args.clients,
        args.list_seconds,
        CpuMeter(args.server_pid),
    )
    ratio = listing.per_second / minimal.per_second if minimal.per_second else 0
    print(
        f"\nActivity list beside a minimal Django view, {args.clients} keep-alive clients, "
        f"{args.list_seconds:g} s each, in turns of 1 s"
    )
    print(f"  minimal view  {minimal.per_second:.0f} requests/s ({minimal.errors} errors)")
    print(f"  {minimal.cpu_text()}")
    print(
        f"  activity list {listing.per_second:.0f} requests/s ({listing.errors} errors) "
        f"= {ratio:.0%} of the minimal view"
    )
    print(f"  {listing.cpu_text()}")
    if ratio < 0.40 or minimal.errors or listing.errors:
        return ["activity list below 40 % of the minimal view, or errors"]
    return []


async def visitor_phase(args, target: Target, addresses: Addresses, seen: dict) -> list[str]:
    meter = CpuMeter(args.server_pid)
    await meter.start()
    stats, elapsed = await flow_phase(target, addresses, args.clients, args.seconds)
    seen |= stats.tokens
    flow_report(stats, elapsed, args.clients)
    print(await meter.report(len(stats.latencies), "booking"))
    failures = []
    rate = len(stats.latencies) / elapsed
    if rate < 100 or stats.errors or not percentile(stats.latencies, 99) < 0.3:
        failures.append("flow: under 100 bookings/s, p99 of 300 ms or more, or errors")
    if stats.sql and max(stats.sql) > 20:
        failures.append("flow: more than 20 SQL statements")
    return failures


async def crowd_phase(args, target: Target, addresses: Addresses) -> list[str]:
    session_id = await asyncio.to_thread(flash_session_create, args.seats)
    crowd = await flash_phase(target, addresses, session_id, args.crowd)
    shown = await pages_exist(target, addresses, crowd.winners)
    print(
        f"\nFlash crowd: {args.crowd} clients released together on a session with "
        f"{args.seats} seats"
    )
    print(f"  got a seat    {len(crowd.winners)} (confirmation pages shown: {shown})")
    print(f"  answer times  winners {milliseconds(list(crowd.winners.values()))}")
    print(f"                losers  {milliseconds(crowd.losers)}")
    statuses = dict(sorted(crowd.statuses.items()))
    print(f"  statuses      {statuses}  errors {dict(crowd.errors) or 0}")
    failures = await asyncio.to_thread(
        database_check, dict.fromkeys(crowd.winners, 1), [session_id]
    )
    fine = f"exactly {len(crowd.winners)} reservations, seat counter agrees"
    print("  database      " + outcome(failures, fine))
    if len(crowd.winners) != args.seats or shown != args.seats:
        failures.append("flash crowd: not exactly as many bookings as seats")
    if crowd.errors or any(status >= 500 for status in crowd.statuses):
        failures.append("flash crowd: errors")
    if len(crowd.losers) != args.crowd - args.seats or not percentile(crowd.losers, 99) < 1:
        failures.append("flash crowd: a loser waited 1 s or more (p99), or was not answered 409")
    return failures


def load_average(when: str) -> None:
    print(f"machine load average {when}: " + " ".join(f"{v:.1f}" for v in os.getloadavg()))


async def run(args) -> int:
    target = Target("127.0.0.1", args.port)
    addresses = Addresses()
    load_average("before")
    await server_ready(target, 60)
    session_ids = await asyncio.to_thread(seed)
    print(
        f"settings: DEBUG off, BOOKING_RATE_LIMIT={args.rate_limit or 'off'} per address, "
        f"PUBLIC_PAGE_CACHE_SECONDS={args.page_cache}, cache {args.cache_url.split('://')[0]}",
        flush=True,
    )
    warmup, _elapsed = await flow_phase(target, addresses, args.clients, args.warmup)
    seen = dict(warmup.tokens)
    failures: list[str] = []
    if "list" in args.phases:
        failures += await list_phase(args, target, addresses)
    if "flow" in args.phases:
        failures += await visitor_phase(args, target, addresses, seen)
    problems = await asyncio.to_thread(database_check, seen, session_ids)
    fine = "exactly those are in the database, seat counters agree"
    print(
        f"\nDatabase: {len(seen)} reservations confirmed to clients (with the warm-up): "
        + outcome(problems, fine)
    )
    failures += problems
    if "flash" in args.phases:
        failures += await crowd_phase(args, target, addresses)
    load_average("after")
    print("\n" + ("Targets met." if not failures else "Targets missed: " + "; ".join(failures)))
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url",
        help="a running server (started with benchmarks.bench_settings); default: start one",
    )
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/guichet_bench"
    )
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/1")
    parser.add_argument(
        "--rate-limit", default="20/m", help="BOOKING_RATE_LIMIT (the product's default)"
    )
    parser.add_argument(
        "--page-cache",
        type=int,
        default=5,
        help="PUBLIC_PAGE_CACHE_SECONDS of the server it starts",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20, help="length of the flow phase")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument(
        "--list-seconds", type=float, default=10, help="length of each rate measurement"
    )
    parser.add_argument("--crowd", type=int, default=200)
    parser.add_argument("--seats", type=int, default=50)
    parser.add_argument(
        "--phases", default="list,flow,flash", help="comma-separated: list, flow, flash"
    )
    args = parser.parse_args()
    args.phases = set(args.phases.split(","))

    args.server_pid = None
    if args.url:
        parts = urllib.parse.urlsplit(args.url)
        if not (parts.hostname or "").startswith("127."):
            parser.error("load is only sent to the loopback range 127.0.0.0/8")
        args.port = parts.port or 80
        # The server's settings, as given on the command line: used to seed and check its database.
        environment = server_environment(args, args.port, tempfile.gettempdir())
        django_setup(environment, migrate=False)
        return asyncio.run(run(args))

    if "bench" not in urllib.parse.urlsplit(args.database_url).path:
        parser.error("the database is dropped and created again: its name must contain 'bench'")
    args.port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        environment = server_environment(args, args.port, folder)
        database_recreate(args.database_url)
        django_setup(environment, migrate=True)
        with gunicorn(args, environment, args.port, Path(folder) / "server.log") as args.server_pid:
            return asyncio.run(run(args))


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
