"""The portal's people in "Données d'une personne" (guichet.privacy): found, exported,
anonymised on request, and anonymised by the nightly retention after their deactivation."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.urls import reverse
from django.utils import timezone

from guichet.core.models import AuditEntry
from guichet.privacy.registry import person_sources, retention_rules
from guichet.privacy.services import (
    person_anonymise,
    person_export,
    person_query,
    person_rows,
    retention_apply,
)
from guichet.solidarity.models import Beneficiary
from guichet.solidarity.services import beneficiary_active_set
from guichet.solidarity.tests.factories import BeneficiaryFactory


@pytest.fixture
def people(structure):
    mine = BeneficiaryFactory(
        structure=structure,
        last_name="Lefèvre",
        first_name="Anaïs",
        email="anais.lefevre@example.org",
        phone="+33612345678",
        address="3 rue des Tilleuls",
    )
    other = BeneficiaryFactory(structure=structure, last_name="Durand", first_name="Paul")
    return mine, other


def test_the_solidarity_sources_are_registered():
    names = {source.name for source in person_sources()}
    assert {"solidarity_beneficiaries", "solidarity_referents"} <= names
    assert "solidarity_beneficiaries" in {rule.name for rule in retention_rules()}


@pytest.mark.parametrize(
    "typed", ["ANAIS.lefevre@example.org", "06 12 34 56 78", "+33 6 12 34 56 78", "lefevre anais"]
)
def test_a_beneficiary_is_found_by_email_phone_or_names(people, typed):
    mine, other = people
    found = person_rows(query=person_query(typed))["solidarity_beneficiaries"]
    assert found == [mine]


def test_the_export_holds_the_beneficiary(people):
    archive = zipfile.ZipFile(io.BytesIO(person_export(query=person_query("Lefèvre Anaïs"))))
    data = json.loads(archive.read("donnees.json"))
    [row] = data["solidarity_beneficiaries"]
    assert row["last_name"] == "Lefèvre" and row["address"] == "3 rue des Tilleuls"
    assert row["structure"] == "Maison des Quatre Vents"
    assert "Lefèvre" in archive.read("solidarity_beneficiaries.csv").decode("utf-8-sig")


def test_anonymising_a_beneficiary_keeps_the_row(people):
    mine, other = people
    assert person_anonymise(query=person_query("anais.lefevre@example.org"), reason="RGPD") >= 1
    mine.refresh_from_db()
    assert (mine.last_name, mine.first_name, mine.email, mine.phone, mine.address) == (
        "—",
        "—",
        "",
        "",
        "",
    )
    assert not mine.is_active and mine.anonymised_at is not None
    assert "lefevre" not in mine.search_text
    other.refresh_from_db()
    assert other.last_name == "Durand"
    assert person_rows(query=person_query("Lefèvre"))["solidarity_beneficiaries"] == []


def test_a_referent_is_found_and_anonymised(referent):
    email = referent.user.email
    found = person_rows(query=person_query(email.upper()))["solidarity_referents"]
    assert found == [referent]
    data = json.loads(
        zipfile.ZipFile(io.BytesIO(person_export(query=person_query(email)))).read("donnees.json")
    )
    assert data["solidarity_referents"][0]["email"] == email
    person_anonymise(query=person_query(email), reason="Demande du référent")
    referent.user.refresh_from_db()
    assert not referent.user.is_active and referent.user.email == ""
    assert referent.user.last_name == "—" and not referent.user.has_usable_password()
    assert authenticate(username=email, password="x") is None
    assert referent.user.solidarity_membership.pk == referent.pk  # the membership stays


def test_retention_anonymises_people_deactivated_long_ago(people, settings, time_machine):
    mine, other = people
    settings.SOLIDARITY_BENEFICIARY_RETENTION_DAYS = 30
    beneficiary_active_set(beneficiary=mine, active=False)
    mine.refresh_from_db()
    assert mine.deactivated_at is not None
    assert retention_apply()["solidarity_beneficiaries"] == 0
    time_machine.move_to(timezone.now() + timedelta(days=31))
    assert retention_apply()["solidarity_beneficiaries"] == 1
    assert retention_apply()["solidarity_beneficiaries"] == 0  # twice is harmless
    assert Beneficiary.objects.get(pk=mine.pk).last_name == "—"
    assert Beneficiary.objects.get(pk=other.pk).last_name == "Durand"  # still active


def test_reactivating_forgets_the_deactivation(people):
    mine, _ = people
    beneficiary_active_set(beneficiary=mine, active=False)
    assert beneficiary_active_set(beneficiary=mine, active=True).deactivated_at is None


def test_the_journal_forgets_an_anonymised_beneficiary(referent_client, structure):
    referent_client.post(
        reverse("solidarity:beneficiary_create"),
        {"kind": "participant", "last_name": "Zébulon", "first_name": "Ysé", "civility": ""},
    )
    person = Beneficiary.objects.get(last_name="Zébulon")
    entries = AuditEntry.objects.filter(object_id=str(person.pk))
    assert entries.exists()
    assert "Zébulon" in str(list(AuditEntry.objects.values_list("object_repr", "changes")))
    person_anonymise(query=person_query("Zébulon Ysé"), reason="RGPD")
    assert "Zébulon" not in str(list(AuditEntry.objects.values_list("object_repr", "changes")))
