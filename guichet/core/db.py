import functools
import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, connections, models, transaction
from django.db.models.constants import OnConflict
from django.db.models.query import get_related_populators
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


# psycopg turns a statement's `%s` into PostgreSQL's `$1…` with a regular expression, and keeps
# the result only for statements of at most 50 parameters (psycopg._queries; its discussion 628:
# an ORM's bulk inserts of any number of rows would fill the cache). `rows_insert`'s statements
# are few (one per model and count of rows) but longer: a portal's allocation of 3 lines or more
# (21 columns a row) was parsed again at every call (0.17 ms of CPU for 3 rows, 0.3 ms for 4),
# its sessions locked. The limit is raised so that they are kept too (psycopg's cache holds 128).
PSYCOPG_CACHED_PARAMS = 400


def psycopg_statement_cache_widen() -> None:
    """Let psycopg keep its parse of statements of up to PSYCOPG_CACHED_PARAMS parameters (once,
    at start-up: CoreConfig.ready). Does nothing if psycopg has no such limit any more."""
    try:
        from psycopg import _queries
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return
    if (
        getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", PSYCOPG_CACHED_PARAMS)
        < PSYCOPG_CACHED_PARAMS
    ):
        _queries.MAX_CACHED_STATEMENT_PARAMS = PSYCOPG_CACHED_PARAMS


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
    return _sql_name(connection.vendor, model, field)


@functools.lru_cache(maxsize=256)  # a dozen per booking: worked out once per database vendor
def _sql_name(vendor: str, model: type[models.Model], field: str | None) -> str:
    meta = model._meta
    return connection.ops.quote_name(meta.get_field(field).column if field else meta.db_table)


class ModelRows:
    """Instances of `model` read by a statement written by hand, built as the ORM builds them.

    `columns()` is the select list (every concrete field, qualified by the table's name);
    `instance(values)` builds the instance from a row's values in that order, after the
    backend's converters (SQLite returns dates and decimals as text); `value(name, value)`
    converts one column's. For a statement that runs so often that the ORM's compiling it costs
    more than the database running it: both are worked out once per database vendor."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.fields = model._meta.concrete_fields
        self._names = [field.attname for field in self.fields]
        # Per database vendor: the select list, and the converters by attname (position in the
        # list, converters, column expression).
        self._vendors: dict[str, tuple[str, dict[str, tuple]]] = {}

    def columns(self) -> str:
        return self._vendor()[0]

    def instance(self, values: Sequence) -> models.Model:
        db = transaction.get_connection()  # the thread's own, read once (`connection` is a proxy)
        values = list(values)
        for index, converters, column in self._vendor()[1].values():
            for converter in converters:
                values[index] = converter(values[index], column, db)
        return self.model.from_db(db.alias, self._names, values)

    def value(self, name: str, value):
        """One column's value (field `name`, by attname), as the ORM would read it."""
        _index, converters, column = self._vendor()[1].get(name, (None, (), None))
        for converter in converters:
            value = converter(value, column, connection)
        return value

    def _vendor(self) -> tuple[str, dict[str, tuple]]:
        vendor = connection.vendor
        if vendor not in self._vendors:
            table, quote = self.model._meta.db_table, connection.ops.quote_name
            columns = ", ".join(f"{quote(table)}.{quote(field.column)}" for field in self.fields)
            converters = {}
            for index, field in enumerate(self.fields):
                # What the ORM's compiler applies (Django's `apply_converters`).
                column = field.get_col(table)
                found = connection.ops.get_db_converters(column)
                found += column.get_db_converters(connection)
                if found:
                    converters[field.attname] = (index, found, column)
            self._vendors[vendor] = (columns, converters)
        return self._vendors[vendor]


# The values a compiled statement is first built with, to find where each goes among its
# parameters: no constant of a queryset is one of these (nor any id a sequence draws: negative),
# and each lies in the range of any integer column (Django finds nothing beyond it, without SQL).
_PROBE_INTEGER = -2_000_000_000
_PROBE_MOMENT = datetime(1901, 1, 1, tzinfo=UTC)
_BIGINT = range(-(2**63), 2**63)


class CompiledQuery:
    """`rows(**values)`: the instances of `queryset(**values)`, built as the ORM builds them
    (select_related relations cached on them). The statement is compiled once per thread (a
    compiler keeps its thread's connection), with probe values, and run again with each call's
    values in their places.

    The values are integers (ids) or aware datetimes, each used by the queryset as one parameter
    (`pk=…`, `published_at__lte=…`), the statement's text the same whatever they are (checked
    when compiling: each probe must be found once among the parameters). For reads on every
    page whose compiling costs more than the database running them (the account with three
    select_related joins: 0.6–0.7 ms of CPU through the ORM, 0.12 ms compiled, of which the
    statement's round trip is 0.05 ms)."""

    def __init__(self, queryset: Callable[..., models.QuerySet]):
        self._queryset = queryset
        self._local = threading.local()

    def rows(self, **values) -> list[models.Model]:
        if any(type(value) is int and value not in _BIGINT for value in values.values()):
            return []  # no column holds it; the ORM too finds nothing, without a statement
        compiled = getattr(self._local, "compiled", None)
        if compiled is None or compiled["connection"] is not connections[compiled["alias"]]:
            compiled = self._local.compiled = self._compile(values)
        db = compiled["connection"]
        params = list(compiled["params"])
        for name, (index, moment) in compiled["places"].items():
            value = values[name]
            params[index] = db.ops.adapt_datetimefield_value(value) if moment else value
        with db.cursor() as cursor:
            cursor.execute(compiled["sql"], params)
            rows = cursor.fetchall()
        # As Django's ModelIterable.
        if compiled["converters"]:
            rows = compiled["compiler"].apply_converters(rows, compiled["converters"])
        start, end = compiled["fields"]
        found = []
        for row in rows:
            instance = compiled["model"].from_db(
                compiled["alias"], compiled["names"], row[start:end]
            )
            for populator in compiled["populators"]:
                populator.populate(row, instance)
            found.append(instance)
        return found

    def first(self, **values) -> models.Model | None:
        found = self.rows(**values)
        return found[0] if found else None

    def _compile(self, values: dict) -> dict:
        probes = {}
        for number, (name, value) in enumerate(sorted(values.items())):
            if isinstance(value, datetime):
                probes[name] = _PROBE_MOMENT + timedelta(seconds=number)
            elif isinstance(value, int):
                probes[name] = _PROBE_INTEGER - number
            else:
                raise TypeError(f"CompiledQuery: {name!r} is neither an integer nor a datetime.")
        queryset = self._queryset(**probes)
        alias = queryset.db
        db = connections[alias]
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        places = {}
        for name, probe in probes.items():
            moment = isinstance(probe, datetime)
            wanted = db.ops.adapt_datetimefield_value(probe) if moment else probe
            at = [index for index, param in enumerate(params) if param == wanted]
            if len(at) != 1:
                raise ValueError(f"CompiledQuery: {name!r} must be one parameter of the statement.")
            places[name] = (at[0], moment)
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return {
            "alias": alias,
            "connection": db,
            "sql": sql,
            "params": params,
            "places": places,
            "compiler": compiler,
            "model": klass_info["model"],
            "fields": (start, end),
            "names": [column[0].target.attname for column in select[start:end]],
            "populators": get_related_populators(klass_info, select, alias),
            # As the compiler's results_iter, worked out once.
            "converters": compiler.get_converters([column[0] for column in select]),
        }


def rows_insert(instances: Sequence[models.Model], *, ignore_conflicts: bool = False) -> None:
    """Insert new instances of one model in one statement, as `bulk_create` does: each field's
    `pre_save` (auto_now_add) and database preparation, then the primary keys drawn by the
    database set on the instances, now saved. With `ignore_conflicts`, a row clashing on a
    unique column is skipped and no key is read back (the instances stay unsaved, as with
    bulk_create). Instances whose keys were drawn beforehand (`keys_draw_sent`: all or none)
    are inserted with them, and nothing is read back.

    Written by hand for the hot paths: on a few rows, bulk_create's compiler cost more than the
    database's insert (0.4 ms of CPU for one row, against 0.25). The model's primary key must
    be drawn by the database, and the rows its instances point to must be saved already; save()
    and its signals do not run (as with bulk_create), so a SearchableModel's `search_text` is
    the caller's."""
    rows_insert_sent(instances, ignore_conflicts=ignore_conflicts)()


def rows_insert_sent(
    instances: Sequence[models.Model], *, ignore_conflicts: bool = False
) -> Callable[[], None]:
    """`rows_insert`'s statement, sent; the function returned reads the keys back (call it after
    the `pipeline` the statement was sent in) or, for keys drawn beforehand, only marks the
    instances saved (callable inside the pipeline: it waits for nothing)."""
    if not instances:
        return lambda: None
    db = transaction.get_connection()  # the thread's own, read once (`connection` is a proxy)
    model = type(instances[0])
    drawn = instances[0].pk is not None
    fields = _inserted_fields(model, drawn)
    params = []
    for instance in instances:
        for field, as_is in fields:
            value = field.pre_save(instance, True)
            if type(value) in as_is:
                params.append(value)  # what get_db_prep_save would return: see _AS_IS
            else:
                params.append(field.get_db_prep_save(value, db))
    sql = _insert_sql(model, db.vendor, len(instances), ignore_conflicts, drawn)
    cursor = db.cursor()
    cursor.execute(sql, params)
    returning = not (ignore_conflicts or drawn)
    keys = result_later(cursor, lambda cursor: cursor.fetchall() if returning else None)

    def keys_set() -> None:
        read = keys()
        if ignore_conflicts:
            return
        if read is not None:
            # In the rows' order, as bulk_create relies on too (PostgreSQL, SQLite ≥ 3.35).
            for instance, (key,) in zip(instances, read, strict=True):
                instance.pk = key
        for instance in instances:
            instance._state.adding, instance._state.db = False, db.alias

    return keys_set


# A model's next keys from its sequence (serial or identity column), in one statement.
_KEYS_DRAW_SQL = "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)"


def keys_draw_sent(model: type[models.Model], count: int) -> Callable[[], list[int] | None]:
    """`count` primary keys of `model` drawn beforehand from its sequence, sent: the function
    returned reads them (after the `pipeline` the statement was sent in). Rows given those keys
    and the rows pointing to them can then be inserted together, in one round trip, with
    `rows_insert_sent`. Keys drawn and not used are lost, as a rolled-back insert's. None on a
    database without sequences (SQLite), whose rows get their keys as they are inserted."""
    db = transaction.get_connection()
    if db.vendor != "postgresql" or count < 1:
        return lambda: None
    cursor = db.cursor()
    cursor.execute(_KEYS_DRAW_SQL, [model._meta.db_table, model._meta.pk.column, count])
    return result_later(cursor, lambda cursor: [key for (key,) in cursor.fetchall()])


def result_later(cursor, read: Callable[[Any], Any]) -> Callable[[], Any]:
    """What `read` reads from `cursor`, which has executed a statement (the cursor is closed
    then): in a `pipeline`, when the function returned is called, after the block; elsewhere at
    once, so that no statement is left open (SQLite would refuse to commit)."""

    def result():
        with cursor:
            return read(cursor)

    db = cursor.db
    if db.vendor == "postgresql" and db.connection.pgconn.pipeline_status:
        return result
    value = result()
    return lambda: value


def _pipeline_supported() -> bool:
    from psycopg import Pipeline  # only with PostgreSQL

    return Pipeline.is_supported()


@contextmanager
def pipeline() -> Iterator[None]:
    """On PostgreSQL, the statements executed in the block go to the server together and their
    results come back together at its end: one round trip (psycopg's pipeline mode). Keep the
    cursors and read them after the block (`result_later`): a result read inside waits for it
    and every statement sent before, a round trip of its own. Inside, a cursor's rowcount is -1
    until its result is read: nothing relying on it (the ORM's save() of a saved instance,
    update(), delete()) may run in the block. A statement's error is raised at the end of the
    block, as Django's (IntegrityError…), and the statements after it are not run. Elsewhere
    (SQLite, a libpq older than 14), each statement runs when executed."""
    db = transaction.get_connection()
    if db.vendor != "postgresql" or not _pipeline_supported():
        yield
        return
    db.ensure_connection()
    with db.wrap_database_errors, db.connection.pipeline():
        yield


# The fields (of these exact classes, not subclasses) whose `get_db_prep_save` gives back a
# value of these types as it is (Django 5.2: `to_python` returns it, no adaptation for the
# database follows). rows_insert skips the call for them: 2 to 4 µs a column, about a third of
# the preparation of a reservation's row. On PostgreSQL an integer (a key too) is wrapped for
# psycopg (Int4, Int8), so only its None goes as it is; a BooleanField that is not null refuses
# None, which must then go through the call.
_NONE = type(None)
_AS_IS: dict[type[models.Field], frozenset[type]] = {
    models.CharField: frozenset({str, _NONE}),
    models.TextField: frozenset({str, _NONE}),
    models.EmailField: frozenset({str, _NONE}),
    models.SlugField: frozenset({str, _NONE}),
    models.BooleanField: frozenset({bool}),
    models.DateTimeField: frozenset({_NONE}),
    models.DateField: frozenset({_NONE}),
    models.IntegerField: frozenset({_NONE}),
    models.PositiveIntegerField: frozenset({_NONE}),
    models.PositiveSmallIntegerField: frozenset({_NONE}),
    models.SmallIntegerField: frozenset({_NONE}),
    models.BigIntegerField: frozenset({_NONE}),
    models.ForeignKey: frozenset({_NONE}),
}


@functools.cache
def _inserted_fields(
    model: type[models.Model], with_key: bool
) -> list[tuple[models.Field, frozenset[type]]]:
    """The columns `rows_insert` writes: all but the generated ones and, unless drawn
    beforehand (`with_key`), the key, each with the types of the values it writes as they are
    (`_AS_IS`)."""
    meta = model._meta
    return [
        (field, _as_is(field))
        for field in meta.concrete_fields
        if not field.generated and (with_key or field is not meta.pk)
    ]


def _as_is(field: models.Field) -> frozenset[type]:
    kinds = _AS_IS.get(type(field), frozenset())
    if type(field) is models.BooleanField and field.null:
        kinds |= {_NONE}
    return kinds


@functools.lru_cache(maxsize=64)
def _insert_sql(
    model: type[models.Model], vendor: str, count: int, ignore_conflicts: bool, with_key: bool
) -> str:
    """The statement of `rows_insert` for `count` rows, built once per database vendor (its
    quoting, its way of skipping conflicts), count and way."""
    fields = [field for field, _as_is in _inserted_fields(model, with_key)]
    quote = connection.ops.quote_name
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    row = f"({', '.join(['%s'] * len(fields))})"
    sql = (
        f"{connection.ops.insert_statement(on_conflict=on_conflict)} {sql_name(model)}"
        f" ({', '.join(quote(field.column) for field in fields)})"
        f" VALUES {', '.join([row] * count)}"
    )
    if ignore_conflicts:
        return f"{sql} {connection.ops.on_conflict_suffix_sql(fields, on_conflict, None, None)}"
    if with_key:
        return sql
    return f"{sql} RETURNING {quote(model._meta.pk.column)}"


class CompiledGet:
    """`get(pk)`: the instance of `queryset()` with this (integer) primary key, or None: a
    CompiledQuery on `queryset().filter(pk=…)`."""

    def __init__(self, queryset: Callable[[], models.QuerySet]):
        self._query = CompiledQuery(lambda pk: queryset().filter(pk=pk))

    def get(self, pk) -> models.Model | None:
        return self._query.first(pk=int(pk))  # a session stores the account's key as text
