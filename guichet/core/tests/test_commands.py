"""Management commands and the scheduler's periodic jobs."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks_db.models import DBTaskResult

from guichet.bookings.services import reservation_create
from guichet.bookings.tests.factories import ReservationFactory, booking_data
from guichet.catalogue.tests.factories import SessionFactory
from guichet.core.scheduler import (
    PeriodicJob,
    job_enqueue_once,
    job_fire,
    job_fire_time,
    periodic_job_register,
    periodic_jobs,
)
from guichet.core.tests.commands import command_output

PARIS = ZoneInfo("Europe/Paris")
ARCHIVE_JOB = next(job for job in periodic_jobs() if job.name == "reservations_archive_task")


# --- check_seats ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_check_seats_passes_when_counters_match_reservations():
    reservation_create(session=SessionFactory(), **booking_data(quantity=2))
    assert command_output("check_seats") == "Les compteurs de places sont justes.\n"


@pytest.mark.django_db
def test_check_seats_lists_wrong_counters_and_exits_1():
    session = SessionFactory()
    reservation_create(session=session, **booking_data(quantity=2))
    ReservationFactory(session=session, quantity=3)  # written behind the seat service's back
    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("check_seats", stdout=out)
    assert error.value.returncode == 1
    assert f"Session {session.pk} — " in out.getvalue()
    assert "2 places comptées, 5 réservées" in out.getvalue()


# --- every model change has its migration ---------------------------------------------------


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit:
        pytest.fail(f"Models changed without a migration:\n{out.getvalue()}")


# --- the scheduler --------------------------------------------------------------------------


def test_each_app_registers_its_periodic_jobs():
    jobs = {job.name: job.crontab for job in periodic_jobs()}
    assert jobs["reservations_archive_task"] == "0 2 * * *"
    assert jobs["messages_send_due_task"] == "* * * * *"


def test_two_jobs_of_one_name_are_refused():
    with pytest.raises(ValueError, match="Two periodic jobs"):
        periodic_job_register(ARCHIVE_JOB.task, "0 3 * * *")


def test_run_scheduler_lists_the_nightly_archiving():
    output = command_output("run_scheduler", "--list")
    assert "reservations_archive_task" in output
    assert "« 0 2 * * * »" in output
    assert " 02:00 " in output


def test_the_nightly_archiving_fires_at_2_in_paris_time_all_year():
    trigger = ARCHIVE_JOB.trigger()
    winter_noon, summer_noon = (
        datetime(2026, 1, 10, 12, tzinfo=UTC),
        datetime(2026, 7, 10, 12, tzinfo=UTC),
    )
    assert trigger.get_next_fire_time(None, winter_noon) == datetime(
        2026, 1, 11, 1, tzinfo=UTC
    )  # CET
    assert trigger.get_next_fire_time(None, summer_noon) == datetime(
        2026, 7, 11, 0, tzinfo=UTC
    )  # CEST


def test_a_late_firing_keeps_its_scheduled_time():
    late = datetime(2026, 11, 3, 2, 0, 40, tzinfo=PARIS)
    assert job_fire_time(ARCHIVE_JOB, now=late) == datetime(2026, 11, 3, 2, tzinfo=PARIS)


@pytest.mark.django_db(
    transaction=True
)  # job_fire closes its connection, as a scheduler thread must
def test_two_schedulers_enqueue_each_firing_once(time_machine):
    # Two schedulers wake up for the same 02:00 firing, a few seconds apart.
    time_machine.move_to(datetime(2026, 11, 3, 2, 0, 0, 300000, tzinfo=PARIS), tick=False)
    job_fire(ARCHIVE_JOB)
    time_machine.move_to(datetime(2026, 11, 3, 2, 0, 20, tzinfo=PARIS), tick=False)
    job_fire(ARCHIVE_JOB)
    assert DBTaskResult.objects.count() == 1

    time_machine.move_to(datetime(2026, 11, 4, 2, 0, 1, tzinfo=PARIS), tick=False)
    job_fire(ARCHIVE_JOB)
    assert DBTaskResult.objects.count() == 2
    assert set(DBTaskResult.objects.values_list("task_path", flat=True)) == {
        ARCHIVE_JOB.task.module_path
    }


@pytest.mark.django_db
def test_a_firing_that_failed_to_enqueue_is_left_to_another_scheduler(monkeypatch):
    def backend_down():
        raise ConnectionError("task backend unreachable")

    broken = PeriodicJob(ARCHIVE_JOB.task, "0 2 * * *")
    monkeypatch.setattr(type(broken.task), "enqueue", lambda task: backend_down())
    fire_time = datetime(2026, 11, 3, 2, tzinfo=PARIS)
    with pytest.raises(ConnectionError):
        job_enqueue_once(broken, fire_time=fire_time)
    monkeypatch.undo()
    assert cache.get(f"scheduler:{broken.name}:{fire_time.isoformat()}") is None
    assert job_enqueue_once(ARCHIVE_JOB, fire_time=fire_time)
    assert not job_enqueue_once(ARCHIVE_JOB, fire_time=fire_time)


# --- devserver ------------------------------------------------------------------------------


def _descendants(pid: int) -> set[int]:
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            children |= {child} | _descendants(child)
    return children


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_devserver_runs_web_worker_and_scheduler_and_ctrl_c_stops_them_all(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "on",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    port = _free_port()
    server = subprocess.Popen(
        [*manage, "devserver", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Waits for the server to answer, not a speed bound: a busy CI machine may take long.
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/admin/login/", timeout=2
                ) as response:
                    assert response.status == 200
                break
            except OSError:
                assert time.monotonic() < deadline, "the development server did not answer"
                time.sleep(0.3)
        processes = _descendants(server.pid)
        commands = {Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[2] for pid in processes}
        assert {b"runserver", b"db_worker", b"run_scheduler"} <= commands

        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) == 0
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in processes) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in processes if _alive(pid)]
    finally:
        if server.poll() is None:
            # On SIGTERM devserver stops its three children (each in a session of its own); a
            # SIGKILL would leave them serving after a failed test.
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
