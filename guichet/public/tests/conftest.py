import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from guichet.catalogue.tests.factories import SessionFactory
from guichet.core.models import Organisation
from guichet.public.tests.browsing import keep_offline

PAGECACHE = "guichet.public.pagecache"
PARIS = ZoneInfo("Europe/Paris")
# Thursday 10 April 2025, 09:00 in Tourcoing: the guide's dates are a few days later.
NOW = datetime(2025, 4, 10, 9, 0, tzinfo=PARIS)


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def now(time_machine) -> datetime:
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture(autouse=True)
def _empty_cache(db):
    # Rate-limit counters live in the shared cache: each test starts with none.
    cache.clear()


@pytest.fixture(params=[0, 5], ids=["no-page-cache", "page-cache-5s"])
def page_cache(request, settings, caplog):
    """Run a page test twice: without the page cache, and with it at its most, as a site under
    load runs; every page must then be cacheable (none refused for touching its visitor).
    A module opts in with `pytestmark = pytest.mark.usefixtures("page_cache")`."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = request.param
    with caplog.at_level(logging.WARNING, logger="guichet.public.pagecache"):
        yield request.param
    assert not [record.getMessage() for record in caplog.records if record.name == PAGECACHE]


@pytest.fixture
def organisation(db) -> Organisation:
    organisation, _created = Organisation.objects.update_or_create(
        pk=Organisation.SINGLETON_PK,
        defaults={
            "name": "Ville d'Exemple",
            "phone": "+33320000000",
            "postal_address": "1 place de l'Exemple\n59000 Exempleville",
            "online_cancellation_allowed": True,
        },
    )
    return organisation


# Browser tests (test_browser.py, test_accessibility.py)


@pytest.fixture
def page(browser_page, live_server):
    keep_offline(browser_page.context, live_server.url)
    browser_page.set_default_timeout(5000)  # a missing element fails in seconds, not 30
    return browser_page


@pytest.fixture
def open_session(organisation):
    """A session next week at 14:30 in Paris with 10 seats; another activity elsewhere."""
    start = (timezone.now() + timedelta(days=7)).astimezone(PARIS)
    start = start.replace(hour=14, minute=30, second=0, microsecond=0)
    SessionFactory()
    return SessionFactory(start=start, end=start + timedelta(hours=2), seat_limit=10)
