"""Demo data (`manage.py load_demo_data`): the parks-and-gardens catalogue of the user guide.

The ten activities of the guide's listing at the Jardin Botanique de Tourcoing, their sessions in
every state a visitor can meet (free access, full, cancelled, postponed, booking deadline, places
left, unlimited, booking closed, past and archived), a few reservations made through the booking
services (the journal holds their entries, by the "système"), and five staff accounts: one per
portal's staff group, a superuser and a data-protection officer. The activities are all of the
parks. And the solidarity portal's structures, référents and people followed
(guichet/demo/solidarity.py), and the family portal's activities, periods, households and
bookings (guichet/demo/families.py). People and addresses are invented (example.org).

Loading is idempotent and keeps the sessions relative to today:
- rows are found by a natural key (names, usernames) and updated in place;
- the demo sessions of an activity are its first sessions by id; each load moves them back to
  their day relative to today. Loading twice the same day changes nothing; loading a week later
  moves every demo session a week on and adds nothing (but the e-mails that moving a booked
  session queues, as it would for a real one);
- reservations are made only when their session is created, so no load adds any.
"""

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageDraw

from guichet.bookings.models import Reservation
from guichet.bookings.services import (
    reservation_create,
    reservations_archive_past,
    session_save,
)
from guichet.catalogue.models import (
    Activity,
    ActivityType,
    Audience,
    Category,
    Location,
    Session,
    SessionStatus,
)
from guichet.catalogue.services import activity_save
from guichet.core.permissions import (
    DPO_GROUP,
    FAMILY_MANAGER_GROUP,
    MANAGER_GROUP,
    SOLIDARITY_MANAGER_GROUP,
)
from guichet.core.selectors import organisation_get
from guichet.demo.common import account_load, assign, reservations_unarchive
from guichet.demo.families import families_demo_load
from guichet.demo.solidarity import solidarity_demo_load

STAFF_USERNAME = "demo-gestionnaire"
ADMIN_USERNAME = "demo-admin"
FAMILY_STAFF_USERNAME = "demo-famille"
DPO_USERNAME = "demo-dpo"  # "Délégué à la protection des données": the person-data page
# A demo database only: the command refuses to run with DEBUG off unless forced.
DEMO_PASSWORD = "guichet-demo"
# The staff of each portal, each in its group (the back-office shows each its channel only).
STAFF_ACCOUNTS = {
    STAFF_USERNAME: MANAGER_GROUP,
    "demo-solidaire": SOLIDARITY_MANAGER_GROUP,
    FAMILY_STAFF_USERNAME: FAMILY_MANAGER_GROUP,
}

ORGANISATION = {
    "name": "Ville de Tourcoing — Parcs et jardins",
    "postal_address": "Hôtel de ville\n1 place de l'Exemple\n59200 Tourcoing",
    "phone": "+33320000000",  # E.164, as stored
    "website": "https://www.example.org",
    "sender_email": "parcs@example.org",
}

GARDEN = {
    "name": "Jardin Botanique de Tourcoing",
    "description": (
        "<p>Un îlot de verdure en plein cœur de ville : jardin à la française, jardin à "
        "l'anglaise, jardin « Amérique du Nord » et serres pédagogiques (serres chaudes et "
        "serres froides).</p>"
        "<p>Les serres ne se visitent que lors des visites guidées. Le jardin est accessible aux "
        "fauteuils roulants et aux poussettes.</p>"
    ),
    "address": "32 rue du Moulin Fagot\n59200 Tourcoing",
    "latitude": Decimal("50.731800"),
    "longitude": Decimal("3.160100"),
    "group_contact": (
        "Contactez directement les serres au 03 20 00 00 00 pour convenir d'une date."
    ),
}

CATEGORY = "Nature"
FAMILY = "Famille"
FROM_7 = "A partir de 7 ans"
TOUR = "Visite guidée"
WORKSHOP = "Atelier"
EVENT = "Animation"


@dataclass(frozen=True)
class DemoBooking:
    first_name: str
    last_name: str
    quantity: int
    phone: str
    city: str = "Tourcoing"

    @property
    def email(self) -> str:
        return f"{slugify(self.first_name)}.{slugify(self.last_name)}@example.org"


@dataclass(frozen=True)
class DemoSession:
    days: int  # from today; with `sunday`, the first Sunday from that day on
    at: time
    minutes: int
    seat_limit: int | None = None
    bookings: tuple[DemoBooking, ...] = ()
    status: str = SessionStatus.NONE
    reason: str = ""
    postponed_by: timedelta | None = None
    sunday: bool = False


@dataclass(frozen=True)
class DemoActivity:
    name: str
    activity_type: str
    audience: str
    description: str
    bookable_online: bool = True
    booking_delay: timedelta = timedelta(0)
    sessions: tuple[DemoSession, ...] = field(default_factory=tuple)


CAMILLE = DemoBooking("Camille", "Durand", 2, "06 12 34 56 01")
LOUIS = DemoBooking("Louis", "Petit", 4, "06 12 34 56 02", city="Roubaix")
INES = DemoBooking("Inès", "Moreau", 3, "06 12 34 56 03")
HUGO = DemoBooking("Hugo", "Lefèvre", 3, "06 12 34 56 04", city="Mouvaux")
CHLOE = DemoBooking("Chloé", "Garnier", 1, "06 12 34 56 05")
NATHAN = DemoBooking("Nathan", "Roux", 2, "06 12 34 56 06", city="Wattrelos")
LEA = DemoBooking("Léa", "Fontaine", 2, "06 12 34 56 07")
JULES = DemoBooking("Jules", "Mercier", 2, "06 12 34 56 08", city="Lille")

ACTIVITIES = (
    DemoActivity(
        'Activités manuelles : "Thème de Pâques"',
        WORKSHOP,
        FAMILY,
        "<p>Décorations de Pâques en matériaux naturels : coquilles, graines, feuilles et "
        "brindilles. Tout le matériel est fourni ; chaque enfant vient avec un adulte.</p>",
        sessions=(
            DemoSession(4, time(14), 60, bookings=(LEA,)),  # unlimited
            DemoSession(11, time(14), 60, seat_limit=10),
        ),
    ),
    DemoActivity(
        'Atelier : "Fabrication de nichoirs à oiseaux"',
        WORKSHOP,
        FROM_7,
        "<p>Assemblez un nichoir en bois avec les jardiniers, puis repartez avec pour "
        "l'installer chez vous. Les réservations ferment deux jours avant l'atelier, le temps "
        "de préparer les planches.</p>",
        booking_delay=timedelta(days=2),
        sessions=(
            DemoSession(
                1, time(10), 90, seat_limit=10, bookings=(HUGO,)
            ),  # booking closed, still to come
            DemoSession(10, time(10), 90, seat_limit=15),  # "Réserver avant le …"
        ),
    ),
    DemoActivity(
        'Atelier pour enfants : "Découverte des légumes du potager et des outils du jardinier"',
        WORKSHOP,
        FROM_7,
        "<p>Au potager pédagogique, les enfants reconnaissent les légumes de saison, sèment et "
        "apprennent à se servir des outils du jardinier.</p>",
        sessions=(
            DemoSession(
                -7, time(10), 60, seat_limit=10, bookings=(NATHAN, CHLOE)
            ),  # past: archived
            DemoSession(15, time(10), 60, seat_limit=10),
        ),
    ),
    DemoActivity(
        'Dimanche familial : "Découverte des plantes en jouant" - épreuves physiques et quizz',
        EVENT,
        FAMILY,
        "<p>Un après-midi de jeux en équipe dans le jardin : parcours, défis et quiz sur les "
        "plantes. Entrée libre, sans réservation.</p>",
        bookable_online=False,
        sessions=(DemoSession(7, time(14), 240, sunday=True),),
    ),
    DemoActivity(
        'Dimanche familial : "Jeux de société sur les plantes et l\'environnement"',
        EVENT,
        FAMILY,
        "<p>Jeux de plateau, de cartes et d'observation autour de la nature, pour petits et "
        "grands. Entrée libre, sans réservation.</p>",
        bookable_online=False,
        sessions=(DemoSession(14, time(14), 240, sunday=True),),
    ),
    DemoActivity(
        "Petite visite guidée des serres",
        TOUR,
        FAMILY,
        "<p>Une heure dans les serres chaudes et froides avec un jardinier. "
        "Accès libre, sans réservation : rendez-vous à l'entrée des serres.</p>",
        bookable_online=False,
        sessions=(
            DemoSession(2, time(11), 60),
            DemoSession(9, time(11), 60),
            DemoSession(16, time(14), 60),
        ),
    ),
    DemoActivity(
        "Tourcoing se met au vert",
        EVENT,
        FAMILY,
        "<p>La fête des jardins : stands, trocs de plantes, conseils des jardiniers et animations "
        "toute la journée. Entrée libre.</p>",
        bookable_online=False,
        sessions=(DemoSession(20, time(10), 480),),
    ),
    DemoActivity(
        "Visite guidée des serres pédagogiques",
        TOUR,
        FAMILY,
        "<p>Les serres pédagogiques ne se visitent qu'accompagné : plantes tropicales, cactus, "
        "plantes carnivores et collections de la ville. Visite gratuite, accessible aux "
        "fauteuils roulants et aux poussettes. Durée : 1 h 30.</p>",
        sessions=(
            DemoSession(3, time(10), 90, seat_limit=6, bookings=(CAMILLE, LOUIS)),  # full
            DemoSession(8, time(10), 90, seat_limit=20, bookings=(INES, JULES)),  # 15 places left
        ),
    ),
    DemoActivity(
        'Visite thématique des serres : "Adaptation des plantes à la sécheresse"',
        TOUR,
        FAMILY,
        "<p>Cactus, plantes grasses et plantes des steppes : comment vivre avec peu d'eau ? "
        "Des idées à reprendre au jardin.</p>",
        sessions=(
            DemoSession(
                5,
                time(14),
                90,
                seat_limit=12,
                bookings=(CAMILLE,),
                status=SessionStatus.CANCELLED,
                reason="Conditions météo difficiles",
            ),
            DemoSession(12, time(14), 90, seat_limit=12),
        ),
    ),
    DemoActivity(
        'Visite thématique des serres : "Les plantes et les animaux"',
        TOUR,
        FROM_7,
        "<p>Pollinisateurs, fourmis et plantes carnivores : les alliances et les ruses du monde "
        "végétal, racontées dans les serres.</p>",
        sessions=(
            DemoSession(
                6,
                time(10),
                90,
                seat_limit=12,
                bookings=(LEA,),
                status=SessionStatus.POSTPONED,
                reason="Serres fermées pour travaux",
                postponed_by=timedelta(days=7),
            ),
        ),
    ),
)


@dataclass
class DemoSummary:
    activities: int
    sessions: int
    reservations: int


def _session_day(spec: DemoSession, today: date) -> date:
    day = today + timedelta(days=spec.days)
    if spec.sunday:
        day += timedelta(days=(6 - day.weekday()) % 7)
    return day


def _session_dates(spec: DemoSession, today: date) -> dict:
    start = timezone.make_aware(datetime.combine(_session_day(spec, today), spec.at))
    duration = timedelta(minutes=spec.minutes)
    dates = {"start": start, "end": start + duration, "new_start": None, "new_end": None}
    if spec.postponed_by:
        dates["new_start"] = start + spec.postponed_by
        dates["new_end"] = dates["new_start"] + duration
    return dates


def demo_logo_png() -> bytes:
    """An invented logo: a leaf on a green disc (no real city's emblem)."""
    image = Image.new("RGBA", (128, 128), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, 124, 124), fill=(46, 107, 74, 255))
    draw.ellipse((34, 30, 94, 98), fill=(255, 255, 255, 255))
    draw.ellipse((50, 22, 110, 90), fill=(46, 107, 74, 255))
    draw.line((40, 100, 88, 44), fill=(255, 255, 255, 255), width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _organisation_load() -> None:
    organisation = organisation_get()
    if assign(organisation, **ORGANISATION):
        organisation.full_clean()
        organisation.save()
    if not organisation.logo:
        organisation.logo.save("logo-demo.png", ContentFile(demo_logo_png()), save=True)


def _location_load() -> Location:
    location = Location.objects.filter(name=GARDEN["name"]).first() or Location()
    if assign(location, **GARDEN):
        location.full_clean()
        location.save()
    return location


def _activity_load(spec: DemoActivity, *, location: Location) -> Activity:
    activity = Activity.objects.filter(name=spec.name).first() or Activity(
        name=spec.name, location=location
    )
    changed = assign(
        activity,
        location=location,
        description=spec.description,
        audience=Audience.objects.get_or_create(name=spec.audience)[0],
        activity_type=ActivityType.objects.get_or_create(name=spec.activity_type)[0],
        category=Category.objects.get_or_create(name=CATEGORY)[0],
        bookable_online=spec.bookable_online,
        booking_delay=spec.booking_delay,
    )
    if changed:
        activity_save(activity=activity)
    return activity


def _session_load(
    spec: DemoSession, *, session: Session | None, activity: Activity, today: date
) -> None:
    dates = _session_dates(spec, today)
    created = session is None
    if created:
        session = session_save(
            session=Session(
                activity=activity,
                start=dates["start"],
                end=dates["end"],
                seat_limit=spec.seat_limit,
            )
        )
        # Booked before the status is set, as in real life: cancelling then cancels them.
        for booking in spec.bookings:
            reservation_create(
                session=session,
                first_name=booking.first_name,
                last_name=booking.last_name,
                email=booking.email,
                phone=booking.phone,
                city=booking.city,
                quantity=booking.quantity,
                online=False,
            )
    if assign(session, seat_limit=spec.seat_limit, status=spec.status, reason=spec.reason, **dates):
        session_save(session=session)
    if not created and session.effective_start > timezone.now():
        reservations_unarchive(session)


@transaction.atomic
def demo_load() -> DemoSummary:
    today = timezone.localdate()
    _organisation_load()
    location = _location_load()
    for spec in ACTIVITIES:
        activity = _activity_load(spec, location=location)
        existing = list(activity.sessions.order_by("pk")[: len(spec.sessions)])
        for index, session_spec in enumerate(spec.sessions):
            session = existing[index] if index < len(existing) else None
            _session_load(session_spec, session=session, activity=activity, today=today)
    for username, group in STAFF_ACCOUNTS.items():
        staff = account_load(username, password=DEMO_PASSWORD, staff=True)
        staff.groups.add(Group.objects.get_or_create(name=group)[0])
    account_load(ADMIN_USERNAME, password=DEMO_PASSWORD, staff=True, superuser=True)
    dpo = account_load(DPO_USERNAME, password=DEMO_PASSWORD, staff=True)
    dpo.groups.add(Group.objects.get_or_create(name=DPO_GROUP)[0])
    solidarity_demo_load(password=DEMO_PASSWORD)
    families_demo_load(
        password=DEMO_PASSWORD, staff=User.objects.get(username=FAMILY_STAFF_USERNAME)
    )
    # Last, as the nightly job would run after the day's bookings: the past demo session shows
    # "Archivé" reservations, and so does a portal's session already over today (a family's
    # morning session once the demo is loaded after it), so a second load changes nothing.
    reservations_archive_past()
    return DemoSummary(
        activities=Activity.objects.count(),
        sessions=Session.objects.count(),
        reservations=Reservation.objects.count(),
    )
