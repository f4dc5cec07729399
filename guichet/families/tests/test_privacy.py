"""The family portal's people in "Données d'une personne" (guichet.privacy): households,
guardians and children found, exported, anonymised on request (seats and constraints intact),
and households whose children have not booked for a long time anonymised by the retention."""

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from guichet.accounts.models import Profile
from guichet.accounts.tests.factories import PASSWORD
from guichet.bookings.models import Reservation
from guichet.catalogue.models import Session
from guichet.core.models import AuditEntry
from guichet.families.models import Child, Guardian, Household
from guichet.families.services import basket_toggle_days, basket_validate
from guichet.families.tests.factories import ChildFactory, GuardianFactory
from guichet.privacy.registry import person_sources, retention_rules
from guichet.privacy.services import (
    person_anonymise,
    person_export,
    person_query,
    person_rows,
    retention_apply,
)

SOURCES = ("family_households", "family_guardians", "family_children")


@pytest.fixture
def family(guardian, child):
    """Camille Parent (camille@example.org, 06 12 34 56 78) and Léa; another household."""
    Profile.objects.filter(user=guardian.user).update(
        email="camille@example.org", phone="+33612345678"
    )
    household = guardian.household
    household.name, household.address = "Famille Rivière", "3 rue des Tilleuls"
    household.save()
    other = GuardianFactory(user__first_name="Paul", user__last_name="Durand")
    other_child = ChildFactory(household=other.household, first_name="Noé", last_name="Durand")
    return guardian, child, other, other_child


@pytest.fixture
def booked(family, period, session_of, now):
    """Léa booked on 1 and 2 March."""
    guardian, child, *_ = family
    days = [session_of(date(2027, 3, 1)), session_of(date(2027, 3, 2))]
    basket_toggle_days(guardian=guardian, child=child, sessions=days, now=now)
    basket_validate(guardian=guardian, now=now, submission_key="privacy-1")
    return list(Reservation.objects.filter(holder_key=child.holder_key))


def test_the_family_sources_are_registered():
    assert set(SOURCES) <= {source.name for source in person_sources()}
    assert "family_households" in {rule.name for rule in retention_rules()}


@pytest.mark.parametrize("typed", ["CAMILLE@example.org", "06 12 34 56 78", "+33 6 12 34 56 78"])
def test_a_guardian_email_or_phone_finds_the_household_guardian_and_children(family, typed):
    guardian, child, *_ = family
    found = person_rows(query=person_query(typed))
    assert found["family_households"] == [guardian.household]
    assert found["family_guardians"] == [guardian]
    assert found["family_children"] == [child]


def test_names_find_each_row_of_their_own(family):
    guardian, child, other, other_child = family
    assert person_rows(query=person_query("Léa"))["family_children"] == [child]
    assert person_rows(query=person_query("riviere"))["family_households"] == [guardian.household]
    assert person_rows(query=person_query("Paul Durand"))["family_guardians"] == [other]
    assert person_rows(query=person_query("Durand"))["family_children"] == [other_child]


def test_the_export_holds_exactly_the_family(family):
    guardian, child, *_ = family
    archive = zipfile.ZipFile(io.BytesIO(person_export(query=person_query("camille@example.org"))))
    data = json.loads(archive.read("donnees.json"))
    [household] = data["family_households"]
    assert household["name"] == "Famille Rivière" and household["address"] == "3 rue des Tilleuls"
    [parent] = data["family_guardians"]
    assert (parent["email"], parent["phone"]) == ("camille@example.org", "+33612345678")
    [kid] = data["family_children"]
    assert (kid["first_name"], kid["birth_date"]) == ("Léa", "2018-05-02")
    assert "Durand" not in json.dumps(data)
    assert "Léa" in archive.read("family_children.csv").decode("utf-8-sig")


def test_anonymising_keeps_rows_seats_and_constraints(family, booked):
    guardian, child, other, other_child = family
    seats = list(Session.objects.order_by("pk").values_list("seats_taken", flat=True))
    changed = person_anonymise(query=person_query("camille@example.org"), reason="Demande écrite")
    assert changed >= 3
    household = Household.objects.get(pk=guardian.household.pk)
    assert (household.name, household.address) == ("—", "")
    assert household.number == guardian.household.number
    child = Child.objects.get(pk=child.pk)
    assert (child.first_name, child.last_name, child.birth_date) == ("—", "—", date(2018, 1, 1))
    assert not child.is_active and "lea" not in child.search_text
    user = Guardian.objects.get(pk=guardian.pk).user
    assert not user.is_active and user.last_name == "—" and not user.has_usable_password()
    assert (user.profile.email, user.profile.phone) == ("", "")
    assert authenticate(username="camille@example.org", password=PASSWORD) is None
    for row in [household, child, user, user.profile]:
        row.validate_constraints()
    for reservation in Reservation.objects.filter(pk__in=[r.pk for r in booked]):
        assert reservation.anonymised_at and reservation.last_name == ""
        assert reservation.status == booked[0].status and reservation.holder_key
        reservation.validate_constraints()
    assert list(Session.objects.order_by("pk").values_list("seats_taken", flat=True)) == seats
    call_command("check_seats")
    # The other household is untouched; a second run finds nothing.
    assert Child.objects.get(pk=other_child.pk).last_name == "Durand"
    assert Household.objects.get(pk=other.household.pk).name != "—"
    found = person_rows(query=person_query("Léa"))
    assert all(found[name] == [] for name in SOURCES)
    assert "Rivière" not in str(list(AuditEntry.objects.values_list("object_repr", "changes")))


def test_retention_anonymises_households_without_recent_bookings(family, booked, settings, now):
    guardian, child, other, other_child = family
    settings.FAMILY_HOUSEHOLD_RETENTION_DAYS = 30
    # Camille's children booked for March 2027: kept until 30 days after their last session.
    Household.objects.update(created_at=now - timedelta(days=400))
    assert retention_apply(now=now)["family_households"] == 1  # the Durands never booked
    assert Household.objects.get(pk=other.household.pk).name == "—"
    assert Child.objects.get(pk=other_child.pk).last_name == "—"
    assert not Guardian.objects.get(pk=other.pk).user.is_active
    assert Child.objects.get(pk=child.pk).first_name == "Léa"
    assert retention_apply(now=now + timedelta(days=30))["family_households"] == 0
    later = now + timedelta(days=70)
    assert retention_apply(now=later)["family_households"] == 1
    assert Child.objects.get(pk=child.pk).first_name == "—"
    assert retention_apply(now=later)["family_households"] == 0  # twice is harmless
    call_command("check_seats")


def test_a_household_created_within_the_limit_is_kept(now, family, settings):
    settings.FAMILY_HOUSEHOLD_RETENTION_DAYS = 30
    assert retention_apply(now=timezone.now() + timedelta(days=29))["family_households"] == 0
    assert retention_apply(now=timezone.now() + timedelta(days=31))["family_households"] == 2
