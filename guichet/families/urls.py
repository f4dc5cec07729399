"""The family portal (/famille/). Accounts' pages (views_accounts) first; the calendar, basket,
"Suivi", "Compte rendu" and staff pages follow (views)."""

from django.urls import path, register_converter
from django.urls.converters import StringConverter

from guichet.families import views_accounts as accounts
from guichet.families import views_portal as portal
from guichet.families import views_staff as staff


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
    # The calendar, basket, "Suivi", "Compte rendu" (views_portal) and staff pages (views_staff).
    path("reservations/", portal.calendar_view, name="calendar"),
    path("reservations/basculer/", portal.toggle_view, name="calendar_toggle"),
    path("reservations/jour/", portal.day_view, name="calendar_day"),
    path("reservations/horaires/", portal.hours_view, name="calendar_hours"),
    path("reservations/copier/", portal.copy_view, name="calendar_copy"),
    path("panier/", portal.basket_view, name="basket"),
    path("panier/valider/", portal.basket_validate_view, name="basket_validate"),
    path("panier/abandonner/", portal.basket_clear_view, name="basket_clear"),
    path("envois/<int:submission_id>/", portal.submission_view, name="submission"),
    path("suivi/", portal.follow_view, name="follow"),
    path("suivi/annuler/", portal.follow_cancel_view, name="follow_cancel"),
    path("compte-rendu/", portal.report_view, name="report"),
    path("gestion/demandes/", staff.requests_view, name="staff_requests"),
    path("gestion/demandes/<int:reservation_id>/", staff.request_decide_view, name="staff_request"),
    path("gestion/reserver/", staff.staff_book_view, name="staff_book"),
    path("gestion/liste-du-jour/", staff.day_list_view, name="staff_day_list"),
]
