"""Background tasks of the family portal, run by `manage.py db_worker`."""

from django.utils import timezone
from django_tasks import task

from guichet.families.services import baskets_purge, digest_send_due


@task()
def family_digest_task() -> int:
    """Every quarter of an hour (registered in FamiliesConfig.ready): the daily reports of the
    day before, once the digest time has come (each household once a day), and the baskets
    left for more than 7 days. Safe to run twice."""
    now = timezone.now()
    baskets_purge(now=now)
    return digest_send_due(now=now)
