from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "guichet.notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from guichet.core.scheduler import periodic_job_register
        from guichet.notifications.tasks import (
            message_alerts_summary_task,
            messages_send_due_task,
        )

        periodic_job_register(messages_send_due_task, "* * * * *")  # due mails, retries
        periodic_job_register(message_alerts_summary_task, "30 7 * * *")  # to the contact address
