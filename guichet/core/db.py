import time

from django.db import OperationalError
from django.utils.translation import gettext_lazy as _

# PostgreSQL: serialization failure, deadlock, lock timeout. SQLite: busy timeout ran out.
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


class ServiceBusy(Exception):
    message = _("Le service est très sollicité : veuillez réessayer dans un instant.")

    def __str__(self) -> str:
        return str(self.message)


def _is_retryable(exc: OperationalError) -> bool:
    if getattr(exc.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(exc)


def with_retry(service, /, attempts: int = 3, **kwargs):
    """Call a service, retrying on lock conflicts. Only at the outermost call (a view, a task),
    never inside a transaction, since a failed statement aborts the whole transaction."""
    for attempt in range(attempts):
        try:
            return service(**kwargs)
        except OperationalError as exc:
            if not _is_retryable(exc):
                raise
            time.sleep(0.05 * 2**attempt)
    raise ServiceBusy()
