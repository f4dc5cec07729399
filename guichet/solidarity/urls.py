from django.urls import path

from guichet.accounts.urls import account_link_paths
from guichet.solidarity import booking_views, views

app_name = "solidarity"

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.login, name="login"),
    path("deconnexion/", views.logout, name="logout"),
    *account_link_paths(
        password_forgot=views.password_forgot_view,
        invitation=views.invitation,
        password_reset=views.password_reset,
        email_confirm=views.email_confirm,
    ),
    path("profil/", views.profile, name="profile"),
    path("profil/mot-de-passe/", views.password_change, name="password_change"),
    path("participants/", views.beneficiary_list, name="beneficiary_list"),
    path("participants/nouveau/", views.beneficiary_create_view, name="beneficiary_create"),
    path(
        "participants/<int:beneficiary_id>/",
        views.beneficiary_update_view,
        name="beneficiary_update",
    ),
    path(
        "participants/<int:beneficiary_id>/etat/",
        views.beneficiary_state,
        name="beneficiary_state",
    ),
    path("structure/", views.structure_detail, name="structure_detail"),
    path("structure/modifier/", views.structure_update_view, name="structure_update"),
    path("structure/referents/nouveau/", views.member_create_view, name="member_create"),
    path("structure/referents/<int:member_id>/", views.member_update_view, name="member_update"),
    path(
        "structure/referents/<int:member_id>/invitation/",
        views.member_invite,
        name="member_invite",
    ),
    path(
        "structure/referents/<int:member_id>/supprimer/",
        views.member_remove_view,
        name="member_remove",
    ),
    path("billetterie/", views.event_list, name="events"),
    path("billetterie/<int:event_id>/", views.event_detail, name="event_detail"),
    path("seances/<int:session_id>/reserver/", booking_views.booking_new, name="booking_new"),
    path("reservations/", booking_views.reservation_list, name="reservations"),
    path("reservations/<int:booking_id>/", booking_views.booking_detail, name="booking_detail"),
    path(
        "reservations/<int:booking_id>/invitations.pdf",
        booking_views.booking_pdf,
        name="booking_pdf",
    ),
    path(
        "reservations/<int:booking_id>/annuler/",
        booking_views.booking_cancel,
        name="booking_cancel",
    ),
    path(
        "invitations/<int:invitation_id>/annuler/",
        booking_views.invitation_cancel,
        name="invitation_cancel",
    ),
]
