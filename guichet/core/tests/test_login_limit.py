"""Password guessing on the back-office's sign-in page (guichet.core.login_limit)."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from guichet.core import login_limit

WRONG = "Identifiant ou mot de passe incorrect."
THROTTLED = "Trop de tentatives de connexion : réessayez dans 15 minutes."


@pytest.fixture(autouse=True)
def _limit(settings, db):
    settings.LOGIN_RATE_LIMIT = "10/15m"
    cache.clear()  # the counters live in the shared cache


@pytest.fixture
def delays(monkeypatch):
    waited: list[float] = []
    monkeypatch.setattr(login_limit, "_delay", waited.append)
    return waited


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        username="camille", password="le-bon-mot-de-passe", is_staff=True
    )


def sign_in(client, password, *, username="camille", address="203.0.113.5"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
    )


def signed_in(response) -> bool:
    return response.status_code == 302


def test_sixty_wrong_passwords_then_the_right_one_is_refused(client, staff, delays):
    answers = [sign_in(client, f"essai-{n}") for n in range(60)]
    assert not any(signed_in(answer) for answer in answers)
    assert all(WRONG in answer.content.decode() for answer in answers[:10])
    assert all(THROTTLED in answer.content.decode() for answer in answers[10:])
    right = sign_in(client, "le-bon-mot-de-passe")
    assert not signed_in(right)
    assert THROTTLED in right.content.decode()


def test_the_right_password_works_before_the_limit(client, staff, delays):
    for n in range(9):
        sign_in(client, f"essai-{n}")
    assert signed_in(sign_in(client, "le-bon-mot-de-passe"))
    assert delays == []


def test_every_wrong_pair_gets_the_same_message(client, staff, django_user_model, delays):
    django_user_model.objects.create_user(username="dominique", password="secret-123")  # not staff
    inactive = django_user_model.objects.create_user(
        username="eden", password="secret-123", is_staff=True, is_active=False
    )
    for username, password in [
        ("camille", "faux"),
        ("personne", "faux"),
        ("dominique", "secret-123"),
        (inactive.username, "secret-123"),
    ]:
        response = sign_in(client, password, username=username)
        assert not signed_in(response)
        assert WRONG in response.content.decode()


def test_an_address_is_throttled_whatever_the_account(client, staff, delays):
    for n in range(10):
        sign_in(client, "faux", username=f"compte-{n}")
    response = sign_in(client, "le-bon-mot-de-passe")
    assert THROTTLED in response.content.decode()


def test_other_addresses_still_sign_in_slowed_down_not_locked(client, staff, delays):
    for n in range(12):
        sign_in(client, "faux", address=f"198.51.100.{n}")
    # Twelve failures for the account from twelve addresses: slowed, never locked.
    response = sign_in(client, "le-bon-mot-de-passe", address="192.0.2.7")
    assert signed_in(response)
    # The 11th and 12th failures and the success waited; the first ten did not.
    assert delays == [login_limit.ACCOUNT_DELAY_SECONDS] * 3


def test_a_throttled_address_does_not_block_the_others(client, staff, delays):
    for _n in range(10):
        sign_in(client, "faux")
    assert THROTTLED in sign_in(client, "le-bon-mot-de-passe").content.decode()
    assert signed_in(sign_in(client, "le-bon-mot-de-passe", address="192.0.2.7"))


def test_successes_are_not_counted(client, staff, delays):
    for _ in range(12):
        assert signed_in(sign_in(client, "le-bon-mot-de-passe"))
        client.logout()


def test_empty_setting_turns_the_limit_off(client, staff, settings, delays):
    settings.LOGIN_RATE_LIMIT = ""
    for _n in range(15):
        sign_in(client, "faux")
    assert signed_in(sign_in(client, "le-bon-mot-de-passe"))


def test_the_message_follows_the_window(settings):
    settings.LOGIN_RATE_LIMIT = "5/h"
    assert login_limit.login_throttle_message() == (
        "Trop de tentatives de connexion : réessayez dans 60 minutes."
    )
