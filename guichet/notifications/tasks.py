"""Background tasks of the notifications app, run by `manage.py db_worker`."""

from django.db import InterfaceError, OperationalError
from django.db import connection as db_connection
from django_tasks import task

from guichet.notifications.alerts import message_alerts_summary_send
from guichet.notifications.delivery import messages_send_due


@task()
def messages_send_due_task() -> dict:
    """Every mail due: queued after the changes that cause mails (at most one per
    NOTIFICATIONS_WAKE_SECONDS, see services._delivery_wake) and every minute by the scheduler
    (registered in NotificationsConfig.ready) for reminders whose time has come, retries and any
    mail missed."""
    try:
        return messages_send_due().as_dict()
    except (OperationalError, InterfaceError):
        # The database connection may be dead (server restarted, connection terminated): the
        # worker records the task's failure on this same connection, and would itself die on
        # it. Closed, it is opened afresh. The rows still claimed go after the claim time-out.
        db_connection.close()
        raise


@task()
def message_alerts_summary_task() -> bool:
    """Each morning (registered in NotificationsConfig.ready): the mails failed or waiting, to
    the organisation's contact address, when there are any."""
    return message_alerts_summary_send()
