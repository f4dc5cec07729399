"""The one state a session shows, first that applies, and how prices are written."""

from datetime import timedelta
from decimal import Decimal

import pytest

from guichet.bookings.selectors import session_booking_refusal
from guichet.bookings.services import SessionNotBookable, reservation_create
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.models import SessionStatus
from guichet.catalogue.tests.factories import ActivityFactory, SessionFactory
from guichet.public import formats
from guichet.public.offers import OfferState, session_offer
from guichet.public.tests.conftest import paris

pytestmark = pytest.mark.django_db


def make_session(*, bookable_online=True, booking_delay=timedelta(0), **fields):
    activity = ActivityFactory(bookable_online=bookable_online, booking_delay=booking_delay)
    fields.setdefault("start", paris(2025, 4, 16, 10, 0))
    fields.setdefault("end", fields["start"] + timedelta(minutes=90))
    return SessionFactory(activity=activity, **fields)


# Each case also meets every later condition, so only the order of precedence can pick its state.
@pytest.mark.parametrize(
    ("fields", "state", "notice", "action"),
    [
        (
            {
                "status": SessionStatus.CANCELLED,
                "reason": "Pluie",
                "bookable_online": False,
                "seats_taken": 10,
            },
            OfferState.CANCELLED,
            "Annulée",
            "ANNULÉE",
        ),
        (
            {"bookable_online": False, "start": paris(2025, 4, 10, 8, 0), "seats_taken": 10},
            OfferState.WALK_IN,
            "Cette session est en accès libre",
            "SANS RÉSERVATION",
        ),
        (
            {"booking_delay": timedelta(days=7), "seats_taken": 10},
            OfferState.CLOSED,
            "",
            "Réservations closes",
        ),
        ({"seats_taken": 10}, OfferState.FULL, "Cette session est complète", "COMPLET"),
        (
            {"booking_delay": timedelta(days=2), "seats_taken": 3},
            OfferState.BOOKABLE,
            "7 places restantes",
            "RÉSERVER AVANT LE LUNDI 14 AVRIL, 10 H",
        ),
        ({"seats_taken": 3}, OfferState.BOOKABLE, "7 places restantes", "RÉSERVER"),
        ({"seat_limit": None}, OfferState.BOOKABLE, "", "RÉSERVER"),
        ({"seats_taken": 9}, OfferState.BOOKABLE, "1 place restante", "RÉSERVER"),
    ],
)
def test_state_is_the_first_that_applies(now, fields, state, notice, action):
    offer = session_offer(session=make_session(**fields))
    assert (offer.state, offer.notice, offer.action) == (state, notice, action)
    assert offer.bookable == (state == OfferState.BOOKABLE)
    assert bool(offer.refusal) != offer.bookable


def test_booking_closes_when_the_session_starts(time_machine):
    session = make_session()
    time_machine.move_to(session.start - timedelta(seconds=1), tick=False)
    assert session_offer(session=session).bookable
    time_machine.move_to(session.start, tick=False)
    assert session_offer(session=session).state == OfferState.CLOSED


def test_booking_closes_at_the_deadline(time_machine):
    session = make_session(booking_delay=timedelta(days=2))
    time_machine.move_to(session.start - timedelta(days=2, seconds=1), tick=False)
    assert session_offer(session=session).bookable
    time_machine.move_to(session.start - timedelta(days=2), tick=False)
    assert session_offer(session=session).state == OfferState.CLOSED


def test_postponed_session_counts_by_its_new_dates(now):
    # Moved from 30 April to 31 March (the guide's example), then from the past to next week.
    earlier = make_session(
        start=paris(2025, 4, 30, 10, 0),
        status=SessionStatus.POSTPONED,
        new_start=paris(2025, 4, 10, 8, 0),
        new_end=paris(2025, 4, 10, 11, 0),
    )
    assert session_offer(session=earlier).state == OfferState.CLOSED
    later = make_session(
        start=paris(2025, 4, 1, 10, 0),
        booking_delay=timedelta(days=1),
        status=SessionStatus.POSTPONED,
        new_start=paris(2025, 4, 17, 10, 0),
    )
    offer = session_offer(session=later)
    assert offer.bookable
    assert offer.action == "RÉSERVER AVANT LE MERCREDI 16 AVRIL, 10 H"


def test_prices():
    assert formats.price(Decimal("0")) == "GRATUIT"
    assert formats.price(Decimal("12.5")) == "12,50\u00a0€"
    assert formats.price_range(Decimal("0"), Decimal("0")) == "Gratuit"
    assert formats.price_range(Decimal("5"), Decimal("5")) == "5,00\u00a0€"
    assert formats.price_range(Decimal("5"), Decimal("12.5")) == "De 5,00\u00a0€ à 12,50\u00a0€"
    assert formats.price_range(None, None) == ""


@pytest.mark.parametrize(
    "fields",
    [
        {"status": SessionStatus.CANCELLED},
        {"bookable_online": False},
        {"booking_delay": timedelta(days=7)},
    ],
)
def test_the_page_says_what_the_booking_service_answers(now, fields):
    """One home for "can this session be booked online, and why not": the refusal the booking
    page shows is the booking service's own message."""
    session = make_session(**fields)
    offer = session_offer(session=session, now=now)
    with pytest.raises(SessionNotBookable) as refused:
        reservation_create(session=session, **booking_data(), now=now)
    assert offer.refusal == str(refused.value) == session_booking_refusal(session=session, now=now)
