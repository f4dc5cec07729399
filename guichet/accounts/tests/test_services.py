"""Portal accounts: created without a password, e-mail lower case and unique, phone in E.164 and
unique, the user's e-mail kept equal to the profile's."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from guichet.accounts.models import Profile
from guichet.accounts.services import (
    account_create,
    account_deactivate,
    account_reactivate,
    account_update,
)
from guichet.accounts.tests.factories import PortalUserFactory

pytestmark = pytest.mark.django_db

EMAIL_TAKEN = "Cette adresse e-mail est déjà utilisée par un autre compte."
PHONE_TAKEN = "Ce numéro de téléphone est déjà utilisé par un autre compte."


def create(**fields):
    return account_create(**{"first_name": "Élodie", "last_name": "Exemple", **fields})


def test_an_account_is_created_without_a_usable_password():
    user = create(email="  Elodie.Exemple@Example.ORG ", phone="06 12 34 56 78")
    user.refresh_from_db()
    assert not user.has_usable_password()
    assert user.username == "elodie-exemple"
    assert (user.email, user.profile.email) == ("elodie.exemple@example.org",) * 2
    assert user.profile.phone == "+33612345678"
    assert create(email="autre@example.org").username == "elodie-exemple-2"


def test_a_taken_address_is_refused_on_its_field_whatever_its_case():
    create(email="elodie@example.org")
    with pytest.raises(ValidationError) as error:
        create(email="ELODIE@example.org")
    assert error.value.message_dict == {"email": [EMAIL_TAKEN]}


def test_a_taken_phone_is_refused_in_any_form():
    create(phone="+33 6 12 34 56 78")
    with pytest.raises(ValidationError) as error:
        create(phone="0033612345678")
    assert error.value.message_dict == {"phone": [PHONE_TAKEN]}


def test_accounts_without_address_or_phone_do_not_clash():
    create()
    create()
    assert Profile.objects.filter(email="", phone="").count() == 2


def test_an_invalid_phone_is_refused_in_french():
    with pytest.raises(ValidationError) as error:
        create(phone="12")
    assert "Numéro de téléphone invalide" in error.value.message_dict["phone"][0]


def test_the_database_refuses_a_duplicate_the_validation_missed():
    first, second = PortalUserFactory(), PortalUserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Profile.objects.filter(pk=second.profile.pk).update(email=first.profile.email)
    with pytest.raises(IntegrityError), transaction.atomic():
        Profile.objects.filter(pk=second.profile.pk).update(email="Majuscule@example.org")


def test_an_update_keeps_the_user_and_profile_addresses_equal():
    user = PortalUserFactory()
    account_update(
        user=user, first_name="Jo", last_name="Exemple", phone="", email="Jo@Example.org"
    )
    user.refresh_from_db()
    assert (user.first_name, user.email, user.profile.email) == (
        "Jo",
        "jo@example.org",
        "jo@example.org",
    )


def test_an_update_taking_another_accounts_address_is_refused():
    other = PortalUserFactory()
    user = PortalUserFactory()
    with pytest.raises(ValidationError) as error:
        account_update(
            user=user, first_name="Jo", last_name="X", phone="", email=other.email.upper()
        )
    assert error.value.message_dict == {"email": [EMAIL_TAKEN]}


def test_deactivating_and_reactivating():
    user = PortalUserFactory()
    account_deactivate(user=user)
    user.refresh_from_db()
    assert not user.is_active
    account_reactivate(user=user)
    user.refresh_from_db()
    assert user.is_active
