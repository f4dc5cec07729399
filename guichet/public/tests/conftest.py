from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

from guichet.core.models import Organisation

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
