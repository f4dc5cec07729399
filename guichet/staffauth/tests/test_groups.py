import pytest
from django.contrib.auth.models import Group

from guichet.staffauth.services import staff_directory_user, staff_groups_apply
from guichet.staffauth.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GROUP_MAP = {
    "cn=Guichet-Gestion, ou=groups,dc=example,dc=org": "Gestionnaire",
    "cn=solidarite,ou=groups,dc=example,dc=org": ["Gestionnaire solidaire", "Gestionnaire"],
    "famille": "Gestionnaire famille",
}


@pytest.fixture(autouse=True)
def group_map(settings):
    settings.STAFF_GROUP_MAP = GROUP_MAP


def names(user):
    return set(user.groups.values_list("name", flat=True))


def test_mapped_groups_are_given_and_make_staff_never_superuser():
    user = UserFactory(is_staff=False, is_superuser=True)

    assert staff_groups_apply(
        user=user, directory_groups=["CN=solidarite,OU=groups,DC=example,DC=org", "other"]
    )

    user.refresh_from_db()
    assert names(user) == {"Gestionnaire solidaire", "Gestionnaire"}
    assert user.is_staff and not user.is_superuser


def test_a_removed_group_is_taken_away_but_a_group_granted_by_hand_stays():
    user = UserFactory()
    by_hand = Group.objects.create(name="Protection des données")
    user.groups.add(by_hand, Group.objects.get(name="Gestionnaire"))
    staff_groups_apply(user=user, directory_groups=["famille"])

    assert not staff_groups_apply(user=user, directory_groups=[])

    user.refresh_from_db()
    assert names(user) == {"Protection des données"}
    assert user.is_staff  # through the group granted by hand


def test_without_any_group_the_account_is_not_staff():
    user = UserFactory()
    staff_groups_apply(user=user, directory_groups=["famille"])
    staff_groups_apply(user=user, directory_groups=["unmapped"])

    user.refresh_from_db()
    assert names(user) == set() and not user.is_staff


def test_a_directory_account_is_matched_on_its_identity_and_its_profile_updated():
    first = staff_directory_user(
        issuer="https://idp.example.org",
        subject="42",
        username="amartin",
        profile={"first_name": "Alice", "last_name": "Martin", "email": "a@example.org"},
    )
    UserFactory(username="intruder", email="b@example.org")

    again = staff_directory_user(
        issuer="https://idp.example.org",
        subject="42",
        username="ignored",
        profile={"first_name": "Alice", "last_name": "Durand", "email": "b@example.org"},
    )
    other_provider = staff_directory_user(
        issuer="https://other.example.org", subject="42", username="amartin", profile={}
    )

    assert again.pk == first.pk and again.last_name == "Durand" and again.email == "b@example.org"
    assert not again.has_usable_password()
    assert other_provider.pk != first.pk and other_provider.username == "amartin-2"
