"""Reservation exports, read back as a spreadsheet program would: csv and openpyxl."""

import codecs
import csv
import io
import zipfile
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from openpyxl import load_workbook

from guichet.bookings.exports import reservations_csv, reservations_xlsx
from guichet.bookings.models import Reservation, ReservationStatus
from guichet.bookings.services import reservation_cancel, reservation_create, session_save
from guichet.bookings.tests.factories import PortalReservationFactory, booking_data
from guichet.catalogue.models import Channel, SessionStatus
from guichet.catalogue.tests.factories import ActivityFactory, SessionFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
HEADERS = [
    "Session",
    "Statut",
    "Prénom",
    "Nom",
    "E-mail",
    "Téléphone",
    "Ville",
    "Quantité",
    "Créée le",
    "Référence",
    "Canal",
]
EXPORT_URL = "admin:bookings_reservation_export"


def book(session, **overrides):
    data = booking_data(online=False, email="camille@example.org") | overrides
    return reservation_create(session=session, **data)


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(codecs.BOM_UTF8)  # French Excel reads UTF-8 only with it
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(content: bytes) -> list[list]:
    """Each row's values, trailing empty cells left out (an empty row is [])."""
    rows = []
    for row in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        rows.append(values)
    return rows


def summary(label: str, value) -> list:
    return [label, None, None, None, None, None, None, value]


def csv_summary(label: str, value) -> list[str]:
    return [label, "", "", "", "", "", "", str(value), "", "", ""]


BOOKED_AT = datetime(2030, 3, 1, 9, 15, 42, tzinfo=PARIS)
SERRES = "Visite des serres (mar. 16 avr. 2030, 10 h – 11 h 30)"
NICHOIRS = "Atelier nichoirs (mar. 23 avr. 2030, 14 h – 15 h 30)"
PERSON = ["camille@example.org", "06 12 34 56 78", "Tourcoing"]
BOOKED = BOOKED_AT.replace(tzinfo=None)
PARKS = "Parcs et jardins"
XLSX_ROWS = [
    [SERRES, "Valide", "Alix", "Martin", *PERSON, 2, BOOKED, "A7X0M001", PARKS],
    [SERRES, "Annulé", "Basile", "Bernard", *PERSON, 5, BOOKED, "B7X0M002", PARKS],
    [NICHOIRS, "Archivé", "Chloé", "Durand", *PERSON, 3, BOOKED, "C7X0M003", PARKS],
]
# A French phone in national form: no apostrophe, which only a "+…" number needs.
CSV_PERSON = ["camille@example.org", "06 12 34 56 78", "Tourcoing"]
CSV_BOOKED = "01/03/2030 09:15"
CSV_ROWS = [
    [SERRES, "Valide", "Alix", "Martin", *CSV_PERSON, "2", CSV_BOOKED, "A7X0M001", PARKS],
    [SERRES, "Annulé", "Basile", "Bernard", *CSV_PERSON, "5", CSV_BOOKED, "B7X0M002", PARKS],
    [NICHOIRS, "Archivé", "Chloé", "Durand", *CSV_PERSON, "3", CSV_BOOKED, "C7X0M003", PARKS],
]


@pytest.fixture
def two_sessions():
    """Rows of XLSX_ROWS / CSV_ROWS: 2 valid + 3 archived seats held, a cancelled reservation of 5."""
    first = SessionFactory(
        start=datetime(2030, 4, 16, 10, 0, tzinfo=PARIS), activity__name="Visite des serres"
    )
    second = SessionFactory(
        start=datetime(2030, 4, 23, 14, 0, tzinfo=PARIS), activity__name="Atelier nichoirs"
    )
    with time_machine.travel(
        BOOKED_AT, tick=False
    ):  # only here: an admin login made now stays valid
        valid = book(first, quantity=2, first_name="Alix", last_name="Martin")
        cancelled = book(first, quantity=5, first_name="Basile", last_name="Bernard")
        archived = book(second, quantity=3, first_name="Chloé", last_name="Durand")
    reservation_cancel(reservation=cancelled)
    Reservation.objects.filter(pk=archived.pk).update(status=ReservationStatus.ARCHIVED)
    for reservation, reference in zip(
        [valid, cancelled, archived], ["A7X0M001", "B7X0M002", "C7X0M003"], strict=True
    ):
        Reservation.objects.filter(pk=reservation.pk).update(reference=reference)
    return [valid, cancelled, archived]


def test_all_reservations_with_total_of_seats_held(two_sessions):
    reservations = Reservation.objects.order_by("pk")
    assert xlsx_rows(reservations_xlsx(reservations=reservations)) == [
        HEADERS,
        *XLSX_ROWS,
        [],
        summary("Total des places réservées", 5),  # valid and archived, not the cancelled 5
    ]
    assert csv_rows(reservations_csv(reservations=reservations)) == [
        HEADERS,
        *CSV_ROWS,
        [],
        csv_summary("Total des places réservées", 5),
    ]


def test_session_label_uses_local_effective_dates(two_sessions):
    session = two_sessions[0].session
    session.status, session.new_start = (
        SessionStatus.POSTPONED,
        datetime(2030, 5, 2, 14, 0, tzinfo=PARIS),
    )
    session_save(session=session)
    rows = csv_rows(reservations_csv(reservations=session.reservations.order_by("pk")))
    # Postponed with no new end: it keeps its length.
    assert rows[1][0] == "Visite des serres (jeu. 2 mai 2030, 14 h – 15 h 30)"


def test_one_session_adds_its_limit_and_seats_left():
    session = SessionFactory(seat_limit=10, activity__name="Visite des serres")
    book(session, quantity=2, last_name="Martin", first_name="Alix")
    book(session, quantity=1, last_name="Bernard", first_name="Basile")
    reservation_cancel(reservation=book(session, quantity=4, last_name="Abel"))
    session.refresh_from_db()
    reservations = session.reservations.filter(status=ReservationStatus.VALID).order_by("last_name")
    rows = xlsx_rows(reservations_xlsx(reservations=reservations, session=session))
    assert [row[3] for row in rows[1:3]] == ["Bernard", "Martin"]
    assert rows[3:] == [
        [],
        summary("Total des places réservées", 3),
        summary("Limite", 10),
        summary("Places restantes", 7),
    ]


def test_unlimited_session_says_so():
    session = SessionFactory(seat_limit=None)
    book(session, quantity=2)
    rows = csv_rows(reservations_csv(reservations=session.reservations.all()))
    assert rows[-2:] == [
        csv_summary("Limite", "illimité"),
        csv_summary("Places restantes", "illimité"),
    ]


def test_formula_in_a_cell_stays_text():
    session = SessionFactory()
    book(
        session,
        first_name='=HYPERLINK("http://example.org","x")',
        last_name="@SUM(A1)",
        city="-2+3",
    )
    reservations = Reservation.objects.all()

    row = csv_rows(reservations_csv(reservations=reservations))[1]
    assert row[2:7] == [
        '\'=HYPERLINK("http://example.org","x")',
        "'@SUM(A1)",
        "camille@example.org",
        "06 12 34 56 78",
        "'-2+3",
    ]

    content = reservations_xlsx(reservations=reservations)
    cells = list(load_workbook(io.BytesIO(content)).active.iter_rows(min_row=2, max_row=2))[0]
    assert [(cell.value, cell.data_type) for cell in cells[2:4]] == [
        ('=HYPERLINK("http://example.org","x")', "s"),
        ("@SUM(A1)", "s"),
    ]
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "HYPERLINK" in sheet_xml


def test_french_phones_are_written_in_national_form_and_foreign_ones_guarded():
    session = SessionFactory()
    book(session, phone="+33 3 20 00 00 00", first_name="Alix")
    book(session, phone="+44 20 7946 0958", first_name="Basile")
    reservations = Reservation.objects.order_by("first_name")
    rows = csv_rows(reservations_csv(reservations=reservations))
    assert [row[5] for row in rows[1:3]] == ["03 20 00 00 00", "'+44 20 7946 0958"]
    cells = load_workbook(io.BytesIO(reservations_xlsx(reservations=reservations))).active
    assert [cells.cell(row=row, column=6).value for row in (2, 3)] == [
        "03 20 00 00 00",
        "+44 20 7946 0958",
    ]


# From the admin


def test_export_link_follows_the_changelist_filters_and_search(admin_client, two_sessions):
    changelist = admin_client.get(
        reverse("admin:bookings_reservation_changelist"), {"status__exact": "valid"}
    )
    assert (
        f'{reverse(EXPORT_URL, args=["csv"])}?status__exact=valid"' in changelist.content.decode()
    )

    everything = admin_client.get(reverse(EXPORT_URL, args=["xlsx"]))
    assert (
        everything["Content-Type"]
        == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in everything["Content-Disposition"]
    assert len(xlsx_rows(everything.content)) == 1 + 3 + 2

    valid = csv_rows(
        admin_client.get(reverse(EXPORT_URL, args=["csv"]), {"status__exact": "valid"}).content
    )
    assert valid == [
        HEADERS,
        CSV_ROWS[0],
        [],
        csv_summary("Total des places réservées", 2),
        # Every row is of one session: its figures come too.
        csv_summary("Limite", 10),
        csv_summary("Places restantes", 8),
    ]

    searched = csv_rows(
        admin_client.get(reverse(EXPORT_URL, args=["csv"]), {"q": "Durand"}).content
    )
    assert [row[3] for row in searched[1 : searched.index([])]] == ["Durand"]


def test_export_format_must_be_known(admin_client):
    assert admin_client.get(reverse(EXPORT_URL, args=["pdf"])).status_code == 404


@pytest.mark.parametrize(
    ("action", "read", "total"),
    [
        ("export_csv", csv_rows, csv_summary("Total des places réservées", 5)),
        ("export_xlsx", xlsx_rows, summary("Total des places réservées", 5)),
    ],
)
def test_export_actions_hold_the_selected_rows(admin_client, two_sessions, action, read, total):
    selected = [two_sessions[0], two_sessions[2]]
    response = admin_client.post(
        reverse("admin:bookings_reservation_changelist"),
        {"action": action, "_selected_action": [r.pk for r in selected]},
    )
    rows = read(response.content)
    assert sorted(row[3] for row in rows[1:3]) == ["Durand", "Martin"]
    assert rows[3:] == [[], total]


def test_reception_list_action(admin_client):
    start = datetime(2030, 4, 16, 10, 0, tzinfo=PARIS)
    session = SessionFactory(
        start=start, end=start + timedelta(hours=1), activity=ActivityFactory(slug="serres")
    )
    book(session, quantity=2)
    other = SessionFactory()
    changelist = reverse("admin:catalogue_session_changelist")

    response = admin_client.post(
        changelist, {"action": "reception_list", "_selected_action": [session.pk]}
    )
    assert 'filename="accueil-serres-2030-04-16-1000.xlsx"' in response["Content-Disposition"]
    assert xlsx_rows(response.content)[-1] == ["Total des places", None, 2]

    response = admin_client.post(
        changelist,
        {"action": "reception_list", "_selected_action": [session.pk, other.pk]},
        follow=True,
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Choisissez une seule session pour sa liste d'accueil."
    ]


def test_a_portals_rows_say_their_channel_and_state():
    session = SessionFactory(seat_limit=None, activity__channel=Channel.FAMILY)
    for status, rank in [
        (ReservationStatus.VALID, None),
        (ReservationStatus.PENDING, None),
        (ReservationStatus.WAITING, 1),
        (ReservationStatus.NOT_SERVED, 2),
        (ReservationStatus.REFUSED, None),
    ]:
        PortalReservationFactory(
            session=session, channel=Channel.FAMILY, status=status, waiting_rank=rank
        )
    rows = csv_rows(reservations_csv(reservations=session.reservations.order_by("pk")))
    assert [(row[1], row[10]) for row in rows[1:6]] == [
        ("Valide", "Portail famille"),
        ("En attente de traitement", "Portail famille"),
        ("Sur liste d'attente", "Portail famille"),
        ("Non servi", "Portail famille"),
        ("Refusé", "Portail famille"),
    ]
    # Seated and pending rows hold their places; the waiting one does not.
    assert rows[7] == csv_summary("Total des places réservées", 2)
