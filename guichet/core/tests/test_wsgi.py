"""The WSGI entry point: what start-up made is left out of the garbage collector's passes."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_start_up_objects_are_frozen():
    script = (
        "import gc, guichet.wsgi as w\n"
        "from django.urls import resolve\n"
        "print(gc.get_freeze_count(), resolve('/').url_name, callable(w.application))\n"
    )
    environment = os.environ | {
        "DJANGO_SETTINGS_MODULE": "guichet.settings",
        "DEBUG": "off",
        "SECRET_KEY": "test-only-secret-key-0123456789-0123456789-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    frozen, home, application = result.stdout.split()
    assert int(frozen) > 10_000  # the apps, models and URLs
    assert (home, application) == ("activity_list", "True")
