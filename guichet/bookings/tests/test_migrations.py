"""Data migrations of the bookings app, run on rows that were there before them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from guichet.bookings.models import Reservation
from guichet.bookings.services import reservation_create
from guichet.bookings.tests.factories import ReservationFactory, booking_data
from guichet.catalogue.tests.factories import SessionFactory
from guichet.core.references import reference_parse

REFERENCE = ("bookings", "0005_reservation_reference_email_index")
BEFORE_REFERENCE = ("bookings", "0004_reservation_search_text")


def migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_reservations_get_distinct_references():
    pks = [reservation.pk for reservation in ReservationFactory.create_batch(5)]
    migrate(BEFORE_REFERENCE)  # the rows stay, their references go
    try:
        migrate(REFERENCE)
    finally:
        migrate(None)
    references = Reservation.objects.filter(pk__in=pks).values_list("reference", flat=True)
    assert len(set(references)) == 5
    assert all(reference_parse(reference) == reference for reference in references)


CONFIRMATION_HELD = ("bookings", "0011_reservation_confirmation_held")
BEFORE_CONFIRMATION_HELD = ("bookings", "0010_reservation_person_key_fields_services_only")


@pytest.mark.django_db(transaction=True)
def test_reservations_whose_confirmation_was_held_back_keep_saying_so(settings):
    settings.CONFIRMATION_MAIL_LIMIT = ["1/h"]
    session = SessionFactory()
    sent, held = (
        reservation_create(session=session, **booking_data(email="alix@example.org"))
        for _ in range(2)
    )
    staff = reservation_create(
        session=session, **booking_data(email="alix@example.org", online=False)
    )
    migrate(BEFORE_CONFIRMATION_HELD)  # the column goes; the held mail stays in the outbox
    try:
        migrate(CONFIRMATION_HELD)
    finally:
        migrate(None)
    flags = dict(
        Reservation.objects.filter(pk__in=[sent.pk, held.pk, staff.pk]).values_list(
            "pk", "confirmation_held"
        )
    )
    assert flags == {sent.pk: False, held.pk: True, staff.pk: False}
