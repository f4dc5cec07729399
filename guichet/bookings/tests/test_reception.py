"""The reception sheet ("Liste d'accueil") of a session, read back: the PDF with pypdf, the
spreadsheet with openpyxl."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from guichet.bookings import channels
from guichet.bookings.channels import ChannelPolicy
from guichet.bookings.exports import session_reception_pdf, session_reception_xlsx
from guichet.bookings.models import ReservationStatus
from guichet.bookings.services import reservation_cancel, reservation_create
from guichet.bookings.tests.factories import (
    PortalReservationFactory,
    ReservationFactory,
    booking_data,
)
from guichet.catalogue.models import Channel, Session
from guichet.catalogue.tests.factories import ActivityFactory, LocationFactory, SessionFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2030, 4, 16, 10, 0, tzinfo=PARIS)
TITLE = "Visite des serres — Mardi 16 avril 2030, de 10 h à 11 h 30 — Jardin des Plantes"


def book(session, **overrides):
    return reservation_create(session=session, **booking_data(online=False, **overrides))


@pytest.fixture
def session():
    session = SessionFactory(
        start=START,
        end=START + timedelta(minutes=90),
        seat_limit=200,
        activity=ActivityFactory(
            name="Visite des serres",
            slug="serres",
            location=LocationFactory(name="Jardin des Plantes"),
        ),
    )
    book(session, last_name="Martin", first_name="Alix", quantity=2, phone="06 12 34 56 78")
    book(session, last_name="Émile", first_name="Zoé", quantity=1, phone="+44 20 7946 0000")
    book(session, last_name="durand", first_name="Basile", quantity=3)
    reservation_cancel(reservation=book(session, last_name="Abel", quantity=4))
    return session


def pdf_pages(content: bytes) -> list[str]:
    """Each page's text, its words joined by single spaces (cells come out one per line)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


def test_pdf_has_title_headers_names_by_name_and_total(session):
    (text,) = pdf_pages(session_reception_pdf(session=session))

    # Accents and case ignored: durand, Émile, Martin; the cancelled Abel is left out.
    assert text == (
        f"{TITLE} Nom Prénom Places Téléphone Présent "
        "durand Basile 3 06 12 34 56 78 "
        "Émile Zoé 1 +44 20 7946 0000 "
        "Martin Alix 2 06 12 34 56 78 "
        "Total des places 6"
    )


def test_pdf_is_landscape_and_repeats_the_header_on_each_page(session):
    for number in range(60):
        book(session, last_name=f"Nom{number:02d}", first_name="Camille")

    content = session_reception_pdf(session=session)
    reader = PdfReader(io.BytesIO(content))
    pages = pdf_pages(content)

    assert len(pages) >= 2
    assert all(page.mediabox.width > page.mediabox.height for page in reader.pages)
    assert all("Nom Prénom Places Téléphone Présent" in page for page in pages)
    assert pages[-1].endswith("Total des places 66")


def test_pdf_prints_typed_markup_as_text(session):
    # Written directly: a row from before names were checked may hold a control character.
    ReservationFactory(session=session, last_name="<b>Zola</b> & fils", first_name="Léa\x07")

    text = pdf_pages(session_reception_pdf(session=session))[0]

    assert "<b>Zola</b> & fils Léa" in text


def test_xlsx_is_a_printable_sheet(session):
    workbook = load_workbook(io.BytesIO(session_reception_xlsx(session=session)))
    sheet = workbook.active
    rows = [[cell for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)]

    assert rows[0] == [TITLE]
    assert rows[2] == ["Nom", "Prénom", "Places", "Téléphone", "Présent"]
    assert rows[3:6] == [
        ["durand", "Basile", 3, "06 12 34 56 78", "☐"],
        ["Émile", "Zoé", 1, "+44 20 7946 0000", "☐"],
        ["Martin", "Alix", 2, "06 12 34 56 78", "☐"],
    ]
    assert rows[-1] == ["Total des places", 6]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$3:$3"


def test_xlsx_keeps_a_formula_as_text(session):
    book(session, last_name='=HYPERLINK("http://example.org")', first_name="Ana")

    sheet = load_workbook(io.BytesIO(session_reception_xlsx(session=session))).active

    cell = next(c for c in sheet["A"] if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"


@pytest.mark.parametrize("who", ["manager_client", "admin_client"])
@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("pdf", "application/pdf"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_session_page_links_its_reception_sheets(session, who, fmt, content_type, request):
    client = request.getfixturevalue(who)
    url = reverse("admin:catalogue_session_reception", args=[session.pk, fmt])

    page = client.get(reverse("admin:catalogue_session_change", args=[session.pk]))
    response = client.get(url)

    assert url in page.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert f'filename="accueil-serres-2030-04-16-1000.{fmt}"' in response["Content-Disposition"]


def test_reception_sheet_of_an_unknown_format_or_session_is_not_found(session, admin_client):
    assert (
        admin_client.get(
            reverse("admin:catalogue_session_reception", args=[session.pk, "doc"])
        ).status_code
        == 404
    )
    assert (
        admin_client.get(reverse("admin:catalogue_session_reception", args=[0, "pdf"])).status_code
        == 404
    )


@pytest.fixture
def portal_session(monkeypatch):
    """A session of the solidarity portal, whose policy keeps a waiting list: one person seated,
    two waiting."""
    monkeypatch.setitem(
        channels._POLICIES,
        Channel.SOLIDARITY,
        ChannelPolicy(channel=Channel.SOLIDARITY, staff_group="x", waiting_list=True),
    )
    session = SessionFactory(
        start=START,
        end=START + timedelta(minutes=90),
        activity=ActivityFactory(channel=Channel.SOLIDARITY, name="Goûter", slug="gouter"),
    )
    PortalReservationFactory(session=session, last_name="Assis", first_name="Yves")
    for rank in (1, 2):
        PortalReservationFactory(
            session=session, status=ReservationStatus.WAITING, waiting_rank=rank
        )
    Session.objects.filter(pk=session.pk).update(seats_taken=1, waiting_count=2)
    return session


def test_a_sheet_with_a_waiting_list_says_how_many_wait(portal_session):
    (text,) = pdf_pages(session_reception_pdf(session=portal_session))
    assert "Assis Yves 1" in text
    assert text.endswith("Total des places 1 En liste d'attente : 2")

    sheet = load_workbook(io.BytesIO(session_reception_xlsx(session=portal_session))).active
    rows = [[cell for cell in row if cell is not None] for row in sheet.iter_rows(values_only=True)]
    assert rows[-2:] == [["Total des places", 1], ["En liste d'attente : 2"]]


def test_a_sheet_of_a_channel_with_waiting_lists_says_when_nobody_waits(portal_session):
    Session.objects.filter(pk=portal_session.pk).update(waiting_count=0)
    (text,) = pdf_pages(session_reception_pdf(session=portal_session))
    assert text.endswith("En liste d'attente : 0")


def test_a_parks_sheet_has_no_waiting_line(session):
    (text,) = pdf_pages(session_reception_pdf(session=session))
    assert "attente" not in text
