"""The organisation row is read from the shared cache, and a change reaches every page at once."""

import pytest

from guichet.core.models import Organisation
from guichet.core.selectors import organisation_get

pytestmark = pytest.mark.django_db


def test_created_on_first_use_then_read_from_the_cache(django_assert_num_queries):
    organisation = organisation_get()
    assert organisation.pk == Organisation.SINGLETON_PK
    with django_assert_num_queries(1):  # the test settings keep the cache in the database
        assert organisation_get().name == organisation.name


def test_a_saved_change_is_seen_at_once():
    organisation = organisation_get()
    organisation.name = "Ville d'Exemple"
    organisation.phone = "+33320000000"
    organisation.save()
    assert organisation_get().name == "Ville d'Exemple"
    Organisation.objects.update_or_create(pk=Organisation.SINGLETON_PK, defaults={"name": "Autre"})
    assert organisation_get().name == "Autre"


def test_a_change_made_in_the_back_office_is_seen_at_once(admin_client):
    organisation = organisation_get()
    url = f"/admin/core/organisation/{organisation.pk}/change/"
    form = {
        "name": "Mairie d'Exemple",
        "online_cancellation_allowed": "on",
        "accessibility_level": "non",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert organisation_get().name == "Mairie d'Exemple"
