"""What the PDFs of every app share (reportlab): the embedded fonts, and one build at a time."""

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import reportlab
from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT, FONT_BOLD = "GuichetVera", "GuichetVeraBold"

# reportlab keeps each document's state in objects the whole process shares (the registered
# fonts and their subsets) and is not written for threads. A server's threads printing at once
# found a font half registered (a 500 on a worker's first PDFs) and, with the fonts registered,
# still failed now and then inside reportlab (IndexError, about one PDF in 550 under load). The
# GIL runs one build at a time anyway: waiting for the lock costs next to nothing.
_building = threading.RLock()


@contextlib.contextmanager
def pdf_building() -> Iterator[None]:
    """Around the making of a PDF with reportlab: one at a time per process, with Bitstream Vera
    (shipped with reportlab) registered and embedded, so that the French accents and any Latin
    name print as typed, which the built-in Helvetica does not. The streams are compressed
    only, not also written in ASCII85 (reportlab's default, for 7-bit channels): the same pages,
    a PDF a little smaller and its build about a quarter cheaper (reportlab's ASCII85 is pure
    Python)."""
    with _building:
        rl_config.useA85 = 0
        if FONT_BOLD not in pdfmetrics.getRegisteredFontNames():
            fonts = Path(reportlab.__file__).parent / "fonts"
            pdfmetrics.registerFont(TTFont(FONT, fonts / "Vera.ttf"))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, fonts / "VeraBd.ttf"))
        yield
