"""The PDFs' shared fonts and their one-at-a-time building (reportlab)."""

import io
import threading

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Paragraph, SimpleDocTemplate

from guichet.core.pdf import FONT, FONT_BOLD, pdf_building


def _threads_at_once(work, count: int = 8) -> list:
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        barrier.wait()
        try:
            results.append(work())
        except Exception as exc:  # the test reports any failure of a thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_threads_printing_at_once_register_the_fonts_once():
    """A worker's threads print their first PDFs together: each must find both fonts, the same
    ones (unguarded, some found the bold one missing: a 500)."""
    for name in (FONT, FONT_BOLD):
        pdfmetrics._fonts.pop(name, None)  # as in a new worker (reportlab has no unregister)

    def first_print():
        with pdf_building():
            return pdfmetrics.getFont(FONT), pdfmetrics.getFont(FONT_BOLD)

    seen = _threads_at_once(first_print)
    assert len(seen) == 8 and len(set(seen)) == 1


def test_threads_building_at_once_get_the_same_pdf():
    def build() -> bytes:
        out = io.BytesIO()
        with pdf_building():
            document = SimpleDocTemplate(out, invariant=1)
            styles = [ParagraphStyle(name, fontName=name) for name in (FONT, FONT_BOLD)]
            document.build(
                [Paragraph(f"Invitation n° {n} — Zoé Ærøskøbing", styles[n % 2]) for n in range(60)]
            )
        return out.getvalue()

    pdfs = _threads_at_once(lambda: [build() for _ in range(3)])
    assert len({pdf for batch in pdfs for pdf in batch}) == 1
