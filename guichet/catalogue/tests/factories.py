from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from guichet.catalogue.models import Activity, ActivityType, Audience, Category, Location, Session


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Catégorie {n}")


class AudienceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Audience
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Public {n}")


class ActivityTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityType
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Type {n}")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Jardin {n}")
    description = "<p>Un jardin ouvert au public.</p>"
    address = "1 rue des Exemples\n59000 Exempleville"
    latitude = Decimal("50.723000")
    longitude = Decimal("3.160000")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Visite {n}")
    slug = factory.Sequence(lambda n: f"visite-{n}")
    description = "<p>Une visite guidée.</p>"
    audience = factory.SubFactory(AudienceFactory)
    activity_type = factory.SubFactory(ActivityTypeFactory)
    category = factory.SubFactory(CategoryFactory)


class SessionFactory(factory.django.DjangoModelFactory):
    """A session a week from now, 90 minutes long, 10 seats."""

    class Meta:
        model = Session

    activity = factory.SubFactory(ActivityFactory)
    start = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) + timedelta(days=7))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(minutes=90))
    seat_limit = 10
