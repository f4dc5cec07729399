from django.urls import path, register_converter
from django.urls.converters import StringConverter

from guichet.public import views


class TokenConverter(StringConverter):
    """A reservation's secret (guichet.bookings.models.reservation_token: 24 random bytes in
    URL-safe base64). Anything else is not found before any database lookup, so that a NUL byte
    or a megabyte of text never reaches the query."""

    regex = "[A-Za-z0-9_-]{32}"


register_converter(TokenConverter, "token")

app_name = "public"

urlpatterns = [
    path("", views.activity_list, name="activity_list"),
    path("activites/<slug:slug>/", views.activity_detail, name="activity_detail"),
    path("sessions/<int:pk>/reserver/", views.session_book, name="session_book"),
    path("reservation/<token:token>/", views.reservation_detail, name="reservation_detail"),
    path("reservation/<token:token>/calendrier.ics", views.reservation_ics, name="reservation_ics"),
    path("accessibilite/", views.legal_page, {"page": "accessibility"}, name="accessibility"),
    path("mes-reservations/", views.reservations_find, name="reservations_find"),
    path("mentions-legales/", views.legal_page, {"page": "legal_notice"}, name="legal_notice"),
    path(
        "donnees-personnelles/",
        views.legal_page,
        {"page": "personal_data"},
        name="personal_data",
    ),
    path(
        "reservation/<token:token>/modifier/", views.reservation_change, name="reservation_change"
    ),
    path("reservation/<token:token>/annuler/", views.reservation_cancel, name="reservation_cancel"),
]
