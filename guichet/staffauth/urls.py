from django.urls import path

from guichet.staffauth import views

app_name = "staffauth"
urlpatterns = [path("", views.second_factor, name="second_factor")]
