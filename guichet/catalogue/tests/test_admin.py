"""Catalogue admin: the location form and its map, rich-text sanitising, activity slugs."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import IntegrityError
from django.urls import reverse

from guichet.catalogue.admin import ActivityAdmin
from guichet.catalogue.models import Activity, Location
from guichet.catalogue.tests.factories import ActivityFactory, LocationFactory

pytestmark = pytest.mark.django_db

LOCATION_ADD = reverse("admin:catalogue_location_add")
ACTIVITY_ADD = reverse("admin:catalogue_activity_add")
UNSAFE_HTML = '<p onclick="alert(1)">Bienvenue</p><script>alert(2)</script>'


def location_post(**changes) -> dict:
    return {
        "name": "Jardin des Essais",
        "description": "<p>Un jardin.</p>",
        "address": "2 rue des Exemples\n59000 Exempleville",
        "latitude": "50.724501",
        "longitude": "3.161234",
        "group_contact": "",
    } | changes


def activity_post(location, **changes) -> dict:
    return {
        "channel": "parcs",
        "location": location.pk,
        "name": "Visite des serres",
        "slug": "",
        "description": "<p>Une visite.</p>",
        "audience": "",
        "activity_type": "",
        "category": "",
        "bookable_online": "on",
        "booking_delay": "00:00:00",
        "max_places_per_booking": "8",
    } | changes


def test_location_saves_typed_coordinates(admin_client):
    response = admin_client.post(LOCATION_ADD, location_post())

    assert response.status_code == 302
    location = Location.objects.get()
    assert (location.latitude, location.longitude) == (Decimal("50.724501"), Decimal("3.161234"))


def test_location_latitude_out_of_range_is_a_form_error(admin_client):
    response = admin_client.post(LOCATION_ADD, location_post(latitude="95"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["latitude"] == ["La latitude est comprise entre -90 et 90."]
    assert not Location.objects.exists()


def test_location_description_is_sanitised(admin_client):
    admin_client.post(LOCATION_ADD, location_post(description=UNSAFE_HTML))

    assert Location.objects.get().description == "<p>Bienvenue</p>"


def test_location_form_has_the_map_and_the_editor_under_the_csp(admin_client):
    location = LocationFactory()

    response = admin_client.get(reverse("admin:catalogue_location_change", args=[location.pk]))

    html = response.text
    assert 'class="coordinates-map" hidden' in html
    assert 'data-latitude-input="id_latitude"' in html
    assert 'data-longitude-input="id_longitude"' in html
    assert f'data-tile-url="{settings.MAP_TILE_URL}"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/core/coordinates_map.js" in html
    assert "data-django-prose-editor-configurable" in html
    # The only inline script is the editor's import map, allowed by the request's nonce.
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert inline_scripts == [f' type="importmap" nonce="{nonce}"']


def test_new_location_map_opens_on_the_last_location(admin_client):
    LocationFactory(latitude=Decimal("50.700000"), longitude=Decimal("3.100000"))

    response = admin_client.get(LOCATION_ADD)

    assert 'data-center="50.700000,3.100000"' in response.text


def test_activity_without_slug_gets_a_unique_one(admin_client):
    location = LocationFactory()

    first = admin_client.post(ACTIVITY_ADD, activity_post(location))
    second = admin_client.post(ACTIVITY_ADD, activity_post(location))

    assert (first.status_code, second.status_code) == (302, 302)
    slugs = sorted(Activity.objects.values_list("slug", flat=True))
    assert slugs == ["visite-des-serres", "visite-des-serres-2"]


def test_activity_change_keeps_its_slug_and_saves(admin_client):
    activity = ActivityFactory(slug="visite-historique")

    response = admin_client.post(
        reverse("admin:catalogue_activity_change", args=[activity.pk]),
        activity_post(activity.location, name="Nouveau nom", slug=activity.slug),
    )

    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.name, activity.slug) == ("Nouveau nom", "visite-historique")


def test_activity_description_is_sanitised(admin_client):
    admin_client.post(ACTIVITY_ADD, activity_post(LocationFactory(), description=UNSAFE_HTML))

    assert Activity.objects.get().description == "<p>Bienvenue</p>"


def test_activity_negative_delay_is_a_form_error(admin_client):
    data = activity_post(LocationFactory(), booking_delay="-1 00:00:00")

    response = admin_client.post(ACTIVITY_ADD, data)

    assert response.context["adminform"].form.errors["booking_delay"] == [
        "Le délai de réservation ne peut pas être négatif."
    ]
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("delay", "shown"),
    [
        (timedelta(0), "désactivé"),
        (timedelta(days=1), "1\xa0jour"),
        (timedelta(days=2, hours=3), "2\xa0jours, 3\xa0heures"),
    ],
)
def test_activity_list_shows_the_booking_delay_in_words(delay, shown):
    assert ActivityAdmin.booking_delay_display(None, Activity(booking_delay=delay)) == shown


def test_activity_list_renders_with_filters(admin_client):
    ActivityFactory(name="Atelier nichoirs", booking_delay=timedelta(days=1))

    response = admin_client.get(reverse("admin:catalogue_activity_changelist"), {"q": "nichoirs"})

    assert response.status_code == 200
    assert "Atelier nichoirs" in response.text
    assert "1\xa0jour" in response.text


@pytest.mark.browser
def test_location_map_fills_the_coordinates(live_server, browser_page, admin_user):
    location = LocationFactory()
    page = browser_page
    blocked = []
    page.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))
    page.on("pageerror", lambda error: blocked.append(str(error)))
    page.goto(f"{live_server.url}{reverse('admin:login')}")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}{reverse('admin:catalogue_location_change', args=[location.pk])}")

    page.locator(".prose-editor").wait_for()
    page.locator(".coordinates-map").click(position={"x": 500, "y": 60})
    latitude = Decimal(page.input_value("#id_latitude"))
    longitude = Decimal(page.input_value("#id_longitude"))
    page.click("input[name=_continue]")
    page.locator(".messagelist .success").wait_for()

    assert blocked == []
    # The click was up and to the right of the marker.
    assert latitude > location.latitude and longitude > location.longitude
    location.refresh_from_db()
    assert (location.latitude, location.longitude) == (latitude, longitude)


@pytest.mark.parametrize("typed", ["366 00:00:00", "800000 00:00:00", "999999999 00:00:00"])
def test_activity_delay_longer_than_a_year_is_a_form_error(admin_client, typed):
    response = admin_client.post(
        ACTIVITY_ADD, activity_post(LocationFactory(), booking_delay=typed)
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["booking_delay"]
    assert not Activity.objects.exists()
    response = admin_client.post(
        ACTIVITY_ADD, activity_post(LocationFactory(), booking_delay="365 00:00:00")
    )
    assert response.status_code == 302


def test_activity_delay_is_bounded_in_the_database():
    with pytest.raises(IntegrityError):
        ActivityFactory(booking_delay=timedelta(days=366))


@pytest.mark.parametrize("field", ["name", "group_contact"])
def test_location_single_line_fields_refuse_line_breaks(admin_client, field):
    response = admin_client.post(LOCATION_ADD, location_post(**{field: "Jardin\r\nBcc: x"}))

    assert response.context["adminform"].form.errors[field] == [
        "Ce champ tient sur une ligne, sans retour à la ligne ni caractère de contrôle."
    ]
    assert not Location.objects.exists()
