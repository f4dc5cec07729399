import factory

from guichet.accounts.tests.factories import PortalUserFactory
from guichet.catalogue.models import Channel
from guichet.catalogue.tests.factories import ActivityFactory, LocationFactory
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


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory
        django_get_or_create = ["code"]

    code = "59"
    name = "Nord"


class StructureCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StructureCategory
        django_get_or_create = ["name"]

    name = "Centre social"


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    name = factory.Sequence(lambda n: f"Centre social des Exemples {n}")
    category = factory.SubFactory(StructureCategoryFactory)
    address = "1 rue de l'Exemple"
    postal_code = "59000"
    city = "Exempleville"
    territory = factory.SubFactory(TerritoryFactory)
    state = StructureState.ACTIVE


class MembershipFactory(factory.django.DjangoModelFactory):
    """A référent (its account's password: guichet.accounts.tests.factories.PASSWORD)."""

    class Meta:
        model = Membership

    user = factory.SubFactory(PortalUserFactory)
    structure = factory.SubFactory(StructureFactory)
    role = MemberRole.REFERENT


class BeneficiaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Beneficiary

    structure = factory.SubFactory(StructureFactory)
    kind = BeneficiaryKind.PARTICIPANT
    last_name = factory.Sequence(lambda n: f"Exemple{chr(65 + n % 26)}{chr(65 + n // 26 % 26)}")
    first_name = "Dominique"


class VenueCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VenueCategory
        django_get_or_create = ["name"]

    name = "Théâtre"


class VenueFactory(factory.django.DjangoModelFactory):
    """A venue with one place (`venue.places.first()`), unless `places` is given."""

    class Meta:
        model = Venue
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Théâtre des Exemples {n}")
    category = factory.SubFactory(VenueCategoryFactory)
    address = "2 place de l'Exemple"
    city = "Exempleville"
    territory = factory.SubFactory(TerritoryFactory)

    @factory.post_generation
    def places(self, create, extracted, **kwargs):
        if create:
            self.places.set(extracted if extracted is not None else [LocationFactory()])


class EventActivityFactory(ActivityFactory):
    """An activity of the solidarity channel (without its details: EventDetailsFactory)."""

    channel = Channel.SOLIDARITY
    name = factory.Sequence(lambda n: f"Spectacle {n}")
    slug = factory.Sequence(lambda n: f"spectacle-{n}")


class EventDetailsFactory(factory.django.DjangoModelFactory):
    """An event: a solidarity activity held at one of its venue's places."""

    class Meta:
        model = EventDetails

    venue = factory.SubFactory(VenueFactory)
    activity = factory.SubFactory(
        EventActivityFactory,
        location=factory.LazyAttribute(lambda o: o.factory_parent.venue.places.first()),
    )
    duration = 90
    advised_age = "À partir de 8 ans"
    practical_info = "<p>Entrée par la rue de l'Exemple.</p>"
