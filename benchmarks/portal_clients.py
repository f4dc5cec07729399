"""Signed-in load clients of the portals' benchmarks (solidarity_pages.py, family_opening.py,
solidarity_booking.py): booking_flow.py's server on a new database seeded for the benchmark, the
session each person is signed in with while seeding, a timed keep-alive client that carries its
cookies and reads the CSRF token of a page, and the latencies per step with their report. The
raw HTTP client and the server's settings are booking_flow.py's.
"""

import re
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.booking_flow import (
    Connection,
    HttpError,
    Response,
    Target,
    database_recreate,
    django_setup,
    free_port,
    gunicorn,
    milliseconds,
    server_environment,
)

SESSION_COOKIE = "sessionid"  # Django's default name, kept by guichet.settings
SIGN_IN_BACKEND = "guichet.accounts.backends.IdentifierBackend"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def server_options(parser, *, database: str, cache_db: int) -> None:
    """The options of the server's set-up: its database (dropped and made again), its Redis
    database, gunicorn's workers."""
    parser.add_argument("--database-url", default=f"postgres://postgres@127.0.0.1:5432/{database}")
    parser.add_argument("--cache-url", default=f"redis://127.0.0.1:6379/{cache_db}")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=4)


@contextmanager
def seeded_server(parser, args, seed, *, rate_limit: str = "20/m"):
    """booking_flow.py's server (production settings, DEBUG off, gunicorn) on the database of
    `args`, made again, migrated and seeded by `seed()` in this process: yields what `seed`
    returns, with `args.port` and `args.server_pid` set; stops the server after."""
    if "bench" not in urllib.parse.urlsplit(args.database_url).path:
        parser.error("the database is dropped and created again: its name must contain 'bench'")
    # What booking_flow.server_environment reads besides: the booking rate limit, the cache.
    args.rate_limit, args.page_cache = rate_limit, 5
    args.port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        environment = server_environment(args, args.port, folder)
        database_recreate(args.database_url)
        django_setup(environment, migrate=True)
        started = time.perf_counter()
        seeded = seed()
        print(f"seeding: {time.perf_counter() - started:.1f} s", flush=True)
        with gunicorn(args, environment, args.port, Path(folder) / "server.log") as args.server_pid:
            yield seeded


def signed_in_session(user) -> str:
    """The session key of `user` signed in with "Se souvenir de moi" (a session row, as
    `login()` writes it), made in the seeding process: no password hashing per account."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = SIGN_IN_BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.set_expiry(30 * 24 * 3600)
    store.create()
    return store.session_key


def csrf_token(response: Response) -> str:
    found = CSRF_INPUT.search(response.text)
    if not found:
        raise HttpError("no form on the page")
    return found.group(1)


@dataclass
class Timings:
    """Seconds and SQL statements (X-SQL-Queries) per step, and the errors, of all clients."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    sql: dict[str, list[int]] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)

    def add(self, step: str, seconds: float, response: Response) -> None:
        self.seconds.setdefault(step, []).append(seconds)
        self.sql.setdefault(step, []).append(response.sql or 0)

    def every(self) -> list[float]:
        return [s for values in self.seconds.values() for s in values]

    def print_steps(self) -> None:
        """A line per step: count, p50/p95/p99/max, SQL statements mean and max."""
        for step, values in self.seconds.items():
            sql = self.sql[step]
            print(
                f"  {step:<16}{len(values):>6}  {milliseconds(values)}; SQL mean "
                f"{sum(sql) / len(sql):.1f}, max {max(sql)}"
            )
        print(f"  errors          {sum(self.errors.values())} {dict(self.errors) or ''}")


class PortalClient:
    """One signed-in person's keep-alive connection from its own address; every request is
    timed under its step, and an answer of another status raises HttpError."""

    def __init__(self, target: Target, source: str, session_key: str, timings: Timings):
        self.target, self.timings = target, timings
        self.connection = Connection(target.host, target.port, source)
        self.connection.cookies[SESSION_COOKIE] = session_key

    async def get(self, step: str, path: str, status: int = 200) -> Response:
        return await self._send(step, "GET", path, None, (status,))

    async def post(
        self, step: str, path: str, form: dict, status: tuple[int, ...] = (302,)
    ) -> Response:
        return await self._send(step, "POST", path, form, status)

    async def _send(self, step, method, path, form, statuses) -> Response:
        started = time.perf_counter()
        try:
            response = await self.connection.request(method, path, form, origin=self.target.origin)
        except OSError:
            self.connection.close()
            raise
        self.timings.add(step, time.perf_counter() - started, response)
        if response.status not in statuses:
            raise HttpError(f"{step}: HTTP {response.status}")
        return response

    def close(self) -> None:
        self.connection.close()


# --- A person's path --------------------------------------------------------------------------
# A path is described once, as a generator that yields each request (a Step) and is sent each
# answer: a benchmark plays it over HTTP, its profile (family_profile.py, solidarity_profile.py)
# through Django's test client, so that the profile measures exactly the requests the benchmark
# sends.

TOGGLED = (302, 200)  # a POST redirected, or its page shown again with a message


@dataclass
class Step:
    """One request of a path: a GET, or a POST of `form` (its CSRF token added by the player,
    from the previous page); `think` when the person pauses before it; `posted`: the statuses
    expected of a POST."""

    name: str
    path: str
    form: dict | None = None
    think: bool = False
    posted: tuple[int, ...] = TOGGLED

    @property
    def statuses(self) -> tuple[int, ...]:
        return self.posted if self.form is not None else (200,)


@dataclass
class Answer:
    """What a path reads of an answer: the page, and where a POST redirects."""

    text: str
    location: str = ""


class PathBroken(Exception):
    """An answer the path cannot go on from (an empty basket, a booking without result)."""


def next_step(steps: Generator[Step, Answer, None], answer: Answer | None) -> Step | None:
    """The path's next request after `answer` (None for the first), None once it is done."""
    try:
        return steps.send(answer)
    except StopIteration:
        return None
