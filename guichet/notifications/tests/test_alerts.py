"""What staff learn of the outbox's trouble: the block on the admin index, the attachments whose
file is missing, and the daily summary to the organisation's contact address."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from guichet.core.scheduler import periodic_jobs
from guichet.notifications.alerts import message_alerts_summary_send
from guichet.notifications.models import MessageAttachment, MessageKind, MessageState
from guichet.notifications.selectors import message_alerts
from guichet.notifications.tasks import message_alerts_summary_task
from guichet.notifications.tests.factories import OutgoingMessageFactory
from guichet.notifications.tests.helpers import png_bytes

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")


@pytest.fixture
def trouble(time_machine):
    """Two mails given up today, one yesterday morning; two pending for over 10 minutes (one never
    tried, one failing since), and mails that are fine."""
    time_machine.move_to(timezone.now(), tick=False)
    now = timezone.now()
    for failed_at in (now - timedelta(hours=1), now - timedelta(hours=23)):
        OutgoingMessageFactory(state=MessageState.FAILED, failed_at=failed_at)
    OutgoingMessageFactory(state=MessageState.FAILED, failed_at=now - timedelta(hours=25))
    OutgoingMessageFactory(scheduled_for=now - timedelta(minutes=11))
    OutgoingMessageFactory(
        scheduled_for=now + timedelta(minutes=30),
        failing_since=now - timedelta(minutes=15),
        attempts=4,
    )
    OutgoingMessageFactory(scheduled_for=now - timedelta(minutes=9))  # not late yet
    OutgoingMessageFactory(scheduled_for=now + timedelta(days=2))  # a reminder to come
    OutgoingMessageFactory(state=MessageState.SENT, sent_at=now)


def test_failed_and_late_mails_are_counted(trouble):
    alerts = message_alerts(now=timezone.now())
    assert (alerts.failed, alerts.late) == (2, 2)
    assert alerts.sentences() == [
        "2 e-mails n'ont pas pu être envoyés ces dernières 24 heures.",
        "2 e-mails attendent d'être envoyés depuis plus de 10 minutes.",
    ]


def test_the_admin_index_shows_the_counts_to_staff_who_may_see_the_mails(trouble, client):
    staff = User.objects.create_user(
        username="accueil", email="accueil@example.org", password="x", is_staff=True
    )
    client.force_login(staff)
    assert "n'ont pas pu être envoyés" not in client.get(INDEX).content.decode()
    staff.user_permissions.add(Permission.objects.get(codename="view_outgoingmessage"))
    page = client.get(INDEX).content.decode()
    changelist = reverse("admin:notifications_outgoingmessage_changelist")
    assert (
        f'<a href="{changelist}">2 e-mails n&#x27;ont pas pu être envoyés ces dernières 24 '
        "heures.</a>" in page
    )
    assert "2 e-mails attendent d&#x27;être envoyés depuis plus de 10 minutes." in page


def test_the_admin_index_says_nothing_when_all_is_well(admin_client):
    OutgoingMessageFactory(scheduled_for=timezone.now() - timedelta(minutes=1))
    assert "notifications-alerts" not in admin_client.get(INDEX).content.decode()


def test_an_attachment_missing_on_disk_is_flagged_on_its_page_and_the_index(
    admin_client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    attachment = MessageAttachment.objects.create(
        kind=MessageKind.REMINDER, file=ContentFile(png_bytes(), name="plan.png")
    )
    page = reverse("admin:notifications_messageattachment_change", args=[attachment.pk])
    assert "Introuvable" not in admin_client.get(page).content.decode()
    assert "Pièce jointe introuvable" not in admin_client.get(INDEX).content.decode()

    attachment.file.storage.delete(attachment.file.name)
    assert (
        "Introuvable : les e-mails partent sans ce fichier"
        in admin_client.get(page).content.decode()
    )
    listing = reverse("admin:notifications_messageattachment_changelist")
    assert "Introuvable" in admin_client.get(listing).content.decode()
    index = admin_client.get(INDEX).content.decode()
    assert (
        f'<a href="{page}">Pièce jointe introuvable : « plan.png » (Rappel de réservation).'
        in index
    )


def test_the_daily_summary_goes_once_a_day_to_the_contact_address(trouble, organisation):
    organisation.contact_email = "accueil@example.org"
    organisation.save()
    assert message_alerts_summary_task.call() is True
    assert message_alerts_summary_task.call() is False  # run twice (two schedulers): one mail
    [summary] = mail.outbox
    assert summary.to == ["accueil@example.org"]
    assert summary.from_email == "billetterie@example.org"
    assert summary.subject == "Guichet : des e-mails n'ont pas pu être envoyés"
    assert "- 2 e-mails n'ont pas pu être envoyés ces dernières 24 heures." in summary.body
    assert "/admin/notifications/outgoingmessage/" in summary.body
    assert message_alerts_summary_send(now=timezone.now() + timedelta(days=1)) is True  # next day


def test_no_summary_when_all_is_well_or_without_a_contact_address(organisation, caplog):
    organisation.contact_email = "accueil@example.org"
    organisation.save()
    OutgoingMessageFactory(state=MessageState.SENT, sent_at=timezone.now())
    assert message_alerts_summary_send() is False
    OutgoingMessageFactory(state=MessageState.FAILED, failed_at=timezone.now())
    organisation.contact_email = ""
    organisation.save()
    assert message_alerts_summary_send() is False
    assert "no contact e-mail address" in caplog.text
    assert mail.outbox == []


def test_the_summary_is_a_periodic_job():
    [job] = [job for job in periodic_jobs() if job.task == message_alerts_summary_task]
    assert job.crontab == "30 7 * * *"


def test_staff_set_the_contact_address_in_the_organisations_settings(admin_client, organisation):
    page = reverse("admin:core_organisation_change", args=[organisation.pk])
    assert 'name="contact_email"' in admin_client.get(page).content.decode()
