import contextlib
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Développement : lance ensemble le serveur web, le worker des tâches (db_worker) et le "
        "planificateur (run_scheduler) ; Ctrl-C les arrête tous les trois."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        if not settings.DEBUG:
            raise CommandError("devserver est réservé au développement : lancez-le avec DEBUG=on.")
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        commands = {
            "runserver": [*manage, "runserver", addrport],
            "db_worker": [*manage, "db_worker"],
            "run_scheduler": [*manage, "run_scheduler"],
        }
        # Each child leads its own process group, so that stopping the group also stops what the
        # child started itself (runserver's autoreloader serves from a child process).
        children = {
            name: subprocess.Popen(cmd, start_new_session=True) for name, cmd in commands.items()
        }
        signal.signal(signal.SIGTERM, _interrupt)
        exited = None
        try:
            while exited is None:
                time.sleep(0.5)
                exited = next(
                    (name for name, child in children.items() if child.poll() is not None), None
                )
            self.stderr.write(
                f"{exited} s'est arrêté (code {children[exited].returncode}) : arrêt des autres."
            )
        except KeyboardInterrupt:
            pass
        finally:
            self._stop(children.values())
        if exited is not None:
            raise CommandError(
                f"{exited} s'est arrêté.", returncode=children[exited].returncode or 1
            )

    @staticmethod
    def _stop(children) -> None:
        # Signal every group, even a child that has exited: what it started may still be running.
        for child in children:
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0))
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
                child.wait()


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group has exited already
        os.killpg(child.pid, signum)
