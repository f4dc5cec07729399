"""Reservation lists as spreadsheets: CSV for French Excel and XLSX.

Every text cell is safe against formula injection: a name typed as "=HYPERLINK(…)" on the public
form must stay text when staff open the file.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from guichet.bookings.models import SEAT_HOLDING_STATUSES, Reservation
from guichet.catalogue.models import Session
from guichet.core.audit import audit_record
from guichet.core.models import AuditAction
from guichet.core.phones import phone_national

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


def _csv_value(value):
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
        writer.writerow([_csv_value(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def _xlsx_cells(sheet, row: Iterable) -> Iterator:
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
    for letter, width in zip("ABCDEFGHIJ", (50, 10, 18, 18, 30, 20, 18, 10, 17, 11), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in _table(reservations, session):
        sheet.append(list(_xlsx_cells(sheet, row)))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def session_reception_xlsx(*, session: Session) -> bytes:
    """The list for the reception desk: the reservations holding seats, by last name
    (valid ones, or archived once the session is over)."""
    session = Session.objects.select_related("activity").get(pk=session.pk)  # today's seat count
    reservations = session.reservations.filter(status__in=SEAT_HOLDING_STATUSES).order_by(
        "last_name", "first_name", "pk"
    )
    return reservations_xlsx(reservations=reservations, session=session)
