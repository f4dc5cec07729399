"""Data migrations of the bookings app, run on rows that were there before them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from guichet.bookings.models import Reservation
from guichet.bookings.tests.factories import ReservationFactory
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
