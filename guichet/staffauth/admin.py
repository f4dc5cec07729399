from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from guichet.staffauth.models import StaffIdentity
from guichet.staffauth.services import second_factor_reset

User = get_user_model()


class StaffIdentityInline(admin.TabularInline):
    model = StaffIdentity
    extra = 0
    can_delete = False
    fields = readonly_fields = ["issuer", "subject", "last_login"]

    def has_add_permission(self, request, obj=None):
        return False


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [StaffIdentityInline]
    actions = ["second_factor_reset_action"]

    def get_inlines(self, request, obj):
        # Identities come from sign-ins: a new account has none, and its form posts no formset.
        return self.inlines if obj else []

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("second_factor_reset_action", None)
        return actions

    @admin.action(description=_("Réinitialiser la double authentification"))
    def second_factor_reset_action(self, request, queryset):
        for user in queryset:
            second_factor_reset(user=user)
        self.message_user(
            request,
            _("Double authentification réinitialisée : une nouvelle inscription sera demandée."),
        )
