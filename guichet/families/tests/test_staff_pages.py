"""The staff pages: "Demandes à traiter" (accept, refuse with a reason, through the services)
and "Liste du jour" (page, CSV, XLSX; a child's name that looks like a formula stays text)."""

import io
from datetime import date, time

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.families.models import Acceptance, ReservationHours
from guichet.families.services import basket_set_hours, basket_toggle_days, basket_validate
from guichet.families.tests.factories import ChildFactory


@pytest.fixture
def requests(guardian, child, rules, period, session_of, now):
    """Two children asking for 1 March on an activity "Par nos services"."""
    rules.acceptance = Acceptance.STAFF
    rules.arrival_from, rules.arrival_until = time(7, 30), time(8, 30)
    rules.save()
    brother = ChildFactory(
        household=guardian.household, last_name="=HYPERLINK(1)", first_name="Noé"
    )
    day = session_of(date(2027, 3, 1))
    basket_set_hours(
        guardian=guardian,
        child=child,
        sessions=[day],
        arrival=time(7, 45),
        departure=None,
        now=now,
    )
    basket_toggle_days(guardian=guardian, child=brother, sessions=[day], now=now)
    basket_validate(guardian=guardian, now=now, submission_key="staff-pages-1")
    return list(Reservation.objects.order_by("pk"))


def test_requests_are_listed_then_accepted_or_refused(family_staff, requests):
    assert [r.status for r in requests] == [ReservationStatus.PENDING] * 2
    page = family_staff.get(reverse("families:staff_requests")).content.decode()
    assert "Demandes à traiter" in page and "APS MATIN" in page and "lundi 1er mars 2027" in page
    assert "EXEMPLE Léa" in page and "7 h 45" in page
    accept = reverse("families:staff_request", kwargs={"reservation_id": requests[0].pk})
    family_staff.post(accept, {"accepter": "1"})
    refuse = reverse("families:staff_request", kwargs={"reservation_id": requests[1].pk})
    answer = family_staff.post(refuse, {"refuser": "1", "reason": "  "}, follow=True)
    assert "Indiquez le motif du refus." in answer.content.decode()
    family_staff.post(refuse, {"refuser": "1", "reason": "Groupe complet"})
    statuses = [Reservation.objects.get(pk=r.pk).status for r in requests]
    assert statuses == [ReservationStatus.VALID, ReservationStatus.REFUSED]
    again = family_staff.post(accept, {"accepter": "1"}, follow=True).content.decode()
    assert "Cette demande a déjà été traitée." in again
    assert "Aucune demande à traiter." in again


def test_day_list_page_csv_and_xlsx(family_staff, requests):
    url = reverse("families:staff_day_list")
    page = family_staff.get(url, {"day": "2027-03-01"}).content.decode()
    assert "EXEMPLE Léa" in page and "7 h 45" in page and "Élémentaire" in page
    assert "Télécharger (CSV)" in page and "Télécharger (XLSX)" in page
    text = family_staff.get(url, {"day": "2027-03-01", "format": "csv"}).content.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "Activité;Horaire;Enfant;Groupe;Arrivée;Départ;Statut"
    assert any("EXEMPLE Léa;Élémentaire;7 h 45;;À traiter" in line for line in lines)
    assert any(";'=HYPERLINK(1) Noé;" in line for line in lines)  # never a formula
    body = family_staff.get(url, {"day": "2027-03-01", "format": "xlsx"}).content
    sheet = load_workbook(io.BytesIO(body)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value]
    formula = [c for c in cells if str(c.value).startswith("=HYPERLINK")]
    assert formula and all(c.data_type == "s" for c in formula)
    assert ReservationHours.objects.count() == 1


def test_parents_and_parks_staff_are_kept_out(now, client, manager_client, guardian):
    url = reverse("families:staff_day_list")
    assert manager_client.get(url).status_code == 403
    client.force_login(guardian.user, backend="guichet.accounts.backends.IdentifierBackend")
    assert client.get(url).status_code == 302


def test_the_staff_pages_are_linked_from_the_back_office_for_family_staff_only(
    family_staff, manager, admin_client
):
    links = (
        f'<a href="{reverse("families:staff_requests")}">Demandes à traiter</a>',
        f'<a href="{reverse("families:staff_book")}">Réserver pour une famille</a>',
        f'<a href="{reverse("families:staff_day_list")}">Liste du jour</a>',
    )
    for url in (reverse("admin:index"), reverse("admin:app_list", args=["families"])):
        page = family_staff.get(url).content.decode()
        assert all(link in page for link in links), url
        assert "Portail famille" in page
    assert all(link in admin_client.get(reverse("admin:index")).content.decode() for link in links)
    parks_client = Client()
    parks_client.force_login(manager)
    parks = parks_client.get(reverse("admin:index"))
    assert parks.status_code == 200
    assert reverse("families:staff_requests") not in parks.content.decode()
    assert reverse("families:staff_day_list") not in parks.content.decode()
