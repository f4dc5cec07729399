import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
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
    never inside a transaction, since a failed statement aborts the whole transaction (the one
    exception: a back-office form, whose transaction holds no lock yet, retries the service's
    own savepoint, see guichet.core.forms)."""
    for attempt in range(attempts):
        try:
            return service(**kwargs)
        except OperationalError as exc:
            if not _is_retryable(exc):
                raise
            time.sleep(0.05 * 2**attempt)
    raise ServiceBusy()


def advisory_lock(*names: object) -> None:
    """Wait for the lock named by `names` until the current transaction ends: a check-then-write
    on rows that do not exist yet (no row to lock) runs once at a time per name. PostgreSQL
    transaction-level advisory lock; on SQLite every write transaction already runs alone
    (BEGIN IMMEDIATE), so there is nothing to do."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("advisory_lock() outside a transaction would be released at once")
    if connection.vendor != "postgresql":
        return
    # 64 bits of a hash of the names: two names sharing a key only wait on each other.
    digest = hashlib.blake2b(":".join(map(str, names)).encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)]
        )


def lock_timeout_on_connect(*, connection, **_kwargs) -> None:
    """On PostgreSQL, every statement of the connection waits at most DATABASE_LOCK_TIMEOUT for
    a lock: past it the statement fails with 55P03, which with_retry retries, then answers busy
    instead of waiting for ever. Set once per connection (connection_created), not per
    transaction, so that a booking pays no round trip for it."""
    _lock_timeout_set(connection, settings.DATABASE_LOCK_TIMEOUT)


@contextmanager
def lock_timeout_lifted() -> Iterator[None]:
    """Wait for locks as long as it takes inside the block: for writes that must not fail after
    an outside effect (a mail accepted by the SMTP server must be recorded as sent)."""
    _lock_timeout_set(connection, 0)
    try:
        yield
    finally:
        # A connection that died in the block is closed and reconnects with the default.
        with suppress(DatabaseError):
            _lock_timeout_set(connection, settings.DATABASE_LOCK_TIMEOUT)


def _lock_timeout_set(connection, seconds: float) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite: writers queue on the database lock, with its own busy timeout
    milliseconds = max(int(seconds * 1000), 1) if seconds else 0  # 0: no time-out
    with connection.cursor() as cursor:
        # set_config takes a bound parameter (SET does not); false: for the whole session.
        cursor.execute("SELECT set_config('lock_timeout', %s, false)", [f"{milliseconds}ms"])
