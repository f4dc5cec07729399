"""The invitations' PDF: a page per seated person, its texts (read back with pypdf), its QR
code (the page rendered by pypdfium2, decoded by zxing-cpp) holding the check-in link; the
same reprint byte for byte; for the structure only, never cached; 404 when nobody is seated."""

import io
from datetime import timedelta

import pypdfium2
import pytest
import zxingcpp
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from guichet.bookings.models import Reservation
from guichet.solidarity.invitations_pdf import _pdf, _qr_operators
from guichet.solidarity.models import Beneficiary
from guichet.solidarity.tests.booking_helpers import book, guest, participant, solidarity_session
from guichet.solidarity.tests.factories import (
    EventDetailsFactory,
    MembershipFactory,
    StructureFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(structure):
    structure.territory.phone = "+33321000000"
    structure.territory.save()
    event = EventDetailsFactory(
        published_at=timezone.now() - timedelta(days=1),
        activity__name="Musée des Exemples",
        venue__phone="+33320000000",
        practical_info="<p>Entrée par le jardin.</p>",
    )
    session = solidarity_session(
        timezone.now() + timedelta(days=10), seats=2, activity=event.activity
    )
    host = participant(structure, last_name="Hôte", first_name="Anne")
    friend = guest(host, last_name="Amie", first_name="Zoé")
    late = participant(structure, last_name="Tard", first_name="Léo")
    return book(session, [host, friend, late], now=timezone.now())


def test_one_page_per_seated_person_with_its_texts_and_qr(referent_client, structure, booking):
    url = reverse("solidarity:booking_pdf", args=[booking.group.pk])
    response = referent_client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2  # the third waits
    first, second = (" ".join(page.extract_text().split()) for page in reader.pages)
    # Each text on its own line, read back as such (copied, read out).
    assert "Musée des Exemples" in reader.pages[0].extract_text().splitlines()
    host_row = Reservation.objects.get(last_name="Hôte")
    for text in (
        "Musée des Exemples",
        f"Invitation n° S-{host_row.reference}",
        "HÔTE Anne",
        "Participant",
        "Informations pratiques",
        "Entrée par le jardin.",
        "Invitation nominative et strictement personnelle : elle ne peut être cédée à une tierce personne.",
        "À présenter à l'accueil le jour de l'événement.",
        "3 21 00 00 00",
        "3 20 00 00 00",
    ):
        assert text in first, text
    assert "Invité de HÔTE Anne" in second and "AMIE Zoé" in second
    assert structure.name not in first + second
    pdf = pypdfium2.PdfDocument(response.content)
    image = pdf[0].render(scale=3).to_pil()
    [code] = zxingcpp.read_barcodes(image)
    assert code.text == f"http://testserver/solidaire/controle/{host_row.token}/"
    kept, codes = _pdf.cache_info(), _qr_operators.cache_info()
    assert referent_client.get(url).content == response.content  # a reprint: the same bytes
    assert _pdf.cache_info().hits == kept.hits + 1  # kept, not built again
    assert _qr_operators.cache_info() == codes  # nor its codes encoded again
    Beneficiary.objects.filter(last_name="Hôte").update(last_name="Hôtesse")
    Reservation.objects.filter(pk=host_row.pk).update(last_name="Hôtesse")  # a rename
    renamed = referent_client.get(url).content
    assert "HÔTESSE Anne" in PdfReader(io.BytesIO(renamed)).pages[0].extract_text()
    assert _pdf.cache_info().misses == kept.misses + 1


def test_nobody_seated_answers_404_and_another_structure_too(
    client, referent_client, structure, booking
):
    from guichet.solidarity.services import invitations_cancel

    invitations_cancel(
        structure=structure,
        reservation_ids=[o.reservation.pk for o in booking.outcomes],
        now=timezone.now(),
    )
    url = reverse("solidarity:booking_pdf", args=[booking.group.pk])
    assert referent_client.get(url).status_code == 404


def _statements(client, url) -> list[str]:
    """The SQL statements of a page, the tests' database cache's left out (Redis in use)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries if "guichet_cache" not in q["sql"]]


def test_the_result_page_and_the_pdf_read_the_lines_with_their_booking(
    client, referent_client, booking
):
    """The booking's lines are read with the booking (its author) in one statement, after the
    session's and the account's (with its membership). Another structure's référent gets 404
    for both pages."""
    pdf = reverse("solidarity:booking_pdf", args=[booking.group.pk])
    detail = reverse("solidarity:booking_detail", args=[booking.group.pk]) + "?resultat=1"
    for url in (detail, pdf):
        statements = _statements(referent_client, url)
        assert len(statements) == 3, statements
        assert "bookings_reservationgroup" in statements[-1]
    huge = 10**23  # past the column's range: 404, not an overflow in SQLite
    assert referent_client.get(f"/solidaire/reservations/{huge}/").status_code == 404
    assert referent_client.get(f"/solidaire/reservations/{huge}/invitations.pdf").status_code == 404
    other = MembershipFactory(structure=StructureFactory())
    client.force_login(other.user, backend="guichet.accounts.backends.IdentifierBackend")
    assert client.get(detail).status_code == 404
    assert client.get(pdf).status_code == 404
