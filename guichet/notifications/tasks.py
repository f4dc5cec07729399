"""Background tasks of the notifications app, run by `manage.py db_worker`."""

from django_tasks import task

from guichet.notifications.delivery import messages_send_due


@task()
def messages_send_due_task() -> dict:
    """Every mail due: queued after the changes that cause mails (at most one per
    NOTIFICATIONS_WAKE_SECONDS, see services._delivery_wake) and every minute by the scheduler
    (registered in NotificationsConfig.ready) for reminders whose time has come, retries and any mail missed."""
    return messages_send_due().as_dict()
