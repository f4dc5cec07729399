"""The invitations of a booking as a PDF ("contremarque"): A4, one page per seated person, with
a vector QR code of the check-in link of the reservation. No structure's name nor anyone's
contact data; the same booking printed again gives the same bytes (reportlab's `invariant`:
no creation date nor random document id)."""

import functools
import io
import re
from typing import NamedTuple

from django.utils.html import strip_tags
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from guichet.bookings.models import Reservation
from guichet.core import dates
from guichet.core.pdf import FONT, FONT_BOLD, pdf_building
from guichet.core.phones import phone_display
from guichet.core.qr import qr_matrix
from guichet.solidarity.selectors import invitation_role_text

MARGIN = 20 * mm
QR_SIZE = 45 * mm
_CONTROLS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
CHECK_IN_PATH = "/solidaire/controle/{token}/"


def _clean(text: str) -> str:
    return _CONTROLS.sub(" ", text or "").strip()


def check_in_url(*, base_url: str, reservation: Reservation) -> str:
    """What the QR code holds: the check-in page of the reservation (a later issue's)."""
    return base_url.rstrip("/") + CHECK_IN_PATH.format(token=reservation.token)


# A reprint draws the same codes again: each check-in URL's operators are kept per process (the
# code's encoding, about 1.5 ms, is still about a third of a page's CPU). A URL holds the
# reservation's token: its code never changes.
QR_CACHED = 1024


@functools.lru_cache(maxsize=QR_CACHED)
def _qr_operators(url: str) -> tuple[int, str]:
    """The QR code of `url` as PDF operators in module units: one filled path of rectangles
    (one per run of dark modules in a row), and the code's size in modules with its border."""
    matrix = qr_matrix(url, error="m")  # segno's, its mask chosen faster
    border = 4
    size = len(matrix) + 2 * border
    runs = []
    for row_index, row in enumerate(matrix):
        bottom = size - border - 1 - row_index
        column = 0
        while column < len(row):
            if row[column]:
                start = column
                while column < len(row) and row[column]:
                    column += 1
                runs.append(f"{start + border} {bottom} {column - start} 1 re")
            else:
                column += 1
    return size, "n " + " ".join(runs) + " f"


def _qr(canvas: Canvas, url: str, *, x: float, y: float) -> None:
    """The QR code, vector (sharp at any zoom and printer), drawn in module units (integers)
    and written as PDF operators at once (a `canvas.rect` per run formatted four floats each,
    in pure Python)."""
    size, operators = _qr_operators(url)
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(QR_SIZE / size, QR_SIZE / size)
    canvas.setFillGray(0)
    canvas.addLiteral(operators)
    canvas.restoreState()


# A page as what is drawn on it, in order: ("text", words, size, bold, gap) lines, ("space",
# points) gaps; then the check-in URL of its QR code.
_Step = tuple[str, str, int, bool, int] | tuple[str, int]


class _Page(NamedTuple):
    steps: tuple[_Step, ...]
    check_in: str


# A booking printed again (the result page's download, then "Imprimer") gives the same pages, so
# the same bytes (`invariant`): the last PDFs are kept per process, keyed by their pages (every
# text and code drawn), and a reprint is served without building it, nor waiting for the
# process's build in progress (`pdf_building`). About 40 KB a PDF of 4 pages.
PDF_CACHED = 64


def invitations_pdf(*, lines: list[Reservation], team_phone: str, base_url: str) -> bytes:
    """One page per line given (the caller gives the seated ones), in their order."""
    # The title (in the active language) is part of the kept PDF's key, as the pages are.
    return _pdf(_("Invitations"), tuple(_page(line, team_phone, base_url) for line in lines))


def _page(line: Reservation, team_phone: str, base_url: str) -> _Page:
    session = line.session
    details = getattr(session.activity, "event_details", None)
    venue = details.venue if details else None
    steps: list[_Step] = []

    def write(words, *, size=11, bold=False, gap=2):
        steps.append(("text", _clean(words), size, bold, gap))

    def space(points):
        steps.append(("space", points))

    write(_("Invitation n° %(number)s") % {"number": line.invitation.number}, size=12, bold=True)
    space(6)
    write(session.activity.name, size=20, bold=True, gap=6)
    write(capfirst(dates.when(session.starts_at)), size=14, bold=True)
    space(6)
    if venue is not None:
        write(venue.name, bold=True)
        address = ", ".join(part for part in (venue.address, venue.city) if part)
    else:
        address = getattr(session.activity.location, "address", "")
    if address:
        write(address)
    space(10)
    write(f"{line.last_name.upper()} {line.first_name}", size=16, bold=True, gap=4)
    write(invitation_role_text(line), size=12)
    space(10)
    if details and strip_tags(details.practical_info).strip():
        write(_("Informations pratiques"), size=12, bold=True)
        write(strip_tags(details.practical_info), size=10)
        space(6)
    write(
        _(
            "Invitation nominative et strictement personnelle : elle ne peut être cédée à "
            "une tierce personne."
        ),
        size=10,
        bold=True,
    )
    write(_("À présenter à l'accueil le jour de l'événement."), size=10)
    space(6)
    if team_phone:
        write(
            _("Équipe de la billetterie solidaire : %(phone)s")
            % {"phone": phone_display(team_phone)},
            size=10,
        )
    if venue is not None and venue.phone:
        write(
            _("%(venue)s : %(phone)s") % {"venue": venue.name, "phone": phone_display(venue.phone)},
            size=10,
        )
    return _Page(tuple(steps), check_in_url(base_url=base_url, reservation=line))


@functools.lru_cache(maxsize=PDF_CACHED)
def _pdf(title: str, pages: tuple[_Page, ...]) -> bytes:
    with pdf_building():
        out = io.BytesIO()
        canvas = Canvas(out, pagesize=A4, invariant=1, pageCompression=1)
        canvas.setTitle(title)
        width, height = A4
        text_width = width - 2 * MARGIN
        for page in pages:
            y = height - MARGIN
            # The page's texts in one text object, its font set when it changes: the same
            # glyphs at the same places, and the same text read back, as a drawString per
            # line (each a text object, the font set again), with fewer operators to format.
            text = canvas.beginText()
            current = None
            for step in page.steps:
                if step[0] == "space":
                    y -= step[1]
                    continue
                _kind, words, size, bold, gap = step
                font = FONT_BOLD if bold else FONT
                for part in simpleSplit(words, font, size, text_width):
                    y -= size + gap
                    if current != (font, size):
                        text.setFont(font, size)
                        current = (font, size)
                    text.setTextOrigin(MARGIN, y)
                    text.textLine(part)
            canvas.drawText(text)
            _qr(canvas, page.check_in, x=width - MARGIN - QR_SIZE, y=MARGIN)
            canvas.showPage()
        canvas.save()
        return out.getvalue()
