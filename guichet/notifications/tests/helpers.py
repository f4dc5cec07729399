import io

from django.core import mail
from PIL import Image
from pypdf import PdfWriter

from guichet.notifications.delivery import messages_send_due
from guichet.notifications.models import OutgoingMessage


def sent_rows() -> list[OutgoingMessage]:
    """The outbox rows of the mails in django.core.mail.outbox, in the order they were sent."""
    ids = [int(email.extra_headers["X-Guichet-Notification"]) for email in mail.outbox]
    rows = OutgoingMessage.objects.in_bulk(ids)
    return [rows[pk] for pk in ids]


def sent_kinds() -> list[str]:
    return [row.kind for row in sent_rows()]


def deliver_at(time_machine, moment) -> list[str]:
    """What the periodic job sends at `moment`: the kinds of the mails it sent."""
    time_machine.move_to(moment)
    before = len(mail.outbox)
    messages_send_due()
    return sent_kinds()[before:]


def png_bytes() -> bytes:
    """A real 1×1 PNG image."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes(pages: int = 1) -> bytes:
    """A real PDF of blank pages."""
    writer = PdfWriter()
    for _page in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
