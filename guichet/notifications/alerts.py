"""The daily summary of the outbox's trouble, mailed to the organisation's contact address (the
admin index shows the same counts: templatetags/notifications_alerts.py)."""

import logging
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.core.selectors import organisation_get
from guichet.notifications.selectors import message_alerts

logger = logging.getLogger(__name__)

# Marks the day whose summary went (or is going) out, for longer than a day.
ALERT_SUMMARY_KEY = "notifications.alert_summary:{day}"
ALERT_SUMMARY_KEY_SECONDS = 2 * 24 * 3600


def message_alerts_summary_send(*, now: datetime | None = None) -> bool:
    """The summary of the mails given up or waiting too long, to the organisation's contact
    address: nothing when there is nothing to report or no address, and at most one per day
    (a second run of the same day sends nothing). Returns whether it was sent."""
    now = now or timezone.now()
    alerts = message_alerts(now=now)
    if not alerts:
        return False
    organisation = organisation_get()
    if not organisation.contact_email:
        logger.warning("Mail alerts not sent: the organisation has no contact e-mail address")
        return False
    key = ALERT_SUMMARY_KEY.format(day=timezone.localdate(now).isoformat())
    if not cache.add(key, True, timeout=ALERT_SUMMARY_KEY_SECONDS):
        return False  # already sent today
    url = settings.SITE_URL + reverse("admin:notifications_outgoingmessage_changelist")
    body = "\n\n".join(
        [
            _("Bonjour,"),
            "\n".join(f"- {sentence}" for sentence in alerts.sentences()),
            _("Le détail, et l'action pour les renvoyer : %(url)s") % {"url": url},
            _(
                "Ce message est envoyé chaque matin par Guichet quand des e-mails sont en échec "
                "ou en attente."
            ),
        ]
    )
    try:
        send_mail(
            _("Guichet : des e-mails n'ont pas pu être envoyés"),
            body,
            organisation.sender_email or settings.DEFAULT_FROM_EMAIL,
            [organisation.contact_email],
        )
    except Exception:
        cache.delete(key)  # not sent: a later run of the same day may send it
        raise
    return True
