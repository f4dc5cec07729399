"""Back-office of the solidarity portal, for superusers and the "Gestionnaire solidaire" group:
départements, categories, structures, their référents (invited by mail), the people they
follow (read only), the venues and the events' details (the events' activities and sessions
are the catalogue's, scoped to the channel by guichet.catalogue.selectors.staff_channels)."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guichet.accounts.forms import FIRST_NAME_INVALID, LAST_NAME_INVALID
from guichet.accounts.services import account_profile
from guichet.bookings.models import LIVE_STATUSES
from guichet.catalogue.models import Activity, Channel
from guichet.catalogue.selectors import staff_channels
from guichet.core.admin import (
    AccentBlindSearchMixin,
    AuditedAdminMixin,
    NoWritesMixin,
    RichTextAdmin,
    ServiceModelAdmin,
    date_display,
)
from guichet.core.forms import PersonNameField, ServiceModelForm
from guichet.core.phones import PhoneNumberFormField
from guichet.solidarity.models import (
    Beneficiary,
    EventDetails,
    Invitation,
    Membership,
    SolidaritySettings,
    Structure,
    StructureCategory,
    Territory,
    Venue,
    VenueCategory,
)
from guichet.solidarity.selectors import (
    invitation_role_text,
    invitation_state_text,
    solidarity_settings_get,
)
from guichet.solidarity.services import (
    InvitationError,
    event_details_save,
    invitation_cancel_by_staff,
    member_create,
    member_invitation_send,
    member_update,
    venue_save,
)


@admin.register(Territory)
class TerritoryAdmin(AuditedAdminMixin, AccentBlindSearchMixin, admin.ModelAdmin):
    list_display = ("code", "name", "phone", "email")
    search_fields = ("search_text",)


@admin.register(StructureCategory)
class StructureCategoryAdmin(AuditedAdminMixin, AccentBlindSearchMixin, admin.ModelAdmin):
    search_fields = ("search_text",)


@admin.register(Structure)
class StructureAdmin(AuditedAdminMixin, AccentBlindSearchMixin, admin.ModelAdmin):
    list_display = ("name", "category", "city", "territory", "state", "in_directory")
    list_filter = ("state", "territory", "category", "in_directory")
    list_select_related = ("category", "territory")
    search_fields = ("search_text",)
    fields = (
        "name",
        "category",
        "address",
        "postal_code",
        "city",
        "territory",
        "phone",
        "email",
        "state",
        "in_directory",
    )


class MembershipForm(ServiceModelForm):
    """A référent's account with its membership: created without a password and invited by
    mail; its e-mail address is changed here only while the invitation is pending."""

    first_name = PersonNameField(label=_("Prénom"), invalid=FIRST_NAME_INVALID)
    last_name = PersonNameField(label=_("Nom"), invalid=LAST_NAME_INVALID)
    email = forms.EmailField(label=_("Adresse e-mail"), max_length=254)
    phone = PhoneNumberFormField(label=_("Téléphone"), required=False, max_length=30)

    class Meta:
        model = Membership
        fields = ("structure", "role")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.instance.user if self.instance.pk else None
        if user is not None:
            self.initial |= {
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "phone": account_profile(user).phone,
            }
            if user.has_usable_password():
                self.fields["email"].disabled = True
                self.fields["email"].help_text = _(
                    "Son titulaire la change depuis « Mon profil » du portail."
                )

    def perform(self, instance):
        data = self.cleaned_data
        person = {
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "phone": data.get("phone") or "",
        }
        if instance.pk is None:
            return member_create(
                structure=data["structure"], role=data["role"], email=data["email"], **person
            )
        email = None if self.fields["email"].disabled else data["email"]
        return member_update(membership=instance, role=data["role"], email=email, **person)


@admin.register(Membership)
class MembershipAdmin(ServiceModelAdmin):
    form = MembershipForm
    fields = ("structure", "role", "first_name", "last_name", "email", "phone")
    list_display = ("__str__", "email", "structure", "role", "account_state")
    list_filter = ("role", "user__is_active", "structure__territory")
    list_select_related = ("user", "structure")
    search_fields = ("user__profile__search_text", "structure__search_text")
    autocomplete_fields = ("structure",)
    actions = ("invite",)

    def get_readonly_fields(self, request, obj=None):
        # One structure per account: moving someone means inviting them in the other one.
        return ("structure",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False  # the bin deactivates the account; what it booked keeps its author

    @admin.display(description=_("E-mail"), ordering="user__email")
    def email(self, membership):
        return membership.user.email

    @admin.display(description=_("Compte"))
    def account_state(self, membership):
        if not membership.user.is_active:
            return _("Retiré (désactivé)")
        if not membership.user.has_usable_password():
            return _("Invitation envoyée")
        return _("Actif")

    @admin.action(description=_("Envoyer une invitation"))
    def invite(self, request, queryset):
        sent, skipped = 0, []
        for membership in queryset.select_related("user"):
            user = membership.user
            if user.is_active and user.email and not user.has_usable_password():
                member_invitation_send(membership=membership)
                sent += 1
            else:
                skipped.append(str(membership))
        if sent:
            self.message_user(
                request,
                ngettext("%(count)d invitation envoyée.", "%(count)d invitations envoyées.", sent)
                % {"count": sent},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                _(
                    "Pas d'invitation pour %(names)s : compte retiré, sans adresse e-mail, ou "
                    "mot de passe déjà choisi (« Mot de passe oublié » sur la page de connexion "
                    "lui envoie un lien)."
                )
                % {"names": ", ".join(skipped)},
                messages.WARNING,
            )


@admin.register(Beneficiary)
class BeneficiaryAdmin(NoWritesMixin, AccentBlindSearchMixin, admin.ModelAdmin):
    """Read only: the structures keep their lists on the portal."""

    list_display = ("__str__", "kind", "structure", "is_active", "created")
    list_filter = ("kind", "is_active", "structure__territory")
    list_select_related = ("structure",)
    search_fields = ("search_text", "structure__search_text")
    fields = (
        "structure",
        "kind",
        "guest_of",
        "civility",
        "last_name",
        "first_name",
        "address",
        "phone",
        "email",
        "is_active",
        "created_by",
        "created_on",
    )
    readonly_fields = fields
    created = date_display("created_at", _("Créé le"), short=True)
    created_on = date_display("created_at", _("Créé le"))


class InvitationCancelForm(ServiceModelForm):
    """ "Annuler l'invitation" from the back-office: a reason is required, the deadline does not
    apply; the booking's author is mailed the reason."""

    service_errors = (InvitationError,)
    staff_user = None  # set per request by InvitationAdmin.get_form

    class Meta:
        model = Invitation
        fields = ("cancel_reason",)
        help_texts = {
            "cancel_reason": _(
                "Enregistrer annule cette invitation (et celles de ses invités, ou les "
                "accompagnateurs restés sans participant), même après la date limite "
                "d'annulation. Le motif est envoyé par e-mail à l'auteur de la réservation."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "cancel_reason" in self.fields:  # absent once cancelled (read only)
            self.fields["cancel_reason"].required = True

    def perform(self, instance):
        invitation_cancel_by_staff(
            invitation=instance, reason=self.cleaned_data["cancel_reason"], by=self.staff_user
        )
        instance.refresh_from_db()
        return instance


@admin.register(Invitation)
class InvitationAdmin(AccentBlindSearchMixin, ServiceModelAdmin):
    """The portal's invitations, read only but for their cancellation with a reason."""

    form = InvitationCancelForm
    list_display = ("__str__", "role_display", "session", "structure", "state")
    list_select_related = ("reservation__session__activity", "structure", "guest_of")
    list_filter = ("reservation__status", "role", "structure__territory")
    search_fields = ("reservation__search_text", "structure__search_text")
    readonly_fields = (
        "number",
        "person",
        "role_display",
        "structure",
        "session",
        "state",
        "author",
    )
    fields = (*readonly_fields, "cancel_reason")

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.reservation.status not in LIVE_STATUSES:
            return self.fields  # cancelled or not served: its reason, if any, only shown
        return self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.staff_user = request.user  # a class made for this request (modelform_factory)
        return form

    def has_add_permission(self, request):
        return False  # the structures book on the portal

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Invitation n°"))
    def number(self, invitation):
        return invitation.number

    @admin.display(description=_("Personne"))
    def person(self, invitation):
        return str(invitation)

    @admin.display(description=_("Rôle"))
    def role_display(self, invitation):
        return invitation_role_text(invitation.reservation)

    @admin.display(description=_("Séance"))
    def session(self, invitation):
        return invitation.reservation.session

    @admin.display(description=_("État"))
    def state(self, invitation):
        return invitation_state_text(invitation.reservation)


@admin.register(SolidaritySettings)
class SolidaritySettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """One row (pk=1), made with its defaults on first use: the list leads straight to it."""

    fields = ("opening_days", "opening_time", "closing_hours", "weekly_quota", "last_call_hours")

    def has_add_permission(self, request):
        return False  # the row exists once read (solidarity_settings_get)

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            return super().changelist_view(request, extra_context)  # 403
        row = solidarity_settings_get()
        return redirect(reverse("admin:solidarity_solidaritysettings_change", args=[row.pk]))


@admin.register(VenueCategory)
class VenueCategoryAdmin(AuditedAdminMixin, AccentBlindSearchMixin, admin.ModelAdmin):
    search_fields = ("search_text",)


class VenueForm(ServiceModelForm):
    website = forms.URLField(
        label=_("Site internet"), required=False, max_length=200, assume_scheme="https"
    )

    class Meta:
        model = Venue
        fields = (
            "name",
            "category",
            "address",
            "city",
            "territory",
            "phone",
            "email",
            "website",
            "in_directory",
            "places",
        )

    def perform(self, instance):
        return venue_save(venue=instance, places=self.cleaned_data["places"])


@admin.register(Venue)
class VenueAdmin(AccentBlindSearchMixin, ServiceModelAdmin):
    """Cultural and sports partners ("coopérateurs culturels/sportifs") and their places."""

    form = VenueForm
    list_display = ("name", "category", "city", "territory", "in_directory")
    list_filter = ("territory", "category", "in_directory")
    list_select_related = ("category", "territory")
    search_fields = ("search_text",)
    autocomplete_fields = ("places",)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class EventDetailsForm(ServiceModelForm):
    class Meta:
        model = EventDetails
        fields = ("activity", "venue", "duration", "advised_age", "practical_info", "published_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("activity")
        if field is not None:
            # Activities without details yet (and this one's).
            free = field.queryset.filter(event_details__isnull=True)
            if self.instance.activity_id:
                free = free | field.queryset.filter(pk=self.instance.activity_id)
            field.queryset = free.select_related("location")
            field.help_text = _(
                "Une activité de la Billetterie solidaire (portail « Billetterie solidaire » "
                "dans les activités), dont la localisation est un des lieux de la structure "
                "culturelle."
            )

    def perform(self, instance):
        return event_details_save(details=instance)


@admin.register(EventDetails)
class EventDetailsAdmin(AccentBlindSearchMixin, ServiceModelAdmin, RichTextAdmin):
    """ "Événements": the details the solidarity catalogue adds to an activity of its channel
    (its sessions are edited with the sessions, from the link of each row)."""

    form = EventDetailsForm
    list_display = ("activity", "venue", "published", "sessions_link")
    list_filter = ("venue__territory", "venue")
    list_select_related = ("activity", "venue")
    search_fields = ("activity__search_text", "venue__search_text")
    autocomplete_fields = ("venue",)
    published = date_display("published_at", _("Mis en ligne le"), short=True)

    def get_queryset(self, request):
        channels = staff_channels(user=request.user) & {Channel.SOLIDARITY}
        return super().get_queryset(request).filter(activity__channel__in=channels)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "activity":
            channels = staff_channels(user=request.user) & {Channel.SOLIDARITY}
            kwargs["queryset"] = Activity.objects.filter(channel__in=channels)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("Sessions"))
    def sessions_link(self, details):
        url = reverse("admin:catalogue_session_changelist")
        return format_html(
            '<a href="{}?activity__id__exact={}">{}</a>', url, details.activity_id, _("Sessions")
        )
