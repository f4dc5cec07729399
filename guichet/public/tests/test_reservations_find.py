"""'Retrouver mes réservations': one mail with the links of an address's reservations to come."""

import pytest
from django.core import mail
from django.urls import reverse

from guichet.bookings.services import reservation_cancel, reservation_create
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.tests.factories import SessionFactory
from guichet.notifications.delivery import messages_send_due
from guichet.notifications.models import MessageKind, MessageState, OutgoingMessage
from guichet.public.tests.conftest import paris

pytestmark = pytest.mark.django_db

URL = reverse("public:reservations_find")


def lists():
    return OutgoingMessage.objects.filter(kind=MessageKind.RESERVATION_LIST)


def test_one_mail_lists_the_reservations_to_come(client, now, organisation, settings):
    coming = reservation_create(
        session=SessionFactory(start=paris(2025, 4, 16, 10, 0), activity__name="Serres"),
        **booking_data(email="anne@example.org"),
    )
    later = reservation_create(
        session=SessionFactory(start=paris(2025, 5, 2, 10, 0), activity__name="Nichoirs"),
        **booking_data(email="Anne@Example.org"),
    )
    cancelled = reservation_create(
        session=SessionFactory(activity__name="Annulée"), **booking_data(email="anne@example.org")
    )
    reservation_cancel(reservation=cancelled)
    reservation_create(
        session=SessionFactory(start=paris(2025, 4, 1, 10, 0), activity__name="Passée"),
        **booking_data(email="anne@example.org", online=False),
    )
    mail.outbox.clear()
    OutgoingMessage.objects.all().delete()

    response = client.post(URL, {"email": " anne@example.org "})
    assert response.status_code == 303 and response["Location"] == URL + "?envoye=1"
    messages_send_due()
    [email] = mail.outbox
    assert email.to == ["anne@example.org"]
    assert email.subject.startswith("Vos réservations")
    body = email.body
    for reservation in (coming, later):
        assert f"{settings.SITE_URL}/reservation/{reservation.token}/" in body
    assert body.index("Serres") < body.index("Nichoirs")
    assert cancelled.token not in body and "Passée" not in body


def test_same_answer_whether_or_not_the_address_is_known(client, now, organisation):
    reservation_create(session=SessionFactory(), **booking_data(email="anne@example.org"))
    known = client.post(URL, {"email": "anne@example.org"})
    unknown = client.post(URL, {"email": "personne@example.org"})
    assert known["Location"] == unknown["Location"]
    page = client.get(known["Location"]).content.decode()
    assert "Si des réservations à venir sont enregistrées avec cette adresse" in page
    assert lists().count() == 1


def test_mail_limit_holds_the_mail(client, now, organisation, settings):
    settings.CONFIRMATION_MAIL_LIMIT = ["2/h"]
    reservation_create(session=SessionFactory(), **booking_data(email="anne@example.org"))
    for _ in range(3):
        client.post(URL, {"email": "anne@example.org"})
    assert [m.state for m in lists().order_by("pk")] == [
        MessageState.PENDING,
        MessageState.HELD,
        MessageState.HELD,
    ]


@pytest.mark.parametrize("value", ["", "pas-une-adresse", "a@b\x00.org", "x" * 5000, "<b>@x"])
def test_invalid_address_is_a_form_error(client, organisation, value):
    response = client.post(URL, {"email": value})
    # 400: a NUL byte is refused before the view (core's middleware).
    assert response.status_code in (200, 400)
    assert not lists().exists()


def test_linked_from_every_page(client, organisation):
    assert f'<a href="{URL}">Retrouver mes réservations</a>' in client.get("/").content.decode()
