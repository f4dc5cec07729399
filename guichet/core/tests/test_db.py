"""guichet.core.db: the advisory lock behind check-then-write rules on rows not written yet, and
the insert and the compiled read for the hot paths."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guichet.bookings.models import Reservation
from guichet.bookings.tests.factories import ReservationFactory
from guichet.core.db import (
    CompiledGet,
    CompiledQuery,
    advisory_lock,
    keys_draw_sent,
    pipeline,
    rows_insert,
    rows_insert_sent,
)
from guichet.notifications.models import MessageKind, OutgoingMessage


@pytest.mark.django_db(transaction=True)
def test_an_advisory_lock_outside_a_transaction_is_refused():
    # In autocommit the lock would be released as soon as it was taken.
    with pytest.raises(RuntimeError):
        advisory_lock("bookings.address", "alix@example.org")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_holder_of_the_same_name_waits_for_the_commit():
    order: list[str] = []
    holding = threading.Event()

    def second():
        holding.wait()
        try:
            with transaction.atomic():
                advisory_lock("bookings.address", "alix@example.org")
                order.append("second")
        finally:
            connection.close()

    thread = threading.Thread(target=second)
    thread.start()
    with transaction.atomic():
        advisory_lock("bookings.address", "alix@example.org")
        holding.set()
        thread.join(timeout=0.5)
        order.append("first")  # the second is still waiting
    thread.join()
    assert order == ["first", "second"]


def _messages(reservation, *keys: str) -> list[OutgoingMessage]:
    return [
        OutgoingMessage(
            dedupe_key=key,
            kind=MessageKind.CONFIRMATION,
            subject=f"Sujet {key}",
            recipients=[f"{key}@example.org"],
            reservation=reservation,
            session=reservation.session,
            details={"key": key, "pks": [1, 2]},
            scheduled_for=timezone.now(),
        )
        for key in keys
    ]


def _stored(message: OutgoingMessage) -> dict:
    """The row as the ORM reads it back, but its own key and time of creation."""
    row = OutgoingMessage.objects.get(pk=message.pk)
    skipped = {"id", "dedupe_key", "created_at"}
    return {
        f.attname: getattr(row, f.attname) for f in row._meta.fields if f.attname not in skipped
    }


@pytest.mark.django_db
def test_rows_insert_stores_what_bulk_create_stores_and_sets_the_keys_in_order():
    reservation = ReservationFactory()
    [twin] = OutgoingMessage.objects.bulk_create(_messages(reservation, "orm"))
    messages = _messages(reservation, "a", "b", "c")
    for message in messages:  # the twin's values, but for the key and the subject
        message.details = twin.details
        message.recipients = twin.recipients
        message.scheduled_for = twin.scheduled_for
    rows_insert(messages)
    assert [OutgoingMessage.objects.get(pk=m.pk).dedupe_key for m in messages] == ["a", "b", "c"]
    for message in messages:
        assert not message._state.adding
        assert message.created_at is not None  # auto_now_add, as save() sets it
        assert _stored(message) == _stored(twin) | {"subject": f"Sujet {message.dedupe_key}"}


@pytest.mark.django_db
def test_rows_insert_may_skip_the_rows_clashing_on_a_unique_column():
    reservation = ReservationFactory()
    rows_insert(_messages(reservation, "a"))
    rows_insert(_messages(reservation, "a", "b"), ignore_conflicts=True)
    assert sorted(OutgoingMessage.objects.values_list("dedupe_key", flat=True)) == ["a", "b"]
    assert OutgoingMessage.objects.get(dedupe_key="a").subject == "Sujet a"


@pytest.mark.django_db
def test_rows_given_keys_drawn_beforehand_are_inserted_with_them_in_one_round_trip():
    """On PostgreSQL the keys come from the table's sequence, the rows go with them and nothing
    is read back, so rows pointing to them can go in the same pipeline; on SQLite there is no
    sequence to draw from and the rows get their keys as they are inserted."""
    reservation = ReservationFactory()
    drawn = keys_draw_sent(OutgoingMessage, 3)()
    messages = _messages(reservation, "a", "b", "c")
    if connection.vendor != "postgresql":
        assert drawn is None
        return
    assert len(set(drawn)) == 3 and drawn == sorted(drawn)
    for message, key in zip(messages, drawn, strict=True):
        message.pk = key
    with CaptureQueriesContext(connection) as captured, pipeline():
        rows_insert_sent(messages)()  # waits for nothing: callable inside the pipeline
        assert connection.connection.pgconn.pipeline_status != 0
        assert all(not message._state.adding for message in messages)
    assert "RETURNING" not in captured.captured_queries[0]["sql"]
    stored = OutgoingMessage.objects.filter(pk__in=drawn).order_by("pk")
    assert list(stored.values_list("dedupe_key", flat=True)) == ["a", "b", "c"]
    later = OutgoingMessage.objects.create(**{**_fields(messages[0]), "dedupe_key": "d"})
    assert later.pk > max(drawn)  # the sequence moved past the keys drawn


def _fields(message: OutgoingMessage) -> dict:
    return {
        f.attname: getattr(message, f.attname) for f in message._meta.fields if not f.primary_key
    }


@pytest.mark.postgres
@pytest.mark.django_db
def test_psycopg_keeps_its_parse_of_rows_insert_statements_of_eight_reservations():
    # 8 rows of a reservation's columns: more parameters than psycopg keeps by default (50).
    from psycopg import _queries

    session = ReservationFactory().session

    def eight() -> list[Reservation]:
        return ReservationFactory.build_batch(8, session=session)

    rows_insert(eight())
    hits = _queries._query2pg.cache_info().hits
    with CaptureQueriesContext(connection) as captured:
        rows_insert(eight())
    assert len(captured.captured_queries[0]["sql"]) <= _queries.MAX_CACHED_STATEMENT_LENGTH
    assert _queries._query2pg.cache_info().hits == hits + 1
    assert Reservation.objects.filter(session=session).count() == 17


@pytest.mark.django_db
def test_rows_insert_writes_as_they_are_only_values_the_fields_would_not_change():
    # Every column of every model: what rows_insert passes as it is (core.db._AS_IS) is what
    # get_db_prep_save gives back for it, of the same type.
    from django.apps import apps

    from guichet.core.db import _inserted_fields

    samples = {str: ["Exemple", ""], bool: [True, False], type(None): [None]}
    checked = 0
    for model in apps.get_models():
        for field, as_is in _inserted_fields(model, False):
            for kind in as_is:
                for value in samples[kind]:
                    prepared = field.get_db_prep_save(value, connection)
                    assert prepared == value and type(prepared) is kind, (model, field.name)
                    checked += 1
    assert checked > 500


def _reservation_and_relations(reservation: Reservation) -> list[dict]:
    objects = [reservation, reservation.session, reservation.session.activity]
    return [{f.attname: getattr(o, f.attname) for f in o._meta.concrete_fields} for o in objects]


@pytest.mark.django_db
def test_compiled_get_reads_what_the_orm_reads_with_one_statement_a_key():
    first, second = ReservationFactory(), ReservationFactory()
    read = CompiledGet(lambda: Reservation.objects.select_related("session__activity"))
    for reservation in (first, second, first):
        with CaptureQueriesContext(connection) as queries:
            found = read.get(str(reservation.pk))  # as a session stores it
        orm = Reservation.objects.select_related("session__activity").get(pk=reservation.pk)
        assert len(queries) == 1  # the relations come with it
        assert _reservation_and_relations(found) == _reservation_and_relations(orm)
        assert found.created_at == orm.created_at and found._state.adding is False
    assert read.get(second.pk + first.pk + 1) is None


@pytest.mark.django_db(transaction=True)
def test_compiled_get_compiles_again_for_another_thread_and_its_connection():
    reservation = ReservationFactory()
    read = CompiledGet(lambda: Reservation.objects.select_related("session"))
    assert read.get(reservation.pk).session == reservation.session
    found = []

    def other():
        try:
            found.append(read.get(reservation.pk))
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert found[0].pk == reservation.pk and found[0].session.pk == reservation.session_id


@pytest.mark.django_db
def test_a_compiled_query_reads_what_the_orm_reads_with_other_values_in_their_places():
    first = ReservationFactory(first_name="Anne")
    second = ReservationFactory(first_name="Anne", session=first.session)
    ReservationFactory(first_name="Bob", session=first.session)  # a constant of the queryset

    def lines(session, since):
        return (
            Reservation.objects.filter(first_name="Anne", session_id=session, created_at__gte=since)
            .select_related("session__activity")
            .order_by("pk")
        )

    read = CompiledQuery(lines)
    before, after = first.created_at - timedelta(seconds=1), second.created_at
    for session, since in ((first.session_id, before), (first.session_id, after), (0, before)):
        with CaptureQueriesContext(connection) as queries:
            found = read.rows(session=session, since=since)
        orm = list(lines(session, since))
        assert len(queries) == 1  # the relations come with them
        assert [_reservation_and_relations(r) for r in found] == [
            _reservation_and_relations(r) for r in orm
        ]
    assert len(read.rows(session=first.session_id, since=before)) == 2
    with CaptureQueriesContext(connection) as queries:
        assert read.rows(session=2**63, since=before) == []  # past any column: no statement
    assert not queries


@pytest.mark.django_db
def test_a_compiled_query_refuses_a_value_that_is_not_one_parameter():
    ReservationFactory()
    unused = CompiledQuery(lambda pk, other: Reservation.objects.filter(pk=pk))
    with pytest.raises(ValueError):
        unused.rows(pk=1, other=2)
    twice = CompiledQuery(lambda pk: Reservation.objects.filter(pk=pk, session_id=pk))
    with pytest.raises(ValueError):
        twice.rows(pk=1)
