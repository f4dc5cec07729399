import hashlib
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, models, transaction
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


# --- statements written by hand, on the hottest paths ------------------------------------------


def sql_name(model: type[models.Model], field: str | None = None) -> str:
    """A model's table, or one of its columns, quoted for a statement written by hand."""
    meta = model._meta
    return connection.ops.quote_name(meta.get_field(field).column if field else meta.db_table)


class ModelRows:
    """Instances of `model` read by a statement written by hand, built as the ORM builds them.

    `columns()` is the select list (every concrete field, qualified by the table's name);
    `instance(values)` builds the instance from a row's values in that order, after the
    backend's converters (SQLite returns dates and decimals as text); `value(name, value)`
    converts one column's. For a statement that runs
    so often that the ORM's compiling it costs more than the database running it."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.fields = model._meta.concrete_fields
        self._names = [field.attname for field in self.fields]
        self._converters: dict[str, dict[str, tuple]] = {}  # per database vendor

    def columns(self) -> str:
        table = sql_name(self.model)
        return ", ".join(f"{table}.{connection.ops.quote_name(f.column)}" for f in self.fields)

    def instance(self, values: Sequence) -> models.Model:
        values = list(values)
        for index, converters, column in self._vendor_converters().values():
            for converter in converters:
                values[index] = converter(values[index], column, connection)
        return self.model.from_db(connection.alias, self._names, values)

    def value(self, name: str, value):
        """One column's value (field `name`, by attname), as the ORM would read it."""
        _index, converters, column = self._vendor_converters().get(name, (None, (), None))
        for converter in converters:
            value = converter(value, column, connection)
        return value

    def _vendor_converters(self) -> dict[str, tuple]:
        """What the ORM's compiler applies to each column (Django's `apply_converters`), by
        attname: (position in the select list, converters, column expression)."""
        vendor = connection.vendor
        if vendor not in self._converters:
            table = self.model._meta.db_table
            found = {}
            for index, field in enumerate(self.fields):
                column = field.get_col(table)
                converters = connection.ops.get_db_converters(column)
                converters += column.get_db_converters(connection)
                if converters:
                    found[field.attname] = (index, converters, column)
            self._converters[vendor] = found
        return self._converters[vendor]
