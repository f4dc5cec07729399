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
import sys
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass
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
    load_average,
    milliseconds,
    percentile,
    server_ready,
)
from benchmarks.portal_clients import (  # noqa: E402
    CSRF_INPUT,
    SESSION_COOKIE,
    PortalClient,
    Timings,
    seeded_server,
    server_options,
    signed_in_session,
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
EVENT_LINK = re.compile(r'href="/solidaire/billetterie/(\d+)/"')


@dataclass
class Catalogue:
    """What the load client picks its filters from."""

    event_ids: list[int]
    category_ids: list[int]
    audience_ids: list[int]
    cities: list[str]
    browser_sessions: list[str]
    sign_in_emails: list[str]


@dataclass
class Places:
    """The territory, the catalogue's categories and audiences, the venues with their place."""

    territory: object
    categories: list
    audiences: list
    cities: list[str]
    venues: list[tuple]  # (Venue, Location)


def places_seed() -> Places:
    from guichet.catalogue.models import Audience, Category, Location
    from guichet.core.models import Organisation
    from guichet.solidarity.models import Territory, Venue, VenueCategory

    Organisation.objects.update_or_create(
        pk=Organisation.SINGLETON_PK, defaults={"name": "Ville d'Exemple"}
    )
    territory = Territory.objects.create(code="59", name="Nord", phone="+33320000059")
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
            phone="+33320001000",
        )
        venue.save()
        venue.places.set([place])
        venues.append((venue, place))
    return Places(territory, categories, audiences, cities, venues)


def events_seed(places: Places, count: int, now) -> list:
    """`count` published solidarity events (Activity and EventDetails), without sessions."""
    from datetime import timedelta

    from guichet.catalogue.models import Activity, Channel
    from guichet.core.search import search_text_of
    from guichet.solidarity.models import EventDetails

    activities = []
    for n in range(count):
        venue, place = places.venues[n % len(places.venues)]
        activity = Activity(
            channel=Channel.SOLIDARITY,
            name=f"{WORDS[n % len(WORDS)].capitalize()} du banc d'essai n° {n + 1}",
            slug=f"banc-essai-solidaire-{n + 1}",
            location=place,
            description="<p>Un événement du banc d'essai.</p>",
            category=places.categories[n % len(places.categories)],
            audience=places.audiences[n % len(places.audiences)],
        )
        activity.search_text = search_text_of(activity, Activity.search_sources)
        activities.append(activity)
    Activity.objects.bulk_create(activities)
    EventDetails.objects.bulk_create(
        EventDetails(
            activity=activity,
            venue=places.venues[n % len(places.venues)][0],
            duration=90,
            advised_age="Tout public",
            practical_info="<p>Entrée principale.</p>",
            published_at=now - timedelta(days=n % 30),
        )
        for n, activity in enumerate(activities)
    )
    return activities


def structures_seed(places: Places, count: int, people_per_structure: int) -> list:
    """`count` active structures of `people_per_structure` participants each."""
    from guichet.core.search import search_text_of
    from guichet.solidarity.models import (
        Beneficiary,
        Structure,
        StructureCategory,
        StructureState,
    )

    category = StructureCategory.objects.create(name="Centre social")
    structures = Structure.objects.bulk_create(
        Structure(
            name=f"Centre social du banc d'essai {n}",
            search_text=f"centre social du banc d essai {n}",
            category=category,
            city="Lille",
            territory=places.territory,
            state=StructureState.ACTIVE,
        )
        for n in range(count)
    )
    people = []
    for structure in structures:
        for k in range(people_per_structure):
            person = Beneficiary(
                structure=structure,
                last_name=LAST_NAMES[k % len(LAST_NAMES)],
                first_name=FIRST_NAMES[k // len(LAST_NAMES) % len(FIRST_NAMES)],
                phone=f"+33612{(structure.pk * 1000 + k) % 1_000_000:06d}" if k % 3 == 0 else "",
            )
            person.search_text = search_text_of(person, Beneficiary.search_sources)
            people.append(person)
    Beneficiary.objects.bulk_create(people, batch_size=5000)
    return structures


def referents_seed(structures: list, count: int) -> list:
    """`count` référents (managers), spread over the structures in turn, all with PASSWORD."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User

    from guichet.accounts.models import Profile
    from guichet.solidarity.models import MemberRole, Membership

    # One hash for every account: hashing each password would cost seconds of CPU apiece.
    password = make_password(PASSWORD)
    users = User.objects.bulk_create(
        User(
            username=f"referent-{n}",
            email=f"referent-{n}@example.org",
            first_name="Référent",
            last_name=str(n),
            password=password,
        )
        for n in range(count)
    )
    Profile.objects.bulk_create(Profile(user=user, email=user.email) for user in users)
    Membership.objects.bulk_create(
        Membership(user=user, structure=structures[n % len(structures)], role=MemberRole.MANAGER)
        for n, user in enumerate(users)
    )
    return users


def seed() -> Catalogue:
    """Venues, 200 events (three sessions each, at various hours, some closing soon, some new),
    60 active structures of 500 people, their référents; 16 of them signed in."""
    from django.db import transaction
    from django.utils import timezone

    from guichet.catalogue.models import Session

    rng = random.Random(12)
    now = timezone.now().replace(second=0, microsecond=0)
    with transaction.atomic():
        places = places_seed()
        activities = events_seed(places, EVENTS, now)
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
        structures = structures_seed(places, STRUCTURES, PEOPLE_PER_STRUCTURE)
        accounts = referents_seed(structures, BROWSERS + SIGN_INS)
    return Catalogue(
        event_ids=[activity.pk for activity in activities],
        category_ids=[c.pk for c in places.categories],
        audience_ids=[a.pk for a in places.audiences],
        cities=places.cities,
        browser_sessions=[signed_in_session(user) for user in accounts[:BROWSERS]],
        sign_in_emails=[user.email for user in accounts[BROWSERS:]],
    )


# --- The référents' loop ---


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
) -> tuple[Timings, float]:
    timings = Timings()
    deadline = time.perf_counter() + seconds

    async def browser(number: int) -> None:
        rng = random.Random(number)
        client = PortalClient(target, addresses.next(), catalogue.browser_sessions[number], timings)
        try:
            while time.perf_counter() < deadline:
                kind, path = next_page(rng, catalogue)
                try:
                    await client.get(kind, path)
                except (HttpError, OSError) as exc:
                    timings.errors[f"{kind}: {exc or type(exc).__name__}"] += 1
        finally:
            client.close()

    started = time.perf_counter()
    await asyncio.gather(*(browser(n) for n in range(BROWSERS)))
    return timings, time.perf_counter() - started


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


def browse_report(timings: Timings, elapsed: float, cpu: dict[str, float]) -> list[str]:
    latencies = timings.every()
    pages = len(latencies)
    rate = pages / elapsed
    print(f"\n{BROWSERS} référents browsing for {elapsed:.1f} s (keep-alive, one address each)")
    print(f"  pages         {pages} = {rate:.1f} per second")
    print(f"  latency       {milliseconds(latencies)}")
    timings.print_steps()
    print(CpuMeter.text(cpu, pages, "page"))
    cores = sum(cpu.values()) / elapsed
    print(f"  cores used    {cores:.2f} of {len(os.sched_getaffinity(0))}")
    failures = []
    if rate < PAGES_PER_SECOND:
        failures.append(f"{rate:.0f} pages per second (< {PAGES_PER_SECOND})")
    p99 = percentile(latencies, 99)
    if not p99 <= P99_SECONDS:
        failures.append(f"p99 {p99 * 1000:.0f} ms (> {P99_SECONDS * 1000:.0f} ms)")
    most = max((max(values) for values in timings.sql.values()), default=0)
    if most > MAX_STATEMENTS:
        failures.append(f"{most} SQL statements on a page (> {MAX_STATEMENTS})")
    if timings.errors:
        failures.append(f"{sum(timings.errors.values())} errors")
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
    timings, elapsed = await browse_phase(target, addresses, catalogue, args.seconds)
    failures = browse_report(timings, elapsed, await meter.used())
    failures += await sign_in_phase(target, addresses, catalogue)
    load_average("after")
    print("\n" + ("Targets met." if not failures else "Targets missed: " + "; ".join(failures)))
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    server_options(parser, database="guichet_bench_solidarity", cache_db=4)
    parser.add_argument("--seconds", type=float, default=20, help="length of the browsing loop")
    parser.add_argument("--warmup", type=float, default=3)
    args = parser.parse_args()
    with seeded_server(parser, args, seed) as catalogue:
        return asyncio.run(run(args, catalogue))


if __name__ == "__main__":
    sys.exit(main())
