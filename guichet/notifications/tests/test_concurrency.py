"""Workers running at once never send the same row twice (SQLite queues them on its write lock;
PostgreSQL lets them skip each other's rows)."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.db import transaction

from guichet.bookings.tests.test_concurrency import run_together
from guichet.notifications.delivery import messages_claim, messages_send_due
from guichet.notifications.models import MessageState, OutgoingMessage
from guichet.notifications.tests.factories import OutgoingMessageFactory

pytestmark = pytest.mark.django_db(transaction=True)


def sent_ids() -> Counter:
    return Counter(int(email.extra_headers["X-Guichet-Notification"]) for email in mail.outbox)


def test_workers_in_parallel_send_each_mail_once(settings):
    settings.NOTIFICATIONS_BATCH_SIZE = 15
    messages = OutgoingMessageFactory.create_batch(120)
    reports = run_together([messages_send_due] * 3)
    assert sum(report.sent for report in reports) == 120
    assert sent_ids() == Counter({message.pk: 1 for message in messages})
    assert set(OutgoingMessage.objects.values_list("state", flat=True)) == {MessageState.SENT}


@pytest.mark.postgres
def test_a_worker_skips_the_rows_another_one_is_claiming():
    messages = OutgoingMessageFactory.create_batch(6)
    locked, free = [m.pk for m in messages[:3]], [m.pk for m in messages[3:]]
    holding, release = threading.Event(), threading.Event()

    def other_worker():
        with transaction.atomic():
            list(OutgoingMessage.objects.select_for_update().filter(pk__in=locked))
            holding.set()
            release.wait(timeout=10)

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(run_together, [other_worker])
        holding.wait(timeout=10)
        try:
            # Would wait for the other transaction without SKIP LOCKED.
            token = messages_claim(limit=10)
        finally:
            release.set()
        future.result()
    assert (
        sorted(OutgoingMessage.objects.filter(claim_token=token).values_list("pk", flat=True))
        == free
    )
