"""'Données d'une personne': find, export exactly their rows, anonymise on request."""

import csv
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from guichet.bookings.models import Reservation
from guichet.bookings.services import reservation_create
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.models import Session
from guichet.catalogue.tests.factories import SessionFactory
from guichet.core.models import AuditAction, AuditEntry
from guichet.notifications.models import OutgoingMessage
from guichet.privacy.services import (
    person_anonymise,
    person_export,
    person_query,
    person_rows,
)

pytestmark = pytest.mark.django_db

URL = reverse("admin:privacy_persondata_changelist")


@pytest.fixture
def bookings():
    """Élodie booked twice (two sessions), someone else once."""
    first, second = SessionFactory(), SessionFactory()
    elodie = [
        reservation_create(
            session=session,
            **booking_data(first_name="Élodie", last_name="Martin", email="elodie@example.org"),
        )
        for session in (first, second)
    ]
    other = reservation_create(session=first, **booking_data(email="autre@example.org"))
    return elodie, other


@pytest.mark.parametrize("typed", ["ELODIE@example.org", "elodie martin", "06 12 34 56 78"])
def test_a_person_is_found_by_email_name_or_phone(bookings, typed):
    elodie, other = bookings
    found = {row.pk for row in person_rows(query=person_query(typed))["reservations"]}
    if "06" in typed:  # every test booking has this phone
        assert found >= {row.pk for row in elodie}
    else:
        assert found == {row.pk for row in elodie}


def test_the_export_holds_exactly_the_persons_rows(bookings):
    elodie, other = bookings
    archive = zipfile.ZipFile(io.BytesIO(person_export(query=person_query("elodie@example.org"))))

    data = json.loads(archive.read("donnees.json"))
    assert sorted(row["reference"] for row in data["reservations"]) == sorted(
        row.reference for row in elodie
    )
    assert {row["recipients"] for row in data["mails"]} == {"elodie@example.org"}
    assert len(data["mails"]) == OutgoingMessage.objects.filter(reservation__in=elodie).count()
    table = list(
        csv.DictReader(
            io.StringIO(archive.read("reservations.csv").decode("utf-8-sig")), delimiter=";"
        )
    )
    assert {row["email"] for row in table} == {"elodie@example.org"} and len(table) == 2
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 1


def test_anonymising_keeps_every_counter_and_a_second_run_changes_nothing(bookings, client):
    elodie, other = bookings
    seats = list(Session.objects.order_by("pk").values_list("seats_taken", flat=True))

    changed = person_anonymise(query=person_query("elodie@example.org"), reason="Demande écrite")

    assert changed == 2  # both bookings; their mails are deleted with them
    for row in Reservation.objects.filter(pk__in=[row.pk for row in elodie]):
        assert row.anonymised_at and not row.email and row.status == "valid"
        row.validate_constraints()
    assert not OutgoingMessage.objects.filter(reservation__in=elodie).exists()
    assert OutgoingMessage.objects.filter(reservation=other).exists()
    assert Reservation.objects.get(pk=other.pk).email == "autre@example.org"
    assert list(Session.objects.order_by("pk").values_list("seats_taken", flat=True)) == seats
    call_command("check_seats")
    response = client.get(reverse("public:reservation_detail", args=[elodie[0].token]))
    assert response.status_code == 404
    entry = AuditEntry.objects.get(action=AuditAction.ANONYMISE)
    assert "Demande écrite" in entry.note

    assert person_anonymise(query=person_query("elodie@example.org"), reason="encore") == 0


def test_the_page_is_for_superusers_and_the_dpo_group(bookings, superuser, dpo, manager):
    for user, status in ((superuser, 200), (dpo, 200), (manager, 403)):
        client = Client()
        client.force_login(user)
        assert client.get(URL).status_code == status


def test_the_dpo_finds_exports_and_anonymises_after_confirmation(bookings, dpo):
    elodie, _other = bookings
    client = Client()
    client.force_login(dpo)

    page = client.post(URL, {"q": "elodie@example.org", "search": "1"})
    assert page.status_code == 200
    assert [label for label, rows in page.context["found"] if rows] == ["Réservations", "E-mails"]
    export = client.post(URL, {"q": "elodie@example.org", "export": "1"})
    assert export["Content-Type"] == "application/zip"

    unconfirmed = client.post(URL, {"q": "elodie@example.org", "reason": "x", "anonymise": "1"})
    assert unconfirmed.status_code == 200
    assert not Reservation.objects.filter(anonymised_at__isnull=False).exists()

    done = client.post(
        URL, {"q": "elodie@example.org", "reason": "Courrier", "confirm": "on", "anonymise": "1"}
    )
    assert done.status_code == 200
    assert Reservation.objects.filter(anonymised_at__isnull=False).count() == 2
    assert AuditEntry.objects.get(action=AuditAction.ANONYMISE).actor == dpo


@pytest.mark.parametrize(
    ("typed", "status"),
    [("x" * 5000, 200), ("<script>alert(1)</script>", 200), ("\x07", 200), ("a\x00b", 400)],
)
def test_hostile_searches_give_no_error(bookings, superuser, typed, status):
    client = Client()
    client.force_login(superuser)
    response = client.post(URL, {"q": typed, "search": "1"})
    assert response.status_code == status  # a NUL byte: 400 from core's NUL middleware
    assert "<script>alert" not in response.content.decode()
