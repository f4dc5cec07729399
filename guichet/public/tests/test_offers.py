"""The one state a session shows, first that applies, and how dates and prices are written."""

from datetime import timedelta
from decimal import Decimal

import pytest

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
            "Annulé",
            "ANNULÉ",
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
            "RÉSERVER AVANT LE 14 AVRIL 2025 10:00",
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
    assert offer.action == "RÉSERVER AVANT LE 16 AVRIL 2025 10:00"


def test_dates_as_in_the_guide():
    start, end = paris(2025, 4, 16, 10, 0), paris(2025, 4, 16, 11, 30)
    assert formats.dates_range(start, end) == "Du 16 avril 2025 à 10:00 Au 16 avril 2025 à 11:30"
    assert formats.dates_range(start, None) == "Du 16 avril 2025 à 10:00"
    assert (
        formats.dates_short(paris(2025, 3, 31, 10, 0), paris(2025, 3, 31, 11, 0))
        == "31 mars 2025 10:00 à 11:00"
    )
    assert (
        formats.dates_short(start, paris(2025, 4, 17, 9, 0))
        == "16 avril 2025 10:00 au 17 avril 2025 09:00"
    )
    assert formats.dates_sentence(paris(2025, 10, 21, 10, 0), paris(2025, 10, 21, 11, 30)) == (
        "Le mardi 21 octobre 2025 de 10h00 à 11h30"
    )
    assert formats.dates_sentence(start, None) == "Le mercredi 16 avril 2025 à 10h00"


def test_dates_are_local_time_across_daylight_saving():
    # 29 March 2025 is still winter time (UTC+1), 31 March summer time (UTC+2).
    winter = paris(2025, 3, 29, 10, 0)
    summer = paris(2025, 3, 31, 10, 0)
    assert formats.dates_range(winter, summer) == "Du 29 mars 2025 à 10:00 Au 31 mars 2025 à 10:00"


def test_prices():
    assert formats.price(Decimal("0")) == "GRATUIT"
    assert formats.price(Decimal("12.5")) == "12,50\u00a0€"
    assert formats.price_range(Decimal("0"), Decimal("0")) == "Gratuit"
    assert formats.price_range(Decimal("5"), Decimal("5")) == "5,00\u00a0€"
    assert formats.price_range(Decimal("5"), Decimal("12.5")) == "De 5,00\u00a0€ à 12,50\u00a0€"
    assert formats.price_range(None, None) == ""
