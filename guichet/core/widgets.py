from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminSplitDateTime
from django.templatetags.static import static

# Where the map opens when no coordinates are known yet: all of metropolitan France.
FRANCE_CENTER = (Decimal("46.6"), Decimal("2.4"))
FRANCE_ZOOM = 5


class CoordinatesMapWidget(forms.NumberInput):
    """The longitude input followed by a map (Leaflet) on which a click or a marker drag fills
    both the latitude and the longitude inputs, and which follows what is typed in them.

    The inputs stay ordinary inputs: the map is hidden until its script has loaded Leaflet, so
    the coordinates can always be typed by hand. `latitude_field` names the form field holding
    the latitude; `default_center` is where the map opens when the inputs are empty.
    """

    template_name = "core/widgets/coordinates_map.html"

    def __init__(self, *, latitude_field: str = "latitude", default_center=None, attrs=None):
        super().__init__(attrs)
        self.latitude_field = latitude_field
        self.default_center = default_center

    class Media:
        css = {"all": ["vendor/leaflet/leaflet.css", "core/coordinates_map.css"]}
        js = ["vendor/leaflet/leaflet.js", "core/coordinates_map.js"]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        longitude_id = context["widget"]["attrs"]["id"]
        # The latitude input carries the same form prefix as this one.
        longitude_field = name.rsplit("-", 1)[-1]
        latitude_id = longitude_id.removesuffix(longitude_field) + self.latitude_field
        center_lat, center_lng = self.default_center or FRANCE_CENTER
        context["map"] = {
            "latitude_input": latitude_id,
            "longitude_input": longitude_id,
            "tile_url": settings.MAP_TILE_URL,
            "attribution": settings.MAP_TILE_ATTRIBUTION,
            "center": f"{center_lat},{center_lng}",
            "zoom": 13 if self.default_center else FRANCE_ZOOM,
            # Leaflet finds its marker images next to its CSS, which hashed static names break.
            "icon": static("vendor/leaflet/images/marker-icon.png"),
            "icon_retina": static("vendor/leaflet/images/marker-icon-2x.png"),
            "shadow": static("vendor/leaflet/images/marker-shadow.png"),
        }
        return context


class EuroInput(forms.TextInput):
    """A localised amount ("5,50") followed by the euro sign."""

    template_name = "core/widgets/euro.html"

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "size": 8} | (attrs or {}))


class SplitDateTimeWithoutSeconds(AdminSplitDateTime):
    """The admin's date and time inputs, the time written "10:00" rather than "10:00:00"
    (the inputs still accept seconds)."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.widgets[1].format = "%H:%M"
