"""The journal ("Journal des modifications"), "Données d'une personne", and the accounts' admin
with its changes journalled."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guichet.bookings.models import Reservation
from guichet.catalogue.models import Activity, Session
from guichet.catalogue.selectors import staff_channels
from guichet.core import dates
from guichet.core.admin import AuditedAdminMixin, NoWritesMixin, date_display, truncated
from guichet.core.models import AuditAction, AuditEntry
from guichet.privacy.forms import PersonAnonymiseForm, PersonSearchForm
from guichet.privacy.models import PersonData
from guichet.privacy.registry import person_sources
from guichet.privacy.services import person_anonymise, person_export, person_query, person_rows
from guichet.staffauth.admin import StaffUserAdmin

# Entries about accounts: for superusers only.
ACCOUNT_ACTIONS = (AuditAction.SIGN_IN, AuditAction.SIGN_IN_FAILED)


def _account_types() -> list[ContentType]:
    return [ContentType.objects.get_for_model(model) for model in (get_user_model(), Group)]


def _other_channels_entries(channels: frozenset[str]) -> Q:
    """Entries about the activities, sessions and reservations of channels other than
    `channels`: a portal's staff never read the names of another portal's people."""
    hidden = Q()
    for model, channel in (
        (Activity, "channel"),
        (Session, "activity__channel"),
        (Reservation, "channel"),
    ):
        others = model.objects.exclude(**{f"{channel}__in": channels})
        hidden |= Q(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=others.annotate(key=Cast("pk", CharField())).values("key"),
        )
    return hidden


@admin.register(AuditEntry)
class AuditEntryAdmin(NoWritesMixin, admin.ModelAdmin):
    """Read only for everyone: no add, change or delete permission exists (default_permissions)."""

    # The client address is on the entry's page: the list fits a 1280 px window without it.
    list_display = ["when_short", "actor_display", "action", "type_short", "object_short"]
    list_filter = [
        ("actor", admin.RelatedOnlyFieldListFilter),
        "actor_kind",
        "action",
        ("content_type", admin.RelatedOnlyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["object_id", "object_repr"]

    @admin.display(description=_("date"), ordering="created_at")
    def when_short(self, entry):
        return dates.short(entry.created_at, year=True)

    @admin.display(description=_("type d'objet"), ordering="content_type")
    def type_short(self, entry):
        return capfirst(entry.content_type.name) if entry.content_type else "—"

    @admin.display(description=_("objet"), ordering="object_repr")
    def object_short(self, entry):
        # Cut for the list to fit a 1280 px window; whole on the entry's page and in its tooltip.
        return truncated(entry.object_repr)

    fields = [
        "when",
        "actor_display",
        "client_ip",
        "action",
        "content_type",
        "object_id",
        "object_repr",
        "changes_display",
        "note",
    ]
    readonly_fields = fields
    when = date_display("created_at", _("date"))

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("content_type", "actor")
        user = request.user
        if user.is_superuser:
            return queryset
        queryset = queryset.exclude(content_type__in=_account_types()).exclude(
            action__in=ACCOUNT_ACTIONS
        )
        if user.has_perm("privacy.view_persondata"):
            return queryset  # the data protection officer answers for every channel
        return queryset.exclude(_other_channels_entries(staff_channels(user=user)))

    @admin.display(description=_("auteur"), ordering="actor_name")
    def actor_display(self, entry):
        return entry.actor_name or entry.get_actor_kind_display()

    @admin.display(description=_("changements"))
    def changes_display(self, entry):
        return format_html_join(
            "\n",
            "<div><strong>{}</strong> : {} → {}</div>",
            ((name, before, after) for name, (before, after) in entry.changes.items()),
        )


@admin.register(PersonData)
class PersonDataAdmin(NoWritesMixin, admin.ModelAdmin):
    """One page: find a person, see every row and mail concerning them, export or anonymise."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("privacy.view_persondata")

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "",
                self.admin_site.admin_view(self.person_view),
                name=f"{info[0]}_{info[1]}_changelist",
            )
        ]

    def person_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form = PersonSearchForm(data)
        anonymise_form = PersonAnonymiseForm(data) if data and "anonymise" in data else None
        found = None
        if form.is_valid():
            query = person_query(form.cleaned_data["q"])
            if "export" in data:
                stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
                return HttpResponse(
                    person_export(query=query),
                    content_type="application/zip",
                    headers={
                        "Content-Disposition": content_disposition_header(
                            True, f"donnees-personne-{stamp}.zip"
                        )
                    },
                )
            if anonymise_form is not None and anonymise_form.is_valid():
                changed = person_anonymise(
                    query=query, reason=anonymise_form.cleaned_data["reason"]
                )
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d ligne anonymisée.", "%(count)d lignes anonymisées.", changed
                    )
                    % {"count": changed},
                    messages.SUCCESS,
                )
                anonymise_form = None
            rows = person_rows(query=query)
            found = [(source.label, rows[source.name]) for source in person_sources()]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Données d'une personne"),
            "form": form,
            "anonymise_form": anonymise_form or PersonAnonymiseForm(initial=form.data or None),
            "found": found,
            "has_rows": bool(found and any(rows for _label, rows in found)),
        }
        return TemplateResponse(request, "admin/privacy/person_data.html", context)


User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(AuditedAdminMixin, StaffUserAdmin):
    """The staff sign-in's user admin (identities, second-factor reset), journalled."""


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdminMixin, GroupAdmin):
    pass
