"""The PDFs' shared fonts (reportlab)."""

import threading

from reportlab.pdfbase import pdfmetrics

from guichet.core.pdf import FONT, FONT_BOLD, pdf_fonts_register


def test_threads_printing_at_once_register_the_fonts_once():
    """A worker's threads print their first PDFs together: each must find both fonts, the same
    ones (unguarded, some found the bold one missing: a 500)."""
    for name in (FONT, FONT_BOLD):
        pdfmetrics._fonts.pop(name, None)  # as in a new worker (reportlab has no unregister)
    barrier = threading.Barrier(8)
    seen = []

    def first_print():
        barrier.wait()
        pdf_fonts_register()
        seen.append((pdfmetrics.getFont(FONT), pdfmetrics.getFont(FONT_BOLD)))

    threads = [threading.Thread(target=first_print) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and len(set(seen)) == 1
