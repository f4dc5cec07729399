"""ServiceModelAdmin refuses what would write half an object: list_editable, editable inlines."""

from django.contrib import admin
from django.core import checks

from guichet.bookings.admin import ReservationAdmin
from guichet.bookings.models import Reservation
from guichet.catalogue.models import Activity, Session
from guichet.core.admin import ServiceModelAdmin

SERVICE_CHECKS = {"guichet.E001", "guichet.E002"}


class SessionInline(admin.TabularInline):
    model = Session


class ReadOnlySessionInline(admin.TabularInline):
    model = Session

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _ids(admin_class, model) -> set[str]:
    site = admin.AdminSite(name="checks")
    return {error.id for error in admin_class(model, site).check()}


def test_list_editable_is_refused():
    class Editable(ReservationAdmin):
        list_editable = ("city",)

    assert "guichet.E001" in _ids(Editable, Reservation)


def test_an_editable_inline_is_refused():
    class WithInline(ServiceModelAdmin):
        inlines = [SessionInline]

    assert _ids(WithInline, Activity) & SERVICE_CHECKS == {"guichet.E002"}


def test_a_read_only_inline_is_allowed():
    class WithInline(ServiceModelAdmin):
        inlines = [ReadOnlySessionInline]

    assert not _ids(WithInline, Activity) & SERVICE_CHECKS


def test_todays_admin_passes():
    errors = checks.run_checks(tags=[checks.Tags.admin])
    assert [error for error in errors if error.id in SERVICE_CHECKS] == []
