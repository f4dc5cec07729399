"""Venues and events in the back-office of the "Gestionnaire solidaire"."""

import pytest
from django.urls import reverse

from guichet.catalogue.models import Channel
from guichet.catalogue.tests.factories import ActivityFactory, LocationFactory, SessionFactory
from guichet.solidarity.models import EventDetails
from guichet.solidarity.tests.factories import (
    EventActivityFactory,
    EventDetailsFactory,
    TerritoryFactory,
    VenueCategoryFactory,
    VenueFactory,
)


def details_data(activity, venue, **extra):
    return {
        "activity": activity.pk,
        "venue": venue.pk,
        "duration": "75",
        "advised_age": "Dès 10 ans",
        "practical_info": "<p>Accès par le parc.</p>",
        "published_at_0": "01/12/2026",
        "published_at_1": "10:00",
    } | extra


def test_an_event_is_created_from_a_solidarity_activity(solidarity_client):
    venue = VenueFactory()
    activity = EventActivityFactory(location=venue.places.first())
    response = solidarity_client.post(
        reverse("admin:solidarity_eventdetails_add"), details_data(activity, venue)
    )
    assert response.status_code == 302, response.content.decode()
    details = EventDetails.objects.get(activity=activity)
    assert details.duration == 75 and details.venue == venue


def test_the_activity_must_take_place_at_one_of_the_venues_places(solidarity_client):
    venue = VenueFactory()
    activity = EventActivityFactory(location=LocationFactory(name="Ailleurs"))
    response = solidarity_client.post(
        reverse("admin:solidarity_eventdetails_add"), details_data(activity, venue)
    )
    assert response.status_code == 200
    assert "Ce lieu n&#x27;appartient pas à la structure culturelle choisie." in (
        response.content.decode()
    )
    assert not EventDetails.objects.exists()


def test_a_parks_activity_is_not_offered(solidarity_client):
    venue = VenueFactory()
    parks = ActivityFactory(channel=Channel.PARKS, location=venue.places.first())
    page = solidarity_client.get(reverse("admin:solidarity_eventdetails_add")).content.decode()
    assert f'value="{parks.pk}"' not in page
    response = solidarity_client.post(
        reverse("admin:solidarity_eventdetails_add"), details_data(parks, venue)
    )
    assert response.status_code == 200 and not EventDetails.objects.exists()


def test_the_events_list_links_to_their_sessions(solidarity_client):
    details = EventDetailsFactory()
    SessionFactory(activity=details.activity)
    page = solidarity_client.get(reverse("admin:solidarity_eventdetails_changelist"))
    assert f"?activity__id__exact={details.activity_id}" in page.content.decode()
    sessions = solidarity_client.get(
        reverse("admin:catalogue_session_changelist"),
        {"activity__id__exact": details.activity_id},
    )
    assert sessions.status_code == 200
    assert details.activity.name in sessions.content.decode()


def test_the_parks_group_sees_no_event(manager_client):
    EventDetailsFactory()
    response = manager_client.get(reverse("admin:solidarity_eventdetails_changelist"))
    assert response.status_code == 403


def test_a_venue_keeps_the_places_of_its_events(solidarity_client):
    details = EventDetailsFactory()
    venue = details.venue
    other = LocationFactory(name="Salle annexe")
    data = {
        "name": venue.name,
        "category": venue.category_id,
        "address": venue.address,
        "city": venue.city,
        "territory": venue.territory_id,
        "phone": "",
        "email": "",
        "website": "",
        "places": [other.pk],
    }
    url = reverse("admin:solidarity_venue_change", args=[venue.pk])
    response = solidarity_client.post(url, data)
    assert response.status_code == 200
    assert "accueillent des événements" in response.content.decode()
    assert list(venue.places.all()) == [details.activity.location]
    data["places"] = [other.pk, details.activity.location_id]
    assert solidarity_client.post(url, data).status_code == 302
    assert set(venue.places.all()) == {other, details.activity.location}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Nom\x01", ""),
        ("website", "javascript:alert(1)", "Saisissez une URL valide."),
        ("phone", "12", ""),
        ("name", "x" * 300, "au plus 200 caractères"),
    ],
)
def test_a_venue_with_bad_input_is_refused_kept(solidarity_client, field, value, message):
    data = {
        "name": "Théâtre Exemple",
        "category": VenueCategoryFactory().pk,
        "address": "",
        "city": "Exempleville",
        "territory": TerritoryFactory().pk,
        "phone": "",
        "email": "",
        "website": "",
        "places": [LocationFactory().pk],
    } | {field: value}
    response = solidarity_client.post(reverse("admin:solidarity_venue_add"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "errornote" in page and message in page
