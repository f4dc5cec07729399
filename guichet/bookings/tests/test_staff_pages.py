"""The session and reservation pages and lists as staff read them, for the "Gestionnaire" group
and a superuser."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from guichet.bookings.forms import ReservationChangeForm
from guichet.bookings.services import reservation_cancel, reservation_create
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.tests.factories import ActivityFactory, SessionFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2030, 4, 16, 10, 30, tzinfo=PARIS)
STAFF = ["manager_client", "admin_client"]


@pytest.fixture
def session():
    return SessionFactory(
        start=START,
        end=START + timedelta(minutes=90),
        seat_limit=12,
        price="5.50",
        activity=ActivityFactory(name="Visite commentée des serres tropicales et du jardin"),
    )


def book(session, **overrides):
    return reservation_create(session=session, **booking_data(online=False, **overrides))


@pytest.mark.parametrize("who", STAFF)
def test_session_page_lists_its_reservations_to_read(session, who, request):
    client = request.getfixturevalue(who)
    kept = book(session, last_name="<i>Martin</i>", first_name="Alix", quantity=2)
    gone = book(session, last_name="Bernard", first_name="Basile", phone="+44 20 7946 0000")
    reservation_cancel(reservation=gone)

    page = client.get(reverse("admin:catalogue_session_change", args=[session.pk])).content.decode()

    assert "Réservations de la session" in page
    assert reverse("admin:bookings_reservation_change", args=[kept.pk]) in page
    assert "&lt;i&gt;Martin&lt;/i&gt; Alix</a></td>" in page
    assert "<td>06 12 34 56 78</td>" in page and "<td>+44 20 7946 0000</td>" in page
    assert f"<td>{kept.reference}</td>" in page and "<td>Annulé</td>" in page
    assert "Liste d'accueil (PDF)" in page


@pytest.mark.parametrize("who", STAFF)
def test_session_page_times_have_no_seconds_and_the_end_is_fin(session, who, request):
    client = request.getfixturevalue(who)

    page = client.get(reverse("admin:catalogue_session_change", args=[session.pk])).content.decode()

    assert 'name="start_1" value="10:30"' in page
    assert 'name="end_1" value="12:00"' in page
    assert ">Fin\u00a0:</label>" in page and "Fini le" not in page
    assert "bookings/session_status.js" in page
    # Without the script, the postponement fields stay in the page (hidden by it only).
    assert 'name="new_start_0"' in page


def test_session_list_columns_and_default_filter(admin_client, session):
    book(session, quantity=3)
    past = SessionFactory(start=datetime(2020, 1, 1, 10, 0, tzinfo=PARIS), end=None)

    response = admin_client.get(reverse("admin:catalogue_session_changelist"))
    page = response.content.decode()

    assert list(response.context["cl"].result_list) == [session]  # "À venir" by default
    assert ">mar. 16 avr. 2030, 10 h 30 – 12 h</a>" in page
    assert 'title="Visite commentée des serres tropicales et du jardin"' in page
    assert "Visite commentée des serres tropicales…" in page
    assert "3</a> / 12</td>" in page
    assert '<td class="field-left">9</td>' in page
    assert "5,50\u00a0€" in page
    every = admin_client.get(reverse("admin:catalogue_session_changelist"), {"quand": "all"})
    assert set(every.context["cl"].result_list) == {session, past}


def test_reservation_list_columns(admin_client, session):
    reservation = book(session, last_name="Martin", first_name="Alix", quantity=2)

    page = admin_client.get(reverse("admin:bookings_reservation_changelist")).content.decode()

    assert ">Martin Alix</a>" in page
    assert '<td class="field-quantity_display">2</td>' in page
    assert "Visite commentée des serres tropicales… (mar. 16 avr. 2030, 10 h 30 – 12 h)" in page
    assert f'<td class="field-reference">{reservation.reference}</td>' in page
    assert '<td class="field-phone_number">06 12 34 56 78</td>' in page


@pytest.mark.parametrize("who", STAFF)
def test_reservation_page_links_the_reservation_and_shows_the_phone_nationally(
    session, who, request
):
    client = request.getfixturevalue(who)
    reservation = book(session, phone="+33 3 20 00 00 00")

    page = client.get(
        reverse("admin:bookings_reservation_change", args=[reservation.pk])
    ).content.decode()

    assert "Lien de la réservation" in page
    assert f'href="{reverse("public:reservation_detail", args=[reservation.token])}"' in page
    assert ">Token<" not in page
    assert 'value="03 20 00 00 00"' in page


def test_saving_a_reservation_shown_nationally_keeps_its_number(admin_client, session):
    reservation = book(session, phone="+33 3 20 00 00 00")
    url = reverse("admin:bookings_reservation_change", args=[reservation.pk])
    data = {
        "session": session.pk,
        "status": reservation.status,
        "quantity": 1,
        "first_name": "Camille",
        "last_name": "Exemple",
        "email": reservation.email,
        "phone": "03 20 00 00 00",
        "city": "Tourcoing",
    }

    assert admin_client.post(url, data).status_code == 302
    reservation.refresh_from_db()
    assert reservation.phone == "+33320000000"


@pytest.mark.parametrize("who", STAFF)
def test_changed_lists_render_for_staff(session, who, request):
    client = request.getfixturevalue(who)
    book(session)

    for name in (
        "catalogue_session_changelist",
        "bookings_reservation_changelist",
        "notifications_outgoingmessage_changelist",
        "catalogue_activity_changelist",
    ):
        assert client.get(reverse(f"admin:{name}")).status_code == 200, name


@pytest.mark.parametrize("who", STAFF)
def test_the_cancellation_confirmation_renders_for_staff(session, who, request):
    client = request.getfixturevalue(who)
    book(session, quantity=2)
    book(session)
    url = reverse("admin:catalogue_session_change", args=[session.pk])
    page = client.get(url).context["adminform"].form
    data = {
        key: value
        for key, value in page.initial.items()
        if key in {"activity", "seat_limit", "reason"}
    }
    data |= {
        "start_0": "16/04/2030",
        "start_1": "10:30",
        "end_0": "16/04/2030",
        "end_1": "12:00",
        "price": "5,50",
        "status": "cancelled",
        "reason": "Pluie",
    }

    response = client.post(url, data)

    assert response.status_code == 200
    assert 'value="Annuler la session et prévenir 2 personnes"' in response.content.decode()


def test_a_phone_shown_nationally_is_not_a_change(session):
    reservation = book(session, phone="+33 3 20 00 00 00")
    form = ReservationChangeForm(
        instance=reservation,
        data={"phone": "03 20 00 00 00"},
    )

    assert "phone" not in form.changed_data
