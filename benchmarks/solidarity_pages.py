"""The solidarity portal's pages under load: référents browsing the catalogue, an event's sheet
and "Mes participants", then twenty sign-ins at once. See docs/benchmarks.md.

    flock /work/wt/bench.lock .venv/bin/python benchmarks/solidarity_pages.py \\
        --database-url postgres://postgres@127.0.0.1:5432/guichet_bench_solidarity \\
        --cache-url redis://127.0.0.1:6379/4

It (re)creates the PostgreSQL database (its name must contain "bench"), migrates, seeds 200
events and 60 structures of 500 people each, signs 16 référents in (their session cookies made
by the seeding step) and starts gunicorn with production settings as benchmarks/booking_flow.py
does (its helpers, imported: 2 gthread workers of 4 threads, benchmarks/bench_settings.py adding
an X-SQL-Queries header). Each référent then loops for --seconds over: the event list with a
random filter, an event's sheet, "Mes participants" with a search. Then 20 référents sign in at
once (two steps, Django's 1,000,000 PBKDF2 iterations). Exits 1 when a target is missed:
>= 300 pages per second, p99 <= 150 ms, <= 10 SQL statements per page, every sign-in answered
within 10 s.
"""

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.booking_flow import (  # noqa: E402
    Addresses,
    Connection,
    CpuMeter,
    HttpError,
    Target,
    database_recreate,
    django_setup,
    free_port,
    gunicorn,
    load_average,
    milliseconds,
    percentile,
    server_environment,
    server_ready,
)

EVENTS = 200
STRUCTURES = 60
PEOPLE_PER_STRUCTURE = 500
BROWSERS = 16  # référents signed in by the seeding step
SIGN_INS = 20
PASSWORD = "banc-essai-solidaire-2026"

PAGES_PER_SECOND = 300
P99_SECONDS = 0.150
MAX_STATEMENTS = 10
SIGN_IN_SECONDS = 10.0

LAST_NAMES = (
    "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre "
    "Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont "
    "Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guérin Muller Henry "
    "Roussel Nicolas Perrin Morin Mathieu Clément Gauthier Dumont Lopez Fontaine Chevalier Robin"
).split()
FIRST_NAMES = (
    "Léa Hugo Chloé Louis Inès Jules Manon Gabriel Zoé Adam Emma Nathan Jade Lucas Sarah Noé "
    "Anaïs Théo Camille Yanis"
).split()
WORDS = ("concert", "theatre", "danse", "musee", "match", "atelier", "conte", "cirque")
SESSION_COOKIE = "sessionid"  # Django's default name, kept by guichet.settings
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
EVENT_LINK = re.compile(r'href="/solidaire/billetterie/(\d+)/"')


@dataclass
class Catalogue:
    """What the load client picks its filters from."""

    event_ids: list[int]
    category_ids: list[int]
    audience_ids: list[int]
    cities: list[str]
    browser_cookies: list[dict[str, str]]
    sign_in_emails: list[str]


def seed() -> Catalogue:
    """Venues, 200 events (three sessions each, at various hours, some closing soon, some new),
    60 active structures of 500 people, their référents; 16 of them signed in."""
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from guichet.accounts.models import Profile
    from guichet.catalogue.models import (
        Activity,
        Audience,
        Category,
        Channel,
        Location,
        Session,
    )
    from guichet.core.models import Organisation
    from guichet.core.search import search_text_of
    from guichet.solidarity.models import (
        Beneficiary,
        EventDetails,
        MemberRole,
        Membership,
        Structure,
        StructureCategory,
        StructureState,
        Territory,
        Venue,
        VenueCategory,
    )

    rng = random.Random(12)
    now = timezone.now().replace(second=0, microsecond=0)
    # One hash for every account: hashing 76 passwords would cost half a minute of CPU.
    password = make_password(PASSWORD)
    with transaction.atomic():
        Organisation.objects.update_or_create(
            pk=Organisation.SINGLETON_PK, defaults={"name": "Ville d'Exemple"}
        )
        territory = Territory.objects.create(code="59", name="Nord")
        Territory.objects.create(code="62", name="Pas-de-Calais")
        categories = [Category.objects.create(name=n) for n in ("Théâtre", "Musique", "Danse")]
        categories += [Category.objects.create(name=n) for n in ("Sport", "Visite", "Cirque")]
        audiences = [
            Audience.objects.create(name=n)
            for n in ("Tout public", "Jeune public", "Familles", "Adultes")
        ]
        cities = ["Lille", "Roubaix", "Tourcoing", "Villeneuve-d'Ascq", "Wattrelos"]
        kind = VenueCategory.objects.create(name="Théâtre")
        venues = []
        for n in range(10):
            place = Location.objects.create(
                name=f"Salle du banc d'essai {n}",
                address=f"{n} rue de l'Exemple\n59000 {cities[n % 5]}",
                latitude="50.630000",
                longitude="3.060000",
            )
            venue = Venue(
                name=f"Scène du banc d'essai {n}",
                category=kind,
                city=cities[n % 5],
                territory=territory,
            )
            venue.save()
            venue.places.set([place])
            venues.append((venue, place))
        activities = []
        for n in range(EVENTS):
            venue, place = venues[n % len(venues)]
            activity = Activity(
                channel=Channel.SOLIDARITY,
                name=f"{WORDS[n % len(WORDS)].capitalize()} du banc d'essai n° {n + 1}",
                slug=f"banc-essai-solidaire-{n + 1}",
                location=place,
                description="<p>Un événement du banc d'essai.</p>",
                category=categories[n % len(categories)],
                audience=audiences[n % len(audiences)],
            )
            activity.search_text = search_text_of(activity, Activity.search_sources)
            activities.append(activity)
        Activity.objects.bulk_create(activities)
        EventDetails.objects.bulk_create(
            EventDetails(
                activity=activity,
                venue=venues[n % len(venues)][0],
                duration=90,
                advised_age="Tout public",
                practical_info="<p>Entrée principale.</p>",
                published_at=now - timedelta(days=n % 30),
            )
            for n, activity in enumerate(activities)
        )
        sessions = []
        for n, activity in enumerate(activities):
            for k in range(3):
                start = now + timedelta(days=1 + (n + 7 * k) % 60, hours=rng.choice((-3, 2, 8)))
                sessions.append(
                    Session(
                        activity=activity,
                        start=start,
                        end=start + timedelta(minutes=90),
                        seat_limit=30,
                        closes_at=start - timedelta(hours=12) if k == 0 else None,
                    )
                )
        Session.objects.bulk_create(sessions)

        category = StructureCategory.objects.create(name="Centre social")
        structures = Structure.objects.bulk_create(
            Structure(
                name=f"Centre social du banc d'essai {n}",
                search_text=f"centre social du banc d essai {n}",
                category=category,
                city="Lille",
                territory=territory,
                state=StructureState.ACTIVE,
            )
            for n in range(STRUCTURES)
        )
        people = []
        for structure in structures:
            for k in range(PEOPLE_PER_STRUCTURE):
                person = Beneficiary(
                    structure=structure,
                    last_name=LAST_NAMES[k % len(LAST_NAMES)],
                    first_name=FIRST_NAMES[k // len(LAST_NAMES) % len(FIRST_NAMES)],
                    phone=f"+33612{(structure.pk * 1000 + k) % 1_000_000:06d}"
                    if k % 3 == 0
                    else "",
                )
                person.search_text = search_text_of(person, Beneficiary.search_sources)
                people.append(person)
        Beneficiary.objects.bulk_create(people, batch_size=5000)

        accounts = []
        for n in range(BROWSERS + SIGN_INS):
            email = f"referent-{n}@example.org"
            user = User.objects.create(
                username=f"referent-{n}",
                email=email,
                first_name="Référent",
                last_name=str(n),
                password=password,
            )
            Profile.objects.create(user=user, email=email)
            Membership.objects.create(
                user=user, structure=structures[n % STRUCTURES], role=MemberRole.MANAGER
            )
            accounts.append(user)
    cookies = []
    for user in accounts[:BROWSERS]:
        client = Client()
        client.force_login(user, backend="guichet.accounts.backends.IdentifierBackend")
        cookies.append(
            {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
        )
    return Catalogue(
        event_ids=[activity.pk for activity in activities],
        category_ids=[c.pk for c in categories],
        audience_ids=[a.pk for a in audiences],
        cities=cities,
        browser_cookies=cookies,
        sign_in_emails=[user.email for user in accounts[BROWSERS:]],
    )


# --- The référents' loop ---


@dataclass
class PageStats:
    latencies: list[float] = field(default_factory=list)
    by_page: dict[str, list[float]] = field(default_factory=dict)
    sql_by_page: dict[str, list[int]] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)


def event_list_query(rng: random.Random, catalogue: Catalogue) -> str:
    today = time.strftime("%Y-%m-%d")
    later = time.strftime("%Y-%m-%d", time.localtime(time.time() + 20 * 86400))
    choice = rng.randrange(9)
    query = [
        {},
        {"q": rng.choice(WORDS)},
        {"genre": rng.choice(catalogue.category_ids)},
        {"public": rng.choice(catalogue.audience_ids)},
        {"ville": rng.choice(catalogue.cities)},
        {"horaire": rng.choice(("matin", "apres-midi", "soir"))},
        {"du": today, "au": later},
        {"section": "all", "page": rng.randint(1, 20)},
        {"section": rng.choice(("new", "closing"))},
    ][choice]
    return "/solidaire/billetterie/" + ("?" + urllib.parse.urlencode(query) if query else "")


def next_page(rng: random.Random, catalogue: Catalogue) -> tuple[str, str]:
    kind = rng.choice(("event list", "event sheet", "Mes participants"))
    if kind == "event list":
        return kind, event_list_query(rng, catalogue)
    if kind == "event sheet":
        return kind, f"/solidaire/billetterie/{rng.choice(catalogue.event_ids)}/"
    query = rng.choice(LAST_NAMES)[: rng.randint(3, 6)]
    return kind, "/solidaire/participants/?" + urllib.parse.urlencode({"q": query})


async def browse_phase(
    target: Target, addresses: Addresses, catalogue: Catalogue, seconds: float
) -> tuple[PageStats, float]:
    stats = PageStats()
    deadline = time.perf_counter() + seconds

    async def browser(number: int) -> None:
        rng = random.Random(number)
        connection = Connection(target.host, target.port, addresses.next())
        connection.cookies = dict(catalogue.browser_cookies[number])
        try:
            while time.perf_counter() < deadline:
                kind, path = next_page(rng, catalogue)
                started = time.perf_counter()
                try:
                    response = await connection.request("GET", path)
                except (HttpError, OSError, TimeoutError) as exc:
                    stats.errors[f"{kind}: {exc or type(exc).__name__}"] += 1
                    connection.close()
                    continue
                elapsed = time.perf_counter() - started
                if response.status != 200:
                    stats.errors[f"{kind}: HTTP {response.status}"] += 1
                    continue
                stats.latencies.append(elapsed)
                stats.by_page.setdefault(kind, []).append(elapsed)
                stats.sql_by_page.setdefault(kind, []).append(response.sql or 0)
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(browser(n) for n in range(BROWSERS)))
    return stats, time.perf_counter() - started


# --- Twenty sign-ins at once ---


async def sign_in(target: Target, source: str, email: str) -> tuple[bool, float, str]:
    """The two steps of "Connexion à votre espace"; (signed in, seconds, what went wrong)."""
    connection = Connection(target.host, target.port, source)
    started = time.perf_counter()
    try:
        page = await connection.request("GET", "/solidaire/connexion/")
        token = CSRF_INPUT.search(page.text)
        if page.status != 200 or token is None:
            return False, time.perf_counter() - started, f"sign-in page: HTTP {page.status}"
        form = {"csrfmiddlewaretoken": token.group(1), "identifier": email}
        page = await connection.request("POST", "/solidaire/connexion/", form, target.origin)
        token = CSRF_INPUT.search(page.text)
        if page.status != 200 or token is None or 'name="password"' not in page.text:
            return False, time.perf_counter() - started, f"step 1: HTTP {page.status}"
        form = {
            "csrfmiddlewaretoken": token.group(1),
            "identifier": email,
            "password": PASSWORD,
            "remember": "on",
        }
        answer = await connection.request("POST", "/solidaire/connexion/", form, target.origin)
        seconds = time.perf_counter() - started
        if answer.status != 302 or SESSION_COOKIE not in answer.cookies:
            return False, seconds, f"step 2: HTTP {answer.status}"
        return True, seconds, ""
    except (HttpError, OSError, TimeoutError) as exc:
        return False, time.perf_counter() - started, str(exc) or type(exc).__name__
    finally:
        connection.close()


async def sign_in_phase(target: Target, addresses: Addresses, catalogue: Catalogue) -> list[str]:
    started = time.perf_counter()
    results = await asyncio.gather(
        *(sign_in(target, addresses.next(), email) for email in catalogue.sign_in_emails)
    )
    whole = time.perf_counter() - started
    done = [seconds for ok, seconds, _ in results if ok]
    problems = Counter(problem for ok, _, problem in results if not ok)
    print(f"\n{SIGN_INS} sign-ins at once (two steps, PBKDF2 1,000,000 iterations)")
    print(f"  signed in     {len(done)} of {SIGN_INS}, the last after {whole:.2f} s")
    print(f"  each          {milliseconds(done)}")
    if problems:
        print(f"  failures      {dict(problems)}")
    failures = []
    if len(done) != SIGN_INS:
        failures.append(f"sign-in: {SIGN_INS - len(done)} of {SIGN_INS} failed")
    if whole > SIGN_IN_SECONDS:
        failures.append(f"sign-in: the last answered after {whole:.1f} s (> {SIGN_IN_SECONDS} s)")
    return failures


# --- Report ---


def browse_report(stats: PageStats, elapsed: float, cpu: dict[str, float]) -> list[str]:
    pages = len(stats.latencies)
    rate = pages / elapsed
    print(f"\n{BROWSERS} référents browsing for {elapsed:.1f} s (keep-alive, one address each)")
    print(f"  pages         {pages} = {rate:.1f} per second")
    print(f"  latency       {milliseconds(stats.latencies)}")
    for kind, values in stats.by_page.items():
        sql = stats.sql_by_page[kind]
        print(
            f"  {kind:<13} {len(values)} pages, {milliseconds(values)}; SQL statements "
            f"mean {statistics.mean(sql):.1f}, max {max(sql)}"
        )
    print(f"  errors        {sum(stats.errors.values())} {dict(stats.errors) or ''}")
    print(CpuMeter.text(cpu, pages, "page"))
    cores = sum(cpu.values()) / elapsed
    print(f"  cores used    {cores:.2f} of {len(os.sched_getaffinity(0))}")
    failures = []
    if rate < PAGES_PER_SECOND:
        failures.append(f"{rate:.0f} pages per second (< {PAGES_PER_SECOND})")
    p99 = percentile(stats.latencies, 99)
    if not p99 <= P99_SECONDS:
        failures.append(f"p99 {p99 * 1000:.0f} ms (> {P99_SECONDS * 1000:.0f} ms)")
    most = max((max(values) for values in stats.sql_by_page.values()), default=0)
    if most > MAX_STATEMENTS:
        failures.append(f"{most} SQL statements on a page (> {MAX_STATEMENTS})")
    if stats.errors:
        failures.append(f"{sum(stats.errors.values())} errors")
    return failures


async def run(args, catalogue: Catalogue) -> int:
    target = Target("127.0.0.1", args.port)
    addresses = Addresses()
    await server_ready(target, 60)
    print(f"seeded: {EVENTS} events, {STRUCTURES} structures of {PEOPLE_PER_STRUCTURE} people")
    await browse_phase(target, addresses, catalogue, args.warmup)  # connections, caches
    load_average("before")
    meter = CpuMeter(args.server_pid)
    await meter.start()
    stats, elapsed = await browse_phase(target, addresses, catalogue, args.seconds)
    failures = browse_report(stats, elapsed, await meter.used())
    failures += await sign_in_phase(target, addresses, catalogue)
    load_average("after")
    print("\n" + ("Targets met." if not failures else "Targets missed: " + "; ".join(failures)))
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/guichet_bench_solidarity"
    )
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/4")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20, help="length of the browsing loop")
    parser.add_argument("--warmup", type=float, default=3)
    args = parser.parse_args()
    # What booking_flow.server_environment reads: the product's defaults.
    args.rate_limit, args.page_cache = "20/m", 5
    if "bench" not in urllib.parse.urlsplit(args.database_url).path:
        parser.error("the database is dropped and created again: its name must contain 'bench'")
    args.port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        environment = server_environment(args, args.port, folder)
        database_recreate(args.database_url)
        django_setup(environment, migrate=True)
        started = time.perf_counter()
        catalogue = seed()
        print(f"seeding: {time.perf_counter() - started:.1f} s", flush=True)
        with gunicorn(args, environment, args.port, Path(folder) / "server.log") as args.server_pid:
            return asyncio.run(run(args, catalogue))


if __name__ == "__main__":
    sys.exit(main())
