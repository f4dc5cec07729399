from datetime import date, time

import factory
from django.utils import timezone

from guichet.accounts.tests.factories import PortalUserFactory
from guichet.catalogue.models import Channel
from guichet.catalogue.tests.factories import ActivityFactory
from guichet.families.models import (
    ActivityRules,
    BookingPeriod,
    Child,
    ChildGroup,
    Guardian,
    Household,
)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    number = factory.Sequence(lambda n: f"F{n:05d}")
    name = factory.Sequence(lambda n: f"Famille Exemple {n}")
    address = "1 rue de l'Exemple\n59000 Exempleville"


class GuardianFactory(factory.django.DjangoModelFactory):
    """A parent (its account's password: guichet.accounts.tests.factories.PASSWORD)."""

    class Meta:
        model = Guardian

    household = factory.SubFactory(HouseholdFactory)
    user = factory.SubFactory(PortalUserFactory, username=factory.Sequence(lambda n: f"parent{n}"))


class ChildGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChildGroup
        django_get_or_create = ["name"]

    name = "Élémentaire"


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    household = factory.SubFactory(HouseholdFactory)
    first_name = factory.Sequence(lambda n: f"Enfant{chr(65 + n % 26)}")
    last_name = "Exemple"
    birth_date = date(2018, 3, 15)
    group = factory.SubFactory(ChildGroupFactory)


class FamilyActivityFactory(ActivityFactory):
    channel = Channel.FAMILY
    name = factory.Sequence(lambda n: f"APS MATIN {n}")
    slug = factory.Sequence(lambda n: f"aps-matin-{n}")


class ActivityRulesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityRules

    activity = factory.SubFactory(FamilyActivityFactory)
    starts_at = time(7, 30)
    ends_at = time(8, 30)
    waiting_limit = None


class BookingPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BookingPeriod
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Période {n}")
    first_day = date(2027, 3, 1)
    last_day = date(2027, 3, 31)
    weekdays = [0, 1, 2, 3, 4]
    days = "all"
    opens_at = factory.LazyFunction(timezone.now)
    seat_limit = 10

    @factory.post_generation
    def activities(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.activities.set(extracted)
