"""The family portal (/famille/). Accounts' pages (views_accounts) first; the calendar, basket,
"Suivi", "Compte rendu" and staff pages follow (views)."""

from django.urls import path, register_converter
from django.urls.converters import StringConverter

from guichet.families import views_accounts as accounts


class UidConverter(StringConverter):
    regex = "[0-9A-Za-z_-]{1,22}"  # an account id in a link (base64 of its number)


class PasswordTokenConverter(StringConverter):
    regex = "[0-9a-z]{1,13}-[0-9a-f]{1,64}"  # an invitation or reset token


class SignedConverter(StringConverter):
    regex = "[0-9A-Za-z_:.-]{1,500}"  # a signed value (a new address's confirmation)


register_converter(UidConverter, "family_uid")
register_converter(PasswordTokenConverter, "family_token")
register_converter(SignedConverter, "family_signed")

app_name = "families"

urlpatterns = [
    path("", accounts.home, name="home"),
    path("connexion/", accounts.login, name="login"),
    path("deconnexion/", accounts.logout, name="logout"),
    path("premiere-connexion/", accounts.first_connection, name="first_connection"),
    path("mot-de-passe-oublie/", accounts.password_forgot_view, name="password_forgot"),
    path(
        "invitation/<family_uid:uidb64>/<family_token:token>/",
        accounts.invitation,
        name="invitation",
    ),
    path(
        "mot-de-passe/<family_uid:uidb64>/<family_token:token>/",
        accounts.password_reset,
        name="password_reset",
    ),
    path("profil/", accounts.profile, name="profile"),
    path("profil/modifier/", accounts.profile_update, name="profile_update"),
    path("profil/adresse/<family_signed:token>/", accounts.email_confirm, name="email_confirm"),
]
