"""The home page (activity list) and the activity page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from guichet.catalogue.models import SessionStatus
from guichet.catalogue.tests.factories import (
    ActivityFactory,
    ActivityTypeFactory,
    AudienceFactory,
    CategoryFactory,
    LocationFactory,
    SessionFactory,
)
from guichet.public.tests.conftest import paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]

HOME = reverse("public:activity_list")


def listed(response) -> list[str]:
    return [activity.name for activity in response.context["page"]]


def activity_with_session(name, *, start=None, **fields):
    activity = ActivityFactory(name=name, **fields)
    SessionFactory(activity=activity, start=start or paris(2025, 4, 16, 10, 0))
    return activity


class TestActivityList:
    def test_lists_only_activities_with_a_session_to_come(self, client, now, organisation):
        activity_with_session("Bientôt")
        activity_with_session("Passée", start=paris(2025, 4, 1, 10, 0))
        ActivityFactory(name="Sans session")
        # Started an hour ago, ends in half an hour: not over yet.
        activity_with_session("En cours", start=paris(2025, 4, 10, 8, 0))
        postponed = ActivityFactory(name="Reportée")
        SessionFactory(
            activity=postponed,
            start=paris(2025, 4, 1, 10, 0),
            status=SessionStatus.POSTPONED,
            new_start=paris(2025, 4, 20, 10, 0),
        )
        response = client.get(HOME)
        assert response.status_code == 200
        assert listed(response) == ["Bientôt", "En cours", "Reportée"]

    def test_card_shows_image_place_and_badges(self, client, now, organisation):
        online = activity_with_session(
            "Atelier nichoirs", location=LocationFactory(name="Jardin Botanique")
        )
        walk_in = activity_with_session("Dimanche familial", bookable_online=False)
        paying = ActivityFactory(name="Visite payante")
        SessionFactory(activity=paying, price=Decimal("12.50"))
        SessionFactory(activity=paying, price=Decimal("12.50"), start=paris(2025, 4, 20, 10, 0))
        html = client.get(HOME).content.decode()
        cards = html.split('<li class="card">')[1:]
        assert [online.name in cards[0], walk_in.name in cards[1], paying.name in cards[2]] == [
            True
        ] * 3
        assert "Jardin Botanique" in cards[0]
        assert "Réservation en ligne" in cards[0] and "Gratuit" in cards[0]
        assert "Réservation en ligne" not in cards[1] and "Gratuit" in cards[1]
        assert "12,50\u00a0€" in cards[2] and "Gratuit" not in cards[2]
        assert f'href="{reverse("public:activity_detail", args=[online.slug])}"' in cards[0]

    def test_filters(self, client, now, organisation):
        garden, park = LocationFactory(name="Jardin"), LocationFactory(name="Parc")
        children, adults = AudienceFactory(name="Enfants"), AudienceFactory(name="Adultes")
        workshop, tour = ActivityTypeFactory(name="Atelier"), ActivityTypeFactory(name="Visite")
        activity_with_session(
            "Atelier nichoirs", location=garden, audience=children, activity_type=workshop
        )
        activity_with_session(
            "Visite des serres", location=garden, audience=adults, activity_type=tour
        )
        activity_with_session(
            "Atelier semis", location=park, audience=adults, activity_type=workshop
        )

        assert listed(client.get(HOME, {"name": "atelier"})) == [
            "Atelier nichoirs",
            "Atelier semis",
        ]
        assert listed(client.get(HOME, {"location": park.pk})) == ["Atelier semis"]
        assert listed(client.get(HOME, {"audience": adults.pk})) == [
            "Atelier semis",
            "Visite des serres",
        ]
        assert listed(client.get(HOME, {"activity_type": tour.pk})) == ["Visite des serres"]
        both = client.get(HOME, {"location": garden.pk, "activity_type": workshop.pk})
        assert listed(both) == ["Atelier nichoirs"]
        # What was chosen stays selected; "Réinitialiser" goes back to the whole list.
        html = both.content.decode()
        assert f'<option value="{garden.pk}" selected>Jardin</option>' in html
        assert f'<a class="button button--secondary" href="{HOME}">Réinitialiser</a>' in html

    def test_the_name_search_ignores_accents_and_case(self, client, now, organisation):
        activity_with_session('Activités manuelles : "Thème de Pâques"')
        activity_with_session("Visite guidée des serres")
        assert listed(client.get(HOME, {"name": "PAQUES theme"})) == [
            'Activités manuelles : "Thème de Pâques"'
        ]
        assert listed(client.get(HOME, {"name": "guidee"})) == ["Visite guidée des serres"]

    def test_filter_choices_are_those_of_the_listed_activities(self, client, now, organisation):
        activity_with_session("Visite", location=LocationFactory(name="Jardin"))
        ActivityFactory(name="Sans session", location=LocationFactory(name="Square vide"))
        form = client.get(HOME).context["form"]
        assert [label for _pk, label in form.fields["location"].choices] == ["Toutes", "Jardin"]

    def test_unknown_filter_value_is_ignored(self, client, now, organisation):
        activity_with_session("Visite")
        response = client.get(HOME, {"location": "999999", "audience": "abc"})
        assert response.status_code == 200
        assert listed(response) == ["Visite"]

    def test_no_match(self, client, now, organisation):
        activity_with_session("Visite")
        response = client.get(HOME, {"name": "introuvable"})
        assert "Aucune activité ne correspond à votre recherche." in response.content.decode()
        assert "0 activité\n" in response.content.decode()  # French: 0 takes the singular

    @pytest.mark.parametrize("count, text", [(1, "1 activité\n"), (2, "2 activités\n")])
    def test_count_of_results(self, client, now, organisation, count, text):
        for n in range(count):
            activity_with_session(f"Visite {n}")
        assert text in client.get(HOME).content.decode()

    def test_pagination_keeps_the_filters(self, client, now, organisation):
        for n in range(14):
            activity_with_session(f"Visite {n:02d}")
        activity_with_session("Atelier")
        first = client.get(HOME, {"name": "visite"})
        assert len(listed(first)) == 12
        assert 'href="?name=visite&amp;page=2"' in first.content.decode()
        second = client.get(HOME, {"name": "visite", "page": 2})
        assert listed(second) == ["Visite 12", "Visite 13"]
        assert client.get(HOME, {"page": "n'importe"}).status_code == 200


class TestActivityPage:
    def url(self, activity):
        return reverse("public:activity_detail", args=[activity.slug])

    def test_shows_place_activity_and_sessions_to_come(self, client, now, organisation):
        location = LocationFactory(
            name="Jardin Botanique",
            address="32 rue du Moulin\n59200 Exempleville",
            description="<p>Des serres.</p>",
        )
        activity = ActivityFactory(
            location=location,
            name="Atelier nichoirs",
            description="<p>Fabriquez un nichoir.</p><script>alert(1)</script>",
            audience=AudienceFactory(name="A partir de 7 ans"),
            activity_type=ActivityTypeFactory(name="Atelier"),
        )
        SessionFactory(activity=activity, start=paris(2025, 4, 1, 10, 0))
        SessionFactory(
            activity=activity, start=paris(2025, 4, 16, 10, 0), end=paris(2025, 4, 16, 11, 30)
        )
        SessionFactory(
            activity=activity, start=paris(2025, 4, 12, 14, 0), end=None, price=Decimal("4.5")
        )
        response = client.get(self.url(activity))
        html = response.content.decode()
        assert response.status_code == 200
        for text in (
            "Jardin Botanique",
            "32 rue du Moulin<br>59200 Exempleville",
            "<p>Des serres.</p>",
            "<p>Fabriquez un nichoir.</p>",
            "A partir de 7 ans",
            "Atelier",
            "Réservable en ligne",
            'class="map__canvas js-map"',
            'data-lat="50.723000"',
            "vendor/leaflet/leaflet.js",
        ):
            assert text in html, text
        assert "<script>alert(1)</script>" not in html
        sessions = [session for session, _offer in response.context["sessions"]]
        assert [s.start for s in sessions] == [paris(2025, 4, 12, 14, 0), paris(2025, 4, 16, 10, 0)]
        assert "Samedi 12 avril 2025, 14 h</p>" in html
        assert "Mercredi 16 avril 2025, de 10 h à 11 h 30</p>" in html
        assert "4,50\u00a0€" in html and "GRATUIT" in html
        assert "1er avril 2025" not in html

    def test_each_state_as_in_the_guide(self, client, now, organisation):
        activity = ActivityFactory(booking_delay=timedelta(days=2))
        cancelled = SessionFactory(
            activity=activity,
            start=paris(2025, 4, 17, 14, 0),
            status=SessionStatus.CANCELLED,
            reason="Météo",
        )
        closed = SessionFactory(activity=activity, start=paris(2025, 4, 11, 10, 0))
        full = SessionFactory(activity=activity, start=paris(2025, 4, 16, 10, 0), seats_taken=10)
        open_ = SessionFactory(activity=activity, start=paris(2025, 5, 7, 14, 0), seat_limit=15)
        postponed = SessionFactory(
            activity=activity,
            start=paris(2025, 4, 30, 10, 0),
            end=paris(2025, 4, 30, 11, 30),
            status=SessionStatus.POSTPONED,
            new_start=paris(2025, 5, 31, 10, 0),
            new_end=paris(2025, 5, 31, 11, 0),
            seat_limit=None,
        )
        html = client.get(self.url(activity)).content.decode()
        rows = {int(row.split('"', 1)[0]): row for row in html.split('data-session="')[1:]}
        assert "Annulée" in rows[cancelled.pk] and "Motif : Météo" in rows[cancelled.pk]
        assert '<span class="button button--disabled">ANNULÉE</span>' in rows[cancelled.pk]
        assert '<span class="button button--disabled">Réservations closes</span>' in rows[closed.pk]
        assert "Cette session est complète" in rows[full.pk]
        assert '<span class="button button--disabled">COMPLET</span>' in rows[full.pk]
        assert "15 places restantes" in rows[open_.pk]
        assert f'href="/sessions/{open_.pk}/reserver/"' in rows[open_.pk]
        assert "RÉSERVER AVANT LE LUNDI 5 MAI, 14 H</a>" in rows[open_.pk]
        # Headed by its new dates, the first one struck through under them, bookable and
        # ordered by the new ones.
        assert "Samedi 31 mai 2025, de 10 h à 11 h</p>" in rows[postponed.pk]
        assert (
            "Reportée</strong> — initialement le <del>mercredi 30 avril 2025</del>"
            in rows[postponed.pk]
        )
        assert "RÉSERVER AVANT LE JEUDI 29 MAI, 10 H</a>" in rows[postponed.pk]
        assert "places restantes" not in rows[postponed.pk]
        assert list(rows) == [closed.pk, full.pk, cancelled.pk, open_.pk, postponed.pk]

    def test_walk_in_activity(self, client, now, organisation):
        activity = ActivityFactory(bookable_online=False)
        SessionFactory(activity=activity)
        html = client.get(self.url(activity)).content.decode()
        assert "Cette session est en accès libre" in html
        assert '<span class="button button--disabled">SANS RÉSERVATION</span>' in html
        assert "/reserver/" not in html

    def test_unknown_activity(self, client, organisation):
        assert client.get("/activites/inconnue/").status_code == 404

    def test_may_be_framed_by_the_city_site(self, client, now, organisation):
        activity = activity_with_session("Visite")
        for url in (HOME, self.url(activity)):
            response = client.get(url)
            assert "X-Frame-Options" not in response
            assert "frame-ancestors" in response["Content-Security-Policy"]


class TestActivityCards:
    """Each card's next date and availability, its category, the price of what can be booked."""

    def card(self, client, activity) -> str:
        html = client.get(HOME).content.decode()
        return next(c for c in html.split('<li class="card">')[1:] if activity.name in c)

    def test_next_date_and_places_left(self, client, now, organisation):
        activity = ActivityFactory(name="Atelier nichoirs")
        SessionFactory(
            activity=activity, start=paris(2025, 4, 12, 10, 0), status=SessionStatus.CANCELLED
        )
        SessionFactory(activity=activity, start=paris(2025, 4, 16, 10, 0), seats_taken=2)
        SessionFactory(activity=activity, start=paris(2025, 4, 23, 10, 0))
        assert "Prochaine date : mer. 16 avr., 10 h · 8 places" in self.card(client, activity)

    def test_full_and_walk_in(self, client, now, organisation):
        full = ActivityFactory(name="Complète")
        SessionFactory(activity=full, start=paris(2025, 4, 16, 10, 0), seats_taken=10)
        walk_in = ActivityFactory(name="Libre", bookable_online=False)
        SessionFactory(activity=walk_in, start=paris(2025, 4, 19, 14, 30))
        assert "Prochaine date : mer. 16 avr., 10 h · Complet" in self.card(client, full)
        assert "Prochaine date : sam. 19 avr., 14 h 30 · Accès libre" in self.card(client, walk_in)

    def test_price_counts_only_sessions_that_can_be_booked(self, client, now, organisation):
        activity = ActivityFactory(name="Visite payante", booking_delay=timedelta(days=2))
        SessionFactory(activity=activity, price=Decimal("5"), status=SessionStatus.CANCELLED)
        SessionFactory(activity=activity, price=Decimal("20"), seats_taken=10)
        SessionFactory(  # booking closed (two days before)
            activity=activity, price=Decimal("2"), start=paris(2025, 4, 11, 10, 0)
        )
        SessionFactory(activity=activity, price=Decimal("12.50"))
        card = self.card(client, activity)
        assert "12,50\u00a0€" in card and "De " not in card

    def test_price_range(self, client, now, organisation):
        activity = ActivityFactory(name="Visite payante")
        SessionFactory(activity=activity, price=Decimal("5"))
        SessionFactory(activity=activity, price=Decimal("12.50"))
        assert "De 5,00\u00a0€ à 12,50\u00a0€" in self.card(client, activity)

    def test_category_shown_and_filterable(self, client, now, organisation):
        nature = CategoryFactory(name="Nature")
        activity_with_session("Visite des serres", category=nature)
        activity_with_session("Concert")
        response = client.get(HOME, {"category": nature.pk})
        assert listed(response) == ["Visite des serres"]
        html = response.content.decode()
        assert '<span class="card__category">Nature</span>' in html
        assert f'<option value="{nature.pk}" selected>Nature</option>' in html

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ({"period": "today"}, ["Aujourd'hui"]),
            ({"period": "weekend"}, ["Dimanche", "Samedi"]),
            ({"period": "week"}, ["Aujourd'hui", "Dimanche", "Samedi"]),
            ({"day": "2025-04-16"}, ["Mercredi prochain"]),
            ({"day": "16/04/2025"}, ["Mercredi prochain"]),
            ({}, ["Aujourd'hui", "Dimanche", "Mercredi prochain", "Samedi"]),
        ],
    )
    def test_date_filter(self, client, now, organisation, query, expected):
        # Now is Thursday 10 April 2025, 9 h.
        activity_with_session("Aujourd'hui", start=paris(2025, 4, 10, 14, 0))
        activity_with_session("Samedi", start=paris(2025, 4, 12, 10, 0))
        activity_with_session("Dimanche", start=paris(2025, 4, 13, 23, 0))
        activity_with_session("Mercredi prochain", start=paris(2025, 4, 16, 10, 0))
        assert listed(client.get(HOME, query)) == expected

    def test_date_filter_choices(self, client, now, organisation):
        activity_with_session("Visite")
        html = client.get(HOME).content.decode()
        for label in ("Aujourd&#x27;hui", "Ce week-end", "Cette semaine", 'type="date"'):
            assert label in html

    def test_next_date_skips_sessions_whose_booking_is_closed(self, client, now, organisation):
        activity = ActivityFactory(name="Visite", booking_delay=timedelta(days=2))
        SessionFactory(activity=activity, start=paris(2025, 4, 11, 10, 0))  # closed
        SessionFactory(activity=activity, start=paris(2025, 4, 16, 10, 0), seats_taken=10)
        assert "Prochaine date : mer. 16 avr., 10 h · Complet" in self.card(client, activity)
