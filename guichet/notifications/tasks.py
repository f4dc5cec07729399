"""Background tasks of the notifications app, run by `manage.py db_worker`."""

from django_tasks import task

from guichet.notifications.delivery import message_send, messages_send_due


@task()
def message_send_task(message_id: int) -> dict:
    """Enqueued when a mail due now is committed. The outbox row decides: a row found withdrawn,
    sent, not yet due or held by another worker is left alone."""
    return message_send(message_id=message_id).as_dict()


@task()
def messages_send_due_task() -> dict:
    """Every minute (guichet.core.scheduler): reminders whose time has come, retries, and any
    mail whose own task was lost."""
    return messages_send_due().as_dict()
