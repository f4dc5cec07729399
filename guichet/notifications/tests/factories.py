import factory
from django.utils import timezone

from guichet.bookings.tests.factories import ReservationFactory
from guichet.notifications.models import MessageKind, OutgoingMessage


class OutgoingMessageFactory(factory.django.DjangoModelFactory):
    """A row written directly, due now; the services write them where the rules matter."""

    class Meta:
        model = OutgoingMessage

    kind = MessageKind.CONFIRMATION
    reservation = factory.SubFactory(ReservationFactory)
    session = factory.SelfAttribute("reservation.session")
    subject = factory.LazyAttribute(
        lambda o: f"{MessageKind(o.kind).label} - {o.reservation.session.activity.name}"
    )
    recipients = factory.LazyAttribute(lambda o: [o.reservation.email])
    dedupe_key = factory.Sequence(lambda n: f"test:{n}")
    scheduled_for = factory.LazyFunction(timezone.now)
