"""The solidarity portal's demo: two départements, a social structure in each with its
responsable and référent (`demo-responsable-1`/`-2`, `demo-referent-1`/`-2`, password
DEMO_PASSWORD), twenty invented participants, some with a phone or an e-mail, some without, a
few guests and accompaniers; three cultural venues and nine events with their sessions, relative
to today (guichet.demo.data's rule: loading again moves them with the day), one of which
(SLOTS_EVENT) shows every state of a slot, with bookings made through the services. The staff account of the "Gestionnaire solidaire" group,
`demo-solidaire`, is one of guichet.demo.data.STAFF_ACCOUNTS.

Found again by natural keys (codes, names, usernames), so that loading twice adds nothing."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from guichet.accounts.models import Profile
from guichet.bookings.services import session_save
from guichet.catalogue.models import Activity, Audience, Category, Channel, Location, Session
from guichet.catalogue.services import activity_save
from guichet.demo.common import account_load, assign, reservations_unarchive
from guichet.solidarity.models import (
    Beneficiary,
    BeneficiaryKind,
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
from guichet.solidarity.policy import holder_key, session_defaults
from guichet.solidarity.services import (
    booking_create,
    event_details_save,
    invitations_cancel,
    invitations_close,
    venue_save,
)

TERRITORIES = (
    {
        "code": "59",
        "name": "Nord",
        "phone": "+33320000010",
        "email": "solidaire-nord@example.org",
    },
    {
        "code": "62",
        "name": "Pas-de-Calais",
        "phone": "+33321000010",
        "email": "solidaire-pas-de-calais@example.org",
    },
)


@dataclass(frozen=True)
class DemoPerson:
    last_name: str
    first_name: str
    civility: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    kind: str = BeneficiaryKind.PARTICIPANT
    guest_of: str = ""  # the host's last name
    active: bool = True


@dataclass(frozen=True)
class DemoStructure:
    name: str
    category: str
    address: str
    postal_code: str
    city: str
    territory: str
    phone: str
    email: str
    number: int  # demo-responsable-<number>, demo-referent-<number>
    people: tuple[DemoPerson, ...]


STRUCTURES = (
    DemoStructure(
        name="Centre social des Trois Ponts (démo)",
        category="Centre social",
        address="12 rue des Exemples",
        postal_code="59100",
        city="Roubaix",
        territory="59",
        phone="+33320000020",
        email="trois-ponts@example.org",
        number=1,
        people=(
            DemoPerson("Aubert", "Nadia", "madame"),
            DemoPerson("Berthier", "Karim", "monsieur", phone="+33612000001"),
            DemoPerson("Carpentier", "Lucie", "madame", email="lucie.carpentier@example.org"),
            DemoPerson(
                "Delattre",
                "Samir",
                "monsieur",
                phone="+33612000002",
                email="samir.delattre@example.org",
                address="3 allée des Tilleuls, Roubaix",
            ),
            DemoPerson("Évrard", "Maëlys", "madame"),
            DemoPerson("Fournier", "Jean-Marc", "monsieur", phone="+33612000003"),
            DemoPerson("Gosselin", "Awa", "madame", active=False),
            DemoPerson("Hennebert", "Théo"),
            DemoPerson("Ibrahim", "Leïla", "madame", email="leila.ibrahim@example.org"),
            DemoPerson("Joly", "Bernard", "monsieur", address="8 rue du Moulin, Roubaix"),
            DemoPerson("Aubert", "Inès", kind=BeneficiaryKind.GUEST, guest_of="Aubert"),
            DemoPerson("Kouassi", "Ange", kind=BeneficiaryKind.GUEST, guest_of="Berthier"),
            DemoPerson(
                "Lemaire",
                "Sophie",
                "madame",
                phone="+33612000004",
                kind=BeneficiaryKind.ACCOMPANIER,
            ),
        ),
    ),
    DemoStructure(
        name="Association Le Relais d'Arras (démo)",
        category="Association d'insertion",
        address="5 place de l'Exemple",
        postal_code="62000",
        city="Arras",
        territory="62",
        phone="+33321000020",
        email="relais-arras@example.org",
        number=2,
        people=(
            DemoPerson("Marchand", "Yasmine", "madame", phone="+33612000005"),
            DemoPerson("Noël", "François", "monsieur"),
            DemoPerson("Olivier", "Chantal", "madame", email="chantal.olivier@example.org"),
            DemoPerson("Pruvost", "Dylan", "monsieur", phone="+33612000006"),
            DemoPerson("Quenot", "Rose", "madame"),
            DemoPerson("Ramdani", "Youssef", "monsieur", address="14 rue des Jardins, Arras"),
            DemoPerson("Sauvage", "Émilie", "madame", active=False),
            DemoPerson("Tison", "Marcel", "monsieur", phone="+33612000007"),
            DemoPerson("Urbain", "Margaux", "madame", email="margaux.urbain@example.org"),
            DemoPerson("Wallet", "Hugo", "monsieur"),
            DemoPerson("Marchand", "Lina", kind=BeneficiaryKind.GUEST, guest_of="Marchand"),
            DemoPerson("Vasseur", "Paul", "monsieur", kind=BeneficiaryKind.ACCOMPANIER),
        ),
    ),
)


def _account_load(username: str, *, first_name: str, last_name: str, password: str) -> User:
    user = account_load(
        username, password=password, staff=False, first_name=first_name, last_name=last_name
    )
    Profile.objects.update_or_create(user=user, defaults={"email": user.email})
    return user


def _structure_load(spec: DemoStructure) -> Structure:
    structure = Structure.objects.filter(name=spec.name).first() or Structure(name=spec.name)
    if assign(
        structure,
        category_id=StructureCategory.objects.get_or_create(name=spec.category)[0].pk,
        address=spec.address,
        postal_code=spec.postal_code,
        city=spec.city,
        territory_id=Territory.objects.get(code=spec.territory).pk,
        phone=spec.phone,
        email=spec.email,
        state=StructureState.ACTIVE,
        in_directory=True,
    ):
        structure.full_clean()
        structure.save()
    return structure


def _people_load(structure: Structure, people: tuple[DemoPerson, ...]) -> None:
    loaded: dict[str, Beneficiary] = {}
    # Hosts before their guests.
    for spec in sorted(people, key=lambda p: p.kind == BeneficiaryKind.GUEST):
        person = Beneficiary.objects.filter(
            structure=structure, last_name=spec.last_name, first_name=spec.first_name
        ).first() or Beneficiary(
            structure=structure, last_name=spec.last_name, first_name=spec.first_name
        )
        host = loaded.get(spec.guest_of) if spec.guest_of else None
        if (
            assign(
                person,
                kind=spec.kind,
                guest_of_id=host.pk if host else None,
                civility=spec.civility,
                phone=spec.phone,
                email=spec.email,
                address=spec.address,
                is_active=spec.active,
            )
            or person.pk is None
        ):
            person.full_clean()
            person.save()
        if spec.kind == BeneficiaryKind.PARTICIPANT:
            loaded.setdefault(spec.last_name, person)


def solidarity_demo_load(*, password: str) -> None:
    for fields in TERRITORIES:
        territory = Territory.objects.filter(code=fields["code"]).first() or Territory()
        if assign(territory, **fields):
            territory.full_clean()
            territory.save()
    for spec in STRUCTURES:
        structure = _structure_load(spec)
        for role, prefix, first_name in (
            (MemberRole.MANAGER, "demo-responsable", "Hélène"),
            (MemberRole.REFERENT, "demo-referent", "Mathis"),
        ):
            user = _account_load(
                f"{prefix}-{spec.number}",
                first_name=first_name,
                last_name=f"Démo {spec.number}",
                password=password,
            )
            Membership.objects.update_or_create(
                user=user, defaults={"structure": structure, "role": role}
            )
        _people_load(structure, spec.people)
    solidarity_catalogue_demo_load(today=timezone.localdate())


@dataclass(frozen=True)
class DemoVenue:
    name: str
    category: str
    address: str
    city: str
    territory: str
    website: str
    place: dict  # its one Location


VENUES = (
    DemoVenue(
        name="Théâtre du Beffroi (démo)",
        category="Théâtre",
        address="1 place du Beffroi",
        city="Roubaix",
        territory="59",
        website="https://theatre-beffroi.example.org/",
        place={
            "name": "Théâtre du Beffroi, grande salle (démo)",
            "address": "1 place du Beffroi\n59100 Roubaix",
            "latitude": Decimal("50.690100"),
            "longitude": Decimal("3.181700"),
            "description": "<p>Salle de 400 places, accessible en fauteuil roulant.</p>",
        },
    ),
    DemoVenue(
        name="Musée des Tisserands (démo)",
        category="Musée",
        address="22 rue des Métiers",
        city="Lille",
        territory="59",
        website="https://musee-tisserands.example.org/",
        place={
            "name": "Musée des Tisserands (démo)",
            "address": "22 rue des Métiers\n59000 Lille",
            "latitude": Decimal("50.636600"),
            "longitude": Decimal("3.063500"),
            "description": "<p>Collections textiles et ateliers.</p>",
        },
    ),
    DemoVenue(
        name="Stade des Remparts (démo)",
        category="Club sportif",
        address="4 chemin des Remparts",
        city="Arras",
        territory="62",
        website="",
        place={
            "name": "Stade des Remparts (démo)",
            "address": "4 chemin des Remparts\n62000 Arras",
            "latitude": Decimal("50.291000"),
            "longitude": Decimal("2.777500"),
            "description": "<p>Tribune couverte, entrée par la porte B.</p>",
        },
    ),
)


@dataclass(frozen=True)
class DemoEvent:
    name: str
    venue: str
    genre: str
    audience: str
    description: str
    advised_age: str
    minutes: int
    published_days_ago: int  # "Mis en ligne le", relative to today
    sessions: tuple[tuple[int, time, int], ...]  # (days from today, start, seats)
    closes_hours_before: int = 0  # the booking window closes this long before the start


EVENTS = (
    DemoEvent(
        "Le Songe d'une nuit d'été (démo)",
        "Théâtre du Beffroi (démo)",
        "Théâtre",
        "Tout public",
        "<p>Shakespeare joué par une troupe de la région, en français.</p>",
        "À partir de 10 ans",
        120,
        3,
        ((9, time(20), 12), (16, time(15), 12)),
    ),
    DemoEvent(
        "Contes du grenier (démo)",
        "Théâtre du Beffroi (démo)",
        "Conte",
        "Jeune public",
        "<p>Trois contes en musique pour les plus jeunes.</p>",
        "Dès 4 ans",
        45,
        20,
        ((2, time(10), 8), (2, time(15), 8)),
        24,
    ),
    DemoEvent(
        "Concert de l'orchestre des jeunes (démo)",
        "Théâtre du Beffroi (démo)",
        "Musique",
        "Familles",
        "<p>Le programme de fin d'année de l'orchestre des jeunes.</p>",
        "Tout public",
        90,
        30,
        ((21, time(18, 30), 20),),
    ),
    DemoEvent(
        "Visite guidée : le fil et la trame (démo)",
        "Musée des Tisserands (démo)",
        "Visite",
        "Adultes",
        "<p>Une heure avec une médiatrice dans les collections.</p>",
        "Adultes",
        60,
        1,
        ((5, time(10, 30), 10), (12, time(10, 30), 10), (19, time(14), 10)),
    ),
    DemoEvent(
        "Atelier tissage en famille (démo)",
        "Musée des Tisserands (démo)",
        "Atelier",
        "Familles",
        "<p>Chacun repart avec son petit métier à tisser.</p>",
        "Dès 6 ans",
        90,
        40,
        ((3, time(14), 6),),
        48,
    ),
    DemoEvent(
        "Nocturne au musée (démo)",
        "Musée des Tisserands (démo)",
        "Visite",
        "Tout public",
        "<p>Le musée à la lampe de poche.</p>",
        "Dès 8 ans",
        75,
        10,
        ((26, time(19), 15),),
    ),
    DemoEvent(
        "Match de rugby : Arras contre Exempleville (démo)",
        "Stade des Remparts (démo)",
        "Sport",
        "Tout public",
        "<p>Championnat régional, en tribune couverte.</p>",
        "Tout public",
        100,
        6,
        ((13, time(15), 30),),
    ),
    DemoEvent(
        "Initiation à l'escrime (démo)",
        "Stade des Remparts (démo)",
        "Sport",
        "Jeune public",
        "<p>Une séance d'initiation encadrée par le club.</p>",
        "De 8 à 14 ans",
        60,
        25,
        ((4, time(17), 8), (11, time(17), 8)),
    ),
)


def _venue_load(spec: DemoVenue) -> Venue:
    place = Location.objects.filter(name=spec.place["name"]).first() or Location()
    if assign(place, **spec.place):
        place.full_clean()
        place.save()
    venue = Venue.objects.filter(name=spec.name).first() or Venue(name=spec.name)
    if (
        assign(
            venue,
            category_id=VenueCategory.objects.get_or_create(name=spec.category)[0].pk,
            address=spec.address,
            city=spec.city,
            territory_id=Territory.objects.get(code=spec.territory).pk,
            website=spec.website,
            in_directory=True,
        )
        or venue.pk is None
        or not venue.places.filter(pk=place.pk).exists()
    ):
        venue_save(venue=venue, places=[place])
    return venue


def _event_load(spec: DemoEvent, *, venue: Venue, today: date) -> Activity:
    place = venue.places.first()
    activity = Activity.objects.filter(name=spec.name).first() or Activity(
        name=spec.name, location=place
    )
    if assign(
        activity,
        channel=Channel.SOLIDARITY,
        location=place,
        description=spec.description,
        category=Category.objects.get_or_create(name=spec.genre)[0],
        audience=Audience.objects.get_or_create(name=spec.audience)[0],
        max_places_per_booking=8,
    ):
        activity_save(activity=activity)
    published = timezone.make_aware(
        datetime.combine(today - timedelta(days=spec.published_days_ago), time(9))
    )
    details = EventDetails.objects.filter(activity=activity).first() or EventDetails(
        activity=activity
    )
    if assign(
        details,
        venue_id=venue.pk,
        duration=spec.minutes,
        advised_age=spec.advised_age,
        practical_info="<p>Présentez-vous à l'accueil 15 minutes avant, avec la liste des "
        "invitations.</p>",
        published_at=published,
    ):
        event_details_save(details=details)
    existing = list(activity.sessions.order_by("pk")[: len(spec.sessions)])
    for index, (days, at, seats) in enumerate(spec.sessions):
        start = timezone.make_aware(datetime.combine(today + timedelta(days=days), at))
        # The window the settings give a new session (the demo's own closing where it has
        # one), written in full so that reloading the same day changes nothing.
        window = session_defaults(Session(activity=activity, start=start))
        closes_at = (
            start - timedelta(hours=spec.closes_hours_before)
            if spec.closes_hours_before
            else window["closes_at"]
        )
        dates = {
            "start": start,
            "end": start + timedelta(minutes=spec.minutes),
            "seat_limit": seats,
            "opens_at": min(window["opens_at"], closes_at - timedelta(days=1)),
            "closes_at": closes_at,
            "cancel_until": closes_at,
        }
        session = existing[index] if index < len(existing) else Session(activity=activity)
        if assign(session, **dates) or session.pk is None:
            session_save(session=session)
    return activity


def solidarity_catalogue_demo_load(*, today: date) -> None:
    venues = {spec.name: _venue_load(spec) for spec in VENUES}
    for spec in EVENTS:
        _event_load(spec, venue=venues[spec.venue], today=today)
    circus = _event_load(SLOTS_EVENT, venue=venues[SLOTS_EVENT.venue], today=today)
    _slots_load(circus, today=today)


# The event whose sheet shows every state of a slot ("Créneaux disponibles"), with bookings of
# the Centre social des Trois Ponts whose lines are seated, waiting (full, over the weekly
# quota), cancelled and not served.
SLOTS_EVENT = DemoEvent(
    "Le Grand Cirque des Flandres (démo)",
    "Théâtre du Beffroi (démo)",
    "Cirque",
    "Tout public",
    "<p>Acrobates, jongleurs et clowns sous le chapiteau installé devant le théâtre.</p>",
    "Dès 5 ans",
    90,
    2,
    (),
)


@dataclass(frozen=True)
class DemoBookingLines:
    """A booking of the structure `structure` (its number), its people by "Nom Prénom", in the
    order chosen; `cancelled`: those whose invitation is then cancelled."""

    people: tuple[str, ...]
    cancelled: tuple[str, ...] = ()
    structure: int = 1


@dataclass(frozen=True)
class DemoSlot:
    """A session of SLOTS_EVENT: `days` from today, or with `quota_week` from the Monday of the
    week after next (so that its sessions share one ISO week, the weekly quota's, whatever
    today's weekday). Booked when first made, before its status is set, as in real life."""

    state: str  # the state its slot shows, for the reader
    days: int
    at: time
    seats: int
    waiting: int | None = None
    quota_week: bool = False
    status: str = ""
    reason: str = ""
    postponed_by: timedelta | None = None
    bookings: tuple[DemoBookingLines, ...] = ()


SLOTS = (
    DemoSlot(
        "Annulé, Motif : …",
        6,
        time(15),
        10,
        status="cancelled",
        reason="Chapiteau endommagé par la tempête.",
        bookings=(DemoBookingLines(("Joly Bernard",)),),
    ),
    DemoSlot("Ouverture des réservations le …", 45, time(15), 20),
    # Closes 48 h before: closed already; its waiting line is not served.
    DemoSlot(
        "Réservations closes",
        1,
        time(18),
        2,
        bookings=(DemoBookingLines(("Carpentier Lucie", "Delattre Samir", "Évrard Maëlys")),),
    ),
    DemoSlot("Bientôt clos", 3, time(15), 12),
    # Nadia Aubert's two invitations of the week (the quota: 2), Inès's cancelled.
    DemoSlot(
        "N invitations disponibles",
        1,
        time(15),
        10,
        quota_week=True,
        bookings=(
            DemoBookingLines(
                ("Aubert Nadia", "Aubert Inès", "Lemaire Sophie"), cancelled=("Aubert Inès",)
            ),
        ),
    ),
    DemoSlot(
        "Complet, Liste d'attente",
        2,
        time(15),
        2,
        quota_week=True,
        bookings=(
            DemoBookingLines(("Aubert Nadia", "Berthier Karim")),
            DemoBookingLines(("Fournier Jean-Marc",)),
        ),
    ),
    DemoSlot(
        "Complet (liste d'attente comprise)",
        3,
        time(15),
        1,
        waiting=1,
        quota_week=True,
        bookings=(DemoBookingLines(("Hennebert Théo", "Ibrahim Leïla")),),
    ),
    # A third outing the same week: Nadia Aubert waits, over the quota, until the last call.
    DemoSlot(
        "N invitations disponibles, une personne au-delà du quota",
        4,
        time(15),
        10,
        quota_week=True,
        bookings=(DemoBookingLines(("Aubert Nadia",)),),
    ),
    DemoSlot(
        "Reporté — nouvelle date : …",
        22,
        time(15),
        12,
        status="postponed",
        postponed_by=timedelta(days=7),
        bookings=(DemoBookingLines(("Berthier Karim", "Kouassi Ange")),),
    ),
)


def _slot_start(spec: DemoSlot, today: date) -> datetime:
    day = today + timedelta(days=spec.days)
    if spec.quota_week:
        day += timedelta(days=14 - today.weekday())
    return timezone.make_aware(datetime.combine(day, spec.at))


def _slot_book(session: Session, booking: DemoBookingLines) -> None:
    structure = Structure.objects.get(name=STRUCTURES[booking.structure - 1].name)
    people = {
        f"{p.last_name} {p.first_name}": p for p in Beneficiary.objects.filter(structure=structure)
    }
    author = User.objects.get(username=f"demo-referent-{booking.structure}")
    result = booking_create(
        structure=structure,
        author=author,
        session=session,
        lines=[people[name].pk for name in booking.people],
        submission_key=None,
        now=session.opens_at,
    )
    cancelled = {holder_key(people[name].pk) for name in booking.cancelled}
    if cancelled:
        invitations_cancel(
            structure=structure,
            reservation_ids=[
                outcome.reservation.pk
                for outcome in result.outcomes
                if outcome.reservation and outcome.reservation.holder_key in cancelled
            ],
            now=session.opens_at,
        )


def _slots_load(activity: Activity, *, today: date) -> None:
    existing = list(activity.sessions.order_by("pk"))
    for index, spec in enumerate(SLOTS):
        start = _slot_start(spec, today)
        end = start + timedelta(minutes=SLOTS_EVENT.minutes)
        moved = spec.postponed_by or timedelta(0)
        dates = {
            "start": start,
            "end": end,
            "seat_limit": spec.seats,
            "waiting_limit": spec.waiting,
        }
        session = existing[index] if index < len(existing) else None
        if session is None:
            # session_save gives it the settings' window, as staff get it.
            session = session_save(session=Session(activity=activity, **dates))
            for booking in spec.bookings:
                _slot_book(session, booking)
            session.refresh_from_db()
        # A postponed session's window follows its new start (as session_save moves it).
        changes = dates | session_defaults(Session(activity=activity, start=start + moved))
        changes |= {
            "status": spec.status,
            "reason": spec.reason,
            "new_start": start + moved if moved else None,
            "new_end": end + moved if moved else None,
        }
        if assign(session, **changes):
            session_save(session=session)
        if session.effective_start > timezone.now():
            reservations_unarchive(session)
    # What the minute task would have done by now: the closed session's waiting list.
    invitations_close()
