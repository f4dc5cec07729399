"""Settings for the test suite: production settings, with what a test run cannot have."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "off")
os.environ.setdefault("SESSION_COOKIE_SECURE", "off")
os.environ.setdefault("CSRF_COOKIE_SECURE", "off")
os.environ.setdefault("EMAIL_URL", "consolemail://")

from guichet.settings import *  # noqa: E402,F403
from guichet.settings import STORAGES  # noqa: E402

# No collectstatic before tests: serve static files from the apps' folders.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast user creation
MEDIA_ROOT = BASE_DIR / "var" / "test-media"  # noqa: F405
# WhiteNoise wants the folder to exist; tests never collect into it.
STATIC_ROOT = os.path.join(tempfile.gettempdir(), "guichet-test-static")
os.makedirs(STATIC_ROOT, exist_ok=True)

# SQLite tests use a file, not the shared in-memory database: threads then wait for the write
# lock as requests do in production (the in-memory shared cache fails at once instead).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # One file per run, so that two runs on one machine do not share it.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"guichet-test-{os.getpid()}.sqlite3")
    }

# Mails are handed to the worker at each commit, not once per window: with the clock frozen by
# time-machine, a window would never end (test_delivery tests the windows themselves).
NOTIFICATIONS_WAKE_SECONDS = 0

# Staff sign in with a password alone in tests; the two-factor tests turn it on.
STAFF_REQUIRE_2FA = False
