"""The portals' sign-in backend: one identifier for an e-mail address, a phone number or a
username; inactive accounts refused; an unknown identifier as slow as a known one."""

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from guichet.accounts.backends import IdentifierBackend
from guichet.accounts.tests.factories import PASSWORD, PortalUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    user = PortalUserFactory(username="camille-exemple", profile__email="camille@example.org")
    user.profile.phone = "+33612345678"
    user.profile.save()
    return user


@pytest.mark.parametrize(
    "identifier",
    [
        "camille@example.org",
        "Camille@Example.ORG",
        "  CAMILLE@EXAMPLE.ORG ",
        "06 12 34 56 78",
        "0612345678",
        "06.12.34.56.78",
        "+33 6 12 34 56 78",
        "+33612345678",
        "0033 6 12 34 56 78",
        "camille-exemple",
    ],
)
def test_every_form_of_the_identifier_signs_in(user, identifier):
    assert authenticate(None, identifier=identifier, password=PASSWORD) == user


@pytest.mark.parametrize(
    "identifier", ["inconnu@example.org", "06 99 99 99 99", "personne", "", "x" * 300]
)
def test_an_unknown_identifier_or_a_wrong_password_is_refused(user, identifier):
    assert authenticate(None, identifier=identifier, password=PASSWORD) is None
    assert authenticate(None, identifier="camille@example.org", password="mauvais") is None


def test_an_inactive_account_is_refused(user):
    user.is_active = False
    user.save()
    assert authenticate(None, identifier="camille@example.org", password=PASSWORD) is None


def test_an_invited_account_without_a_password_is_refused(user):
    user.set_unusable_password()
    user.save()
    assert authenticate(None, identifier="camille@example.org", password="") is None
    assert authenticate(None, identifier="camille@example.org", password="!") is None


def test_a_staff_account_is_refused_when_staff_may_not_use_a_password(user, settings):
    user.is_staff = True
    user.save()
    settings.STAFF_PASSWORD_LOGIN = False
    assert authenticate(None, identifier="camille@example.org", password=PASSWORD) is None
    settings.STAFF_PASSWORD_LOGIN = True
    assert authenticate(None, identifier="camille@example.org", password=PASSWORD) == user


def test_an_address_on_a_profile_wins_over_a_username_equal_to_it(user):
    PortalUserFactory(username="camille@example.org", profile__email="autre@example.org")
    assert authenticate(None, identifier="camille@example.org", password=PASSWORD) == user


def test_the_back_office_sign_in_by_username_is_left_to_the_staff_backend(
    user, django_assert_num_queries
):
    # Else a username sign-in would be looked up and hashed twice (once per backend).
    with django_assert_num_queries(0):
        assert (
            IdentifierBackend().authenticate(None, username=user.username, password=PASSWORD)
            is None
        )


class CountingHasher(PBKDF2PasswordHasher):
    """Counts the hashes it computes: the time a sign-in takes is its hashing (production's
    1,000,000 iterations), which a wall-clock measure on a busy machine could not compare."""

    iterations = 1_000
    hashes = 0

    def encode(self, password, salt, iterations=None):
        type(self).hashes += 1
        return super().encode(password, salt, iterations)


def test_an_unknown_identifier_takes_as_long_as_a_known_one(settings, user):
    settings.PASSWORD_HASHERS = ["guichet.accounts.tests.test_backend.CountingHasher"]
    user.set_password(PASSWORD)
    user.save()

    def hashes_of(identifier: str) -> int:
        CountingHasher.hashes = 0
        assert authenticate(None, identifier=identifier, password="mauvais-mot-de-passe") is None
        return CountingHasher.hashes

    assert hashes_of("camille@example.org") == hashes_of("inconnu@example.org") == 1
