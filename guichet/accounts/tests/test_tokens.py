"""The links mailed to portal accounts: an invitation lasts ACCOUNT_INVITATION_DAYS, a reset one
hour; neither is accepted as the other; both die once a password is chosen."""

from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.accounts.services import account_email_set, account_password_set
from guichet.accounts.tests.factories import PortalUserFactory
from guichet.accounts.tokens import (
    email_change_read,
    email_change_token,
    invitation_token_generator,
    password_reset_token_generator,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def invited():
    user = PortalUserFactory()
    user.set_unusable_password()
    user.save()
    return user


def test_an_invitation_lasts_seven_days(invited, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    token = invitation_token_generator.make_token(invited)
    time_machine.shift(timedelta(days=7) - timedelta(seconds=1))
    assert invitation_token_generator.check_token(invited, token)
    time_machine.shift(timedelta(seconds=2))
    assert not invitation_token_generator.check_token(invited, token)


def test_the_invitation_length_is_a_setting(invited, time_machine, settings):
    settings.ACCOUNT_INVITATION_DAYS = 2
    time_machine.move_to(timezone.now(), tick=False)
    token = invitation_token_generator.make_token(invited)
    time_machine.shift(timedelta(days=2, seconds=1))
    assert not invitation_token_generator.check_token(invited, token)


def test_a_reset_link_lasts_one_hour(time_machine):
    user = PortalUserFactory()
    time_machine.move_to(timezone.now(), tick=False)
    token = password_reset_token_generator.make_token(user)
    time_machine.shift(timedelta(minutes=59))
    assert password_reset_token_generator.check_token(user, token)
    time_machine.shift(timedelta(minutes=2))
    assert not password_reset_token_generator.check_token(user, token)


def test_neither_link_is_accepted_as_the_other(invited):
    invitation = invitation_token_generator.make_token(invited)
    reset = password_reset_token_generator.make_token(invited)
    assert not password_reset_token_generator.check_token(invited, invitation)
    assert not invitation_token_generator.check_token(invited, reset)


def test_both_links_die_once_a_password_is_chosen(invited):
    invitation = invitation_token_generator.make_token(invited)
    reset = password_reset_token_generator.make_token(invited)
    account_password_set(user=invited, password="un-autre-mot-de-passe")
    assert not invitation_token_generator.check_token(invited, invitation)
    assert not password_reset_token_generator.check_token(invited, reset)


@pytest.mark.parametrize("token", ["", "abc", "-", "zzzzzzzzzzzzzzzzzzzzzzz-1", "1-2-3", "é-é"])
def test_a_forged_invitation_is_refused(invited, token):
    assert not invitation_token_generator.check_token(invited, token)


def test_another_accounts_invitation_is_refused(invited):
    other = PortalUserFactory()
    other.set_unusable_password()
    other.save()
    assert not invitation_token_generator.check_token(
        other, invitation_token_generator.make_token(invited)
    )


def test_a_new_address_is_confirmed_once_for_its_account(time_machine):
    user, other = PortalUserFactory(), PortalUserFactory()
    time_machine.move_to(timezone.now(), tick=False)
    token = email_change_token(user=user, email="nouvelle@example.org")
    assert email_change_read(user=other, token=token) is None
    assert email_change_read(user=user, token=token) == "nouvelle@example.org"
    account_email_set(user=user, email="nouvelle@example.org")
    assert email_change_read(user=user, token=token) is None  # used


def test_an_address_confirmation_expires_with_the_invitations(time_machine):
    user = PortalUserFactory()
    time_machine.move_to(timezone.now(), tick=False)
    token = email_change_token(user=user, email="nouvelle@example.org")
    time_machine.shift(timedelta(days=7, seconds=1))
    assert email_change_read(user=user, token=token) is None
    assert email_change_read(user=user, token=token + "x") is None
