"""How fast the worker delivers due reminders, beside a plain smtplib loop.

    .venv/bin/python benchmarks/reminders.py 5000 20000

For each N: N reminders due now in a fresh SQLite database are delivered by the worker
(`messages_send_due`: claims in batches, renders each mail, one SMTP connection) to an aiosmtpd
server on 127.0.0.1 running in another process. Then the same mails, rendered beforehand, are sent
by a bare smtplib loop over one connection (at most 5,000 of them: its rate does not depend on N).
Target: the worker reaches at least half the loop's rate, and its peak memory stays flat as N grows.
"""

import multiprocessing
import os
import smtplib
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

BASELINE_MAX = 5000
# The worker must deliver at least half as fast as a plain smtplib loop sending the same mails.
TARGET_RATIO = 0.5
ROOT = Path(__file__).resolve().parent.parent


def smtp_serve(port: int, count, ready) -> None:
    """The SMTP server's process: counts what it receives, keeps nothing."""
    from aiosmtpd.controller import Controller

    class Counter:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def django_setup(port: int, database: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "guichet.test_settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)  # aiosmtpd and the worker log every mail
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)  # the shared cache keeps the organisation row


def reminders_create(n: int) -> None:
    """N valid reservations of one session that starts in a little under two days, each with
    its reminder due now (delivery holds back a reminder whose session starts later)."""
    from django.utils import timezone

    from guichet.bookings.models import Reservation
    from guichet.catalogue.tests.factories import SessionFactory
    from guichet.notifications.emails import message_subject
    from guichet.notifications.models import MessageKind, OutgoingMessage
    from guichet.notifications.selectors import REMINDER_LEAD

    session = SessionFactory(
        start=timezone.now() + REMINDER_LEAD - timedelta(minutes=1), seat_limit=None
    )
    now = timezone.now()
    for first in range(0, n, 1000):
        chunk = range(first, min(first + 1000, n))
        reservations = Reservation.objects.bulk_create(
            Reservation(
                session=session,
                first_name=f"Camille{i}",
                last_name="Exemple",
                email=f"camille{i}@example.org",
                phone="+33612345678",
                city="Exempleville",
            )
            for i in chunk
        )
        OutgoingMessage.objects.bulk_create(
            OutgoingMessage(
                kind=MessageKind.REMINDER,
                subject=message_subject(
                    kind=MessageKind.REMINDER, activity_name=session.activity.name
                ),
                recipients=[r.email],
                reservation=r,
                session=session,
                dedupe_key=f"reminder:{r.pk}",
                scheduled_for=now - timedelta(minutes=1),
            )
            for r in reservations
        )


def outbox_reset() -> None:
    from guichet.notifications.models import MessageState, OutgoingMessage

    OutgoingMessage.objects.update(state=MessageState.PENDING, sent_at=None, attempts=0)


def baseline_messages(limit: int) -> list[dict]:
    """The first `limit` mails as the worker renders them: sender, recipients, subject, both parts."""
    from guichet.notifications.emails import MailRenderer
    from guichet.notifications.models import OutgoingMessage

    renderer = MailRenderer()
    rows = OutgoingMessage.objects.select_related(
        "reservation__session__activity__location"
    ).order_by("pk")
    mails = []
    for row in rows[:limit]:
        email = renderer.email(row)
        mails.append(
            {
                "from": email.from_email,
                "to": email.to,
                "subject": email.subject,
                "text": email.body,
                "html": email.alternatives[0].content,
                "headers": email.extra_headers,
            }
        )
    return mails


def compose(mail: dict) -> str:
    """The textbook smtplib recipe: a multipart/alternative of two MIMEText parts."""
    message = MIMEMultipart("alternative")
    message["Subject"] = Header(mail["subject"], "utf-8")
    message["From"], message["To"] = mail["from"], ", ".join(mail["to"])
    for name, value in mail["headers"].items():
        message[name] = value
    message.attach(MIMEText(mail["text"], "plain", "utf-8"))
    message.attach(MIMEText(mail["html"], "html", "utf-8"))
    return message.as_string()


def baseline_send(port: int, mails: list[dict], *, prepared: bool) -> float:
    """A bare smtplib loop over one connection. prepared=False: each message is built inside the
    loop (the reference for the target); prepared=True: built beforehand, so that only the SMTP
    exchange is timed."""
    contents = [compose(mail) for mail in mails] if prepared else None
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for index, mail in enumerate(mails):
            smtp.sendmail(mail["from"], mail["to"], contents[index] if prepared else compose(mail))
    return time.perf_counter() - start


def run(n: int, port: int, count) -> bool:
    """Deliver `n` due reminders and print the figures; True when the worker reached its target."""
    from guichet.bookings.models import Reservation
    from guichet.catalogue.models import Session
    from guichet.notifications.delivery import messages_send_due
    from guichet.notifications.models import OutgoingMessage

    reminders_create(n)

    count.value = 0
    start = time.perf_counter()
    report = messages_send_due()
    worker_seconds = time.perf_counter() - start
    assert report.sent == n == count.value, (report, count.value)

    # Memory in a second pass: tracemalloc slows Python down, so it stays out of the timing.
    outbox_reset()
    tracemalloc.start()
    messages_send_due()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    mails = baseline_messages(min(n, BASELINE_MAX))
    loop_rate = len(mails) / baseline_send(port, mails, prepared=False)
    bytes_rate = len(mails) / baseline_send(port, mails, prepared=True)
    worker_rate = n / worker_seconds
    print(
        f"N={n:>6}  worker: {worker_rate:5.0f} mails/s ({worker_seconds:5.1f} s), peak memory "
        f"{peak / 2**20:4.1f} MiB | plain smtplib loop: {loop_rate:5.0f} mails/s -> ratio "
        f"{worker_rate / loop_rate:.2f} (target >= {TARGET_RATIO}) | same loop, bytes built beforehand: "
        f"{bytes_rate:5.0f} mails/s",
        flush=True,
    )
    OutgoingMessage.objects.all().delete()
    Reservation.objects.all().delete()
    Session.objects.all().delete()
    return worker_rate / loop_rate >= TARGET_RATIO


def main(sizes: list[int]) -> bool:
    from guichet.notifications.tests.smtp import free_port

    port = free_port()
    count, ready = multiprocessing.Value("i", 0), multiprocessing.Event()
    server = multiprocessing.Process(target=smtp_serve, args=(port, count, ready), daemon=True)
    server.start()
    ready.wait(10)
    with tempfile.TemporaryDirectory() as folder:
        django_setup(port, os.path.join(folder, "benchmark.sqlite3"))
        met = [run(n, port, count) for n in sizes]
    server.terminate()
    return all(met)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if not main([int(arg) for arg in sys.argv[1:]] or [5000]):
        print("Target missed: the worker delivered under half the smtplib loop's rate.")
        sys.exit(1)
