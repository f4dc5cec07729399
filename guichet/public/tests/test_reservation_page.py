"""'Ma réservation': confirmation, calendar, alerts and online cancellation."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.bookings.services import reservation_create, session_save
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.models import SessionStatus
from guichet.catalogue.tests.factories import ActivityFactory, LocationFactory, SessionFactory
from guichet.core.tests.locks import always_locked
from guichet.public import views
from guichet.public.tests.conftest import PARIS, paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]


@pytest.fixture
def reservation(now, organisation) -> Reservation:
    location = LocationFactory(
        name="Jardin Botanique", address="32 rue du Moulin\n59200 Exempleville"
    )
    activity = ActivityFactory(
        location=location, name="Atelier nichoirs", booking_delay=timedelta(days=2)
    )
    session = SessionFactory(
        activity=activity,
        start=paris(2025, 4, 16, 10, 0),
        end=paris(2025, 4, 16, 11, 30),
        seat_limit=10,
    )
    return reservation_create(session=session, **booking_data(quantity=3))


def page_url(reservation) -> str:
    return reverse("public:reservation_detail", args=[reservation.token])


def ics_url(reservation) -> str:
    return reverse("public:reservation_ics", args=[reservation.token])


def cancel_url(reservation) -> str:
    return reverse("public:reservation_cancel", args=[reservation.token])


class TestPage:
    def test_the_session_part_shows_each_session_as_read_at_most_5_seconds_ago(
        self, client, reservation, page_cache, time_machine
    ):
        """The summary and directions are rendered once per reading of the session (the same
        reading for 5 seconds with the page cache, as the other cached pages)."""
        other = reservation_create(
            session=SessionFactory(
                activity=ActivityFactory(
                    name="Balade contée", location=LocationFactory(name="Parc du Lac")
                )
            ),
            **booking_data(),
        )
        for _ in range(2):
            html = client.get(page_url(reservation)).content.decode()
            assert "Atelier nichoirs" in html and "Jardin Botanique" in html
            html = client.get(page_url(other)).content.decode()
            assert "Balade contée" in html and "Parc du Lac" in html
            assert "Atelier nichoirs" not in html and "Jardin Botanique" not in html
        location = reservation.session.activity.location
        location.name = "Jardin des Plantes"
        location.save()
        time_machine.shift(timedelta(seconds=page_cache + 1))
        html = client.get(page_url(reservation)).content.decode()
        assert "Jardin des Plantes" in html and "Jardin Botanique" not in html

    def test_confirmation_contents(self, client, reservation):
        response = client.get(page_url(reservation))
        html = response.content.decode()
        assert response.status_code == 200
        for text in (
            "Ma réservation",
            "Camille, votre réservation a été prise en compte.",
            'href="tel:+33320000000">+33 3 20 00 00 00</a>',
            f'href="{ics_url(reservation)}" download>Ajouter à mon calendrier</a>',
            "Imprimer la page",
            "Récapitulatif",
            "Mercredi 16 avril 2025, de 10 h à 11 h 30",
            "Camille Exemple",
            "+33 6 12 34 56 78",
            "Comment puis-je me rendre à l'événement ?",
            "32 rue du Moulin<br>59200 Exempleville",
            'class="map__canvas js-map"',
            "Annuler ma réservation",
            "jusqu'au lundi 14 avril 2025 à 10 h.",
            f"n° {reservation.reference} du jeudi 10 avril 2025 à 9 h",
        ):
            assert text in html, text
        # The sequential id would tell how many bookings there are.
        assert f"n° {reservation.pk} " not in html
        assert '<meta name="robots" content="noindex, nofollow">' in html
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        assert "no-store" in response["Cache-Control"]

    def test_google_calendar_link(self, client, reservation, settings):
        response = client.get(page_url(reservation))
        link = urlsplit(response.context["google_calendar_url"])
        query = parse_qs(link.query)
        assert (link.netloc, link.path) == ("calendar.google.com", "/calendar/render")
        assert query["action"] == ["TEMPLATE"]
        assert query["text"] == ["Atelier nichoirs"]
        assert query["dates"] == ["20250416T080000Z/20250416T093000Z"]
        assert query["location"] == ["32 rue du Moulin, 59200 Exempleville"]
        assert settings.SITE_URL + page_url(reservation) in query["details"][0]

    @pytest.mark.parametrize("page", ["", "calendrier.ics", "annuler/"])
    def test_unknown_link(self, client, organisation, page):
        assert client.get(f"/reservation/{'B' * 32}/{page}").status_code == 404

    @pytest.mark.parametrize(
        "token", ["pas-un-vrai-lien", "A" * 31, "A" * 33, "é" * 32, "A" * 9999]
    )
    @pytest.mark.parametrize("page", ["", "calendrier.ics", "annuler/"])
    def test_a_link_not_shaped_like_a_token_is_not_looked_up(
        self, client, organisation, token, page
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/reservation/{token}/{page}").status_code == 404
            assert client.post(f"/reservation/{token}/{page}").status_code == 404
        # Only the 404 page's read of the organisation (once, then cached): no reservation.
        assert not [q for q in queries if "bookings_reservation" in q["sql"]]

    @pytest.mark.parametrize("page", ["", "calendrier.ics", "annuler/"])
    def test_a_nul_byte_in_the_link_is_a_bad_request(self, client, organisation, page):
        assert client.get(f"/reservation/%00/{page}").status_code == 400
        assert client.get(f"/reservation/{'A' * 31}%00/{page}").status_code == 400

    def test_postponed_session_alert(self, client, reservation):
        session = reservation.session
        session.status, session.reason = SessionStatus.POSTPONED, "Travaux dans les serres"
        session.new_start, session.new_end = paris(2025, 4, 23, 14, 0), paris(2025, 4, 23, 15, 0)
        session_save(session=session)
        html = client.get(page_url(reservation)).content.decode()
        assert 'data-alert="session-postponed"' in html
        assert "Cette session a été reportée." in html
        assert "Nouvelle date : mercredi 23 avril 2025, de 14 h à 15 h" in html
        assert "Motif : Travaux dans les serres" in html
        assert "votre réservation a été prise en compte" in html

    def test_postponed_session_without_a_new_end(self, client, reservation):
        session = reservation.session
        session.status, session.new_start = SessionStatus.POSTPONED, paris(2025, 11, 5, 14, 0)
        session_save(session=session)
        html = client.get(page_url(reservation)).content.decode()
        # It keeps its length (an hour and a half).
        assert "Nouvelle date : mercredi 5 novembre 2025, de 14 h à 15 h 30</p>" in html
        assert "Mercredi 5 novembre 2025, de 14 h à 15 h 30" in html  # the summary
        assert "initialement le <del>mercredi 16 avril 2025</del>" in html

    def test_cancelled_session_alert(self, client, reservation):
        session = reservation.session
        session.status, session.reason = SessionStatus.CANCELLED, "Condition météo difficile"
        session_save(session=session)
        html = client.get(page_url(reservation)).content.decode()
        assert 'data-alert="session-cancelled"' in html
        assert (
            "Cette session a été annulée." in html and "Motif : Condition météo difficile" in html
        )
        assert "votre réservation a été prise en compte" not in html
        assert "Ajouter à mon calendrier" not in html and "Annuler ma réservation" not in html

    def test_cancelled_reservation_alert(self, client, reservation):
        client.post(cancel_url(reservation))
        html = client.get(page_url(reservation)).content.decode()
        assert 'data-alert="reservation-cancelled"' in html
        assert "Votre réservation a été annulée." in html
        assert "Annulation enregistrée le jeudi 10 avril 2025 à 9 h." in html
        assert "votre réservation a été prise en compte" not in html


class TestCalendarFile:
    def get_event(self, client, reservation) -> icalendar.Event:
        response = client.get(ics_url(reservation))
        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert (
            response["Content-Disposition"]
            == f'attachment; filename="reservation-{reservation.session.activity.slug}.ics"'
        )
        calendar = icalendar.Calendar.from_ical(response.content)
        assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
        (event,) = calendar.walk("VEVENT")
        return event

    def test_event_in_paris_time(self, client, reservation, settings):
        event = self.get_event(client, reservation)
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert event["DTSTART"].params["TZID"] == "Europe/Paris"
        assert (start, end) == (paris(2025, 4, 16, 10, 0), paris(2025, 4, 16, 11, 30))
        assert (start.hour, start.utcoffset()) == (10, timedelta(hours=2))
        assert str(event["SUMMARY"]) == "Atelier nichoirs"
        assert str(event["LOCATION"]) == "32 rue du Moulin, 59200 Exempleville"
        assert str(event["URL"]) == settings.SITE_URL + page_url(reservation)
        assert str(event["STATUS"]) == "CONFIRMED"
        assert "3 places réservées" in str(event["DESCRIPTION"])

    def test_winter_time_and_postponed_dates(self, client, reservation):
        session = reservation.session
        session.status = SessionStatus.POSTPONED
        session.new_start, session.new_end = paris(2025, 11, 5, 14, 0), None
        session_save(session=session)
        event = self.get_event(client, reservation)
        start = event.decoded("DTSTART")
        assert start == paris(2025, 11, 5, 14, 0)
        assert start.astimezone(PARIS).utcoffset() == timedelta(hours=1)
        assert event.decoded("DTEND") == paris(2025, 11, 5, 15, 30)  # it keeps its length

    def test_cancelled_event(self, client, reservation):
        client.post(cancel_url(reservation))
        assert str(self.get_event(client, reservation)["STATUS"]) == "CANCELLED"


class TestOnlineCancellation:
    def test_confirmation_step_then_cancel_gives_seats_back(self, client, reservation):
        confirm = client.get(cancel_url(reservation))
        assert confirm.status_code == 200
        assert (
            "Voulez-vous vraiment annuler votre réservation de 3 places ?"
            in confirm.content.decode()
        )
        reservation.refresh_from_db()
        assert reservation.status == ReservationStatus.VALID

        response = client.post(cancel_url(reservation))
        assert response.status_code == 303 and response["Location"] == page_url(reservation)
        reservation.refresh_from_db()
        assert reservation.status == ReservationStatus.CANCELLED
        reservation.session.refresh_from_db()
        assert reservation.session.seats_taken == 0

    def test_refused_after_the_deadline(self, client, reservation, time_machine):
        time_machine.move_to(paris(2025, 4, 14, 10, 0), tick=False)
        assert (
            "Annuler ma réservation</a>" not in client.get(page_url(reservation)).content.decode()
        )
        page = client.get(cancel_url(reservation)).content.decode()
        assert "Cette réservation ne peut plus être annulée en ligne." in page
        assert "<form" not in page
        response = client.post(cancel_url(reservation))
        assert response.status_code == 409
        assert "appelez-nous" in response.content.decode()
        reservation.refresh_from_db()
        assert reservation.status == ReservationStatus.VALID
        reservation.session.refresh_from_db()
        assert reservation.session.seats_taken == 3

    def test_off_when_the_organisation_says_so(self, client, reservation, organisation):
        organisation.online_cancellation_allowed = False
        organisation.save()
        html = client.get(page_url(reservation)).content.decode()
        assert "Annuler ma réservation" not in html
        assert (
            "Pour toute modification ou annulation, veuillez nous contacter par téléphone" in html
        )
        assert client.post(cancel_url(reservation)).status_code == 409
        reservation.refresh_from_db()
        assert reservation.status == ReservationStatus.VALID

    def test_a_lock_wait_past_the_retries_says_busy(self, client, reservation, monkeypatch):
        monkeypatch.setattr(views, "reservation_cancel_online", always_locked([]))
        response = client.post(cancel_url(reservation))
        assert response.status_code == 409
        assert "Le service est très sollicité" in response.content.decode()
        reservation.refresh_from_db()
        assert reservation.status == ReservationStatus.VALID

    def test_already_cancelled_goes_back_to_the_page(self, client, reservation):
        client.post(cancel_url(reservation))
        assert client.post(cancel_url(reservation))["Location"] == page_url(reservation)
        reservation.session.refresh_from_db()
        assert reservation.session.seats_taken == 0


class TestLifeOfTheReservation:
    def test_reference_at_the_top(self, client, reservation):
        html = client.get(page_url(reservation)).content.decode()
        top = html.split('class="banner"', 1)[1].split('class="confirmation', 1)[0]
        assert f"Réservation n° <strong>{reservation.reference}</strong>" in top

    def test_email_announced_only_on_the_page_a_booking_leads_to(self, client, reservation):
        later = client.get(page_url(reservation)).content.decode()
        just_booked = client.get(page_url(reservation) + "?enregistree=1").content.decode()
        announce = "Vous recevrez une confirmation par e-mail"
        assert announce in just_booked and announce not in later

    def test_past_session_has_no_calendar_buttons(self, client, reservation, time_machine):
        time_machine.move_to(paris(2025, 4, 16, 12, 0), tick=False)
        html = client.get(page_url(reservation)).content.decode()
        assert "Cette activité a eu lieu le mercredi 16 avril 2025 de 10 h à 11 h 30." in html
        assert "Ajouter à mon calendrier" not in html and "Google Agenda" not in html
        assert "votre réservation a été prise en compte" not in html

    def test_cancelled_links_to_the_other_dates(self, client, reservation):
        client.post(cancel_url(reservation))
        html = client.get(page_url(reservation)).content.decode()
        activity_url = reverse("public:activity_detail", args=[reservation.session.activity.slug])
        assert f'<a href="{activity_url}" data-other-dates>' in html

    def test_printed_page_names_the_organisation(self, client, reservation):
        html = client.get(page_url(reservation)).content.decode()
        header = html.split('class="print-header"', 1)[1].split("</div>", 1)[0]
        assert "Ville d&#x27;Exemple" in header and "59000 Exempleville" in header


def change_url(reservation) -> str:
    return reverse("public:reservation_change", args=[reservation.token])


class TestQuantityChange:
    def test_link_form_change_and_marker(self, client, reservation):
        page = client.get(page_url(reservation)).content.decode()
        assert f'href="{change_url(reservation)}">Modifier le nombre de places</a>' in page
        form = client.get(change_url(reservation)).content.decode()
        assert '<option value="3" selected>3</option>' in form
        assert '<option value="8">8</option>' in form and 'value="9"' not in form
        response = client.post(change_url(reservation), {"quantity": "5"})
        assert response.status_code == 303
        assert response["Location"] == page_url(reservation) + "?modifiee=1"
        html = client.get(response["Location"]).content.decode()
        assert "Votre réservation est modifiée : 5 places." in html
        reservation.refresh_from_db()
        assert reservation.quantity == 5
        assert (
            "Votre réservation est modifiée"
            not in client.get(page_url(reservation)).content.decode()
        )

    def test_refused_change_says_why(self, client, reservation):
        session = reservation.session
        session.seat_limit = 4
        session_save(session=session)
        response = client.post(change_url(reservation), {"quantity": "8"})
        assert response.status_code == 200  # not a choice offered: the form says so
        reservation.refresh_from_db()
        assert reservation.quantity == 3

    def test_past_the_deadline_no_link_nor_form(self, client, reservation, time_machine):
        time_machine.move_to(paris(2025, 4, 15, 10, 0), tick=False)  # two days before: closed
        assert (
            "Modifier le nombre de places</a>"
            not in client.get(page_url(reservation)).content.decode()
        )
        html = client.get(change_url(reservation)).content.decode()
        assert "Cette réservation ne peut plus être modifiée en ligne." in html
        refused = client.post(change_url(reservation), {"quantity": "1"})
        assert refused.status_code == 409
        assert "ne peut plus être modifiée en ligne" in refused.content.decode()
        reservation.refresh_from_db()
        assert reservation.quantity == 3

    @pytest.mark.parametrize("value", ["abc", "\x00", "9" * 500, "<b>"])
    def test_hostile_input_is_a_form_error(self, client, reservation, value):
        # 400: a NUL byte is refused before the view (core's middleware).
        assert client.post(change_url(reservation), {"quantity": value}).status_code in (200, 400)
        reservation.refresh_from_db()
        assert reservation.quantity == 3
