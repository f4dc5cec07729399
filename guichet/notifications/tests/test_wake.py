"""An idle worker claims a mail committed at t by t + NOTIFICATIONS_WAKE_SECONDS + its polling
interval (+ 0.5 s to run the task), whatever the cache backend: real time, a real worker."""

import threading
import time
from datetime import UTC, datetime

import pytest
import redis
from django.db import connection, transaction

from guichet.catalogue.tests.factories import SessionFactory
from guichet.conftest import REDIS_TEST_URL
from guichet.notifications.models import MessageKind, MessageState, OutgoingMessage
from guichet.notifications.tests.test_delivery import book

pytestmark = pytest.mark.django_db(transaction=True)

WAKE_SECONDS = 1
POLL_SECONDS = 0.2


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def cache_backend(request, settings):
    """The default database cache, or Redis (an empty database of its own)."""
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_TEST_URL)
        client.flushdb()
        settings.CACHES = {
            "default": {
                "BACKEND": "guichet.core.cache.PooledRedisCache",
                "LOCATION": REDIS_TEST_URL,
            }
        }
        yield request.param
        client.flushdb()
    else:
        yield request.param


@pytest.fixture
def idle_worker(settings):
    """`manage.py db_worker --interval 0.2` in a thread, with the production tasks backend."""
    from django_tasks_db.management.commands.db_worker import Worker

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    worker = Worker(
        queue_names=["default"],
        interval=POLL_SECONDS,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )

    def run():
        try:
            worker.run()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    yield worker
    worker.running = False
    thread.join(timeout=10)


def _sleep_until(instant: float) -> None:
    time.sleep(max(0.0, instant - time.time()))


def test_mails_committed_across_a_window_boundary_go_within_the_bound(
    settings, cache_backend, idle_worker
):
    settings.NOTIFICATIONS_WAKE_SECONDS = WAKE_SECONDS
    session = SessionFactory(seat_limit=None)
    # 21 bookings 100 ms apart, from 0.55 s before a window boundary to 1.45 s after it (the
    # windows are whole seconds; the old single key lived until the end of its second).
    boundary = float(int(time.time() + 0.6) + 1)
    committed = {}
    for step in range(21):
        _sleep_until(boundary - 0.55 + step * 0.1)
        with transaction.atomic():
            reservation = book(session)
        committed[reservation.pk] = time.time()
    bound = WAKE_SECONDS + POLL_SECONDS + 0.5
    _sleep_until(max(committed.values()) + bound + 0.5)

    confirmations = OutgoingMessage.objects.filter(kind=MessageKind.CONFIRMATION)
    late = {
        pk: None if sent_at is None else round(sent_at.timestamp() - committed[pk], 2)
        for pk, sent_at, state in confirmations.values_list("reservation", "sent_at", "state")
        if state != MessageState.SENT or sent_at.timestamp() > committed[pk] + bound
    }
    assert confirmations.count() == 21
    assert late == {}, f"sent after more than {bound} s (or not yet) at {datetime.now(UTC)}"
