from datetime import date, datetime

import pytest
from django.core.cache import cache

from guichet.core.selectors import organisation_get
from guichet.families.deadlines import PARIS
from guichet.families.services import period_generate_sessions
from guichet.families.tests.factories import (
    ActivityRulesFactory,
    BookingPeriodFactory,
    ChildFactory,
    GuardianFactory,
)

# The tests' present: Monday 15 February 2027, 10:00 in Paris (zone B's winter holidays start
# on the 20th).
NOW = datetime(2027, 2, 15, 10, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def organisation(db):
    # The settings rows (organisation, portal) live in the shared cache: each test starts
    # with none, as the rate-limit counters.
    cache.clear()
    return organisation_get()


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def guardian():
    return GuardianFactory(user__first_name="Camille", user__last_name="Parent")


@pytest.fixture
def child(guardian):
    return ChildFactory(household=guardian.household, first_name="Léa", birth_date=date(2018, 5, 2))


@pytest.fixture
def rules():
    return ActivityRulesFactory(activity__name="APS MATIN")


@pytest.fixture
def period(rules, now):
    """March 2027 on weekdays, open from 1 February, 10 seats, the waiting list unlimited."""
    period = BookingPeriodFactory(
        opens_at=datetime(2027, 2, 1, tzinfo=PARIS), activities=[rules.activity]
    )
    period_generate_sessions(period=period, now=now)
    return period


@pytest.fixture
def session_of(period):
    """The session of the period's activity on a day."""
    from guichet.families.models import SessionDay

    def find(day: date, activity=None):
        rows = SessionDay.objects.filter(day=day).select_related("session__activity")
        if activity is not None:
            rows = rows.filter(activity=activity)
        return rows.get().session

    return find


@pytest.fixture
def family_staff(client, django_user_model, now):
    """A client signed in as a member of "Gestionnaire famille"."""
    from django.contrib.auth.models import Group

    from guichet.core.permissions import FAMILY_MANAGER_GROUP

    user = django_user_model.objects.create_user(
        username="famille", email="famille@example.org", password="x", is_staff=True
    )
    group, _created = Group.objects.get_or_create(name=FAMILY_MANAGER_GROUP)
    user.groups.add(group)
    client.force_login(user)
    return client
