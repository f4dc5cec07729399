"""Back-office: the list of mails ("Notifications"), their texts ("Configuration des
notifications") and the files sent with them ("Pièces jointes")."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import BLANK_CHOICE_DASH, Q
from django.http import Http404, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import escape, format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guichet.core import dates
from guichet.core.admin import (
    AccentBlindSearchMixin,
    AuditedAdminMixin,
    NoWritesMixin,
    RichTextAdmin,
    date_display,
)
from guichet.notifications.emails import MailRenderer, mail_context_builder, message_preview
from guichet.notifications.models import (
    ACCOUNT_KINDS,
    DEFERRED_KINDS,
    MessageAttachment,
    MessageKind,
    MessageState,
    MessageTemplate,
    OutgoingMessage,
)
from guichet.notifications.selectors import message_kinds_for_staff
from guichet.notifications.services import ACCOUNT_RESEND_REFUSED, message_resend


class QFilter(admin.SimpleListFilter):
    """A list filter whose choices are conditions: {value: (label, Q)}."""

    conditions: dict[str, tuple[str, Q]] = {}

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _condition) in self.conditions.items()]

    def queryset(self, request, queryset):
        if self.value() in self.conditions:
            return queryset.filter(self.conditions[self.value()][1])
        return queryset


class SentFilter(QFilter):
    title = _("Envoi")
    parameter_name = "envoi"
    conditions = {
        "sent": (_("Envoyés"), Q(state=MessageState.SENT)),
        "not_sent": (_("Pas encore envoyés ou en échec"), ~Q(state=MessageState.SENT)),
    }


class DeferredFilter(QFilter):
    title = _("Programmation")
    parameter_name = "retardement"
    conditions = {
        "deferred": (_("Programmés (rappels J-2)"), Q(kind__in=DEFERRED_KINDS)),
        "immediate": (_("Envoyés dès l'action"), ~Q(kind__in=DEFERRED_KINDS)),
    }


class KindFilter(admin.SimpleListFilter):
    """By kind of mail, among those of the user's channels."""

    title = _("type")
    parameter_name = "kind__exact"  # the field filter's own parameter: links keep working

    def lookups(self, request, model_admin):
        return [
            (kind, MessageKind(kind).label) for kind in message_kinds_for_staff(user=request.user)
        ]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class ChannelKindsMixin:
    """Rows of the kinds of mail of the user's channels only (texts, attachments, the outbox)."""

    def get_queryset(self, request):
        kinds = message_kinds_for_staff(user=request.user)
        return super().get_queryset(request).filter(kind__in=kinds)


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(
    ChannelKindsMixin, NoWritesMixin, AccentBlindSearchMixin, admin.ModelAdmin
):
    """Rows are written by the services and the worker only: staff look, and may send again."""

    # One line per mail: what, to whom, its state and its last date.
    list_display = ("subject", "recipients_display", "linked_object", "state_display", "when")
    list_select_related = ("reservation", "user")
    list_filter = (SentFilter, DeferredFilter, KindFilter, "state")
    date_hierarchy = "created_at"
    # The person (names, e-mail, city) and the activity (in every subject); the token below.
    search_fields = ("reservation__search_text", "session__activity__search_text")
    actions = ("resend",)
    fields = (
        "kind",
        "subject",
        "recipients_display",
        "reservation",
        "group",
        "session",
        "user",
        "state",
        "created",
        "scheduled",
        "sent",
        "attempts",
        "last_error",
        "failing",
        "failed",
        "preview",
    )
    readonly_fields = fields

    created = date_display("created_at", _("Ajouté le"))
    scheduled = date_display("scheduled_for", _("Programmé pour"))
    sent = date_display("sent_at", _("Envoyé le"))
    failing = date_display("failing_since", _("En erreur depuis"))
    failed = date_display("failed_at", _("Abandonné le"))

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if not search_term.strip():
            return results, may_have_duplicates
        return results | queryset.filter(reservation__token=search_term.strip()), False

    def has_resend_permission(self, request):
        return request.user.has_perm("notifications.change_outgoingmessage")

    @admin.display(description=_("Date"), ordering="created_at")
    def when(self, message):
        """The date that tells most: sent on, due on, else added on."""
        if message.sent_at:
            return _("envoyé %(date)s") % {"date": dates.short(message.sent_at, year=True)}
        if message.state == MessageState.PENDING:
            return _("prévu %(date)s") % {"date": dates.short(message.scheduled_for, year=True)}
        if message.failed_at:
            return _("abandonné %(date)s") % {"date": dates.short(message.failed_at, year=True)}
        return _("ajouté %(date)s") % {"date": dates.short(message.created_at, year=True)}

    @admin.display(description=_("Personne"))
    def linked_object(self, message):
        if message.user is not None:
            return message.user.get_full_name() or message.user.get_username()
        if message.reservation is None:
            return "—"
        url = reverse("admin:bookings_reservation_change", args=[message.reservation_id])
        return format_html('<a href="{}">{}</a>', url, message.reservation.full_name)

    @admin.display(description=_("État"), ordering="state")
    def state_display(self, message):
        if message.state in (MessageState.PENDING, MessageState.FAILED) and message.last_error:
            return format_html(
                '<span title="{}">{} ({})</span>',
                message.last_error,
                message.get_state_display(),
                ngettext("%(count)d tentative", "%(count)d tentatives", message.attempts)
                % {"count": message.attempts},
            )
        return message.get_state_display()

    @admin.display(description=_("Destinataires"))
    def recipients_display(self, message):
        return ", ".join(str(address) for address in message.recipients)

    @admin.display(description=_("Aperçu (texte, avec les données actuelles)"))
    def preview(self, message):
        if (
            message.reservation is None
            and message.user is None
            and mail_context_builder(message.kind) is None
        ):
            return "—"
        # An account mail's link is not made here: it reads "lien masqué".
        body = MailRenderer().email(message, attachments=False, links=False).body
        # The text part renders with autoescape off, so it comes out marked safe: it holds what
        # the visitor typed and must be escaped whatever its mark.
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', escape(body))

    @admin.action(description=_("Renvoyer les notifications sélectionnées"), permissions=["resend"])
    def resend(self, request, queryset):
        refused = queryset.filter(kind__in=ACCOUNT_KINDS)
        if refused.exists():
            self.message_user(request, str(ACCOUNT_RESEND_REFUSED), messages.WARNING)
        with transaction.atomic():
            count = 0
            for message in queryset.exclude(kind__in=ACCOUNT_KINDS):
                message_resend(message=message)
                count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d notification sera envoyée de nouveau.",
                "%(count)d notifications seront envoyées de nouveau.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ChannelKindsMixin, AuditedAdminMixin, RichTextAdmin):
    """One row per kind of mail (installed by a migration): edited, never added nor deleted."""

    list_display = ("kind", "header_title")
    readonly_fields = ("kind",)
    fields = ("kind", "header_title", *MessageTemplate.SECTIONS)
    change_form_template = "admin/notifications/messagetemplate/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        preview = path(
            "<path:object_id>/apercu/",
            self.admin_site.admin_view(self.preview_view),
            name="notifications_messagetemplate_preview",
        )
        return [preview, *super().get_urls()]

    def preview_view(self, request, object_id):
        """The mail with invented data and the texts as typed in the form, not saved."""
        # `…/1/change/apercu/` reaches here too, with "1/change" as the id.
        template = self.get_object(request, unquote(object_id))
        if template is None:
            raise Http404
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request, template):
            raise PermissionDenied
        form = self.get_form(request, template, change=True)(request.POST, instance=template)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Aperçu"),
            "form": form,
        }
        if form.is_valid():
            email = message_preview(template=form.instance)
            context |= {
                "subject": email.subject,
                "html": email.alternatives[0].content,
                "text": email.body,
            }
        return TemplateResponse(
            request, "admin/notifications/messagetemplate/preview.html", context
        )


@admin.register(MessageAttachment)
class MessageAttachmentAdmin(ChannelKindsMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("filename", "kind", "created", "file_state")
    created = date_display("created_at", _("Ajouté le"), short=True)
    list_filter = (KindFilter,)
    fields = ("kind", "file", "file_state")
    readonly_fields = ("file_state",)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "kind":
            kinds = message_kinds_for_staff(user=request.user)
            kwargs["choices"] = BLANK_CHOICE_DASH + [
                (kind, MessageKind(kind).label) for kind in kinds
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    @admin.display(description=_("Fichier sur le disque"))
    def file_state(self, attachment):
        if attachment.pk is None:
            return "—"
        if attachment.file.storage.exists(attachment.file.name):
            return _("Présent")
        return format_html(
            '<strong class="errornote">{}</strong>',
            _("Introuvable : les e-mails partent sans ce fichier. Déposez-le de nouveau."),
        )
