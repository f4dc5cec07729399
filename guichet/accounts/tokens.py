"""The links mailed to portal accounts. Each is made when its mail is rendered for sending
(guichet.notifications.emails), never stored, and dies once used:

- the invitation ("Choisir mon mot de passe"), valid ACCOUNT_INVITATION_DAYS (7 days): Django's
  PASSWORD_RESET_TIMEOUT applies to every reset link of the site and stays at one hour;
- "Mot de passe oublié", Django's own generator (PASSWORD_RESET_TIMEOUT, 1 hour);
- the confirmation of a new e-mail address ("Mon profil"), valid ACCOUNT_INVITATION_DAYS.

The first two hash the account's password and last sign-in: choosing a password kills them. Their
salts differ, so neither is accepted as the other.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core import signing
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

DAY_SECONDS = 24 * 3600


def invitation_max_age() -> int:
    return settings.ACCOUNT_INVITATION_DAYS * DAY_SECONDS


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "guichet.accounts.tokens.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        # Django's check compares the age with PASSWORD_RESET_TIMEOUT; this one with
        # ACCOUNT_INVITATION_DAYS, the signature being checked the same way.
        if not (user and token):
            return False
        timestamp_b36, _sep, _hash = str(token).partition("-")
        try:
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return False
        if self._num_seconds(self._now()) - timestamp > invitation_max_age():
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


invitation_token_generator = InvitationTokenGenerator()
password_reset_token_generator = default_token_generator


def user_uid(user) -> str:
    """The account's id as it travels in a link."""
    return urlsafe_base64_encode(force_bytes(user.pk))


EMAIL_CHANGE_SALT = "guichet.accounts.tokens.email_change"


def email_change_token(*, user, email: str) -> str:
    """Signs the account, the new address and the current one: once the address has changed,
    the link is dead."""
    return signing.dumps([user.pk, email, user.email], salt=EMAIL_CHANGE_SALT, compress=True)


def email_change_read(*, user, token: str) -> str | None:
    """The new address `token` confirms for `user`, or None (forged, expired, for another
    account, or already used)."""
    try:
        pk, email, current = signing.loads(
            token, salt=EMAIL_CHANGE_SALT, max_age=invitation_max_age()
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if pk != user.pk or current != user.email:
        return None
    return email
