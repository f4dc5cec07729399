"""Sessions, people and bookings of the solidarity ticketing, for the booking tests."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from guichet.bookings.services import session_save
from guichet.catalogue.models import Channel, Session
from guichet.catalogue.tests.factories import ActivityFactory
from guichet.solidarity.models import BeneficiaryKind
from guichet.solidarity.services import booking_create
from guichet.solidarity.tests.factories import BeneficiaryFactory

PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def solidarity_session(start: datetime, *, seats=10, waiting=None, activity=None, **fields):
    """A solidarity session made as staff make it (`session_save`: the window's defaults)."""
    activity = activity or ActivityFactory(channel=Channel.SOLIDARITY, max_places_per_booking=8)
    session = Session(
        activity=activity,
        start=start,
        end=start + timedelta(hours=2),
        seat_limit=seats,
        waiting_limit=waiting,
        **fields,
    )
    return session_save(session=session, now=start)


def participant(structure, **fields):
    return BeneficiaryFactory(structure=structure, **fields)


def guest(host, **fields):
    return BeneficiaryFactory(
        structure=host.structure, kind=BeneficiaryKind.GUEST, guest_of=host, **fields
    )


def accompanier(structure, **fields):
    return BeneficiaryFactory(structure=structure, kind=BeneficiaryKind.ACCOMPANIER, **fields)


def book(session, people, *, structure=None, author=None, now=None, key=None):
    """`booking_create` of these people at `now` (by default: the window's opening)."""
    structure = structure or people[0].structure
    return booking_create(
        structure=structure,
        author=author,
        session=session,
        lines=[person.pk for person in people],
        submission_key=key,
        now=now or session.opens_at,
    )


def states(result) -> list[tuple[str, str, int | None]]:
    """(last name, state, rank) per outcome."""
    return [(o.line.last_name, o.state.value, o.rank) for o in result.outcomes]
