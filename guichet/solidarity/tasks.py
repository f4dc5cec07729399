"""Background tasks of the solidarity portal, run by `manage.py db_worker`."""

from django_tasks import task

from guichet.core.db import with_retry
from guichet.solidarity.services import invitations_close


@task()
def invitations_close_task() -> int:
    """Every minute (registered in SolidarityConfig.ready): waiting lists closed at `closes_at`,
    promotion passes at the "dernier appel". Safe to run twice, catches up after an outage."""
    return with_retry(invitations_close)
