"""The booking pages of the portal: the slots' states, "Réserver" without JavaScript (search,
inline creation, guests, accompaniers, the likely outcome of each line), the booking's page,
"Mes réservations" and the cancellations; bad input answered in French, never a 500."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.bookings.services import session_save
from guichet.catalogue.models import SessionStatus
from guichet.core.templatetags import layout
from guichet.solidarity import booking_views
from guichet.solidarity.models import Beneficiary, BeneficiaryKind
from guichet.solidarity.selectors import SlotKind, session_slot_state
from guichet.solidarity.services import booking_create
from guichet.solidarity.tests.booking_helpers import (
    accompanier,
    book,
    guest,
    participant,
    solidarity_session,
)
from guichet.solidarity.tests.factories import EventDetailsFactory, StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return EventDetailsFactory(
        published_at=timezone.now() - timedelta(days=1),
        activity__name="Musée des Exemples",
        activity__max_places_per_booking=8,
    )


@pytest.fixture
def session(event):
    """A session in 10 days, its booking open (opened 20 days ago), 2 seats."""
    return solidarity_session(timezone.now() + timedelta(days=10), seats=2, activity=event.activity)


def page(response) -> str:
    assert response.status_code < 500
    return response.content.decode()


# --- slots -----------------------------------------------------------------------------------


def test_the_slot_states_in_order(event):
    now = timezone.now()
    open_ = solidarity_session(now + timedelta(days=10), seats=2, activity=event.activity)
    state = session_slot_state(session=open_, now=now)
    assert (state.kind, state.text, state.bookable) == (
        SlotKind.OPEN,
        "2 invitations disponibles",
        True,
    )
    assert not state.closing_soon
    assert session_slot_state(session=open_, now=open_.closes_at - timedelta(hours=71)).closing_soon
    not_open = solidarity_session(now + timedelta(days=40), activity=event.activity)
    text = session_slot_state(session=not_open, now=now).text
    assert text.startswith("Ouverture des réservations le ") and text.endswith("à 9 h")
    assert session_slot_state(session=open_, now=open_.closes_at).text == "Réservations closes"
    open_.seats_taken = 2
    state = session_slot_state(session=open_, now=now)
    assert (state.text, state.detail, state.bookable) == ("Complet", "Liste d'attente", True)
    open_.waiting_limit, open_.waiting_count = 1, 1
    state = session_slot_state(session=open_, now=now)
    assert (state.text, state.bookable) == ("Complet (liste d'attente comprise)", False)
    open_.status, open_.reason = SessionStatus.CANCELLED, "Intempéries"
    state = session_slot_state(session=open_, now=now)
    assert (state.text, state.detail) == ("Annulé", "Motif : Intempéries")


def test_a_postponed_slot_says_its_new_date(event):
    session = solidarity_session(timezone.now() + timedelta(days=10), activity=event.activity)
    book(session, [participant(StructureFactory())], now=timezone.now())
    session.start = session.start + timedelta(days=1)
    session.end = session.end + timedelta(days=1)
    session = session_save(session=session)
    state = session_slot_state(session=session, now=timezone.now())
    assert state.postponed.startswith("Reporté — nouvelle date : ")


def test_the_event_sheet_shows_the_slots_and_the_booking_link(referent_client, session, event):
    html = page(referent_client.get(reverse("solidarity:event_detail", args=[event.activity.pk])))
    assert "2 invitations disponibles" in html
    assert reverse("solidarity:booking_new", args=[session.pk]) in html


# --- booking ---------------------------------------------------------------------------------


def post(client, session, people=(), **data):
    return client.post(
        reverse("solidarity:booking_new", args=[session.pk]),
        {"person": [p.pk for p in people], "submission": "abc123", **data},
    )


def test_a_booking_without_javascript(referent_client, structure, session):
    host = participant(structure, last_name="Hôte", first_name="Anne")
    url = reverse("solidarity:booking_new", args=[session.pk])
    html = page(referent_client.get(url))
    assert "Ajouter un participant" in html and "Créer un nouveau participant" in html
    html = page(post(referent_client, session, q="hote", search="1"))
    assert f'name="add" value="{host.pk}"' in html  # accents ignored
    html = page(post(referent_client, session, add=host.pk))
    assert f'name="person" value="{host.pk}"' in html and "Invitation" in html
    html = page(
        post(
            referent_client,
            session,
            [host],
            create_guest=host.pk,
            **{f"guest{host.pk}-last_name": "Invitée", f"guest{host.pk}-first_name": "Zoé"},
        )
    )
    friend = Beneficiary.objects.get(last_name="Invitée")
    assert friend.kind == BeneficiaryKind.GUEST and friend.guest_of == host
    helper = accompanier(structure, last_name="Aide")
    html = page(post(referent_client, session, [host, friend], add=helper.pk))
    # Two seats: the host and the guest; the accompanier waits, the page says so beforehand.
    assert html.count("<strong>Invitation</strong>") == 2
    assert "Liste d&#x27;attente : complet" in html
    response = post(referent_client, session, [host, friend, helper], save="1")
    assert response.status_code == 302
    html = page(referent_client.get(response.url))
    reference = Reservation.objects.get(holder_key=f"beneficiary:{host.pk}").reference
    assert f"Invitation n° S-{reference}" in html
    assert "Sur liste d&#x27;attente (rang 1)" in html
    # Sent again: the same booking.
    again = post(referent_client, session, [host, friend, helper], save="1")
    assert again.url == response.url


def test_enregistrer_costs_at_most_25_statements(
    referent_client, structure, event, django_assert_max_num_queries
):
    """Eight people (the most a booking holds), two of them over their weekly quota: the
    quota is read once for the whole booking, and "Enregistrer" stays within the issue's 25
    statements (account and session included); each line's outcome as the rules say."""
    start = timezone.now() + timedelta(days=10)
    session = solidarity_session(start, seats=10, activity=event.activity)
    hosts = [participant(structure) for _ in range(3)]
    busy = [participant(structure) for _ in range(2)]
    for _ in range(2):  # the quota of 2, held the same week
        book(solidarity_session(start, seats=10, activity=event.activity), busy)
    people = [*hosts, guest(hosts[0]), guest(hosts[1]), accompanier(structure), *busy]
    with django_assert_max_num_queries(25):
        response = post(referent_client, session, people, save="1")
    assert response.status_code == 302
    lines = {
        row.holder_key: row
        for row in Reservation.objects.filter(session=session, group__isnull=False)
    }
    assert len(lines) == 8
    for person in people:
        line = lines[f"beneficiary:{person.pk}"]
        if person in busy:
            assert line.status == ReservationStatus.WAITING
            assert line.waiting_reason.startswith("quota atteint (2 invitations la semaine du")
        else:
            assert line.status == ReservationStatus.VALID


def test_the_result_page_offers_the_download_the_booking_page_does_not(
    referent_client, structure, session
):
    response = post(referent_client, session, [participant(structure)], save="1")
    assert response.url.endswith("/?resultat=1")
    result = page(referent_client.get(response.url))
    pdf = reverse("solidarity:booking_pdf", args=[Reservation.objects.get().group_id])
    assert f'href="{pdf}" download data-download-start' in result
    assert "Le téléchargement de vos invitations va commencer…" in result  # for portal.js
    later = page(referent_client.get(response.url.removesuffix("?resultat=1")))
    assert "data-download-start" not in later and f'href="{pdf}"' in later  # "Imprimer"


def test_the_dialog_is_told_where_the_booking_is(referent_client, structure, session):
    """fetch would follow a redirect itself (and use up the page's messages): the dialog's
    script gets the booking's address instead."""
    answer = referent_client.post(
        reverse("solidarity:booking_new", args=[session.pk]),
        {"person": [participant(structure).pk], "submission": "abc123", "save": "1"},
        headers={"X-Booking-Dialog": "1"},
    )
    group = Reservation.objects.get().group_id
    assert answer.status_code == 204
    assert (
        answer["X-Booking-Location"]
        == reverse("solidarity:booking_detail", args=[group]) + "?resultat=1"
    )
    # Anything else than "Enregistrer" answers the page, the dialog takes its form from it.
    html = page(
        referent_client.post(
            reverse("solidarity:booking_new", args=[session.pk]),
            {"q": "x", "search": "1"},
            headers={"X-Booking-Dialog": "1"},
        )
    )
    assert "data-booking-panel" in html


def test_inline_creation_keeps_the_selection_and_refuses_bad_names(
    referent_client, structure, session
):
    host = participant(structure)
    html = page(
        post(
            referent_client,
            session,
            [host],
            create="1",
            **{"new-last_name": "<b>x\x07", "new-first_name": ""},
        )
    )
    assert f'name="person" value="{host.pk}"' in html
    assert "Le formulaire contient des erreurs" in html
    response = post(
        referent_client,
        session,
        [host],
        create="1",
        **{"new-last_name": "Nouveau", "new-first_name": "Né"},
    )
    assert f'name="person" value="{Beneficiary.objects.get(last_name="Nouveau").pk}"' in page(
        response
    )


def _blank_tokens(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'name="submission" value="[^"]+"', "", html)


def test_the_blank_creation_forms_are_rendered_once_per_process(
    referent_client, structure, session
):
    """The participant's and the accompanier's blank forms are a `{% layout_part %}`: the page
    is the same, byte for byte, rendered or taken from the parts; a form sent back with an
    error shows its error and what was typed, the other blank form stays as it was."""
    url = reverse("solidarity:booking_new", args=[session.pk])
    layout._parts.clear()
    first = _blank_tokens(page(referent_client.get(url)))
    assert any(key[0] == "quick-person-form" for key in layout._parts)
    again = _blank_tokens(page(referent_client.get(url)))
    assert again == first
    for prefix in ("new", "acc"):
        assert f'id="id_{prefix}-last_name"' in first and f'name="{prefix}-civility"' in first
    html = page(post(referent_client, session, create="1", **{"new-last_name": "Nom<b>"}))
    assert "Le formulaire contient des erreurs" in html
    assert 'value="Nom&lt;b&gt;"' in html
    assert html.count('class="field field--error"') == 2  # the participant's name and first name
    assert 'id="id_acc-last_name"' in html


@pytest.mark.parametrize("forged", ["999999999", "-1", "abc", "1" * 40, "<script>", "\u202e"])
def test_forged_or_foreign_ids_are_dropped_with_a_message(
    referent_client, structure, session, forged
):
    host = participant(structure)
    html = page(
        referent_client.post(
            reverse("solidarity:booking_new", args=[session.pk]),
            {"person": [host.pk, forged], "add": forged},
        )
    )
    assert "pas suivie par votre structure" in html
    assert f'name="person" value="{host.pk}"' in html


def test_a_nul_byte_is_answered_400_by_the_core_middleware(referent_client, session):
    assert post(referent_client, session, add="\x00").status_code == 400


def test_another_structures_or_an_inactive_person_cannot_be_booked(
    referent_client, structure, session
):
    foreign = participant(StructureFactory())
    inactive = participant(structure, is_active=False)
    html = page(post(referent_client, session, [foreign, inactive], save="1"))
    assert "pas suivie par votre structure" in html
    assert not Reservation.objects.exists()


def test_lone_guests_accompaniers_and_nine_people_are_refused(referent_client, structure, session):
    helper = accompanier(structure)
    html = page(post(referent_client, session, [helper], save="1"))
    assert "Un accompagnateur vient avec au moins un participant" in html
    friend = guest(participant(structure))
    html = page(post(referent_client, session, [friend], save="1"))
    assert "ajoutez aussi son participant" in html
    nine = [participant(structure) for _ in range(9)]
    html = page(post(referent_client, session, nine[:8], add=nine[8].pk))
    assert "au plus 8 personnes" in html
    assert html.count('name="person"') == 8
    assert not Reservation.objects.exists()


def test_a_refused_booking_asks_the_service_once(referent_client, structure, session):
    helper = accompanier(structure)
    with mock.patch.object(booking_views, "booking_create", wraps=booking_create) as service:
        html = page(post(referent_client, session, [helper], save="1"))
    assert "Un accompagnateur vient avec au moins un participant" in html
    assert service.call_count == 1
    assert f'name="person" value="{helper.pk}"' in html  # the selection kept


def test_a_booking_naming_another_structures_person_books_the_others(
    referent_client, structure, session
):
    host, foreign = participant(structure), participant(StructureFactory())
    answer = post(referent_client, session, [host, foreign], save="1")
    assert answer.status_code == 302
    assert list(Reservation.objects.values_list("holder_key", flat=True)) == [
        f"beneficiary:{host.pk}"
    ]
    assert "pas suivie par votre structure" in page(referent_client.get(answer["Location"]))


def test_a_form_loaded_before_the_closing_is_refused_after_it(
    referent_client, structure, session, time_machine
):
    host = participant(structure)
    time_machine.move_to(session.closes_at, tick=False)
    html = page(post(referent_client, session, [host], save="1"))
    assert "Les réservations sont closes pour cette session." in html
    assert f'name="person" value="{host.pk}"' in html


# --- Mes réservations, cancellation ------------------------------------------------------------


def test_mes_reservations_lists_filters_and_pages(referent_client, structure, event):
    sessions = [
        solidarity_session(
            timezone.now() + timedelta(days=10, hours=h), seats=50, activity=event.activity
        )
        for h in range(6)
    ]
    people = [participant(structure) for _ in range(7)]
    for session in sessions:
        book(session, people, now=timezone.now())
    url = reverse("solidarity:reservations")
    html = page(referent_client.get(url))
    assert "1 à 25 sur 42 éléments" in html
    assert "Musée des Exemples Le " in html and "Participant" in html and "Réservé le " in html
    assert "Annuler l'invitation" in html
    html = page(referent_client.get(url, {"personne": people[0].pk}))
    assert "1 à 6 sur 6 éléments" in html
    html = page(referent_client.get(url, {"personne": "999999", "evenement": "x"}))
    assert "Sélectionnez un choix valide" in html
    html = page(referent_client.get(url, {"page": 2}))
    assert "26 à 42 sur 42 éléments" in html


def test_cancelling_one_line_after_a_confirmation(referent_client, structure, session):
    host, waiting = participant(structure), participant(structure)
    friend = guest(host)
    result = book(session, [host, friend], now=timezone.now())
    book(session, [waiting], now=timezone.now())
    line = result.outcomes[0].reservation
    url = reverse("solidarity:invitation_cancel", args=[line.pk])
    html = page(referent_client.get(url))
    assert "Confirmer l'annulation" in html
    response = referent_client.post(url, follow=True)
    assert "Votre annulation est confirmée : les invitations sont remises en ligne." in page(
        response
    )
    assert Reservation.objects.get(pk=line.pk).status == ReservationStatus.CANCELLED
    assert (
        Reservation.objects.get(invitation__beneficiary=friend).status
        == ReservationStatus.CANCELLED
    )
    assert (
        Reservation.objects.get(invitation__beneficiary=waiting).status == ReservationStatus.VALID
    )


def test_too_late_to_cancel_gives_the_phones(
    referent_client, structure, session, event, time_machine
):
    event.venue.phone = "+33320000000"
    event.venue.save()
    structure.territory.phone = "+33321000000"
    structure.territory.save()
    line = book(session, [participant(structure)], now=timezone.now()).outcomes[0].reservation
    time_machine.move_to(session.cancel_until, tick=False)
    url = reverse("solidarity:booking_cancel", args=[line.group_id])
    html = page(referent_client.post(url))
    assert "Le délai d&#x27;annulation est expiré" in html
    assert "03 20 00 00 00" in html and "03 21 00 00 00" in html
    assert Reservation.objects.get(pk=line.pk).status == ReservationStatus.VALID


def test_deactivating_a_person_lists_their_invitations_then_cancels_them(
    referent_client, structure, session
):
    person = participant(structure)
    line = book(session, [person], now=timezone.now()).outcomes[0].reservation
    url = reverse("solidarity:beneficiary_state", args=[person.pk])
    html = page(referent_client.post(url, {"active": "0"}))
    assert "Désactiver et annuler ses invitations" in html and "Musée des Exemples" in html
    person.refresh_from_db()
    assert person.is_active
    referent_client.post(url, {"active": "0", "confirm": "1"})
    person.refresh_from_db()
    line.refresh_from_db()
    assert not person.is_active and line.status == ReservationStatus.CANCELLED
