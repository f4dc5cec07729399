"""The reservation's states and the constraints of the portals' rows (model and database)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from guichet.bookings.models import (
    LIVE_STATUSES,
    SEAT_HOLDING_STATUSES,
    Reservation,
    ReservationGroup,
    ReservationStatus,
)
from guichet.bookings.tests.factories import PortalReservationFactory, ReservationFactory
from guichet.catalogue.models import Channel, Session
from guichet.catalogue.tests.factories import SessionFactory
from guichet.notifications.models import OutgoingMessage
from guichet.notifications.tests.factories import OutgoingMessageFactory

pytestmark = pytest.mark.django_db


def test_the_states_and_their_french_labels():
    assert dict(ReservationStatus.choices) == {
        "valid": "Valide",
        "cancelled": "Annulé",
        "archived": "Archivé",
        "pending": "En attente de traitement",
        "waiting": "Sur liste d'attente",
        "refused": "Refusé",
        "not_served": "Non servi",
    }
    assert set(SEAT_HOLDING_STATUSES) == {"valid", "archived", "pending"}
    assert set(LIVE_STATUSES) == {"valid", "archived", "pending", "waiting"}


def test_a_pending_reservation_holds_its_seats_and_a_waiting_one_does_not():
    assert Reservation(status=ReservationStatus.PENDING).holds_seats
    assert not Reservation(status=ReservationStatus.WAITING).holds_seats


def test_the_channels():
    assert dict(Channel.choices) == {
        "parcs": "Parcs et jardins",
        "solidaire": "Billetterie solidaire",
        "famille": "Portail famille",
    }


def _refused_by_the_database(**fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        PortalReservationFactory(**fields)


def test_one_live_row_per_holder_and_session():
    first = PortalReservationFactory(holder_key="beneficiary:1")
    for status in LIVE_STATUSES:
        rank = 1 if status == ReservationStatus.WAITING else None
        _refused_by_the_database(
            session=first.session, holder_key="beneficiary:1", status=status, waiting_rank=rank
        )
    # Cancelled, refused, not served rows do not count; another session neither.
    for status in ("cancelled", "refused", "not_served"):
        PortalReservationFactory(session=first.session, holder_key="beneficiary:1", status=status)
    PortalReservationFactory(holder_key="beneficiary:1")


def test_parks_rows_have_no_holder_and_may_repeat():
    session = SessionFactory()
    ReservationFactory(session=session)
    ReservationFactory(session=session)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReservationFactory(session=session, holder_key="beneficiary:1")
    _refused_by_the_database(holder_key="")


def test_ranks_are_unique_per_session_and_waiting_needs_one():
    first = PortalReservationFactory(status=ReservationStatus.WAITING, waiting_rank=1)
    _refused_by_the_database(session=first.session, status="waiting", waiting_rank=1)
    _refused_by_the_database(status="waiting", waiting_rank=None)
    _refused_by_the_database(status="waiting", waiting_rank=0)
    # Kept after promotion: a valid row may carry its former rank.
    PortalReservationFactory(session=first.session, status="valid", waiting_rank=2)
    PortalReservationFactory(status="waiting", waiting_rank=1)  # another session


def test_token_reference_and_submission_keys_are_unique():
    first = ReservationFactory(submission_key="clé")
    for field in ("token", "reference", "submission_key"):
        with pytest.raises(IntegrityError), transaction.atomic():
            ReservationFactory(**{field: getattr(first, field)})
    ReservationFactory(submission_key=None)
    ReservationFactory(submission_key=None)  # many rows without a key
    ReservationGroup.objects.create(channel=Channel.SOLIDARITY, submission_key="clé")
    ReservationGroup.objects.create(channel=Channel.SOLIDARITY, submission_key=None)
    ReservationGroup.objects.create(channel=Channel.SOLIDARITY, submission_key=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReservationGroup.objects.create(channel=Channel.SOLIDARITY, submission_key="clé")
    message = OutgoingMessageFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        OutgoingMessageFactory(dedupe_key=message.dedupe_key)


@pytest.mark.postgres
def test_the_tables_a_booking_writes_have_no_index_nothing_reads():
    """Each index costs every insert: no LIKE copy of an equality-only column (unique=True's
    varchar_pattern_ops index on PostgreSQL), no index on columns another index begins with."""
    for model in (Reservation, ReservationGroup, OutgoingMessage):
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table]
            )
            definitions = dict(cursor.fetchall())
            indexes = connection.introspection.get_constraints(cursor, table)
        assert not [name for name, sql in definitions.items() if "pattern_ops" in sql]
        full = [
            index["columns"]
            for name, index in indexes.items()
            # Expression indexes (no columns) and partial ones (WHERE) aside.
            if index["index"] and index["columns"] and " WHERE " not in definitions.get(name, "")
        ]
        assert not [
            columns
            for columns in full
            if any(other[: len(columns)] == columns and other != columns for other in full)
        ], table


def test_portal_rows_keep_names_and_no_contact_data():
    PortalReservationFactory(email="", phone="", city="")
    _refused_by_the_database(email="anne@example.org")
    _refused_by_the_database(phone="+33612345678")
    _refused_by_the_database(city="Tourcoing")
    _refused_by_the_database(first_name="")
    with pytest.raises(IntegrityError), transaction.atomic():
        ReservationFactory(phone="")  # parks rows need the five fields
    with pytest.raises(IntegrityError), transaction.atomic():
        ReservationFactory(city="")


def test_model_validation_says_the_same_in_french():
    session = SessionFactory()
    portal = Reservation(
        session=session,
        channel=Channel.SOLIDARITY,
        holder_key="beneficiary:1",
        first_name="Anne",
        last_name="",
        email="anne@example.org",
        status=ReservationStatus.WAITING,
    )
    with pytest.raises(ValidationError) as refused:
        portal.full_clean()
    errors = refused.value.message_dict
    assert errors["last_name"] == ["Ce champ ne peut pas être vide."]
    assert errors["email"] == ["Les réservations de ce portail ne gardent pas les coordonnées."]
    assert errors["waiting_rank"] == ["Une inscription en liste d'attente a un rang."]
    parks = Reservation(session=session, first_name="Anne", last_name="Exemple", holder_key="x")
    with pytest.raises(ValidationError) as refused:
        parks.full_clean()
    assert set(refused.value.message_dict) == {"email", "phone", "city", "holder_key"}


def test_a_waiting_limit_below_the_waiting_count_is_refused():
    session = SessionFactory(waiting_limit=3)
    Session.objects.filter(pk=session.pk).update(waiting_count=3)
    session.refresh_from_db()
    session.waiting_limit = 2
    with pytest.raises(ValidationError) as refused:
        session.full_clean()
    assert refused.value.message_dict["waiting_limit"] == [
        "3 personnes sont en liste d'attente : la limite ne peut pas être inférieure."
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(waiting_limit=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(waiting_count=-1)


def test_the_window_opens_before_it_closes():
    session = SessionFactory()
    session.opens_at = session.start
    session.closes_at = session.start
    with pytest.raises(ValidationError) as refused:
        session.full_clean()
    assert refused.value.message_dict["closes_at"] == [
        "La clôture des réservations doit être après leur ouverture."
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        session.save()


def test_booking_closes_at_is_the_window_end_when_set():
    session = SessionFactory()
    assert session.booking_closes_at == session.start
    session.closes_at = session.start.replace(hour=1) - session.activity.booking_delay
    assert session.booking_closes_at == session.closes_at
