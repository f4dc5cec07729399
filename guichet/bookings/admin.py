"""Admin for sessions and reservations: every write that moves seats goes through
guichet.bookings.services, called from the forms (guichet.bookings.forms) or per row in actions."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guichet.bookings.channels import policy_for
from guichet.bookings.exports import (
    reservations_csv,
    reservations_xlsx,
    session_reception_pdf,
    session_reception_xlsx,
)
from guichet.bookings.forms import (
    ReservationAddForm,
    ReservationChangeForm,
    SessionAdminForm,
    SessionCopyForm,
)
from guichet.bookings.models import Reservation
from guichet.bookings.selectors import local_midnight, session_list_for_staff
from guichet.bookings.services import reservations_cancel
from guichet.catalogue.admin import channel_list_filter
from guichet.catalogue.models import Activity, Channel, Session, SessionStatus
from guichet.catalogue.selectors import staff_channels
from guichet.catalogue.services import session_copy
from guichet.core.admin import (
    AccentBlindSearchMixin,
    ServiceModelAdmin,
    date_display,
    truncated,
    truncated_text,
)
from guichet.core.db import ServiceBusy, with_retry
from guichet.core.money import amount
from guichet.core.phones import phone_national, phone_to_e164
from guichet.core.references import reference_parse
from guichet.core.widgets import EuroInput, SplitDateTimeWithoutSeconds
from guichet.notifications.admin_mixins import SessionChangeConfirmMixin

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_FORMATS = {
    "csv": (reservations_csv, "text/csv; charset=utf-8"),
    "xlsx": (reservations_xlsx, XLSX_CONTENT_TYPE),
}


def _download(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    return HttpResponse(
        content,
        content_type=content_type,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


def _export_response(reservations, fmt: str) -> HttpResponse:
    export, content_type = EXPORT_FORMATS[fmt]
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    return _download(
        export(reservations=reservations),
        filename=f"reservations-{stamp}.{fmt}",
        content_type=content_type,
    )


# The reception sheet ("Liste d'accueil"): a PDF to print, or a spreadsheet.
RECEPTION_FORMATS = {
    "pdf": (session_reception_pdf, "application/pdf"),
    "xlsx": (session_reception_xlsx, XLSX_CONTENT_TYPE),
}


def _reception_response(session: Session, fmt: str) -> HttpResponse:
    export, content_type = RECEPTION_FORMATS[fmt]
    day = timezone.localtime(session.starts_at).strftime("%Y-%m-%d-%H%M")
    return _download(
        export(session=session),
        filename=f"accueil-{session.activity.slug}-{day}.{fmt}",
        content_type=content_type,
    )


class SessionDateFilter(admin.SimpleListFilter):
    """By the session's effective start, in local days; `default` is the choice of a list
    opened without one ("Toutes" then shows every session)."""

    title = _("date")
    parameter_name = "quand"
    date_field = "effective_start"
    default = "future"
    EVERY = "all"

    def lookups(self, request, model_admin):
        return [
            ("today", _("Aujourd'hui")),
            ("week", _("7 prochains jours")),
            ("future", _("À venir")),
            ("past", _("Passées")),
        ]

    def value(self):
        return super().value() or self.default

    def choices(self, changelist):
        every = self.value() in (None, self.EVERY)
        yield {
            "selected": every,
            "query_string": changelist.get_query_string(
                {self.parameter_name: self.EVERY} if self.default else {},
                [] if self.default else [self.parameter_name],
            ),
            "display": _("Toutes"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        now = timezone.now()
        today = timezone.localdate(now)
        ranges = {
            "today": (local_midnight(today), local_midnight(today + timedelta(days=1))),
            "week": (local_midnight(today), local_midnight(today + timedelta(days=8))),
            "future": (now, None),
            "past": (None, now),
        }
        if self.value() not in ranges:
            return queryset
        start, end = ranges[self.value()]
        if start is not None:
            queryset = queryset.filter(**{f"{self.date_field}__gte": start})
        if end is not None:
            queryset = queryset.filter(**{f"{self.date_field}__lt": end})
        return queryset


class ReservationSessionDateFilter(SessionDateFilter):
    title = _("date de la session")
    date_field = "session__effective_start"
    default = None


STATUS_HELP = _(
    "Report : indiquez la nouvelle date/heure de début (la nouvelle fin est facultative) ; "
    "les réservations restent valides. Annulation : seul le statut est obligatoire, "
    "aucune nouvelle date ; toutes les réservations valides de la session sont annulées. "
    "Le motif est communiqué aux personnes."
)


WINDOW_HELP = _(
    "Ouverture vide : réservable dès maintenant. Clôture vide : jusqu'au délai de réservation "
    "de l'activité avant le début. Annulation vide : possible jusqu'à la clôture. Un report "
    "décale ces dates avec la session, sauf si vous les modifiez en même temps."
)


def session_label_short(session: Session) -> str:
    """'Visite du parc… (lun. 7 déc. 2026, 10 h)': a session named in a list row."""
    return f"{truncated_text(session.activity.name)} ({session.dates_display})"


@admin.register(Session)
class SessionAdmin(AccentBlindSearchMixin, SessionChangeConfirmMixin, ServiceModelAdmin):
    form = SessionAdminForm
    list_display = ("when", "activity_name", "status", "booked", "left", "price_display")
    list_display_links = ("when", "activity_name")
    list_select_related = ("activity",)
    list_filter = (
        SessionDateFilter,
        "status",
        ("activity", admin.RelatedOnlyFieldListFilter),  # the user's channels' only
        "activity__location",
    )
    date_hierarchy = "start"
    search_fields = ("activity__search_text",)
    empty_value_display = "—"
    readonly_fields = ("seats_taken", "waiting_count")
    fieldsets = (
        (None, {"fields": ("activity", "start", "end", "seat_limit", "seats_taken", "price")}),
        (
            _("Statut"),
            {"fields": ("status", "reason", "new_start", "new_end"), "description": STATUS_HELP},
        ),
        (
            _("Réservations et liste d'attente"),
            {
                "fields": (
                    "opens_at",
                    "closes_at",
                    "cancel_until",
                    "waiting_limit",
                    "waiting_count",
                ),
                "description": WINDOW_HELP,
            },
        ),
    )
    actions = ("copy_to_dates", "reception_list")
    formfield_overrides = {
        models.DateTimeField: {"widget": SplitDateTimeWithoutSeconds},
        # "5,50" as French staff type it, in every form this admin builds (the confirmation
        # step's too: with a form of its own it would refuse "5,50" and skip the confirmation).
        models.DecimalField: {"localize": True, "widget": EuroInput},
    }
    change_form_template = "admin/bookings/session/change_form.html"

    class Media:
        js = ["bookings/session_status.js"]

    @admin.display(description=_("Date"), ordering="effective_start")
    def when(self, session):
        return session.dates_display

    @admin.display(description=_("Activité"), ordering="activity__name")
    def activity_name(self, session):
        return truncated(session.activity.name)

    @admin.display(description=_("Prix"), ordering="price")
    def price_display(self, session):
        return amount(session.price)

    @admin.display(description=_("Réservées / limite"), ordering="seats_taken")
    def booked(self, session):
        url = reverse("admin:bookings_reservation_changelist")
        limit = "∞" if session.is_unlimited else session.seat_limit
        return format_html(
            '<a href="{}?session__id__exact={}">{}</a> / {}',
            url,
            session.pk,
            session.seats_taken,
            limit,
        )

    @admin.display(description=_("Restantes"))
    def left(self, session):
        return _("illimité") if session.is_unlimited else session.seats_left

    def get_queryset(self, request):
        return session_list_for_staff(user=request.user).select_related("activity")

    def get_list_filter(self, request):
        return channel_list_filter(request, self.list_filter, "activity__channel")

    def get_search_results(self, request, queryset, search_term):
        if (
            request.GET.get("model_name") == "reservation"
            and request.GET.get("field_name") == "session"
        ):
            # The reservation form's session picker: a cancelled session cannot be booked, and
            # the portals book through their own pages.
            queryset = queryset.filter(activity__channel=Channel.PARKS).exclude(
                status=SessionStatus.CANCELLED
            )
        return super().get_search_results(request, queryset, search_term)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "activity":
            kwargs["queryset"] = Activity.objects.filter(
                channel__in=staff_channels(user=request.user)
            )
            kwargs["error_messages"] = {
                "invalid_choice": _("Choisissez une activité d'un portail que vous gérez.")
            }
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # "Fin" as staff say it (the model's "fini le" reads as a past event); a page read only
        # has no fields.
        for name, label in (("start", _("Début")), ("end", _("Fin"))):
            if name in form.base_fields:
                form.base_fields[name].label = label
        return form

    def has_view_reservations_permission(self, request):
        return request.user.has_perm("bookings.view_reservation")

    def get_urls(self):
        reception = path(
            "<path:object_id>/accueil/<str:fmt>/",
            self.admin_site.admin_view(self.reception_view),
            name="catalogue_session_reception",
        )
        return [reception, *super().get_urls()]

    def reception_view(self, request, object_id, fmt):
        """The reception sheet of one session, as a PDF to print or a spreadsheet."""
        if fmt not in RECEPTION_FORMATS:
            raise Http404
        session = self.get_object(request, unquote(object_id))
        if session is None:
            raise Http404
        if not self.has_view_reservations_permission(request):
            raise PermissionDenied
        return _reception_response(session, fmt)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        # The session's reservations, to read (each is changed on its own page, through the
        # booking services): a table, not an inline, so the form posts no row of them.
        shown = obj is not None and self.has_view_reservations_permission(request)
        context["show_reception"] = shown
        context["session_reservations"] = (
            [
                {
                    "reservation": reservation,
                    "url": reverse("admin:bookings_reservation_change", args=[reservation.pk]),
                    "phone": phone_national(reservation.phone),
                }
                for reservation in obj.reservations.order_by("last_name", "first_name", "pk")
            ]
            if shown
            else None
        )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    @admin.action(description=_("Copier vers d'autres dates"), permissions=["add"])
    def copy_to_dates(self, request, queryset):
        queryset = queryset.select_related("activity")
        # The page posts back here; "copy" tells its submission from the changelist's.
        form = SessionCopyForm(request.POST if "copy" in request.POST else None)
        if form.is_valid():
            try:
                created = with_retry(_sessions_copy, sessions=queryset, form=form)
            except ValidationError as exc:  # a copy past the last year sessions may take
                form.add_error(None, list(dict.fromkeys(exc.messages)))  # start and end: once
            except ServiceBusy as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
        if form.is_valid():
            self.message_user(
                request,
                ngettext("%(count)d session créée.", "%(count)d sessions créées.", created)
                % {"count": created},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Copier vers d'autres dates"),
            "opts": self.opts,
            "queryset": queryset,
            "form": form,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/bookings/session_copy.html", context)

    @admin.action(description=_("Liste d'accueil (XLSX)"), permissions=["view_reservations"])
    def reception_list(self, request, queryset):
        sessions = list(queryset.select_related("activity")[:2])
        if len(sessions) != 1:
            self.message_user(
                request,
                _("Choisissez une seule session pour sa liste d'accueil."),
                messages.WARNING,
            )
            return None
        return _reception_response(sessions[0], "xlsx")


@transaction.atomic
def _sessions_copy(*, sessions, form: SessionCopyForm) -> int:
    """Every copy of every session, or none (the action's one transaction)."""
    return sum(len(session_copy(session=s, starts=form.starts_for(s))) for s in sessions)


PERSON_FIELDSET = (_("Personne"), {"fields": ("first_name", "last_name", "email", "phone", "city")})
# A portal's reservation, read only here: who it is for and where it stands in its booking.
PORTAL_FIELDSET = (
    _("Portail"),
    {"fields": ("channel", "group", "holder_key", "waiting_rank", "waiting_reason")},
)


@admin.register(Reservation)
class ReservationAdmin(AccentBlindSearchMixin, ServiceModelAdmin):
    form = ReservationChangeForm
    add_form = ReservationAddForm
    list_display = (
        "person",
        "quantity_display",
        "status",
        "session_short",
        "phone_number",
        "reference",
    )
    list_display_links = ("person",)
    list_select_related = ("session__activity",)
    list_filter = (
        "status",
        ReservationSessionDateFilter,
        ("session__activity", admin.RelatedOnlyFieldListFilter),  # the user's channels' only
        "session__activity__location",
    )
    search_fields = ("search_text",)  # names, e-mail and city; the phone and token below
    autocomplete_fields = ("session",)
    readonly_fields = ("reference", "link", "created", "cancelled")
    actions = ("cancel_selected", "export_csv", "export_xlsx")

    created = date_display("created_at", _("Créée le"))
    cancelled = date_display("cancelled_at", _("Annulée le"))

    @admin.display(description=_("Nom"), ordering="last_name")
    def person(self, reservation):
        return f"{reservation.last_name} {reservation.first_name}"

    @admin.display(description=_("Places"), ordering="quantity")
    def quantity_display(self, reservation):
        return reservation.quantity

    @admin.display(description=_("Session"), ordering="session__effective_start")
    def session_short(self, reservation):
        return session_label_short(reservation.session)

    @admin.display(description=_("Téléphone"), ordering="phone")
    def phone_number(self, reservation):
        return phone_national(reservation.phone)

    @admin.display(description=_("Lien de la réservation"))
    def link(self, reservation):
        """The page the person reaches from their mails, to open it as they see it."""
        url = reverse("public:reservation_detail", args=[reservation.token])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            url,
            _("Ouvrir la page de la réservation"),
        )

    def get_queryset(self, request):
        return super().get_queryset(request).filter(channel__in=staff_channels(user=request.user))

    def get_list_filter(self, request):
        return channel_list_filter(request, self.list_filter, "channel")

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ("session", "quantity")}), PERSON_FIELDSET]
        if obj.channel != Channel.PARKS:
            # No public page; the names only, kept current by the portal.
            return [
                (None, {"fields": ("session", "status", "quantity")}),
                (_("Personne"), {"fields": ("first_name", "last_name")}),
                PORTAL_FIELDSET,
                (_("Suivi"), {"fields": ("reference", "created", "cancelled")}),
            ]
        return [
            (None, {"fields": ("session", "status", "quantity")}),
            PERSON_FIELDSET,
            (_("Suivi"), {"fields": ("reference", "link", "created", "cancelled")}),
        ]

    def has_change_permission(self, request, obj=None):
        # These forms are the parks': a portal's reservation is read here and changed or
        # cancelled through its portal's own pages.
        if obj is not None and obj.channel != Channel.PARKS:
            return False
        return super().has_change_permission(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        elif not self.has_change_permission(request, obj):
            kwargs["form"] = forms.ModelForm  # shown read only: no service to call
        return super().get_form(request, obj, **kwargs)

    def has_delete_permission(self, request, obj=None):
        # A reservation is cancelled, never deleted: its history and seat count must stay.
        return False

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if not search_term.strip():
            return results, may_have_duplicates
        exact = Q(token=search_term.strip())
        # A reference read over the phone ("7k3m-q9zo"), found as stored ("7K3MQ9Z0").
        reference = reference_parse(search_term)
        if reference is not None:
            exact |= Q(reference=reference)
        try:
            # Phones are stored as +33612345678: also find one typed as 06 12 34 56 78.
            exact |= Q(phone=phone_to_e164(search_term))
        except ValidationError:
            pass
        return results | queryset.filter(exact), may_have_duplicates

    def get_urls(self):
        export = path(
            "export/<str:fmt>/",
            self.admin_site.admin_view(self.export_view),
            name="bookings_reservation_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request, fmt):
        """Everything the changelist shows with its current filters and search, in one file."""
        if fmt not in EXPORT_FORMATS:
            raise Http404
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(
                f"{reverse('admin:bookings_reservation_changelist')}?{ERROR_FLAG}=1"
            )
        return _export_response(changelist.get_queryset(request), fmt)

    @admin.action(description=_("Annuler les réservations sélectionnées"), permissions=["change"])
    def cancel_selected(self, request, queryset):
        # One service call for the selection: each session gives its seats back once, to its
        # waiting list first (never queryset.update()). A portal whose cancellation does more
        # (its cascade, mails, journal) has its staff cancel on its own pages: a selection with
        # one of its lines cancels nothing and says where to go.
        selected = list(queryset.select_related("session__activity"))  # named in the log
        elsewhere = dict.fromkeys(
            str(policy_for(reservation.channel).staff_cancel_elsewhere) for reservation in selected
        )
        elsewhere.pop("", None)
        if elsewhere:
            self.message_user(
                request,
                " ".join([str(_("Aucune réservation n'a été annulée.")), *elsewhere]),
                messages.ERROR,
            )
            return
        try:
            cancelled = with_retry(reservations_cancel, reservations=selected)
        except ServiceBusy as exc:
            self.message_user(
                request,
                _("Aucune réservation n'a été annulée. %(busy)s") % {"busy": exc},
                messages.ERROR,
            )
            return
        done = {reservation.pk for reservation in cancelled}
        for reservation in selected:
            if reservation.pk in done:
                self.log_change(
                    request, reservation, str(_("Annulée depuis la liste des réservations."))
                )
        self.message_user(
            request,
            ngettext(
                "%(count)d réservation annulée.", "%(count)d réservations annulées.", len(done)
            )
            % {"count": len(done)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Exporter la sélection (CSV)"), permissions=["view"])
    def export_csv(self, request, queryset):
        return _export_response(queryset, "csv")

    @admin.action(description=_("Exporter la sélection (XLSX)"), permissions=["view"])
    def export_xlsx(self, request, queryset):
        return _export_response(queryset, "xlsx")
