"""{% notifications_alerts %}: the block at the top of the admin index that tells staff who may
see the mails about failed or late ones, and about attachments whose file is missing."""

from django import template
from django.urls import reverse
from django.utils import timezone

from guichet.notifications.selectors import (
    attachment_missing_sentence,
    attachments_missing,
    message_alerts,
)

register = template.Library()


@register.inclusion_tag("admin/notifications/alerts.html", takes_context=True)
def notifications_alerts(context) -> dict:
    user = context["request"].user
    alerts = []  # (sentence, link)
    if user.has_perm("notifications.view_outgoingmessage"):
        changelist = reverse("admin:notifications_outgoingmessage_changelist")
        counts = message_alerts(now=timezone.now())
        alerts += [(sentence, changelist) for sentence in counts.sentences()]
    if user.has_perm("notifications.view_messageattachment"):
        alerts += [
            (
                attachment_missing_sentence(attachment),
                reverse("admin:notifications_messageattachment_change", args=[attachment.pk]),
            )
            for attachment in attachments_missing()
        ]
    return {"alerts": alerts}
