from django.urls import path, register_converter
from django.urls.converters import StringConverter

from guichet.solidarity import booking_views, views


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

app_name = "solidarity"

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.login, name="login"),
    path("deconnexion/", views.logout, name="logout"),
    path("mot-de-passe-oublie/", views.password_forgot_view, name="password_forgot"),
    path("invitation/<uid:uidb64>/<password_token:token>/", views.invitation, name="invitation"),
    path(
        "mot-de-passe/<uid:uidb64>/<password_token:token>/",
        views.password_reset,
        name="password_reset",
    ),
    path("profil/", views.profile, name="profile"),
    path("profil/mot-de-passe/", views.password_change, name="password_change"),
    path("profil/adresse/<signed:token>/", views.email_confirm, name="email_confirm"),
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
