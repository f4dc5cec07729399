"""Markers `postgres`, `redis`, `browser`, `slapd` and `oidc_provider`, and the headless Chromium
fixtures.

A test with one of these markers is skipped, with its reason, where PostgreSQL, Redis, Chromium,
OpenLDAP's slapd or Node's oidc-provider is missing; with CI=true the same test fails instead, so
that CI cannot pass by skipping them.
"""

import os
import shutil
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.servers.basehttp import ThreadedWSGIServer

# The live server listens with Django's backlog of 10 connections: a test releasing dozens of
# visitors at once (test_http_concurrency) overflows it on a busy machine and gets connections
# reset. A production server (gunicorn) has a backlog of 2048.
ThreadedWSGIServer.request_queue_size = 128

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # The machine's network is closed: without these, Chromium keeps trying to reach Google.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_FIXTURES = {"chromium", "browser_page"}
# Tests marked `redis` use (and empty) this database of the local Redis server.
REDIS_TEST_URL = "redis://127.0.0.1:6379/11"
# Servers started by the staff sign-in tests (guichet/staffauth/tests/conftest.py): a test using
# the fixture gets the marker of the same name.
SERVER_FIXTURES = {"slapd", "oidc_provider"}
SLAPD = Path(os.environ.get("SLAPD", "/usr/sbin/slapd"))


def chromium_path() -> Path:
    return Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))


def running_in_ci() -> bool:
    return os.environ.get("CI") == "true"


def redis_reachable() -> bool:
    try:
        return redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


def missing_requirement(item) -> str | None:
    """Why this test cannot run here, or None."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if item.get_closest_marker("postgres") and engine != "django.db.backends.postgresql":
        return "needs PostgreSQL: run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/guichet"
    if item.get_closest_marker("redis") and not redis_reachable():
        return f"needs Redis at {REDIS_TEST_URL} (apt-get install redis-server)"
    if item.get_closest_marker("browser") and not os.access(chromium_path(), os.X_OK):
        return (
            f"needs Chromium at {chromium_path()} (apt-get install chromium chromium-driver, "
            "or set CHROMIUM to its path)"
        )
    if item.get_closest_marker("slapd") and not os.access(SLAPD, os.X_OK):
        return f"needs OpenLDAP's slapd at {SLAPD} (apt-get install slapd)"
    if item.get_closest_marker("oidc_provider") and not (
        shutil.which("node") and (settings.BASE_DIR / "node_modules" / "oidc-provider").is_dir()
    ):
        return "needs Node.js and oidc-provider (apt-get install npm, then npm ci)"
    return None


def pytest_collection_modifyitems(items):
    for item in items:
        # A test driving the browser needs Chromium whether or not its author marked it.
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
        for name in SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(getattr(pytest.mark, name))
        reason = missing_requirement(item)
        if reason and not running_in_ci():
            # A skip marker (not a skip from a hook) so that `pytest -ra` names each skipped test.
            item.add_marker(pytest.mark.skip(reason=reason))


def pytest_runtest_setup(item):
    reason = missing_requirement(item)
    if reason and running_in_ci():
        pytest.fail(f"{reason} — CI=true: this test must run, not be skipped.", pytrace=False)


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium driven by Playwright (never a browser downloaded by Playwright)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, so Django would refuse
    # database access from the test itself; the tests stay synchronous, so this is safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path=str(chromium_path()), headless=True, args=CHROMIUM_FLAGS
    )
    yield browser
    browser.close()
    playwright.stop()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_page(chromium):
    """A page in a fresh browser context (no cookies shared between tests), in French."""
    context = chromium.new_context(locale="fr-FR")
    page = context.new_page()
    yield page
    context.close()


# The data migrations that make the staff groups ("Gestionnaire", then the portals' two with its
# permissions) and grant them permissions: (module, function).
MANAGER_GROUP_MIGRATIONS = (
    ("guichet.core.migrations.0002_gestionnaire_group", "group_create"),
    ("guichet.notifications.migrations.0003_gestionnaire_permissions", "grant"),
    ("guichet.core.migrations.0008_portal_manager_groups", "groups_create"),
)


def manager_group_ensure():
    """The groups as the migrations make them, made again where a transactional test (a browser
    test) has emptied the database, migrations' rows included."""
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps
    from django.contrib.auth.models import Group
    from django.db import connection

    from guichet.core.permissions import MANAGER_GROUP

    if Group.objects.filter(name=MANAGER_GROUP).exists():
        return
    schema_editor = SimpleNamespace(connection=connection)
    for module, function in MANAGER_GROUP_MIGRATIONS:
        getattr(import_module(module), function)(apps, schema_editor)


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that the mails are sent to: its collector
    (`envelopes`)."""
    from guichet.notifications.tests.smtp import smtp_server

    with smtp_server() as (port, collector):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield collector


@pytest.fixture
def staff_member(django_user_model):
    """Makes a member of staff in one staff group: `staff_member("Gestionnaire famille")`."""
    from django.contrib.auth.models import Group

    def make(group_name: str, *, username: str = ""):
        manager_group_ensure()
        username = username or group_name.lower().replace(" ", "-")
        user = django_user_model.objects.create_user(
            username=username, email=f"{username}@example.org", password="x", is_staff=True
        )
        user.groups.add(Group.objects.get(name=group_name))
        return django_user_model.objects.get(pk=user.pk)  # fresh permission cache

    return make


@pytest.fixture
def manager(staff_member):
    """A staff member of the "Gestionnaire" group (the back-office's everyday user: the parks)."""
    return staff_member("Gestionnaire", username="gestion")


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client
