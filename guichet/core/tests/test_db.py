"""guichet.core.db: the advisory lock behind check-then-write rules on rows not written yet."""

import threading

import pytest
from django.db import connection, transaction

from guichet.core.db import advisory_lock


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
