"""Back-office pages: Notifications, Configuration des notifications, Pièces jointes."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from guichet.notifications.delivery import messages_send_due
from guichet.notifications.models import (
    MessageAttachment,
    MessageKind,
    MessageState,
    MessageTemplate,
)
from guichet.notifications.tests.factories import OutgoingMessageFactory
from guichet.notifications.tests.helpers import pdf_bytes, png_bytes
from guichet.solidarity.mails import WITH_REASON

pytestmark = pytest.mark.django_db

LIST = reverse("admin:notifications_outgoingmessage_changelist")


@pytest.fixture
def outbox():
    sent = OutgoingMessageFactory(
        kind=MessageKind.CONFIRMATION, reservation__email="sent@example.org"
    )
    messages_send_due()
    waiting = OutgoingMessageFactory(
        kind=MessageKind.REMINDER,
        scheduled_for=timezone.now() + timedelta(days=3),
        reservation__email="later@example.org",
    )
    return sent, waiting


def test_the_list_shows_one_line_per_mail_with_plain_recipients(admin_client, outbox):
    page = admin_client.get(LIST).content.decode()
    for label in ("Sujet", "Destinataires", "Personne", "État", "Date"):
        assert f">{label}<" in page
    assert 'data-filter-title="Envoi"' in page and 'data-filter-title="Programmation"' in page
    assert "Programmés (rappels J-2)" in page and "Envoyés dès l&#x27;action" in page
    assert '<td class="field-recipients_display">sent@example.org</td>' in page
    assert "<br>" not in page.split('id="result_list"')[1].split("</table>")[0]
    assert f"created_at__year={timezone.localdate().year}" in page  # the date hierarchy


def test_the_list_and_the_page_write_dates_with_the_date_module(admin_client):
    with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), tick=False):  # 10 h, Paris
        sent = OutgoingMessageFactory(kind=MessageKind.CONFIRMATION)
        messages_send_due()
        OutgoingMessageFactory(
            kind=MessageKind.REMINDER, scheduled_for=datetime(2026, 12, 10, 7, 30, tzinfo=UTC)
        )
    page = admin_client.get(LIST).content.decode()
    assert ">envoyé lun. 7 déc. 2026, 10 h<" in page
    assert ">prévu jeu. 10 déc. 2026, 8 h 30<" in page
    url = reverse("admin:notifications_outgoingmessage_change", args=[sent.pk])
    page = admin_client.get(url).content.decode()
    assert '<div class="readonly">lundi 7 décembre 2026, 10 h</div>' in page  # added, sent


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("envoi=sent", "sent"),
        ("envoi=not_sent", "later"),
        ("retardement=deferred", "later"),
        ("retardement=immediate", "sent"),
    ],
)
def test_the_filters(admin_client, outbox, query, expected):
    page = admin_client.get(f"{LIST}?{query}").content.decode()
    assert f"{expected}@example.org" in page
    assert sum(f"{name}@example.org" in page for name in ("sent", "later")) == 1


def test_rows_cannot_be_added_changed_or_deleted(admin_client, outbox):
    sent, _waiting = outbox
    assert admin_client.get(reverse("admin:notifications_outgoingmessage_add")).status_code == 403
    page = admin_client.get(
        reverse("admin:notifications_outgoingmessage_change", args=[sent.pk])
    ).content.decode()
    assert 'name="_save"' not in page
    assert "Bonjour" in page  # the text preview
    assert (
        admin_client.post(
            reverse("admin:notifications_outgoingmessage_delete", args=[sent.pk])
        ).status_code
        == 403
    )


def test_the_resend_action(
    admin_client, outbox, immediate_tasks, django_capture_on_commit_callbacks
):
    sent, _waiting = outbox
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            LIST, {"action": "resend", "_selected_action": [sent.pk]}, follow=True
        )
    assert "1 notification sera envoyée de nouveau." in response.content.decode()
    assert len(mail.outbox) == 2
    sent.refresh_from_db()
    assert sent.state == MessageState.SENT and sent.attempts == 1


def test_the_configuration_lists_every_kind_and_saves_an_edit(admin_client):
    page = admin_client.get(
        reverse("admin:notifications_messagetemplate_changelist")
    ).content.decode()
    for kind in MessageKind:
        assert str(kind.label).replace("'", "&#x27;") in page
    template = MessageTemplate.objects.get(kind=MessageKind.REMINDER)
    url = reverse("admin:notifications_messagetemplate_change", args=[template.pk])
    data = {
        field: getattr(template, field) for field in ("header_title", *MessageTemplate.SECTIONS)
    }
    data["main_content"] = "<p>Apportez des <em>gants</em>.</p><script>x</script>"
    assert admin_client.post(url, data).status_code == 302
    template.refresh_from_db()
    assert template.main_content == "<p>Apportez des <em>gants</em>.</p>"


def test_the_preview_shows_the_typed_texts_without_saving(admin_client):
    template = MessageTemplate.objects.get(kind=MessageKind.CONFIRMATION)
    change_page = admin_client.get(
        reverse("admin:notifications_messagetemplate_change", args=[template.pk])
    )
    assert "Prévisualiser" in change_page.content.decode()
    data = {
        field: getattr(template, field) for field in ("header_title", *MessageTemplate.SECTIONS)
    }
    data["header_title"] = "TITRE À L'ESSAI"
    url = reverse("admin:notifications_messagetemplate_preview", args=[template.pk])
    page = admin_client.post(url, data).content.decode()
    assert "TITRE À L&#x27;ESSAI" in page  # in the text part
    assert "Bonjour Camille," in page
    template.refresh_from_db()
    assert template.header_title == "CONFIRMATION DE RÉSERVATION"
    assert admin_client.get(url).status_code == 405


def test_attachments_accept_a_pdf_and_refuse_a_fake_or_a_big_file(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.NOTIFICATIONS_ATTACHMENT_MAX_SIZE = 2000
    url = reverse("admin:notifications_messageattachment_add")

    def upload(name, content):
        return admin_client.post(
            url, {"kind": MessageKind.CONFIRMATION, "file": SimpleUploadedFile(name, content)}
        )

    assert upload("plan.pdf", pdf_bytes()).status_code == 302
    unreadable = "Ce fichier PDF est illisible ou n&#x27;a aucune page"
    assert unreadable in upload("faux.pdf", b"<html></html>").content.decode()
    # Only the first bytes look like a PDF: the old check passed it.
    assert unreadable in upload("page.pdf", b"%PDF-<html><body>x</body></html>").content.decode()
    assert unreadable in upload("tronque.pdf", pdf_bytes()[:-40]).content.decode()
    assert unreadable in upload("vide.pdf", pdf_bytes(pages=0)).content.decode()
    assert (
        "dépasse la taille autorisée" in upload("gros.pdf", b"%PDF-" + b"0" * 3000).content.decode()
    )
    assert "extension" in upload("script.exe", b"MZ").content.decode()
    assert [a.filename for a in MessageAttachment.objects.all()] == ["plan.pdf"]


def test_the_admin_index_has_the_guides_three_entries(admin_client):
    page = admin_client.get(reverse("admin:app_list", args=["notifications"])).content.decode()
    for entry in ("Configuration des notifications", "Notifications", "Pièces jointes"):
        assert f">{entry}</a>" in page


def test_attachments_list_their_date_in_the_short_form(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    url = reverse("admin:notifications_messageattachment_add")
    upload = SimpleUploadedFile("plan.png", png_bytes())
    with time_machine.travel(datetime(2025, 12, 1, 9, 5, tzinfo=UTC), tick=False):
        admin_client.post(url, {"kind": MessageKind.REMINDER, "file": upload})
    page = admin_client.get(reverse("admin:notifications_messageattachment_changelist"))
    assert '<td class="field-created">lun. 1er déc. 2025, 10 h 05</td>' in page.content.decode()


def test_attachments_accept_an_image(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    url = reverse("admin:notifications_messageattachment_add")
    upload = SimpleUploadedFile("plan.png", png_bytes())
    assert admin_client.post(url, {"kind": MessageKind.REMINDER, "file": upload}).status_code == 302
    assert (
        "ne correspond pas"
        in admin_client.post(
            url,
            {
                "kind": MessageKind.REMINDER,
                "file": SimpleUploadedFile("faux.png", b"GIF89a-not-really"),
            },
        ).content.decode()
    )


def test_the_preview_under_the_change_page_is_not_found(admin_client):
    template = MessageTemplate.objects.get(kind=MessageKind.CONFIRMATION)
    change = reverse("admin:notifications_messagetemplate_change", args=[template.pk])
    assert admin_client.post(change + "apercu/", {}).status_code == 404
    assert admin_client.get(change + "apercu/").status_code == 404


@pytest.mark.parametrize("kind", MessageKind.values)
def test_each_preview_shows_what_its_real_mails_show(admin_client, kind):
    template = MessageTemplate.objects.get(kind=kind)
    data = {
        field: getattr(template, field) for field in ("header_title", *MessageTemplate.SECTIONS)
    }
    url = reverse("admin:notifications_messagetemplate_preview", args=[template.pk])
    page = admin_client.post(url, data).content.decode()
    # Only the mails about a session staff cancelled or postponed carry its reason (and the
    # solidarity portal's staff cancellation, its own).
    with_reason = kind in (
        MessageKind.SESSION_CANCELLED,
        MessageKind.SESSION_POSTPONED,
        *WITH_REASON,
    )
    assert ("Motif :" in page) is with_reason
    assert ("Intempéries" in page) is with_reason
    assert "Bonjour Camille," in page
