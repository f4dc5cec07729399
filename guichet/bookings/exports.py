"""Reservation lists as spreadsheets: CSV for French Excel and XLSX.

Every text cell is safe against formula injection: a name typed as "=HYPERLINK(…)" on the public
form must stay text when staff open the file.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from guichet.bookings.channels import policy_for
from guichet.bookings.models import SEAT_HOLDING_STATUSES, Reservation
from guichet.catalogue.models import Session
from guichet.core import dates
from guichet.core.audit import audit_record
from guichet.core.models import AuditAction
from guichet.core.pdf import FONT, FONT_BOLD, pdf_building
from guichet.core.phones import phone_national
from guichet.core.search import search_normalise

# Spreadsheets read a cell starting with one of these as a formula (tab and CR too, once trimmed).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Date cells are data, not text shown: a spreadsheet reads these as dates and sorts them
# (texts such as the session label come from guichet.core.dates).
CSV_DATETIME_FORMAT = "%d/%m/%Y %H:%M"
XLSX_DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
QUANTITY_COLUMN = 7


def _headers() -> list[str]:
    return [
        _("Session"),
        _("Statut"),
        _("Prénom"),
        _("Nom"),
        _("E-mail"),
        _("Téléphone"),
        _("Ville"),
        _("Quantité"),
        _("Créée le"),
        _("Référence"),
        _("Canal"),
    ]


def _summary_row(label: str, value) -> list:
    """A label in the first column and its figure under "Quantité"."""
    row: list = [None] * len(_headers())
    row[0], row[QUANTITY_COLUMN] = label, value
    return row


def _table(reservations: QuerySet[Reservation], session: Session | None) -> Iterator[list]:
    """The header, one row per reservation, then the totals. When every row belongs to one
    session (or `session` is given), the totals also give its limit and the seats left."""
    yield _headers()
    booked = count = 0
    sessions: dict[int, Session] = {}
    rows = reservations.select_related("session__activity").iterator(chunk_size=1000)
    for reservation in rows:
        count += 1
        if reservation.holds_seats:
            booked += reservation.quantity
        sessions.setdefault(reservation.session_id, reservation.session)
        yield [
            str(reservation.session),  # activity and effective dates, in local time
            reservation.get_status_display(),
            reservation.first_name,
            reservation.last_name,
            reservation.email,
            # National, as staff dial it; a foreign "+44 …" keeps its (guarded) "+".
            phone_national(reservation.phone),
            reservation.city,
            reservation.quantity,
            timezone.localtime(reservation.created_at).replace(microsecond=0),
            reservation.reference,
            reservation.get_channel_display(),
        ]
    yield []
    yield _summary_row(_("Total des places réservées"), booked)
    if session is None and len(sessions) == 1:
        (session,) = sessions.values()
    if session is not None:
        unlimited = _("illimité")
        yield _summary_row(_("Limite"), unlimited if session.is_unlimited else session.seat_limit)
        yield _summary_row(
            _("Places restantes"), unlimited if session.is_unlimited else session.seats_left
        )
    audit_record(action=AuditAction.EXPORT, obj=session, note=_exported(count))


def _exported(count: int) -> str:
    return ngettext("%(count)d réservation exportée", "%(count)d réservations exportées", count) % {
        "count": count
    }


def csv_value(value):
    """A CSV field: dates in the export's format, text that a spreadsheet would take for a formula
    quoted (the family portal's day list uses it too)."""
    if isinstance(value, datetime):
        return value.strftime(CSV_DATETIME_FORMAT)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def reservations_csv(
    *, reservations: QuerySet[Reservation], session: Session | None = None
) -> bytes:
    """UTF-8 with a BOM and ";" between fields: what French Excel opens without an import dialog."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for row in _table(reservations, session):
        writer.writerow([csv_value(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def xlsx_cells(sheet, row: Iterable) -> Iterator:
    """The cells of an XLSX row: dates with their format, text always plain text, never a formula."""
    for value in row:
        if isinstance(value, datetime):
            cell = WriteOnlyCell(sheet, value=timezone.make_naive(value))
            cell.number_format = XLSX_DATETIME_FORMAT
        elif isinstance(value, str):
            # openpyxl makes "=…" a formula and "#N/A" an error: force a plain text cell.
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            cell.data_type = "s"
        else:
            cell = WriteOnlyCell(sheet, value=value)
        yield cell


def reservations_xlsx(
    *, reservations: QuerySet[Reservation], session: Session | None = None
) -> bytes:
    # Write-only: rows are streamed to the file instead of kept as a sheet in memory.
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Réservations"))
    widths = (50, 10, 18, 18, 30, 20, 18, 10, 17, 11, 20)
    for letter, width in zip("ABCDEFGHIJK", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    for row in _table(reservations, session):
        sheet.append(list(xlsx_cells(sheet, row)))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class ReceptionSheet:
    """What the reception desk prints for one session: who comes, how many, how to call them."""

    title: str  # activity, dates, place
    rows: list[tuple[str, str, int, str]]  # last name, first name, places, phone (national)
    total: int
    # People on the session's waiting list, for a channel that has them (None: no line).
    waiting: int | None = None

    @staticmethod
    def headers() -> list[str]:
        return [_("Nom"), _("Prénom"), _("Places"), _("Téléphone"), _("Présent")]


def session_reception_sheet(*, session: Session) -> ReceptionSheet:
    """The reservations holding seats (valid ones, or archived once the session is over), sorted
    by name as people are looked up at the desk: accents and case ignored."""
    session = Session.objects.select_related("activity__location").get(pk=session.pk)
    reservations = sorted(
        session.reservations.filter(status__in=SEAT_HOLDING_STATUSES),
        key=lambda r: (search_normalise(r.last_name), search_normalise(r.first_name), r.pk),
    )
    title = " — ".join(
        part
        for part in (
            session.activity.name,
            capfirst(dates.long(session.starts_at, session.ends_at)),
            session.activity.location.name if session.activity.location else "",
        )
        if part
    )
    if session.is_cancelled:
        title += " — " + _("SESSION ANNULÉE")
    return ReceptionSheet(
        title=title,
        rows=[
            (r.last_name, r.first_name, r.quantity, phone_national(r.phone) if r.phone else "")
            for r in reservations
        ],
        total=sum(r.quantity for r in reservations),
        waiting=(
            session.waiting_count
            if session.waiting_count or policy_for(session.activity.channel).waiting_list
            else None
        ),
    )


def reception_waiting_text(sheet: ReceptionSheet) -> str:
    return _("En liste d'attente : %(count)d") % {"count": sheet.waiting}


RECEPTION_TICK = "☐"
RECEPTION_TOTAL_LABEL = _lazy("Total des places")
# Relative widths of the reception sheet's columns (name, first name, places, phone, present).
RECEPTION_WIDTHS = (32, 26, 9, 18, 10)


def session_reception_xlsx(*, session: Session) -> bytes:
    """The reception sheet as a spreadsheet: printed landscape on one page wide, its header row
    repeated on each page."""
    sheet_data = session_reception_sheet(session=session)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Liste d'accueil")
    for letter, width in zip("ABCDE", RECEPTION_WIDTHS, strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append(list(xlsx_cells(sheet, [sheet_data.title])))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append(list(xlsx_cells(sheet, sheet_data.headers())))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for last_name, first_name, places, phone in sheet_data.rows:
        sheet.append(
            list(xlsx_cells(sheet, [last_name, first_name, places, phone, RECEPTION_TICK]))
        )
    sheet.append([])
    sheet.append(list(xlsx_cells(sheet, [str(RECEPTION_TOTAL_LABEL), None, sheet_data.total])))
    if sheet_data.waiting is not None:
        sheet.append(list(xlsx_cells(sheet, [reception_waiting_text(sheet_data)])))
    sheet.print_title_rows = "3:3"
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages as the rows need
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _pdf_text(value: str) -> str:
    """A typed text as a reportlab paragraph: markup escaped, control characters dropped."""
    return escape(ILLEGAL_CHARACTERS_RE.sub("", value))


class _CheckBox(Flowable):
    """An empty square to tick by hand."""

    def __init__(self, size: float = 10):
        super().__init__()
        self.width = self.height = size

    def draw(self):
        self.canv.rect(0, 0, self.width, self.height)


def session_reception_pdf(*, session: Session) -> bytes:
    """The reception sheet to print: A4 landscape, the table as wide as the page, its header
    row repeated on each page, the total of places at the end."""
    sheet_data = session_reception_sheet(session=session)
    with pdf_building():
        styles = getSampleStyleSheet()
        title_style = ParagraphStyle("title", parent=styles["Title"], fontName=FONT_BOLD)
        cell_style = ParagraphStyle("cell", parent=styles["BodyText"], fontName=FONT, fontSize=11)
        head_style = ParagraphStyle("head", parent=cell_style, fontName=FONT_BOLD)
        out = io.BytesIO()
        document = SimpleDocTemplate(
            out,
            pagesize=landscape(A4),
            leftMargin=15 * mm,
            rightMargin=15 * mm,
            topMargin=15 * mm,
            bottomMargin=15 * mm,
            title=sheet_data.title,
        )
        scale = document.width / sum(RECEPTION_WIDTHS)
        rows = [[Paragraph(_pdf_text(header), head_style) for header in sheet_data.headers()]]
        for last_name, first_name, places, phone in sheet_data.rows:
            rows.append(
                [
                    Paragraph(_pdf_text(last_name), cell_style),
                    Paragraph(_pdf_text(first_name), cell_style),
                    str(places),
                    phone,
                    _CheckBox(),
                ]
            )
        rows.append(
            [
                Paragraph(_pdf_text(str(RECEPTION_TOTAL_LABEL)), head_style),
                "",
                str(sheet_data.total),
                "",
                "",
            ]
        )
        table = Table(rows, colWidths=[w * scale for w in RECEPTION_WIDTHS], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("FONTSIZE", (0, 0), (-1, -1), 11),
                    ("GRID", (0, 0), (-1, -2), 0.5, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("ALIGN", (2, 0), (2, -1), "RIGHT"),
                    ("ALIGN", (4, 1), (4, -1), "CENTER"),
                    ("FONTNAME", (2, -1), (2, -1), FONT_BOLD),
                    ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
                ]
            )
        )
        story = [Paragraph(_pdf_text(sheet_data.title), title_style), Spacer(1, 4 * mm), table]
        if sheet_data.waiting is not None:
            story += [Spacer(1, 4 * mm), Paragraph(reception_waiting_text(sheet_data), cell_style)]
        document.build(story)
        return out.getvalue()
