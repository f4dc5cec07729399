import pytest
from django.contrib.auth.models import Group

from guichet.core.models import Organisation
from guichet.core.permissions import DPO_GROUP


@pytest.fixture
def organisation(db) -> Organisation:
    organisation, _created = Organisation.objects.update_or_create(
        pk=Organisation.SINGLETON_PK,
        defaults={"name": "Ville d'Exemple", "online_cancellation_allowed": True},
    )
    return organisation


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        username="chef", email="chef@example.org", password="x"
    )


@pytest.fixture
def dpo(django_user_model):
    user = django_user_model.objects.create_user(
        username="dpo", email="dpo@example.org", password="x", is_staff=True
    )
    user.groups.add(Group.objects.get(name=DPO_GROUP))
    return django_user_model.objects.get(pk=user.pk)


@pytest.fixture
def manager(django_user_model):
    user = django_user_model.objects.create_user(
        username="gestion", email="gestion@example.org", password="x", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Gestionnaire"))
    return django_user_model.objects.get(pk=user.pk)
