"""A real `manage.py db_worker` process, killed or cut off from its database in the middle of a
batch, with a real SMTP server that stalls on one mail: every mail arrives, and at most the one
mail in flight goes twice (the outbox records each mail as soon as the server has taken it)."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F
from django_tasks import TaskResultStatus

from guichet.notifications.models import MessageState, OutgoingMessage
from guichet.notifications.tasks import messages_send_due_task
from guichet.notifications.tests.factories import OutgoingMessageFactory
from guichet.notifications.tests.smtp import smtp_server

pytestmark = pytest.mark.django_db(transaction=True)

MAILS = 30
STALL_AT = 12  # the server keeps the 12th mail but holds back its answer
WORKER_NAME = "guichet-test-worker"


def database_url() -> str:
    database = connection.settings_dict  # the test database
    if connection.vendor == "sqlite":
        return f"sqlite:///{database['NAME']}"
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    return (
        f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}?application_name={WORKER_NAME}"
    )


@pytest.fixture
def start_worker(tmp_path):
    """Starts `manage.py db_worker` processes on the test database and this SMTP port."""
    workers = []

    def start(port: int) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "guichet.test_settings",
            "DATABASE_URL": database_url(),
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "CACHE_URL": "locmemcache://",
            "EMAIL_TIMEOUT": "20",
        }
        log = open(tmp_path / f"worker{len(workers)}.log", "wb")  # noqa: SIM115 - closed below
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        workers.append((worker, log))
        return worker

    yield start
    for worker, log in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        log.close()


def wait_for(condition, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def claim_time_out_passes() -> None:
    """What NOTIFICATIONS_CLAIM_TIMEOUT does to the rows the dead worker still holds."""
    OutgoingMessage.objects.filter(state=MessageState.PENDING).update(
        claimed_at=F("claimed_at") - timedelta(seconds=settings.NOTIFICATIONS_CLAIM_TIMEOUT)
    )


def all_sent() -> bool:
    return not OutgoingMessage.objects.exclude(state=MessageState.SENT).exists()


def received(collector) -> Counter:
    """How many times the server received each outbox row."""
    return Counter(
        int(message_from_bytes(envelope.original_content)["X-Guichet-Notification"])
        for envelope in collector.envelopes
    )


def test_a_worker_killed_mid_batch_sends_at_most_the_mail_in_flight_twice(start_worker):
    messages = OutgoingMessageFactory.create_batch(MAILS)
    with smtp_server(stall_at=STALL_AT) as (port, collector):
        worker = start_worker(port)
        messages_send_due_task.enqueue()
        assert collector.stalled.wait(timeout=60)
        worker.send_signal(signal.SIGKILL)  # kill -9, while the 12th mail is in flight
        worker.wait(timeout=30)
        collector.release.set()
        # The 11 mails the server had answered are recorded as sent.
        assert OutgoingMessage.objects.filter(state=MessageState.SENT).count() == STALL_AT - 1

        claim_time_out_passes()
        start_worker(port)  # as systemd restarts it
        messages_send_due_task.enqueue()
        wait_for(all_sent)
        counts = received(collector)
    assert set(counts) == {message.pk for message in messages}
    assert sum(counts.values()) - MAILS <= 1  # at most the one mail in flight went twice


@pytest.mark.postgres
def test_a_worker_whose_database_connection_is_terminated_fails_the_task_and_goes_on(
    start_worker,
):
    messages = OutgoingMessageFactory.create_batch(MAILS)
    with smtp_server(stall_at=STALL_AT) as (port, collector):
        worker = start_worker(port)
        first = messages_send_due_task.enqueue()
        assert collector.stalled.wait(timeout=60)
        with connection.cursor() as cursor:
            cursor.execute(
                # This database's worker only: another test run on the same server has its own.
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s AND datname = current_database()",
                [WORKER_NAME],
            )
            assert cursor.fetchall() == [(True,)]
        collector.release.set()  # the server answers; recording it meets the dead connection

        def first_task_over():
            assert worker.poll() is None, "the worker exited"  # as it did on the dead connection
            first.refresh()
            return first.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)

        wait_for(first_task_over)
        assert first.status == TaskResultStatus.FAILED

        claim_time_out_passes()
        messages_send_due_task.enqueue()
        wait_for(all_sent)  # sent by the same worker process
        assert worker.poll() is None
        counts = received(collector)
    assert set(counts) == {message.pk for message in messages}
    assert sum(counts.values()) - MAILS <= 1
