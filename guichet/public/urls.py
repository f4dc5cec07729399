from django.urls import path

from guichet.public import views

app_name = "public"

urlpatterns = [
    path("", views.activity_list, name="activity_list"),
    path("activites/<slug:slug>/", views.activity_detail, name="activity_detail"),
    path("sessions/<int:pk>/reserver/", views.session_book, name="session_book"),
    path("reservation/<str:token>/", views.reservation_detail, name="reservation_detail"),
    path("reservation/<str:token>/calendrier.ics", views.reservation_ics, name="reservation_ics"),
    path("reservation/<str:token>/annuler/", views.reservation_cancel, name="reservation_cancel"),
]
