import itertools

import factory

from guichet.bookings.models import Reservation, ReservationGroup
from guichet.catalogue.models import Channel
from guichet.catalogue.tests.factories import SessionFactory


class ReservationFactory(factory.django.DjangoModelFactory):
    """A reservation row written directly: it does not move the session's seat counter.
    Use guichet.bookings.services.reservation_create where seats matter."""

    class Meta:
        model = Reservation

    session = factory.SubFactory(SessionFactory)
    first_name = factory.Sequence(lambda n: f"Camille{n}")
    last_name = "Exemple"
    email = factory.Sequence(lambda n: f"camille{n}@example.org")
    phone = "+33612345678"
    city = "Tourcoing"
    quantity = 1


class ReservationGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReservationGroup

    channel = Channel.SOLIDARITY


class PortalReservationFactory(ReservationFactory):
    """A portal's reservation row (no contact data, a holder key), written directly."""

    channel = Channel.SOLIDARITY
    group = factory.SubFactory(ReservationGroupFactory, channel=factory.SelfAttribute("..channel"))
    holder_key = factory.Sequence(lambda n: f"beneficiary:{n}")
    email = ""
    phone = ""
    city = ""


# Each booking its own address unless a test gives one: online, one address holds at most the
# activity's most places per booking of a session.
_EMAIL_NUMBERS = itertools.count(1)


def booking_data(**overrides) -> dict:
    """Keyword arguments for reservation_create, minus the session."""
    data = {
        "first_name": "Camille",
        "last_name": "Exemple",
        "email": f"camille{next(_EMAIL_NUMBERS)}@example.org",
        "phone": "06 12 34 56 78",
        "city": "Tourcoing",
        "quantity": 1,
        "online": True,
    }
    return data | overrides
