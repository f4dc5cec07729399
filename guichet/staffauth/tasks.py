from django.conf import settings
from django_tasks import task

from guichet.staffauth.ldap import ldap_accounts_sync


@task()
def ldap_accounts_sync_task() -> tuple[int, int]:
    """Nightly: deactivate the LDAP accounts whose entry is gone or lost its mapped groups."""
    if not settings.LDAP_URL:
        return 0, 0
    return ldap_accounts_sync()
