"""The booking form: what it accepts, what it refuses and how, and that the server decides."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse

from guichet.bookings.models import Reservation
from guichet.bookings.services import reservation_create, session_save
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.models import Session, SessionStatus
from guichet.catalogue.tests.factories import ActivityFactory, LocationFactory, SessionFactory
from guichet.core.tests.locks import always_locked
from guichet.notifications.models import MessageKind, MessageState, OutgoingMessage
from guichet.public import views
from guichet.public.forms import SUBMISSION_SALT
from guichet.public.tests.conftest import paris

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]

TYPED = {
    "first_name": "Camille",
    "last_name": "Exemple",
    "email": "camille@example.org",
    "phone": "06 12 34 56 78",
    "city": "Tourcoing",
    "quantity": "2",
}


def book_url(session) -> str:
    return reverse("public:session_book", args=[session.pk])


def submission_in(html: str) -> str:
    """The one-time key that the page's form sends."""
    return re.search(r'name="submission" value="([^"]+)"', html).group(1)


def load_form(client, session) -> dict:
    """GET the form as a browser would; returns the POST data with its one-time key."""
    response = client.get(book_url(session))
    assert response.status_code == 200
    return TYPED | {"submission": submission_in(response.content.decode())}


def post(client, session, data, **extra):
    return client.post(book_url(session), data, **extra)


def post_after_staff_book(client, session, monkeypatch, *, seats: int):
    """Send a loaded form while staff book `seats` seats for someone else between the form's
    checks and the seat service: the race a crowd produces."""

    def other_person_first(**kwargs):
        competitor = booking_data(quantity=seats, email="autre@example.org", online=False)
        reservation_create(session=kwargs["session"], **competitor)
        return reservation_create(**kwargs)

    monkeypatch.setattr(views, "reservation_create", other_person_first)
    return post(client, session, load_form(client, session))


@pytest.fixture
def session(now, organisation):
    return SessionFactory(seat_limit=10, start=paris(2025, 4, 16, 10, 0))


class TestForm:
    def test_shows_summary_notices_and_fields(self, client, session):
        session.activity.location.group_contact = (
            "Contactez directement les serres au 03 20 00 00 01"
        )
        session.activity.location.save()
        html = client.get(book_url(session)).content.decode()
        for text in (
            "Formulaire de réservation",
            session.activity.name,
            "Mercredi 16 avril 2025, de 10 h à 11 h 30",
            "GRATUIT",
            "Quantité restante : 10",
            "Pour les groupes (plus de 8 personnes) : "
            'Contactez directement les serres au <a href="tel:+33320000001">03 20 00 00 01</a>',
            ">RÉSERVER</button>",
            ">Effacer le formulaire</a>",
            ">RETOUR</a>",
            ">Retour à la liste</a>",
            'autocomplete="given-name"',
            'type="tel"',
        ):
            assert text in html, text
        for label in ("Prénom", "Nom", "Email", "Numéro de téléphone", "Ville", "Quantité"):
            assert f">{label}<span" in html, label

    def test_blank_fields_are_shared_only_by_sessions_offering_as_many_places(
        self, client, now, organisation
    ):
        """The blank fields are rendered once per process for a number of places: a session
        with other limits, or a form sent back with its errors, gets its own."""

        def quantities(html: str) -> list[str]:
            select = re.search(r'<select name="quantity".*?</select>', html, re.S).group(0)
            return re.findall(r'<option value="(\d+)"', select)

        two = SessionFactory(activity=ActivityFactory(max_places_per_booking=2), seat_limit=10)
        five = SessionFactory(activity=ActivityFactory(max_places_per_booking=5), seat_limit=10)
        three_left = SessionFactory(
            activity=ActivityFactory(max_places_per_booking=5), seat_limit=3
        )
        for _ in range(2):
            assert quantities(client.get(book_url(two)).content.decode()) == ["1", "2"]
            assert quantities(client.get(book_url(five)).content.decode()) == list("12345")
            assert quantities(client.get(book_url(three_left)).content.decode()) == list("123")
        typed = load_form(client, five) | {"first_name": "Zoé", "city": "", "quantity": "4"}
        html = post(client, five, typed).content.decode()
        assert 'value="Zoé"' in html and "Saisissez votre ville." in html
        assert '<option value="4" selected>' in html
        blank = client.get(book_url(five)).content.decode()
        assert "Zoé" not in blank and "Saisissez votre ville." not in blank

    def test_group_notice_falls_back_to_the_organisation(self, client, session):
        html = client.get(book_url(session)).content.decode()
        assert (
            'Contactez-nous au <a href="tel:+33320000000">+33 3 20 00 00 00</a> '
            "pour convenir d'une date." in html
        )

    def test_unlimited_session_has_no_seat_notice(self, client, now, organisation):
        session = SessionFactory(seat_limit=None)
        assert "Quantité restante" not in client.get(book_url(session)).content.decode()

    @pytest.mark.parametrize(
        ("max_places", "seats_taken", "offered"), [(8, 0, 8), (4, 0, 4), (8, 7, 3)]
    )
    def test_quantity_offered_up_to_the_smaller_bound(
        self, client, session, max_places, seats_taken, offered
    ):
        session.activity.max_places_per_booking = max_places
        session.activity.save()
        session.seats_taken = seats_taken
        session.save()
        form = client.get(book_url(session)).context["form"]
        assert [value for value, _label in form.fields["quantity"].choices] == list(
            range(1, offered + 1)
        )


class TestBooking:
    def test_books_and_shows_the_reservation(self, client, session):
        response = post(client, session, load_form(client, session))
        reservation = Reservation.objects.get()
        assert response.status_code == 303
        assert response["Location"] == (
            reverse("public:reservation_detail", args=[reservation.token]) + "?enregistree=1"
        )
        assert (reservation.first_name, reservation.email, reservation.city) == (
            "Camille",
            "camille@example.org",
            "Tourcoing",
        )
        assert reservation.phone == "+33612345678"
        assert reservation.quantity == 2
        session.refresh_from_db()
        assert session.seats_taken == 2

    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("0612345678", "+33612345678"),
            ("06.12.34.56.78", "+33612345678"),
            ("+33 6 12 34 56 78", "+33612345678"),
            ("0033 6 12 34 56 78", "+33612345678"),
            ("03 20 26 89 03", "+33320268903"),
            ("+32 470 12 34 56", "+32470123456"),
        ],
    )
    def test_phone_stored_in_e164(self, client, session, typed, stored):
        post(client, session, load_form(client, session) | {"phone": typed})
        assert Reservation.objects.get().phone == stored

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("first_name", "", "Saisissez votre prénom."),
            ("last_name", "  ", "Saisissez votre nom."),
            ("first_name", "Camille2", "Saisissez un prénom sans chiffres ni adresse web."),
            ("last_name", "www.exemple.fr", "Saisissez un nom sans chiffres ni adresse web."),
            ("email", "", "Saisissez votre adresse e-mail."),
            ("email", "camille@", "Adresse e-mail invalide"),
            ("phone", "", "Saisissez votre numéro de téléphone."),
            (
                "phone",
                "12 34",
                "Numéro de téléphone invalide : saisissez par exemple 06 12 34 56 78",
            ),
            ("city", "", "Saisissez votre ville."),
            ("quantity", "", "Choisissez une quantité."),
            ("quantity", "0", "Choisissez une quantité de 1 à 8."),
            ("quantity", "9", "Choisissez une quantité de 1 à 8."),
            ("quantity", "deux", "Choisissez une quantité de 1 à 8."),
        ],
    )
    def test_rejection_says_what_to_fix_and_keeps_what_was_typed(
        self, client, session, field, value, message
    ):
        response = post(client, session, load_form(client, session) | {field: value})
        html = response.content.decode()
        assert response.status_code == 200
        assert not Reservation.objects.exists()
        assert message in html
        # Announced: the summary is an alert, the field points at its error.
        assert 'role="alert"' in html
        assert (
            f'aria-describedby="id_{field}_error"' in html
            or f"id_{field}_helptext id_{field}_error" in html
        )
        assert 'aria-invalid="true"' in html
        for other, typed in TYPED.items():
            if other not in (field, "quantity"):
                assert f'value="{typed}"' in html, other
        assert "<title>Erreur :" in html

    def test_an_address_longer_than_the_model_allows_is_a_form_error(self, client, session):
        email = "c" * 250 + "@example.org"  # valid up to 320 characters, stored up to 254
        response = post(client, session, load_form(client, session) | {"email": email})
        assert response.status_code == 200
        assert "au plus 254 caractères" in response.content.decode()
        assert not Reservation.objects.exists()

    def test_a_refusal_of_the_model_is_a_form_error(self, client, session, monkeypatch):
        def refuse(reservation):
            raise ValidationError({"city": "Ville inconnue.", NON_FIELD_ERRORS: "Refusée."})

        monkeypatch.setattr(Reservation, "clean", refuse)
        response = post(client, session, load_form(client, session))
        html = response.content.decode()
        assert response.status_code == 200
        assert "Ville inconnue." in html and "Refusée." in html
        assert 'aria-describedby="id_city_error"' in html
        assert not Reservation.objects.exists()

    def test_quantity_limited_by_the_seats_left_when_posted(self, client, session):
        data = load_form(client, session) | {"quantity": "4"}
        reservation_create(session=session, **booking_data(quantity=7))  # someone else, meanwhile
        response = post(client, session, data)
        assert "Choisissez une quantité de 1 à 3." in response.content.decode()
        assert 'value="Camille"' in response.content.decode()
        assert Reservation.objects.count() == 1

    def test_lost_race_says_not_enough_seats_and_books_nothing(self, client, session, monkeypatch):
        """Two people submit for the last seats together: the form saw them free, the seat
        service (guarded update) gives them to whoever came first."""

        response = post_after_staff_book(client, session, monkeypatch, seats=9)
        html = response.content.decode()
        assert response.status_code == 409
        assert "pas assez de places" in html
        assert "La quantité ne peut être que 1." in html
        assert 'value="Camille"' in html
        assert "Quantité restante : 1" in html
        assert list(Reservation.objects.values_list("email", flat=True)) == ["autre@example.org"]
        session.refresh_from_db()
        assert session.seats_taken == 9

    def test_lost_race_for_the_last_seats_shows_the_session_full(
        self, client, session, monkeypatch
    ):
        response = post_after_staff_book(client, session, monkeypatch, seats=10)
        html = response.content.decode()
        assert response.status_code == 409
        assert "pas assez de places (places restantes : 0)" in html
        assert "<form" not in html.split('class="booking__main"')[1]  # nothing left to book
        assert session.activity.name in html  # the summary, as before
        assert Reservation.objects.count() == 1


class TestServerDecides:
    """The form was loaded while the session was open; by the time it is sent, it is not."""

    def test_cancelled(self, client, session):
        data = load_form(client, session)
        session.status, session.reason = SessionStatus.CANCELLED, "Météo"
        session_save(session=session)
        response = post(client, session, data)
        assert response.status_code == 409
        assert "Cette session est annulée." in response.content.decode()
        assert not Reservation.objects.exists()

    def test_closed(self, client, session, time_machine):
        session.activity.booking_delay = timedelta(days=1)
        session.activity.save()
        data = load_form(client, session)
        time_machine.move_to(session.start - timedelta(hours=23), tick=False)
        response = post(client, session, data)
        assert response.status_code == 409
        assert "Les réservations sont closes pour cette session." in response.content.decode()
        assert not Reservation.objects.exists()

    def test_full(self, client, session):
        data = load_form(client, session)
        reservation_create(session=session, **booking_data(quantity=8, email="alix@example.org"))
        reservation_create(session=session, **booking_data(quantity=2, email="basile@example.org"))
        response = post(client, session, data | {"quantity": "1"})
        assert response.status_code == 409
        assert "Cette session est complète." in response.content.decode()
        assert Reservation.objects.count() == 2

    def test_no_longer_bookable_online(self, client, session):
        data = load_form(client, session)
        session.activity.bookable_online = False
        session.activity.save()
        response = post(client, session, data)
        assert response.status_code == 409
        assert "Cette session est en accès libre, sans réservation." in response.content.decode()
        assert not Reservation.objects.exists()

    def test_form_not_offered_when_not_bookable(self, client, now, organisation):
        session = SessionFactory(seats_taken=10)
        response = client.get(book_url(session))
        assert response.context["form"] is None
        assert "Cette session est complète." in response.content.decode()
        assert "<form" not in response.content.decode()


class TestSubmittedOnce:
    def test_double_submit_books_once(self, client, session):
        data = load_form(client, session)
        first = post(client, session, data)
        second = post(client, session, data)
        assert first["Location"] == second["Location"]
        assert Reservation.objects.count() == 1
        session.refresh_from_db()
        assert session.seats_taken == 2

    def test_back_and_resubmit_after_the_session_filled_up(self, client, session):
        data = load_form(client, session)
        first = post(client, session, data)
        reservation_create(session=session, **booking_data(quantity=8, email="alix@example.org"))
        again = post(client, session, data | {"first_name": "Dominique"})
        assert again.status_code == 303 and again["Location"] == first["Location"]
        assert Reservation.objects.filter(first_name="Dominique").count() == 0

    def test_a_new_form_books_again(self, client, session):
        post(client, session, load_form(client, session))
        post(client, session, load_form(client, session))
        assert Reservation.objects.count() == 2

    @pytest.mark.parametrize("key", ["", "made-up", "forged:abc"])
    def test_key_not_issued_by_us_is_refused(self, client, session, key):
        response = post(client, session, TYPED | {"submission": key})
        html = response.content.decode()
        assert "Ce formulaire n&#x27;était plus valable : vérifiez vos informations" in html
        assert not Reservation.objects.exists()
        assert 'value="Camille"' in html
        # The page carries a fresh key, so sending it again books.
        fresh = submission_in(html)
        assert signing.loads(fresh, salt=SUBMISSION_SALT)["s"] == session.pk
        assert post(client, session, TYPED | {"submission": fresh}).status_code == 303

    def test_key_of_another_session_is_refused(self, client, session):
        other = SessionFactory(activity=ActivityFactory(location=LocationFactory()))
        data = load_form(client, other)
        post(client, session, data)
        assert not Reservation.objects.exists()


class TestAbuse:
    def test_honeypot_refuses_quietly(self, client, session):
        response = post(
            client, session, load_form(client, session) | {"website": "http://spam.example.org"}
        )
        assert response.status_code == 400
        assert "Votre demande n&#x27;a pas pu être enregistrée." in response.content.decode()
        assert not Reservation.objects.exists()

    def test_honeypot_is_hidden_from_people(self, client, session):
        html = client.get(book_url(session)).content.decode()
        assert '<div class="honeypot" aria-hidden="true">' in html
        assert 'name="website"' in html and 'tabindex="-1"' in html

    def test_rate_limited_per_client_address(self, client, session, settings):
        settings.BOOKING_RATE_LIMIT = "2/m"
        for _ in range(2):
            assert post(client, session, load_form(client, session)).status_code == 303
        response = post(client, session, load_form(client, session))
        html = response.content.decode()
        assert response.status_code == 429
        assert "Trop de demandes de réservation viennent de votre connexion" in html
        assert 'value="Camille"' in html
        assert Reservation.objects.count() == 2
        # Another address is not held up.
        other = post(client, session, load_form(client, session), REMOTE_ADDR="192.0.2.7")
        assert other.status_code == 303

    def test_rate_limit_reads_forwarded_address_only_from_trusted_proxies(
        self, client, session, settings
    ):
        settings.BOOKING_RATE_LIMIT = "1/m"
        settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
        via_proxy = {"REMOTE_ADDR": "10.0.0.2"}
        assert (
            post(
                client,
                session,
                load_form(client, session),
                HTTP_X_FORWARDED_FOR="198.51.100.1",
                **via_proxy,
            ).status_code
            == 303
        )
        # A different visitor behind the same proxy has their own allowance.
        assert (
            post(
                client,
                session,
                load_form(client, session),
                HTTP_X_FORWARDED_FOR="198.51.100.2",
                **via_proxy,
            ).status_code
            == 303
        )
        # Not from a trusted proxy: a forged header changes nothing.
        direct = {"REMOTE_ADDR": "203.0.113.9"}
        assert (
            post(
                client,
                session,
                load_form(client, session),
                HTTP_X_FORWARDED_FOR="1.1.1.1",
                **direct,
            ).status_code
            == 303
        )
        assert (
            post(
                client,
                session,
                load_form(client, session),
                HTTP_X_FORWARDED_FOR="2.2.2.2",
                **direct,
            ).status_code
            == 429
        )

    def test_rate_limit_off(self, client, session, settings):
        settings.BOOKING_RATE_LIMIT = ""
        for _ in range(3):
            assert post(client, session, load_form(client, session)).status_code == 303


ALREADY_BOOKED = (
    "Vous avez déjà une réservation pour cette session : "
    "nous venons de vous renvoyer son lien par e-mail."
)


class TestOneAddress:
    """Seat hoarding: one e-mail address holds at most the activity's most places per booking."""

    def existing(self, session):
        data = booking_data(
            quantity=7, first_name="Dominique", last_name="Secret", email=TYPED["email"]
        )
        return reservation_create(session=session, **data)

    def test_booking_past_the_most_places_is_refused_and_the_link_mailed_again(
        self, client, session
    ):
        existing = self.existing(session)
        response = post(client, session, load_form(client, session) | {"first_name": "Zoé"})
        html = response.content.decode()
        assert response.status_code == 409
        assert ALREADY_BOOKED.replace("'", "&#x27;") in html
        # Nothing of the existing booking shows: not its name, link, reference nor places.
        for secret in ("Dominique", "Secret", existing.token, existing.reference):
            assert secret not in html
        assert Reservation.objects.count() == 1
        [link] = OutgoingMessage.objects.filter(kind=MessageKind.RESERVATION_LINK)
        assert (link.reservation, link.recipients) == (existing, ["camille@example.org"])

    def test_the_page_is_the_same_whether_or_not_the_link_mail_went(
        self, client, session, settings
    ):
        settings.CONFIRMATION_MAIL_LIMIT = ["1/h"]
        self.existing(session)  # its confirmation is the one mail of the hour
        refusal = post(client, session, load_form(client, session))
        assert refusal.status_code == 409
        assert ALREADY_BOOKED.replace("'", "&#x27;") in refusal.content.decode()
        assert list(
            OutgoingMessage.objects.filter(kind=MessageKind.RESERVATION_LINK).values_list(
                "state", flat=True
            )
        ) == [MessageState.HELD]

    def test_another_address_books(self, client, session):
        self.existing(session)
        form = load_form(client, session) | {"email": "basile@example.org"}
        assert post(client, session, form).status_code == 303


class TestConfirmationMailLimit:
    def test_the_page_says_the_mail_was_not_sent_again(self, client, session, settings):
        settings.CONFIRMATION_MAIL_LIMIT = ["1/h"]
        first = client.get(post(client, session, load_form(client, session))["Location"])
        second = client.get(post(client, session, load_form(client, session))["Location"])
        notice = "Aucun e-mail de confirmation ne vous a été envoyé pour cette réservation"
        assert notice not in first.content.decode()
        assert "Vous recevrez une confirmation par e-mail" in first.content.decode()
        assert notice in second.content.decode()
        assert Reservation.objects.count() == 2


class TestAddressPlacesPerDay:
    def test_off_by_default(self, client, session):
        for n in range(4):
            form = load_form(client, session) | {"email": f"p{n}@example.org"}
            assert post(client, session, form).status_code == 303

    def test_places_booked_from_one_address_are_capped_per_session_and_day(
        self, client, session, settings, time_machine
    ):
        settings.BOOKING_ADDRESS_PLACES_PER_DAY = 4
        for n in range(2):
            form = load_form(client, session) | {"email": f"p{n}@example.org"}
            assert post(client, session, form).status_code == 303
        form = load_form(client, session) | {"email": "p2@example.org", "quantity": "1"}
        response = post(client, session, form)
        assert response.status_code == 429
        assert "depuis votre connexion aujourd&#x27;hui" in response.content.decode()
        assert Reservation.objects.count() == 2
        # Another address, another session, another day: each has its own count.
        assert post(client, session, form, REMOTE_ADDR="192.0.2.7").status_code == 303
        other = SessionFactory(seat_limit=10, start=paris(2025, 4, 17, 10, 0))
        other_form = load_form(client, other) | {"email": "p3@example.org"}
        assert post(client, other, other_form).status_code == 303
        time_machine.move_to(paris(2025, 4, 11, 9, 0), tick=False)
        form = load_form(client, session) | {"email": "p4@example.org"}
        assert post(client, session, form).status_code == 303

    def test_the_form_sent_again_at_the_cap_leads_to_its_booking(self, client, session, settings):
        settings.BOOKING_ADDRESS_PLACES_PER_DAY = 2
        data = load_form(client, session)
        first = post(client, session, data)
        again = post(client, session, data)
        assert again.status_code == 303 and again["Location"] == first["Location"]


class TestServiceRefusals:
    """What the booking service answers is what the person reads, with what they typed."""

    def test_a_cancellation_between_the_checks_and_the_seats_shows_the_services_reason(
        self, client, session, monkeypatch
    ):
        def staff_cancel_first(**kwargs):
            staff_copy = Session.objects.get(pk=kwargs["session"].pk)
            staff_copy.status = SessionStatus.CANCELLED
            session_save(session=staff_copy)
            return reservation_create(**kwargs)

        monkeypatch.setattr(views, "reservation_create", staff_cancel_first)
        response = post(client, session, load_form(client, session))
        assert response.status_code == 409
        assert "Cette session est annulée." in response.content.decode()
        assert not Reservation.objects.exists()

    def test_a_lock_wait_past_the_retries_says_busy_and_keeps_the_form(
        self, client, session, monkeypatch
    ):
        calls = []
        monkeypatch.setattr(views, "reservation_create", always_locked(calls))
        response = post(client, session, load_form(client, session))
        html = response.content.decode()
        assert response.status_code == 409
        assert len(calls) == 3  # retried, then answered
        assert "Le service est très sollicité : veuillez réessayer dans un instant." in html
        assert 'value="Camille"' in html and 'value="camille@example.org"' in html
        assert not Reservation.objects.exists()


class TestFormNotices:
    def test_group_notice_said_once_with_its_phone_as_a_link(self, client, session):
        session.activity.location.group_contact = (
            "Contactez directement les serres au 03 20 00 00 01 pour convenir d'une date."
        )
        session.activity.location.save()
        html = client.get(book_url(session)).content.decode()
        assert html.count("Pour les groupes") == 1
        assert '<a href="tel:+33320000001">03 20 00 00 01</a>' in html

    def test_data_notice_links_to_the_personal_data_page(self, client, session):
        html = client.get(book_url(session)).content.decode()
        notice = html.split("data-data-notice>", 1)[1].split("</p>", 1)[0]
        assert "supprimées après l'activité" in notice
        assert '<a href="/donnees-personnelles/">Données personnelles</a>' in notice

    def test_paid_session_shows_price_total_and_how_to_pay(self, client, session):
        session.price = Decimal("12.50")
        session.save()
        html = client.get(book_url(session)).content.decode()
        assert "Prix par personne : 12,50\xa0€, à régler sur place." in html
        assert 'data-unit-price="12.50"' in html and "Total : 12,50\xa0€" in html

    def test_activity_name_and_date_come_first(self, client, session):
        html = client.get(book_url(session)).content.decode()
        summary = html.split('class="summary__list"', 1)[1]
        assert summary.index(session.activity.name) < summary.index("Mercredi 16 avril 2025")
        assert summary.index("Mercredi 16 avril 2025") < summary.index("Adresse")
        assert summary.index("Adresse") < html.index("Formulaire de réservation</h1>")

    def test_free_session_says_nothing_of_payment(self, client, session):
        html = client.get(book_url(session)).content.decode()
        assert "data-payment" not in html and "data-total" not in html
