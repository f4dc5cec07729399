"""The events catalogue ("Billetterie Solidaire") and an event's sheet."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from guichet.catalogue.models import Channel, SessionStatus
from guichet.catalogue.tests.factories import (
    ActivityFactory,
    AudienceFactory,
    CategoryFactory,
    LocationFactory,
    SessionFactory,
)
from guichet.solidarity.models import VENUE_PLACE_MISMATCH
from guichet.solidarity.tests.factories import (
    EventDetailsFactory,
    MembershipFactory,
    TerritoryFactory,
    VenueFactory,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def event(name="Le Songe", *, starts=None, published_days_ago=30, venue=None, **activity):
    venue = venue or VenueFactory()
    details = EventDetailsFactory(
        venue=venue,
        activity__name=name,
        published_at=NOW - timedelta(days=published_days_ago),
        **{f"activity__{key}": value for key, value in activity.items()},
    )
    for start in starts if starts is not None else [NOW + timedelta(days=10)]:
        SessionFactory(activity=details.activity, start=start, end=start + timedelta(hours=2))
    return details.activity


def listed(client, **query) -> str:
    response = client.get(reverse("solidarity:events"), query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_location_must_be_one_of_the_venues_places():
    details = EventDetailsFactory()
    details.full_clean()
    details.activity.location = LocationFactory()
    with pytest.raises(ValidationError) as refused:
        details.full_clean()
    assert refused.value.message_dict["venue"] == [str(VENUE_PLACE_MISMATCH)]


def test_event_details_belong_to_a_solidarity_activity():
    details = EventDetailsFactory()
    details.activity.channel = Channel.PARKS
    with pytest.raises(ValidationError) as refused:
        details.full_clean()
    assert "activity" in refused.value.message_dict


def test_the_landing_page_shows_its_three_sections(referent_client):
    event("Nouveau conte", published_days_ago=3)
    closing = event("Concert du soir", starts=[NOW + timedelta(days=2)])
    closing.sessions.update(closes_at=NOW + timedelta(hours=40))
    event("Ancienne pièce", starts=[NOW - timedelta(days=1)])  # over: not listed
    page = listed(referent_client)
    new, soon, everything = (
        page.split('id="section-new"')[1].split("</section>")[0],
        page.split('id="section-closing"')[1].split("</section>")[0],
        page.split('id="section-all"')[1].split("</section>")[0],
    )
    assert "Nouveau conte" in new and "Concert du soir" not in new
    assert "Concert du soir" in soon and "Nouveau conte" not in soon
    assert "Nouveau conte" in everything and "Concert du soir" in everything
    assert "Ancienne pièce" not in page
    assert "voir la liste" in everything


def test_a_booking_closing_by_the_activity_delay_is_closing_soon(referent_client):
    activity = event("Cirque", starts=[NOW + timedelta(days=3, hours=1)])
    activity.booking_delay = timedelta(days=1)
    activity.save()
    soon = listed(referent_client, section="closing")
    assert "Cirque" in soon
    activity.booking_delay = timedelta(0)
    activity.save()
    assert "Cirque" not in listed(referent_client, section="closing")


def test_cancelled_and_unpublished_events_are_not_listed(referent_client):
    cancelled = event("Annulé")
    cancelled.sessions.update(status=SessionStatus.CANCELLED)
    event("Demain en ligne", published_days_ago=-1)
    page = listed(referent_client, section="all")
    assert "Annulé" not in page and "Demain en ligne" not in page


def test_search_by_title_ignores_accents_and_case(referent_client):
    event("Théâtre d'été")
    event("Concert")
    page = listed(referent_client, q="THEATRE ete")
    assert "Théâtre d&#x27;été" in page and "Concert" not in page
    page = listed(referent_client, q="opéra")
    assert "Aucun événement à venir ne correspond à cette recherche." in page


def test_the_departement_menu_defaults_to_the_structures(referent_client, structure):
    here = structure.territory
    there = TerritoryFactory(code="62", name="Pas-de-Calais")
    event("Ici", venue=VenueFactory(territory=here))
    event("Là-bas", venue=VenueFactory(territory=there))
    page = listed(referent_client)
    assert "Ici" in page and "Là-bas" not in page
    assert f'<option value="{here.code}" selected>' in page
    page = listed(referent_client, departement="62")
    assert "Là-bas" in page and "Ici" not in page


@pytest.mark.parametrize(("moment", "hour"), [("matin", 10), ("apres-midi", 15), ("soir", 20)])
def test_horaire_by_paris_time(referent_client, moment, hour):
    for name, at in (("Matinée", 10), ("Goûter", 15), ("Soirée", 20)):
        start = datetime(2026, 12, 12, at, 0, tzinfo=PARIS)
        event(name, starts=[start])
    page = listed(referent_client, horaire=moment)
    found = {name for name in ("Matinée", "Goûter", "Soirée") if name in page}
    assert found == {{10: "Matinée", 15: "Goûter", 20: "Soirée"}[hour]}


def test_noon_is_afternoon_and_six_pm_evening(referent_client):
    event("Midi", starts=[datetime(2026, 12, 12, 12, 0, tzinfo=PARIS)])
    event("Dix-huit", starts=[datetime(2026, 12, 12, 18, 0, tzinfo=PARIS)])
    assert "Midi" not in listed(referent_client, horaire="matin")
    assert "Midi" in listed(referent_client, horaire="apres-midi")
    assert "Dix-huit" in listed(referent_client, horaire="soir")


def test_genre_public_town_and_dates(referent_client, structure):
    dance = CategoryFactory(name="Danse")
    music = CategoryFactory(name="Musique")
    children = AudienceFactory(name="Jeune public")
    lille = VenueFactory(city="Lille", territory=structure.territory)
    event("Ballet", category=dance, audience=children, venue=lille)
    event(
        "Fanfare",
        category=music,
        starts=[NOW + timedelta(days=40)],
        venue=VenueFactory(city="Roubaix", territory=structure.territory),
    )
    assert "Fanfare" not in listed(referent_client, genre=dance.pk)
    assert "Ballet" in listed(referent_client, genre=dance.pk)
    assert "Fanfare" not in listed(referent_client, public=children.pk)
    page = listed(referent_client, ville="Roubaix")
    assert "Fanfare" in page and "Ballet" not in page
    page = listed(referent_client, du="2027-01-05", au="2027-01-20")
    assert "Fanfare" in page and "Ballet" not in page


def test_dates_and_time_apply_to_one_same_session(referent_client):
    # A morning on the 12th and an evening on the 13th: "the 13th, morning" finds nothing.
    event(
        "Deux dates",
        starts=[
            datetime(2026, 12, 12, 10, tzinfo=PARIS),
            datetime(2026, 12, 13, 20, tzinfo=PARIS),
        ],
    )
    assert "Deux dates" not in listed(
        referent_client, du="2026-12-13", au="2026-12-13", horaire="matin"
    )
    assert "Deux dates" in listed(referent_client, du="2026-12-13", au="2026-12-13")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"genre": "999999"}, "Choisissez un genre de la liste."),
        ({"genre": "<script>"}, "Choisissez un genre de la liste."),
        ({"public": "1 OR 1=1"}, "Choisissez un type de publics de la liste."),
        ({"ville": "Atlantide"}, "Choisissez une ville de la liste."),
        ({"horaire": "nuit"}, "Choisissez un horaire de la liste."),
        ({"departement": "99"}, "Choisissez un département de la liste."),
        ({"du": "31/02/2026"}, "Saisissez une date valide (jj/mm/aaaa)."),
        ({"du": "0001-01-01"}, "Choisissez une date entre 2000 et 2100."),
        ({"du": "2026-12-05", "au": "2026-12-01"}, "La date de fin doit être après la date"),
    ],
)
def test_bad_search_input_is_named_and_kept(referent_client, query, message):
    event("Le Songe")
    page = listed(referent_client, q="songe", **query)
    assert message in page
    assert 'value="songe"' in page  # the rest of the search is kept
    assert "Le Songe" in page  # and still applied


def test_hostile_title_search(referent_client):
    event("Le Songe")
    for query in ("<b>x</b>" * 500, "\x01\x7f", "'; DROP TABLE x; --", "é" * 10000):
        response = referent_client.get(reverse("solidarity:events"), {"q": query})
        assert response.status_code == 200
        assert "<b>x</b>" not in response.content.decode()
    # NUL bytes: core's middleware answers 400 before any view, as everywhere.
    assert referent_client.get(reverse("solidarity:events"), {"q": "a\x00"}).status_code == 400


def test_pages_of_a_section(referent_client):
    for number in range(23):
        event(f"Spectacle numéro {number:02d}", starts=[NOW + timedelta(days=2 + number)])
    page = listed(referent_client, section="all")
    assert "1 à 10 sur 23 éléments" in page
    page = listed(referent_client, section="all", page="3")
    assert "21 à 23 sur 23 éléments" in page
    assert "Spectacle numéro 22" in page
    assert listed(referent_client, section="all", page="9999")  # the last page, not a 404


def test_the_event_sheet(referent_client):
    audience = AudienceFactory(name="Familles")
    activity = event(
        "Le Songe",
        starts=[NOW + timedelta(days=3), NOW + timedelta(days=5)],
        audience=audience,
        category=CategoryFactory(name="Théâtre"),
        description="<p>Une pièce <script>alert(1)</script>enchantée.</p>",
    )
    details = activity.event_details
    details.practical_info = "<p>Entrée côté parc.</p><script>x()</script>"
    details.save()
    first = activity.sessions.order_by("start").first()
    first.seat_limit, first.seats_taken = 12, 5
    first.save()
    SessionFactory(activity=activity, start=NOW - timedelta(days=1))  # over
    page = referent_client.get(reverse("solidarity:event_detail", args=[activity.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("Familles", "Théâtre", "1 h 30", "À partir de 8 ans", "Entrée côté parc."):
        assert text in html, text
    assert "<script>alert" not in html and "<script>x()" not in html
    assert details.venue.name in html
    assert 'class="map__canvas js-map"' in html
    assert "Du vendredi 4 décembre 2026 au dimanche 6 décembre 2026" in html
    slots = html.split('id="slots-title"')[1]
    assert slots.count("<tr") == 3  # the heading and two sessions to come
    assert "7 invitations disponibles" in slots


def test_an_activity_of_another_channel_or_unpublished_answers_404(referent_client):
    parks = ActivityFactory()
    hidden = event("Bientôt", published_days_ago=-2)
    for pk in (parks.pk, hidden.pk, 999999999, 10**20):
        url = f"/solidaire/billetterie/{pk}/"
        assert referent_client.get(url).status_code == 404, url


def test_an_event_sheet_is_cached_for_every_structure(
    referent_client, client, structure, settings, django_assert_max_num_queries
):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 5
    activity = event("Le Songe")
    url = reverse("solidarity:event_detail", args=[activity.pk])
    first = referent_client.get(url).content.decode()
    slots = first.split('id="slots-title"')[1]
    assert "<h1>Le Songe</h1>" in first and slots.count('data-label="Horaire"') == 1
    SessionFactory(activity=activity, start=NOW + timedelta(days=20))
    # The session, the account (with its structure) and two cache reads (the tests' cache is
    # the database's): neither the event nor its sessions are queried again.
    with django_assert_max_num_queries(4):
        again = referent_client.get(url).content.decode()
    assert again.split('id="slots-title"')[1] == slots  # at most 5 seconds old
    # Nothing personal is cached: another structure's référent gets its own menu and name.
    other = MembershipFactory(structure__name="Centre social des Tilleuls")
    client.force_login(other.user, backend="guichet.accounts.backends.IdentifierBackend")
    theirs = client.get(url).content.decode()
    assert "Centre social des Tilleuls" in theirs and structure.name not in theirs
    assert theirs.split('id="slots-title"')[1] == slots
    # An event taken offline or unknown is still a 404, and not cached as a sheet.
    assert referent_client.get(reverse("solidarity:event_detail", args=[999999])).status_code == 404


def test_the_catalogue_is_cached_per_departement_and_search(
    referent_client, structure, settings, django_assert_max_num_queries
):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 5
    event("Le Songe")
    first = listed(referent_client)
    assert "Le Songe" in first
    event("Nouvelle pièce")
    # The session, the account, its structure, and two cache reads (the tests' cache is the
    # database's): the sections are not queried again.
    with django_assert_max_num_queries(5):
        again = listed(referent_client)
    assert "Nouvelle pièce" not in again  # at most 5 seconds old
    assert "Nouvelle pièce" in listed(referent_client, section="all")  # another search
    # Nothing personal is cached: another structure's référent gets its own menu and name.
    assert structure.name not in first.split("<h1>")[1]
    assert 'name="csrfmiddlewaretoken"' not in first.split("<h1>")[1].split("</main>")[0]
