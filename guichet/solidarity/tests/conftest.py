import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from guichet.core.permissions import SOLIDARITY_MANAGER_GROUP
from guichet.core.selectors import organisation_get
from guichet.solidarity.models import MemberRole
from guichet.solidarity.tests.factories import MembershipFactory, StructureFactory


@pytest.fixture(autouse=True)
def organisation(db):
    # Rate-limit counters live in the shared cache: each test starts with none, and with the
    # organisation's row made and cached, as on a site in use.
    cache.clear()
    return organisation_get()


@pytest.fixture
def structure():
    return StructureFactory(name="Maison des Quatre Vents")


@pytest.fixture
def responsable(structure):
    """A responsable of `structure`."""
    return MembershipFactory(
        structure=structure,
        role=MemberRole.MANAGER,
        user__first_name="Élodie",
        user__last_name="Responsable",
    )


@pytest.fixture
def referent(structure, responsable):
    return MembershipFactory(
        structure=structure, user__first_name="Jules", user__last_name="Référent"
    )


@pytest.fixture
def responsable_client(client, responsable):
    client.force_login(responsable.user, backend="guichet.accounts.backends.IdentifierBackend")
    return client


@pytest.fixture
def referent_client(client, referent):
    client.force_login(referent.user, backend="guichet.accounts.backends.IdentifierBackend")
    return client


@pytest.fixture
def solidarity_staff(django_user_model):
    user = django_user_model.objects.create_user(
        username="solidaire", email="solidaire@example.org", password="x", is_staff=True
    )
    user.groups.add(Group.objects.get(name=SOLIDARITY_MANAGER_GROUP))
    return django_user_model.objects.get(pk=user.pk)


@pytest.fixture
def solidarity_client(client, solidarity_staff):
    client.force_login(solidarity_staff)
    return client
