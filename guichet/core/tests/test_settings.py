"""guichet/settings.py as a server reads it, in a fresh interpreter each time.

The test run's own settings (guichet.test_settings) set defaults in os.environ, so each check starts
from an environment without any of the variables the settings read.
"""

import os
import re
import secrets
import subprocess
import sys

from django.conf import settings


def settings_variables() -> set[str]:
    """The environment variables guichet/settings.py reads."""
    source = (settings.BASE_DIR / "guichet" / "settings.py").read_text()
    return set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))


def manage(*args: str, **variables: str) -> subprocess.CompletedProcess:
    # DJANGO_*: the test run's own, such as DJANGO_ALLOW_ASYNC_UNSAFE set for the browser tests.
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in settings_variables() and not name.startswith("DJANGO_")
    }
    env |= {"DJANGO_SETTINGS_MODULE": "guichet.settings"} | variables
    return subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_key_fails_clearly():
    result = manage("check", DEBUG="off")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_documented_production_settings_pass_check_deploy(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="off",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="reservation.example.org",
        SITE_URL="https://reservation.example.org",
        DATABASE_URL="postgres://guichet:secret@127.0.0.1:5432/guichet",
        CACHE_URL="redis://127.0.0.1:6379/0",
        EMAIL_URL="smtp://127.0.0.1:25",
        DEFAULT_FROM_EMAIL="reservations@example.org",
        BEHIND_TLS_PROXY="on",
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_sqlite_runs_in_wal_mode_with_immediate_transactions(tmp_path):
    # IMMEDIATE: a transaction takes the write lock at BEGIN, so a second writer cannot start one.
    probe = """
import sqlite3
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    print(cursor.fetchone()[0])
with transaction.atomic():
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        print("free")
    except sqlite3.OperationalError as exc:
        print(exc)
"""
    result = manage(
        "shell", "-c", probe, DEBUG="on", DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-3:] == ["wal", "database is locked", ""]


def test_readme_documents_every_variable_the_settings_read():
    readme = (settings.BASE_DIR / "README.md").read_text()
    configuration = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", configuration, flags=re.MULTILINE))
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "CACHE_URL"} <= settings_variables()
    assert settings_variables() - documented == set()


def test_sessions_are_read_from_redis_only_when_it_is_the_cache():
    show = "from django.conf import settings; print(settings.SESSION_ENGINE)"
    with_redis = manage("shell", "-c", show, DEBUG="on", CACHE_URL="redis://127.0.0.1:6379/0")
    assert with_redis.stdout.split()[-1] == "django.contrib.sessions.backends.cached_db"
    # The database cache: a cache read costs a statement too, the sessions' own table is enough.
    default = manage("shell", "-c", show, DEBUG="on")
    assert default.stdout.split()[-1] == "django.contrib.sessions.backends.db"
