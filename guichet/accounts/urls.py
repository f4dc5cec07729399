"""The paths of the account pages both portals share (guichet.accounts.views): each portal
mounts them in its own namespace, with the views built from its PortalPages. The links mailed
(invitation, reset, a new address's confirmation) are built from these names."""

from django.urls import path, register_converter
from django.urls.converters import StringConverter


class UidConverter(StringConverter):
    """An account id in a link (base64 of its number)."""

    regex = "[0-9A-Za-z_-]{1,22}"


class PasswordTokenConverter(StringConverter):
    """An invitation or reset token: its date in base 36, a dash, a hash."""

    regex = "[0-9a-z]{1,13}-[0-9a-f]{1,64}"


class SignedConverter(StringConverter):
    """A signed value (django.core.signing), such as a new address's confirmation."""

    regex = "[0-9A-Za-z_:.-]{1,500}"


register_converter(UidConverter, "uid")
register_converter(PasswordTokenConverter, "password_token")
register_converter(SignedConverter, "signed")


def account_link_paths(*, password_forgot, invitation, password_reset, email_confirm) -> list:
    """ "Mot de passe oublié" and the pages of the links it and the portal mail."""
    return [
        path("mot-de-passe-oublie/", password_forgot, name="password_forgot"),
        path("invitation/<uid:uidb64>/<password_token:token>/", invitation, name="invitation"),
        path(
            "mot-de-passe/<uid:uidb64>/<password_token:token>/",
            password_reset,
            name="password_reset",
        ),
        path("profil/adresse/<signed:token>/", email_confirm, name="email_confirm"),
    ]
