"""Parents confirming at once on PostgreSQL, each on its own connection, as the page calls the
service (`with_retry`, the lock time-out on): the seats go once, the waiting list's ranks are
1…n without a hole, and nobody deadlocks (the lock order: sessions, children, reservations)."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.db import connection

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.bookings.services import seats_mismatches, waiting_mismatches
from guichet.bookings.tests.test_concurrency import deadlocks_so_far
from guichet.core.db import with_retry
from guichet.families.services import basket_toggle_days, basket_validate
from guichet.families.tests.factories import ChildFactory, GuardianFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PARENTS = 300
SEATS_LEFT = 20
# PostgreSQL's connections are shared with the other test runs of the machine: the 300
# confirmations go through this many connections at once, each queueing on the session's row.
CONNECTIONS = 24


def test_300_parents_confirm_on_the_last_20_seats(session_of, now):
    monday = session_of(date(2027, 3, 1))
    monday.seat_limit = 5 + SEATS_LEFT
    monday.save(update_fields=["seat_limit"])
    for n in range(5):  # the seats taken before the rush
        parent = GuardianFactory()
        kid = ChildFactory(household=parent.household)
        basket_toggle_days(guardian=parent, child=kid, sessions=[monday], now=now)
        basket_validate(guardian=parent, now=now, submission_key=f"early-{n}")
    parents = []
    for _n in range(PARENTS):
        parent = GuardianFactory()
        kid = ChildFactory(household=parent.household)
        basket_toggle_days(guardian=parent, child=kid, sessions=[monday], now=now)
        parents.append(parent)
    deadlocks = deadlocks_so_far()
    start = threading.Event()

    def confirm(n: int) -> str:
        start.wait()
        try:
            submission = with_retry(
                basket_validate, guardian=parents[n], now=now, submission_key=f"rush-{n}"
            )
            return submission.outcomes[0]["status"]
        finally:
            connection.close()

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        futures = [pool.submit(confirm, n) for n in range(PARENTS)]
        start.set()
        statuses = [future.result() for future in futures]

    accepted = [status for status in statuses if status == "Acceptée"]
    ranks = sorted(
        int(re.fullmatch(r"Mise en liste d'attente \(rang (\d+)\)", status)[1])
        for status in statuses
        if status != "Acceptée"
    )
    assert len(accepted) == SEATS_LEFT
    assert ranks == list(range(1, PARENTS - SEATS_LEFT + 1))
    monday.refresh_from_db()
    assert monday.seats_taken == 5 + SEATS_LEFT
    assert monday.waiting_count == PARENTS - SEATS_LEFT
    assert Reservation.objects.filter(status=ReservationStatus.WAITING).count() == 280
    assert seats_mismatches() == [] and waiting_mismatches() == []
    assert deadlocks_so_far() == deadlocks
