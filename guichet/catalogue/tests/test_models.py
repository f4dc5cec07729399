"""Model rules: each is checked by model validation and, where SQL can say it, by a constraint."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from guichet.catalogue.models import Activity, Category, Session, SessionStatus
from guichet.catalogue.tests.factories import ActivityFactory, LocationFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _refused_by_database(queryset, **values):
    with pytest.raises(IntegrityError), transaction.atomic():
        queryset.update(**values)


def test_category_names_are_unique():
    Category.objects.create(name="Nature")
    with pytest.raises(ValidationError):
        Category(name="Nature").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Category.objects.create(name="Nature")


@pytest.mark.parametrize(
    ("field", "value"), [("latitude", Decimal("91")), ("longitude", Decimal("-181"))]
)
def test_location_coordinates_must_be_on_earth(field, value):
    location = LocationFactory()
    setattr(location, field, value)
    with pytest.raises(ValidationError) as exc:
        location.full_clean()
    assert field in exc.value.message_dict
    _refused_by_database(type(location).objects.filter(pk=location.pk), **{field: value})


def test_location_requires_name_description_address():
    location = LocationFactory.build(name="", description="", address="")
    with pytest.raises(ValidationError) as exc:
        location.full_clean()
    assert {"name", "description", "address"} <= set(exc.value.message_dict)


def test_rich_text_is_sanitised_on_clean():
    location = LocationFactory.build(
        description='<p onclick="steal()">Serres <script>alert(1)</script><strong>tropicales</strong></p>'
    )
    location.full_clean()
    assert "script" not in location.description
    assert "onclick" not in location.description
    assert "<strong>tropicales</strong>" in location.description


def test_activity_defaults_follow_the_guide():
    activity = Activity(location=LocationFactory(), name="Visite")
    assert activity.bookable_online is True
    assert activity.booking_delay == timedelta(0)
    assert activity.max_places_per_booking == 8


def test_activity_booking_delay_and_max_places_cannot_be_negative_or_zero():
    activity = ActivityFactory()
    activity.booking_delay = timedelta(days=-1)
    with pytest.raises(ValidationError):
        activity.full_clean()
    _refused_by_database(Activity.objects.filter(pk=activity.pk), booking_delay=timedelta(days=-1))
    _refused_by_database(Activity.objects.filter(pk=activity.pk), max_places_per_booking=0)


def test_activity_slug_is_unique_in_database():
    ActivityFactory(slug="visite")
    with pytest.raises(IntegrityError), transaction.atomic():
        ActivityFactory(slug="visite")


def test_session_end_must_follow_start():
    session = SessionFactory()
    session.end = session.start
    with pytest.raises(ValidationError) as exc:
        session.full_clean()
    assert "end" in exc.value.message_dict
    _refused_by_database(
        Session.objects.filter(pk=session.pk), end=session.start - timedelta(hours=1)
    )


def test_session_without_end_is_allowed():
    SessionFactory(end=None).full_clean()


def test_session_seat_limit_and_price():
    session = SessionFactory()
    session.seat_limit, session.price = 0, Decimal("-1")
    with pytest.raises(ValidationError) as exc:
        session.full_clean()
    assert {"seat_limit", "price"} <= set(exc.value.message_dict)
    _refused_by_database(Session.objects.filter(pk=session.pk), seat_limit=0)
    _refused_by_database(Session.objects.filter(pk=session.pk), price=Decimal("-1"))


def test_session_price_defaults_to_free_and_limit_to_unlimited():
    session = Session(activity=ActivityFactory(), start=SessionFactory.build().start)
    assert session.price == 0
    assert session.seat_limit is None
    assert session.seats_left is None


def test_seats_taken_cannot_exceed_the_limit_in_database():
    session = SessionFactory(seat_limit=2)
    _refused_by_database(Session.objects.filter(pk=session.pk), seats_taken=3)


def test_postponed_session_needs_a_new_start():
    session = SessionFactory()
    session.status = SessionStatus.POSTPONED
    with pytest.raises(ValidationError) as exc:
        session.full_clean()
    assert "new_start" in exc.value.message_dict
    _refused_by_database(Session.objects.filter(pk=session.pk), status=SessionStatus.POSTPONED)


@pytest.mark.parametrize("status", [SessionStatus.NONE, SessionStatus.CANCELLED])
def test_new_dates_are_forbidden_unless_postponed(status):
    session = SessionFactory(status=status)
    session.new_start = session.start + timedelta(days=1)
    session.new_end = session.new_start + timedelta(hours=1)
    with pytest.raises(ValidationError) as exc:
        session.full_clean()
    assert {"new_start", "new_end"} <= set(exc.value.message_dict)
    _refused_by_database(Session.objects.filter(pk=session.pk), new_start=session.new_start)


def test_new_end_must_follow_new_start():
    session = SessionFactory()
    session.status = SessionStatus.POSTPONED
    session.new_start = session.start + timedelta(days=1)
    session.new_end = session.new_start - timedelta(minutes=1)
    with pytest.raises(ValidationError) as exc:
        session.full_clean()
    assert "new_end" in exc.value.message_dict


def test_postponed_session_counts_by_its_new_dates():
    session = SessionFactory()
    new_start = session.start + timedelta(days=20)
    Session.objects.filter(pk=session.pk).update(
        status=SessionStatus.POSTPONED, new_start=new_start, new_end=None
    )
    session.refresh_from_db()
    assert session.effective_start == new_start == session.starts_at
    # No new end: the session keeps its length.
    assert session.effective_end == new_start + timedelta(minutes=90) == session.ends_at
    assert (
        Session.objects.filter(effective_start__gt=session.start + timedelta(days=19)).get()
        == session
    )
    assert session.booking_closes_at == new_start


def test_booking_closes_by_the_activity_delay():
    session = SessionFactory(activity=ActivityFactory(booking_delay=timedelta(days=2)))
    assert session.booking_closes_at == session.start - timedelta(days=2)
    assert not session.is_booking_closed(session.start - timedelta(days=2, seconds=1))
    assert session.is_booking_closed(session.start - timedelta(days=2))


def test_session_str_uses_local_time():
    session = SessionFactory.build(activity=ActivityFactory.build(name="Visite des serres"))
    session.start = session.start.replace(month=4, day=16, year=2030, hour=8, minute=0)  # UTC
    session.end = session.start + timedelta(minutes=90)
    assert str(session) == "Visite des serres (mar. 16 avr. 2030, 10 h – 11 h 30)"


@pytest.mark.parametrize("with_end", [True, False])
def test_postponed_without_new_end_keeps_its_length(with_end):
    session = SessionFactory(end=None) if not with_end else SessionFactory()
    new_start = session.start + timedelta(days=3, hours=2)
    session.status = SessionStatus.POSTPONED
    session.new_start = new_start
    session.full_clean()
    session.save()
    session.refresh_from_db()
    expected = new_start + timedelta(minutes=90) if with_end else None
    assert session.ends_at == expected
    assert session.effective_end == expected
    assert Session.objects.get(effective_end=expected) == session


def test_postponed_with_new_end_ends_then():
    session = SessionFactory()
    session.status = SessionStatus.POSTPONED
    session.new_start = session.start + timedelta(days=1)
    session.new_end = session.new_start + timedelta(hours=3)
    session.save()
    session.refresh_from_db()
    assert session.effective_end == session.ends_at == session.new_end
