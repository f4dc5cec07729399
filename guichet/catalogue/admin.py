from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from guichet.catalogue.models import (
    Activity,
    ActivityType,
    Audience,
    Category,
    Channel,
    Location,
)
from guichet.catalogue.selectors import staff_channels
from guichet.catalogue.services import activity_save
from guichet.core.admin import (
    AccentBlindSearchMixin,
    AuditedAdminMixin,
    RichTextAdmin,
    ServiceModelAdmin,
    truncated,
)
from guichet.core.forms import ServiceModelForm
from guichet.core.widgets import CoordinatesMapWidget


@admin.register(Category, Audience, ActivityType)
class NamedAdmin(AuditedAdminMixin, AccentBlindSearchMixin, admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["search_text"]


class LocationAdminForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = "__all__"  # noqa: DJ007 -- the ModelAdmin's fieldsets choose the fields
        widgets = {"longitude": CoordinatesMapWidget(latitude_field="latitude")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            # A new place is most likely near the others: open the map on the last one added.
            self.fields["longitude"].widget.default_center = (
                Location.objects.order_by("-pk").values_list("latitude", "longitude").first()
            )


@admin.register(Location)
class LocationAdmin(AuditedAdminMixin, AccentBlindSearchMixin, RichTextAdmin):
    form = LocationAdminForm
    list_display = ["name", "address"]
    search_fields = ["search_text"]  # name and address
    fieldsets = [
        (None, {"fields": ["name", "description", "address"]}),
        (
            _("Coordonnées"),
            {
                "fields": ["latitude", "longitude"],
                "description": _(
                    "Cliquez sur la carte pour placer le point, ou déplacez le marqueur : "
                    "la latitude et la longitude se remplissent. Elles peuvent aussi être saisies."
                ),
            },
        ),
        (None, {"fields": ["photo", "group_contact"]}),
    ]


class ActivityAdminForm(ServiceModelForm):
    class Meta:
        model = Activity
        fields = "__all__"  # noqa: DJ007 -- the ModelAdmin's form, every field shown

    def perform(self, instance):
        return activity_save(activity=instance)


def channel_list_filter(request, list_filter, field: str) -> tuple:
    """`list_filter`, with a filter by channel for staff who manage more than one."""
    if len(staff_channels(user=request.user)) > 1:
        return (*list_filter, field)
    return tuple(list_filter)


@admin.register(Activity)
class ActivityAdmin(AccentBlindSearchMixin, ServiceModelAdmin, RichTextAdmin):
    form = ActivityAdminForm
    list_display = [
        "name_display",
        "location",
        "audience",
        "category",  # the type is a filter: the list fits a 1280 px window
        "bookable_online",
        "booking_delay_display",
    ]
    list_filter = ["location", "audience", "activity_type", "category", "bookable_online"]
    list_display_links = ["name_display"]
    list_select_related = ["location", "audience", "activity_type", "category"]
    search_fields = ["search_text"]  # the name
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).filter(channel__in=staff_channels(user=request.user))

    def get_list_filter(self, request):
        return channel_list_filter(request, self.list_filter, "channel")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        field = form.base_fields.get("channel")  # none when the page is read only
        if field is None:
            return form
        channels = staff_channels(user=request.user)
        # Only the portals the user runs; a new activity is of their portal when they run one.
        field.choices = [choice for choice in Channel.choices if choice[0] in channels]
        if len(field.choices) == 1:
            field.initial = field.choices[0][0]
            field.disabled = True
        return form

    @admin.display(description=_("nom"), ordering="name")
    def name_display(self, activity: Activity):
        return truncated(activity.name)

    @admin.display(description=_("délai de réservation"), ordering="booking_delay")
    def booking_delay_display(self, activity: Activity) -> str:
        if not activity.booking_delay:
            return _("désactivé")
        now = timezone.now()
        return timesince(now - activity.booking_delay, now, depth=2)
