"""End to end: a booking's confirmation through a real SMTP server on 127.0.0.1."""

from email import message_from_bytes
from email.policy import default as default_policy

import icalendar
import pytest
from django.utils.text import capfirst

from guichet.bookings.services import reservation_create
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.tests.factories import SessionFactory
from guichet.core import dates
from guichet.notifications.delivery import messages_send_due
from guichet.notifications.models import MessageKind, MessageState, OutgoingMessage
from guichet.notifications.tests.factories import OutgoingMessageFactory
from guichet.notifications.tests.smtp import free_port


@pytest.mark.django_db(transaction=True)
def test_a_confirmation_reaches_a_real_smtp_server(smtp, immediate_tasks, settings):
    settings.SITE_URL = "https://reservations.example.org"
    session = SessionFactory(
        activity__name="Atelier « Pâques »",
        activity__description="<p>Décorations <strong>naturelles</strong>.</p>",
    )
    reservation = reservation_create(
        session=session, **booking_data(first_name="Zoé", quantity=2, email="camille@example.org")
    )

    [envelope] = smtp.envelopes
    assert envelope.mail_from == "billetterie@example.org"
    assert envelope.rcpt_tos == ["camille@example.org"]
    message = message_from_bytes(envelope.original_content, policy=default_policy)
    # (Django folds a non-ASCII subject after "Subject:", hence the strip.)
    assert message["Subject"].strip() == "Confirmation de réservation - Atelier « Pâques »"
    assert message["From"] == "Ville d'Exempleville <billetterie@example.org>"

    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text.get_content_charset() == html.get_content_charset() == "utf-8"
    page = f"https://reservations.example.org/reservation/{reservation.token}/"
    for part in (text.get_content(), html.get_content()):
        assert "Bonjour Zoé," in part
        assert capfirst(dates.long(session.start, session.end)) in part
        assert "Nombre de personnes : 2" in part
        assert page in part
        assert page + "calendrier.ics" in part
        assert page + "annuler/" in part
        assert "+33 3 20 00 00 00" in part and "https://www.example.org/" in part
    assert "<strong>naturelles</strong>" in html.get_content()  # the description's formatting kept
    assert "Décorations naturelles." in text.get_content()

    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "reservation.ics"
    event = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    assert event["SUMMARY"] == "Atelier « Pâques »"
    assert event.decoded("DTSTART") == session.start

    row = OutgoingMessage.objects.get(kind=MessageKind.CONFIRMATION)
    assert (row.state, row.recipients) == (MessageState.SENT, ["camille@example.org"])


@pytest.mark.django_db
def test_a_server_that_is_down_leaves_the_mail_to_retry(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    message = OutgoingMessageFactory()
    assert messages_send_due().retried == 1
    message.refresh_from_db()
    assert message.state == MessageState.PENDING and "ConnectionRefusedError" in message.last_error
