"""One household never sees another's: every URL of the `families` namespace, walked as another
household's guardian with the first household's ids in the path, the query and the form, answers
404 (or 405, or the staff sign-in for the staff pages), never 500, shows none of its names and
changes nothing; and the booking views read only through the household's scope."""

import ast
import re
from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from guichet.accounts.tokens import user_uid
from guichet.bookings.models import Reservation
from guichet.families import calendar, views_portal
from guichet.families.models import BasketLine, Submission
from guichet.families.services import basket_toggle_days, basket_validate
from guichet.families.tests.factories import ChildFactory, GuardianFactory

BACKEND = "guichet.accounts.backends.IdentifierBackend"

# A value for each URL argument of the namespace, from the first household's rows. A new
# argument name fails the walk until it is given one here.
ARGUMENTS = {
    "submission_id": lambda first: first["submission"].pk,
    "reservation_id": lambda first: first["reservation"].pk,
    "uidb64": lambda first: user_uid(first["guardian"].user),
    "token": lambda first: "k3zz-0123456789abcdef",  # a link guessed at
}


def family_patterns() -> list[tuple[str, tuple[str, ...]]]:
    [portal] = [
        entry
        for entry in get_resolver().url_patterns
        if isinstance(entry, URLResolver) and entry.namespace == "families"
    ]
    return [(entry.name, tuple(entry.pattern.converters)) for entry in portal.url_patterns]


@pytest.fixture
def first(guardian, child, rules, period, session_of, now):
    """The first household: a booking made, a basket line waiting, a result kept."""
    child.last_name = "Ancolie"
    child.save()
    days = [session_of(date(2027, 3, day)) for day in (1, 2)]
    basket_toggle_days(guardian=guardian, child=child, sessions=days[:1], now=now)
    submission = basket_validate(guardian=guardian, now=now, submission_key="first-key-0001")
    basket_toggle_days(guardian=guardian, child=child, sessions=days[1:], now=now)
    return {
        "guardian": guardian,
        "child": child,
        "activity": rules.activity,
        "submission": submission,
        "reservation": Reservation.objects.get(session=days[0]),
        "line": BasketLine.objects.get(),
    }


@pytest.fixture
def other(now):
    guardian = GuardianFactory(user__first_name="Basile", user__last_name="Bleuet")
    ChildFactory(household=guardian.household, first_name="Iris", last_name="Bleuet")
    return guardian


def forged_data(first) -> dict:
    """Every field a page reads, naming the first household's rows."""
    return {
        "enfant": first["child"].pk,
        "activite": first["activity"].pk,
        "mois": "2027-03",
        "jour": "2027-03-01",
        "semaine": "2027-03-01",
        "seance": first["reservation"].session_id,
        "reservation": first["reservation"].pk,
        "source_child": first["child"].pk,
        "source_activity": first["activity"].pk,
        "first_day": "2027-03-01",
        "last_day": "2027-03-31",
        "weeks_later": "0",
        "submission_key": "first-key-0001",
        "line": first["line"].pk,
    }


def test_every_family_url_is_closed_to_another_household(first, other):
    patterns = family_patterns()
    assert len(patterns) >= 25
    forbidden = ["Ancolie", "ANCOLIE", first["guardian"].user.last_name]
    checked = []
    for name, arguments in patterns:
        missing = [argument for argument in arguments if argument not in ARGUMENTS]
        assert not missing, f"families:{name}: give {missing} a value in ARGUMENTS"
        url = reverse(
            f"families:{name}",
            kwargs={argument: ARGUMENTS[argument](first) for argument in arguments},
        )
        for method in ("get", "post"):
            client = Client()
            client.force_login(other.user, backend=BACKEND)
            response = getattr(client, method)(url, forged_data(first))
            page = response.content.decode()
            assert response.status_code < 500, (method, url)
            if name.startswith("staff_"):  # a parent is sent to the staff sign-in
                assert response.status_code == 302 and "/admin/" in response["Location"]
            elif arguments and name in ("submission",):
                assert response.status_code in (404, 405), (method, url, response.status_code)
            leaks = [text for text in forbidden if text in page]
            assert not leaks, (method, url, leaks)
            checked.append((method, name, response.status_code))
    # The pages naming the first household's child, reservation or result answer 404.
    for name in ("calendar", "calendar_day", "calendar_hours", "calendar_copy", "follow"):
        assert ("get", name, 404) in checked, name
    for name in ("calendar_toggle", "follow_cancel", "calendar_day", "calendar_hours"):
        assert ("post", name, 404) in checked, name
    assert ("get", "submission", 404) in checked
    # Nothing of the first household moved: its booking, its basket line, its one result.
    assert Reservation.objects.get(pk=first["reservation"].pk).status == "valid"
    assert list(BasketLine.objects.values_list("pk", flat=True)) == [first["line"].pk]
    assert Submission.objects.filter(guardian=first["guardian"]).count() == 1
    assert not BasketLine.objects.filter(basket__guardian=other).exists()


def test_a_parent_without_household_and_a_visitor_are_kept_out(first, django_user_model):
    url = reverse("families:calendar")
    assert Client().get(url).status_code == 302  # to "Authentification"
    stranger = django_user_model.objects.create_user(username="inconnu", password="x")
    client = Client()
    client.force_login(stranger, backend=BACKEND)
    assert client.get(url).status_code == 403


def test_the_booking_views_read_only_through_the_scope():
    """No `Model.objects` (nor `_default_manager`) in the portal's booking views nor in the
    calendar's household reads: every household row comes through HouseholdScope."""
    for module in (views_portal,):
        tree = ast.parse(Path(module.__file__).read_text())
        managers = [
            f"{module.__name__} line {node.lineno}: .{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in ("objects", "_default_manager")
        ]
        assert managers == []
    source = Path(calendar.__file__).read_text()
    # The calendar reads sessions (not a household's) and the rules' groups directly; every
    # reservation, basket line, child and change comes from the scope.
    assert not re.search(r"(Reservation|BasketLine|Child|ReservationChange)\.objects", source)
