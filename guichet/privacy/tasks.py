"""Background tasks of guichet.privacy, run by `manage.py db_worker`."""

from django_tasks import task

from guichet.privacy.services import retention_apply


@task()
def retention_apply_task() -> dict:
    """The retention rules (anonymisation, outbox and journal purges), nightly
    (registered in PrivacyConfig.ready)."""
    return retention_apply()
