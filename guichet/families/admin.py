"""Back-office of the family portal, for superusers and the "Gestionnaire famille" group (whose
channel is `famille`): households and their guardians (invited by mail, or given a printed
"Lettre d'activation"), children and their groups, each activity's rules, the portal's settings,
booking periods ("Générer les séances"), the days removed while booked, the log of movements."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guichet.accounts.forms import FIRST_NAME_INVALID, LAST_NAME_INVALID
from guichet.accounts.services import account_profile
from guichet.catalogue.models import Channel
from guichet.catalogue.selectors import staff_channels
from guichet.core import dates
from guichet.core.admin import (
    AccentBlindSearchMixin,
    AuditedAdminMixin,
    NoWritesMixin,
    RichTextAdmin,
    ServiceModelAdmin,
    date_display,
)
from guichet.core.db import ServiceBusy, with_retry
from guichet.core.forms import PersonNameField, ServiceModelForm
from guichet.core.phones import PhoneNumberFormField
from guichet.families.models import (
    WEEKDAY_CHOICES,
    ActivityRules,
    BookingPeriod,
    Child,
    ChildGroup,
    FamilySettings,
    Guardian,
    Household,
    PeriodDayChange,
    ReservationChange,
    SessionDay,
)
from guichet.families.selectors import family_settings_get
from guichet.families.services import (
    FamilyError,
    activation_letter_make,
    guardian_create,
    guardian_invitation_send,
    guardian_update,
    period_generate_sessions,
)


class FamilyStaffMixin:
    """Pages for the staff of the `famille` channel only (and superusers), on top of the
    group's model permissions."""

    def _family_staff(self, request) -> bool:
        return Channel.FAMILY in staff_channels(user=request.user)

    def has_module_permission(self, request):
        return self._family_staff(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._family_staff(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self._family_staff(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._family_staff(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._family_staff(request) and super().has_delete_permission(request, obj)


class GuardianInline(FamilyStaffMixin, admin.TabularInline):
    """Read only: a guardian is an account, made and changed on its own page."""

    model = Guardian
    fields = ("user", "receives_digest")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ChildInline(FamilyStaffMixin, admin.TabularInline):
    model = Child
    fields = ("first_name", "last_name", "birth_date", "group", "is_active")
    extra = 0
    can_delete = False


@admin.register(Household)
class HouseholdAdmin(FamilyStaffMixin, AuditedAdminMixin, AccentBlindSearchMixin, admin.ModelAdmin):
    list_display = ("number", "name", "guardians_count", "children_count")
    search_fields = ("search_text",)
    fields = ("number", "name", "address", "notes")
    inlines = (GuardianInline, ChildInline)

    def has_delete_permission(self, request, obj=None):
        return False  # its bookings keep their household

    @admin.display(description=_("Responsables"))
    def guardians_count(self, household):
        return household.guardians.count()

    @admin.display(description=_("Enfants"))
    def children_count(self, household):
        return household.children.count()


class GuardianForm(ServiceModelForm):
    """A guardian's account: created without a password, invited by mail when it has an
    address; its address is changed here only while it has never chosen a password."""

    first_name = PersonNameField(label=_("Prénom"), invalid=FIRST_NAME_INVALID)
    last_name = PersonNameField(label=_("Nom"), invalid=LAST_NAME_INVALID)
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        max_length=254,
        required=False,
        help_text=_("Vide : imprimez sa lettre d'activation (action de la liste)."),
    )
    phone = PhoneNumberFormField(label=_("Téléphone"), required=False, max_length=30)
    service_errors = (FamilyError,)

    class Meta:
        model = Guardian
        fields = ("household", "receives_digest")

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
                    "Son titulaire la change depuis « Profil » sur le portail."
                )

    def perform(self, instance):
        data = self.cleaned_data
        person = {
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "phone": data.get("phone") or "",
            "receives_digest": data["receives_digest"],
        }
        if instance.pk is None:
            return guardian_create(
                household=data["household"], email=data.get("email") or "", **person
            )
        email = None if self.fields["email"].disabled else (data.get("email") or "")
        return guardian_update(guardian=instance, email=email, **person)


@admin.register(Guardian)
class GuardianAdmin(FamilyStaffMixin, ServiceModelAdmin):
    form = GuardianForm
    fields = ("household", "first_name", "last_name", "email", "phone", "receives_digest")
    list_display = ("__str__", "identifier", "email", "household", "receives_digest", "state")
    list_filter = ("receives_digest", "user__is_active")
    list_select_related = ("user", "household")
    search_fields = ("user__profile__search_text", "household__search_text", "user__username")
    autocomplete_fields = ("household",)
    actions = ("invite", "activation_letter")

    def get_readonly_fields(self, request, obj=None):
        return ("household",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Identifiant"), ordering="user__username")
    def identifier(self, guardian):
        return guardian.user.username

    @admin.display(description=_("E-mail"), ordering="user__email")
    def email(self, guardian):
        return guardian.user.email

    @admin.display(description=_("Compte"))
    def state(self, guardian):
        user = guardian.user
        if not user.is_active:
            return _("Désactivé")
        if user.has_usable_password():
            return _("Actif")
        return _("Invitation envoyée") if user.email else _("Lettre d'activation à remettre")

    @admin.action(description=_("Envoyer une invitation"))
    def invite(self, request, queryset):
        sent, skipped = 0, []
        for guardian in queryset.select_related("user"):
            user = guardian.user
            if user.is_active and user.email and not user.has_usable_password():
                guardian_invitation_send(guardian=guardian)
                sent += 1
            else:
                skipped.append(str(guardian))
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
                    "Pas d'invitation pour %(names)s : compte désactivé, sans adresse e-mail "
                    "(imprimez sa lettre) ou mot de passe déjà choisi."
                )
                % {"names": ", ".join(skipped)},
                messages.WARNING,
            )

    @admin.action(description=_("Imprimer la lettre d'activation"))
    def activation_letter(self, request, queryset):
        guardians = list(queryset.select_related("user", "household")[:2])
        if len(guardians) != 1:
            self.message_user(
                request, _("Choisissez un seul responsable par lettre."), messages.ERROR
            )
            return None
        guardian = guardians[0]
        try:
            pdf = activation_letter_make(guardian=guardian, now=timezone.now())
        except FamilyError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        response = HttpResponse(pdf, content_type="application/pdf")
        name = slugify(f"lettre-activation-{guardian.user.username}") or "lettre-activation"
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        response["Cache-Control"] = "no-store"
        return response


@admin.register(ChildGroup)
class ChildGroupAdmin(FamilyStaffMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "position")


@admin.register(Child)
class ChildAdmin(FamilyStaffMixin, AuditedAdminMixin, AccentBlindSearchMixin, admin.ModelAdmin):
    list_display = ("__str__", "household", "birth_day", "group", "is_active")
    list_filter = ("group", "is_active")
    list_select_related = ("household", "group")
    search_fields = ("search_text", "household__search_text")
    autocomplete_fields = ("household",)
    fields = ("household", "first_name", "last_name", "birth_date", "group", "is_active")

    def has_delete_permission(self, request, obj=None):
        return False  # its bookings keep their holder; "actif" unchecked instead

    @admin.display(description=_("Date de naissance"), ordering="birth_date")
    def birth_day(self, child):
        return dates.day_numeric(child.birth_date)


@admin.register(ActivityRules)
class ActivityRulesAdmin(FamilyStaffMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("activity", "acceptance", "age_min", "age_max", "waiting_limit")
    list_select_related = ("activity",)
    filter_horizontal = ("groups",)
    fieldsets = [
        (None, {"fields": ["activity", "acceptance", "age_min", "age_max", "groups"]}),
        (_("Horaires"), {"fields": ["starts_at", "ends_at"]}),
        (
            _("Arrivée et départ (par pas de 15 minutes)"),
            {"fields": ["arrival_from", "arrival_until", "departure_from", "departure_until"]},
        ),
        (
            _("Délais et liste d'attente"),
            {
                "fields": [
                    "booking_kind",
                    "booking_count",
                    "booking_at",
                    "cancel_kind",
                    "cancel_count",
                    "cancel_at",
                    "waiting_limit",
                ]
            },
        ),
    ]


@admin.register(FamilySettings)
class FamilySettingsAdmin(FamilyStaffMixin, AuditedAdminMixin, RichTextAdmin):
    fields = ("school_zone", "holiday_subdivision", "digest_time", "notice_hours", "home_notice")

    def has_add_permission(self, request):
        return False  # one row, made on first use (without a query in every page's sidebar)

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        settings_row = family_settings_get()
        return redirect(reverse("admin:families_familysettings_change", args=[settings_row.pk]))

    def save_model(self, request, obj, form, change):
        from django.core.cache import cache

        from guichet.families.selectors import SETTINGS_CACHE_KEY

        super().save_model(request, obj, form, change)
        cache.delete(SETTINGS_CACHE_KEY)


class PeriodDayChangeInline(FamilyStaffMixin, admin.TabularInline):
    model = PeriodDayChange
    fields = ("day", "is_open", "reason")
    extra = 1


class BookingPeriodForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Jours de la semaine"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = BookingPeriod
        fields = (
            "name",
            "activities",
            "first_day",
            "last_day",
            "weekdays",
            "days",
            "opens_at",
            "closes_at",
            "seat_limit",
            "waiting_limit",
            "price",
        )


@admin.register(BookingPeriod)
class BookingPeriodAdmin(
    FamilyStaffMixin, AuditedAdminMixin, AccentBlindSearchMixin, admin.ModelAdmin
):
    form = BookingPeriodForm
    list_display = ("name", "first", "last", "days", "seat_limit", "generated")
    search_fields = ("search_text",)
    filter_horizontal = ("activities",)
    inlines = (PeriodDayChangeInline,)
    actions = ("generate",)
    fields = (
        "name",
        "activities",
        "first_day",
        "last_day",
        "weekdays",
        "days",
        "opens_at",
        "closes_at",
        "seat_limit",
        "waiting_limit",
        "price",
    )
    generated = date_display("generated_at", _("Séances générées le"), short=True)

    @admin.display(description=_("Premier jour"), ordering="first_day")
    def first(self, period):
        return dates.day_numeric(period.first_day)

    @admin.display(description=_("Dernier jour"), ordering="last_day")
    def last(self, period):
        return dates.day_numeric(period.last_day)

    @admin.action(description=_("Générer les séances"))
    def generate(self, request, queryset):
        for period in queryset.order_by("first_day", "pk"):
            try:
                report = with_retry(period_generate_sessions, period=period, now=timezone.now())
            except ServiceBusy as busy:
                self.message_user(request, str(busy), messages.ERROR)
                continue
            self.message_user(
                request,
                _(
                    "%(period)s : %(created)d séances créées, %(updated)d modifiées, "
                    "%(deleted)d supprimées."
                )
                % {
                    "period": period,
                    "created": len(report.created),
                    "updated": len(report.updated),
                    "deleted": len(report.deleted),
                },
                messages.SUCCESS,
            )
            if report.kept_booked:
                self.message_user(
                    request,
                    _(
                        "Jours retirés mais déjà réservés, gardés (voir « Jours d'activité ») : "
                        "%(days)s"
                    )
                    % {"days": ", ".join(str(session) for session in report.kept_booked)},
                    messages.WARNING,
                )
            if report.skipped:
                self.message_user(
                    request,
                    _("Jours non générés (délai avant l'ouverture, ou autre période) : %(days)s")
                    % {
                        "days": ", ".join(
                            f"{activity} – {dates.day_short(day)}"
                            for activity, day in report.skipped[:30]
                        )
                    },
                    messages.WARNING,
                )
            for session, reason in report.refused:
                self.message_user(request, f"{session} : {reason}", messages.ERROR)


@admin.register(SessionDay)
class SessionDayAdmin(FamilyStaffMixin, NoWritesMixin, admin.ModelAdmin):
    """The generated days; filtered on "retiré", the booked days a period no longer has."""

    list_display = ("__str__", "period", "removed")
    list_filter = (("removed_at", admin.EmptyFieldListFilter), "activity")
    list_select_related = ("activity", "period")
    removed = date_display("removed_at", _("Retiré le"), short=True)


@admin.register(ReservationChange)
class ReservationChangeAdmin(FamilyStaffMixin, NoWritesMixin, admin.ModelAdmin):
    list_display = ("when", "household", "child", "session", "kind", "origin", "reason")
    list_filter = ("kind", "origin")
    list_select_related = ("household", "child", "session__activity")
    search_fields = ("household__search_text", "child__search_text")
    when = date_display("at", _("Le"), short=True)
