from types import SimpleNamespace

from django.contrib import admin
from django.contrib.admin.checks import ModelAdminChecks
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.contenttypes.models import ContentType
from django.core import checks
from django.db import models
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from js_asset import Media

from guichet.core import dates
from guichet.core.audit import audit_before, audit_record, audit_saved
from guichet.core.login_limit import LoginLimitMixin
from guichet.core.models import AuditAction, Organisation
from guichet.core.search import search_filter

admin.site.site_header = _("Guichet — administration")
admin.site.site_title = _("Guichet — administration")


def date_display(field: str, description, *, short: bool = False):
    """A list column or read-only field showing the datetime `field` as guichet.core.dates
    writes it: "lun. 7 déc. 2026, 10 h" in lists (`short`), "lundi 7 décembre 2026, 10 h" on
    a change page. Empty dates show as the admin's empty value."""

    @admin.display(description=description, ordering=field)
    def display(model_admin, obj):
        value = getattr(obj, field)
        if value is None:  # a read-only field would show "None"
            return model_admin.get_empty_value_display()
        return dates.short(value, year=True) if short else dates.long(value)

    return display


# Names are cut to this many characters in the admin lists, the whole name in a tooltip, so that a
# list fits a 1280 px window.
LIST_TEXT_CHARS = 40


def truncated_text(text: str) -> str:
    """`text` cut to LIST_TEXT_CHARS, an ellipsis after its last word kept whole or cut."""
    if len(text) <= LIST_TEXT_CHARS:
        return text
    return text[: LIST_TEXT_CHARS - 1].rstrip() + "…"


def truncated(text: str):
    """`text` cut to LIST_TEXT_CHARS for a list column, whole in its tooltip."""
    short = truncated_text(text)
    if short == text:
        return text
    return format_html('<span title="{}">{}</span>', text, short)


class NoWritesMixin:
    """An admin nobody adds, changes or deletes through, superusers included (read-only records)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AccentBlindSearchMixin:
    """The admin's search box over normalised columns (guichet.core.search): `search_fields`
    name them ("search_text", "activity__search_text"), and the words typed are normalised the
    same way, so "elodie" finds "Élodie". Each word must be in one of the columns."""

    def get_search_results(self, request, queryset, search_term):
        return search_filter(queryset, search_term, fields=tuple(self.search_fields)), False


class StaffLoginForm(LoginLimitMixin, AdminAuthenticationForm):
    """The back-office's sign-in, with password guessing slowed down (LOGIN_RATE_LIMIT)."""


admin.site.login_form = StaffLoginForm


class AuditHistoryMixin:
    """The "Historique" button of a change page leads to that object's entries in the
    "Journal des modifications" (guichet.privacy), which every write of ours fills."""

    def history_view(self, request, object_id, extra_context=None):
        content_type = ContentType.objects.get_for_model(self.model, for_concrete_model=False)
        query = urlencode({"content_type__id__exact": content_type.pk, "object_id": object_id})
        return redirect(f"{reverse('admin:core_auditentry_changelist')}?{query}")


class AuditedAdminMixin(AuditHistoryMixin):
    """Journals the saves and deletions of a model the admin writes itself (no service of ours:
    settings, mail texts, places, accounts): fields before → after, many-to-many included."""

    def save_model(self, request, obj, form, change):
        request._audit_before = audit_before(obj) if change else None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        audit_saved(form.instance, before=getattr(request, "_audit_before", None))

    def delete_model(self, request, obj):
        audit_record(action=AuditAction.DELETE, obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(action=AuditAction.DELETE, obj=obj)
        super().delete_queryset(request, queryset)


class RichTextAdmin(admin.ModelAdmin):
    """The admin of a model with a guichet.core.richtext.RichTextField. The editor's modules
    need an inline import map, which the CSP (script-src 'self' + nonce) runs only with the
    request's nonce."""

    def render_change_form(self, request, context, *args, **kwargs):
        context["media"] = Media.from_media(context["media"], nonce=request.csp_nonce)
        return super().render_change_form(request, context, *args, **kwargs)


# Asks an inline whether anyone at all may add, change or delete its rows.
_EVERY_PERMISSION = SimpleNamespace(
    user=SimpleNamespace(
        is_active=True, is_staff=True, is_superuser=True, has_perm=lambda *args, **kwargs: True
    )
)


def _inline_is_editable(inline) -> bool:
    return (
        inline.has_add_permission(_EVERY_PERMISSION, None)
        or inline.has_change_permission(_EVERY_PERMISSION, None)
        or inline.has_delete_permission(_EVERY_PERMISSION, None)
    )


class ServiceModelAdminChecks(ModelAdminChecks):
    """The service writes while the main form is validated (`is_valid()`): an editable inline
    formset would then be refused after the object was written, and a `list_editable` row
    formset would write some rows before another one is refused."""

    def check(self, admin_obj, **kwargs):
        errors = super().check(admin_obj, **kwargs)
        if admin_obj.list_editable:
            errors.append(
                checks.Error(
                    "A ServiceModelAdmin cannot have list_editable: its form writes while it is "
                    "validated, so one refused row would leave the others written.",
                    hint="Use an admin action calling the service per row.",
                    obj=admin_obj.__class__,
                    id="guichet.E001",
                )
            )
        for inline_class in admin_obj.inlines:
            inline = inline_class(admin_obj.model, admin_obj.admin_site)
            if _inline_is_editable(inline):
                errors.append(
                    checks.Error(
                        f"{inline_class.__name__} is an editable inline of a ServiceModelAdmin: "
                        "the object is written while its form is validated, before the inline "
                        "rows are, so a refused row would leave it half saved.",
                        hint="Make the inline read-only (no add, change or delete permission).",
                        obj=admin_obj.__class__,
                        id="guichet.E002",
                    )
                )
        return errors


class ServiceModelAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """The admin of a model whose form is a guichet.core.forms.ServiceModelForm: the service has
    already written the object (and its many-to-many fields) while the form was validated.
    Neither `list_editable` nor an editable inline can be used with it (checked at start-up)."""

    checks_class = ServiceModelAdminChecks

    def save_model(self, request, obj, form, change):
        # A second save would write the in-memory row over what the service changed in the
        # database (counters moved with F(), rows it cancelled…).
        pass


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """One row (pk=1): the list leads straight to it; it cannot be added twice nor deleted."""

    fieldsets = [
        (None, {"fields": ["name", "logo", "postal_address", "phone", "website"]}),
        (
            _("E-mails et réservations"),
            {
                "fields": [
                    "sender_email",
                    "contact_email",
                    "online_cancellation_allowed",
                    "payment_instructions",
                ]
            },
        ),
        (
            _("Pages légales"),
            {
                "fields": [
                    "accessibility_level",
                    "accessibility_statement_date",
                    "accessibility_pages_audited",
                    "accessibility_statement",
                    "legal_notice",
                    "personal_data",
                ]
            },
        ),
    ]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Organisation.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        organisation = Organisation.objects.first()
        if organisation is not None:
            return redirect(reverse("admin:core_organisation_change", args=[organisation.pk]))
        if self.has_add_permission(request):
            return redirect(reverse("admin:core_organisation_add"))
        return super().changelist_view(request, extra_context)
