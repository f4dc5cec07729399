"""The family portal (/famille/). Accounts' pages (views_accounts) first; the calendar, basket,
"Suivi", "Compte rendu" and staff pages follow (views)."""

from django.urls import path

from guichet.accounts.urls import account_link_paths
from guichet.families import views_accounts as accounts
from guichet.families import views_portal as portal
from guichet.families import views_staff as staff

app_name = "families"

urlpatterns = [
    path("", accounts.home, name="home"),
    path("connexion/", accounts.login, name="login"),
    path("deconnexion/", accounts.logout, name="logout"),
    path("premiere-connexion/", accounts.first_connection, name="first_connection"),
    *account_link_paths(
        password_forgot=accounts.password_forgot_view,
        invitation=accounts.invitation,
        password_reset=accounts.password_reset,
        email_confirm=accounts.email_confirm,
    ),
    path("profil/", accounts.profile, name="profile"),
    path("profil/modifier/", accounts.profile_update, name="profile_update"),
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
