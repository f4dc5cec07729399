import pytest

from guichet.core.selectors import organisation_get


@pytest.fixture(autouse=True)
def organisation(db):
    organisation = organisation_get()
    organisation.name = "Ville d'Exempleville"
    organisation.phone = "+33320000000"
    organisation.website = "https://www.example.org/"
    organisation.sender_email = "billetterie@example.org"
    organisation.save()
    return organisation


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run as soon as they are enqueued (after the commit, for the notification tasks)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
