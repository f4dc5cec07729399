"""Slowing down password guessing on every sign-in page (the back-office's, and the portals').

Only failures count, in three counters of django-ratelimit over the window of LOGIN_RATE_LIMIT
("10/15m": 10 failures per 15 minutes):
- per account and client address, and per client address: past the limit, that address is
  refused without its password being checked, whatever the account, until the window ends;
- per account, whatever the address: past the limit, every answer for that account is delayed,
  but the account is never locked (user names are easy to guess, and locking them would let
  anyone lock staff out).

A sign-in form uses it through `LoginLimitMixin` (placed before Django's AuthenticationForm),
or calls `login_refusal` before checking a password and `login_failure_count` after a failure.
"""

import hashlib
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_ratelimit.core import get_usage

from guichet.core.clients import client_key
from guichet.core.rates import rate_parse

# Answers for an account guessed at from many addresses wait this long.
ACCOUNT_DELAY_SECONDS = 1.0

WRONG_PAIR = gettext_lazy("Identifiant ou mot de passe incorrect.")


def _rate(group: str, request: HttpRequest) -> str | None:
    return settings.LOGIN_RATE_LIMIT or None


def _account(identifier: str) -> str:
    # Case and spaces do not make another account; hashed so that no user name lands in the cache.
    return hashlib.sha256(identifier.strip().casefold().encode()).hexdigest()


def _counters(identifier: str) -> dict[str, object]:
    account = _account(identifier)
    return {
        "login.address": client_key,
        "login.account_address": lambda group, request: f"{account}:{client_key(group, request)}",
        "login.account": lambda group, request: account,
    }


def _usage(request: HttpRequest, group: str, key, *, increment: bool) -> dict | None:
    return get_usage(request, group=group, key=key, rate=_rate, increment=increment)


def _exhausted(usage: dict | None) -> bool:
    return usage is not None and usage["count"] >= usage["limit"]


def _delay(seconds: float) -> None:
    time.sleep(seconds)


def login_throttle_message() -> str:
    """'Trop de tentatives de connexion : réessayez dans 15 minutes.', with the window of
    LOGIN_RATE_LIMIT."""
    _limit, seconds = rate_parse(settings.LOGIN_RATE_LIMIT)
    return _("Trop de tentatives de connexion : réessayez dans %(minutes)d minutes.") % {
        "minutes": max(1, round(seconds / 60))
    }


def login_refusal(request: HttpRequest, *, identifier: str) -> str | None:
    """Before checking a password: the message refusing this attempt, or None to go on. Delays
    the answer when the account has been guessed at too often from anywhere."""
    counters = _counters(identifier)
    if _exhausted(_usage(request, "login.account", counters["login.account"], increment=False)):
        _delay(ACCOUNT_DELAY_SECONDS)
    for group in ("login.address", "login.account_address"):
        if _exhausted(_usage(request, group, counters[group], increment=False)):
            return login_throttle_message()
    return None


def login_failure_count(request: HttpRequest, *, identifier: str) -> None:
    """After a wrong identifier or password."""
    for group, key in _counters(identifier).items():
        _usage(request, group, key, increment=True)


class LoginLimitMixin:
    """For a subclass of django.contrib.auth.forms.AuthenticationForm (built with the request):
    throttled attempts are refused before the password is checked, failures are counted, and
    every wrong pair gets the same message."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_messages = self.error_messages | {
            "invalid_login": WRONG_PAIR,
            "inactive": WRONG_PAIR,
        }

    def clean(self):
        identifier = self.cleaned_data.get("username") or ""
        refusal = login_refusal(self.request, identifier=identifier)
        if refusal:
            raise ValidationError(refusal, code="throttled")
        try:
            return super().clean()
        except ValidationError as error:
            if getattr(error, "code", None) in ("invalid_login", "inactive"):
                login_failure_count(self.request, identifier=identifier)
            raise
