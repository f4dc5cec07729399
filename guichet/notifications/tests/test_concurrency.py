"""Workers running at once never send the same row twice (SQLite queues them on its write lock;
PostgreSQL lets them skip each other's rows)."""

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from unittest.mock import patch

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction

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


@pytest.mark.postgres
def test_a_mail_accepted_is_recorded_however_long_its_row_is_held(settings):
    """Bookings and staff changes give up on a lock after DATABASE_LOCK_TIMEOUT; the worker's
    record of a mail the server accepted waits instead, or the mail would go twice."""
    settings.DATABASE_LOCK_TIMEOUT = 0.1
    connection.close()  # the time-out is set on each new connection
    message = OutgoingMessageFactory()
    sending, held = threading.Event(), threading.Event()

    def staff_holding_the_row():
        sending.wait(timeout=10)
        with transaction.atomic():
            OutgoingMessage.objects.select_for_update().get(pk=message.pk)
            held.set()
            time.sleep(0.5)  # five times the time-out

    def send_while_the_row_is_held(backend, messages):
        sending.set()
        assert held.wait(timeout=10)  # staff hold the row before the mail is recorded as sent
        return original_send(backend, messages)

    original_send = EmailBackend.send_messages
    with ThreadPoolExecutor(1) as pool:
        holder = pool.submit(run_together, [staff_holding_the_row])
        with patch.object(
            EmailBackend, "send_messages", autospec=True, side_effect=send_while_the_row_is_held
        ):
            report = messages_send_due()
        holder.result()
    assert report.sent == 1
    assert OutgoingMessage.objects.get(pk=message.pk).state == MessageState.SENT
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "100ms"  # back for what the worker does next
