"""What the PDFs of every app share (reportlab): the embedded fonts."""

import threading
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT, FONT_BOLD = "GuichetVera", "GuichetVeraBold"

# The server's threads print at once: unguarded, one saw the regular font registered and the
# bold one not yet (a 500 on a worker's first PDFs), or a font replaced while a PDF used it.
_fonts_lock = threading.Lock()


def pdf_fonts_register() -> None:
    """Bitstream Vera (shipped with reportlab), embedded: the French accents and any Latin name
    print as typed, which the built-in Helvetica does not. Registered once per process, the bold
    one last: once it is there, both are."""
    if FONT_BOLD in pdfmetrics.getRegisteredFontNames():
        return
    with _fonts_lock:
        if FONT_BOLD not in pdfmetrics.getRegisteredFontNames():
            fonts = Path(reportlab.__file__).parent / "fonts"
            pdfmetrics.registerFont(TTFont(FONT, fonts / "Vera.ttf"))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, fonts / "VeraBd.ttf"))
