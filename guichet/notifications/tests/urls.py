"""A minimal admin site whose session admin uses SessionChangeConfirmMixin, as the real session
admin does once the mixin is plugged in (see guichet/notifications/admin_mixins.py)."""

from django.contrib import admin
from django.urls import path

from guichet.bookings.forms import SessionAdminForm
from guichet.catalogue.models import Session
from guichet.core.admin import ServiceModelAdmin
from guichet.notifications.admin_mixins import SessionChangeConfirmMixin

site = admin.AdminSite(name="admin")


@admin.register(Session, site=site)
class SessionAdmin(SessionChangeConfirmMixin, ServiceModelAdmin):
    form = SessionAdminForm


urlpatterns = [path("admin/", site.urls)]
