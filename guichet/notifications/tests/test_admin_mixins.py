"""The confirmation step before a session's status change is saved."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.bookings import channels
from guichet.bookings.channels import MailEvent, policy_for
from guichet.bookings.services import reservation_create
from guichet.bookings.tests.factories import (
    PortalReservationFactory,
    ReservationGroupFactory,
    booking_data,
)
from guichet.catalogue.models import Channel, Session, SessionStatus
from guichet.catalogue.tests.factories import SessionFactory
from guichet.core import dates
from guichet.notifications.admin_mixins import SessionChangeConfirmMixin
from guichet.notifications.models import MessageKind, OutgoingMessage
from guichet.notifications.selectors import REMINDER_LEAD

pytestmark = [pytest.mark.django_db, pytest.mark.urls("guichet.notifications.tests.urls")]

URL = "/admin/catalogue/session/{pk}/change/"


def _split(value) -> dict:
    local = timezone.localtime(value)
    return {"0": local.strftime("%d/%m/%Y"), "1": local.strftime("%H:%M:%S")}


def form_data(session: Session, **changes) -> dict:
    values = {
        "activity": session.activity_id,
        "start": session.start,
        "end": session.end,
        "seat_limit": session.seat_limit or "",
        "price": session.price,
        "status": session.status,
        "reason": session.reason,
        "new_start": session.new_start,
        "new_end": session.new_end,
        **changes,
    }
    data = {"_save": "Enregistrer"}
    for name, value in values.items():
        if name in {"start", "end", "new_start", "new_end"}:
            parts = _split(value) if value else {"0": "", "1": ""}
            data |= {f"{name}_{index}": part for index, part in parts.items()}
        else:
            data[name] = value
    return data


@pytest.fixture
def session():
    session = SessionFactory(
        start=timezone.now().replace(second=0, microsecond=0) + timedelta(days=7)
    )
    for email in ("a@example.org", "b@example.org"):
        reservation_create(session=session, **booking_data(email=email))
    return session


def postponed(session, **changes) -> dict:
    return form_data(
        session,
        status=SessionStatus.POSTPONED,
        new_start=session.start + timedelta(days=3),
        **changes,
    )


def test_a_postponement_asks_for_confirmation_and_saves_nothing_yet(admin_client, session):
    response = admin_client.post(URL.format(pk=session.pk), postponed(session))
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "L&#x27;e-mail « Report de l&#x27;activité » sera envoyé pour chacune des 2 réservations valides"
        in page
    )
    assert "2 adresses e-mail" in page
    reminders_at = session.start + timedelta(days=3) - REMINDER_LEAD
    assert f"Les rappels J-2 seront envoyés le {dates.datetime_long(reminders_at)}." in page
    assert f'name="{SessionChangeConfirmMixin.CONFIRM_FIELD}"' in page
    session.refresh_from_db()
    assert session.status == SessionStatus.NONE
    assert not OutgoingMessage.objects.filter(kind=MessageKind.SESSION_POSTPONED).exists()


def test_confirming_saves_and_writes_the_mails(admin_client, session):
    data = postponed(session) | {SessionChangeConfirmMixin.CONFIRM_FIELD: "Oui, enregistrer"}
    response = admin_client.post(URL.format(pk=session.pk), data)
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.POSTPONED
    assert OutgoingMessage.objects.filter(kind=MessageKind.SESSION_POSTPONED).count() == 2


def test_the_page_posts_back_every_field(admin_client, session):
    page = admin_client.post(
        URL.format(pk=session.pk), postponed(session, reason="Pluie")
    ).content.decode()
    assert 'name="reason" value="Pluie"' in page
    assert 'name="_save"' in page
    assert 'name="new_start_0"' in page


def test_a_cancellation_says_the_reservations_are_cancelled_and_reminders_withdrawn(
    admin_client, session
):
    data = form_data(session, status=SessionStatus.CANCELLED, reason="Travaux")
    page = admin_client.post(URL.format(pk=session.pk), data).content.decode()
    assert (
        "« Annulation de l&#x27;activité » sera envoyé pour chacune des 2 réservations valides"
        in page
    )
    assert "Les 2 réservations valides seront annulées." in page
    assert "Les rappels J-2 en attente seront retirés." in page


def test_editing_only_the_reason_says_nothing_is_sent(admin_client, session):
    session.status, session.new_start, session.reason = (
        SessionStatus.POSTPONED,
        session.start + timedelta(days=3),
        "A",
    )
    session.save()
    page = admin_client.post(
        URL.format(pk=session.pk), form_data(session, reason="B")
    ).content.decode()
    assert "Aucun e-mail ne sera envoyé : seul le motif change." in page


def test_status_back_to_none_says_nothing_is_sent(admin_client, session):
    session.status, session.new_start = SessionStatus.POSTPONED, session.start + timedelta(days=3)
    session.save()
    data = form_data(session, status=SessionStatus.NONE, new_start=None)
    page = admin_client.post(URL.format(pk=session.pk), data).content.decode()
    assert "Aucun e-mail ne sera envoyé : le statut revient à « aucun »." in page


def test_a_change_outside_the_status_is_saved_at_once(admin_client, session):
    response = admin_client.post(URL.format(pk=session.pk), form_data(session, price="5.00"))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.price == 5


def test_an_invalid_change_shows_the_form_errors_not_the_confirmation(admin_client, session):
    response = admin_client.post(
        URL.format(pk=session.pk), form_data(session, status=SessionStatus.POSTPONED)
    )
    page = response.content.decode()
    assert "Une session reportée a besoin d&#x27;une nouvelle date de début." in page
    assert SessionChangeConfirmMixin.CONFIRM_FIELD not in page


def test_moving_the_start_of_a_booked_session_asks_to_confirm_a_postponement(admin_client, session):
    moved = session.start + timedelta(days=2)
    response = admin_client.post(URL.format(pk=session.pk), form_data(session, start=moved))
    assert response.status_code == 200
    page = response.content.decode()
    assert "« Report de l&#x27;activité » sera envoyé pour chacune des 2 réservations" in page
    assert "La session passera au statut « Reporté »" in page
    session.refresh_from_db()
    assert (session.status, session.new_start) == (SessionStatus.NONE, None)
    confirmed = form_data(session, start=moved) | {SessionChangeConfirmMixin.CONFIRM_FIELD: "1"}
    assert admin_client.post(URL.format(pk=session.pk), confirmed).status_code == 302
    session.refresh_from_db()
    assert (session.status, session.new_start) == (SessionStatus.POSTPONED, moved)
    assert OutgoingMessage.objects.filter(kind=MessageKind.SESSION_POSTPONED).count() == 2


def test_changing_the_end_of_a_booked_session_asks_to_confirm_the_schedule_change(
    admin_client, session
):
    later = session.end + timedelta(hours=1)
    page = admin_client.post(
        URL.format(pk=session.pk), form_data(session, end=later)
    ).content.decode()
    assert "« Changement d&#x27;horaire » sera envoyé pour chacune des 2 réservations" in page
    assert 'value="Enregistrer et prévenir 2 personnes"' in page
    assert not OutgoingMessage.objects.filter(kind=MessageKind.SCHEDULE_CHANGED).exists()


def test_the_dates_of_a_session_nobody_booked_are_corrected_at_once(admin_client):
    session = SessionFactory(
        start=timezone.now().replace(second=0, microsecond=0) + timedelta(days=7)
    )
    moved = session.start + timedelta(hours=1)
    response = admin_client.post(URL.format(pk=session.pk), form_data(session, start=moved))
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.status, session.start) == (SessionStatus.NONE, moved)


def test_a_cancellation_restates_the_change_and_names_its_button(admin_client, session):
    data = form_data(session, status=SessionStatus.CANCELLED, reason="Travaux dans la serre")
    page = admin_client.post(URL.format(pk=session.pk), data).content.decode()

    assert f"<dd>{dates.long(session.start, session.end)}</dd>" in page
    assert "<dd>— → Annulé</dd>" in page
    assert "<dd>Travaux dans la serre</dd>" in page
    assert 'class="warning">Les 2 réservations valides seront annulées.' in page
    assert 'value="Annuler la session et prévenir 2 personnes"' in page


def test_a_postponement_restates_old_and_new_dates(admin_client, session):
    page = admin_client.post(URL.format(pk=session.pk), postponed(session)).content.decode()

    new_start = session.start + timedelta(days=3)
    new_end = new_start + (session.end - session.start)  # postponed with no new end: same length
    old, new = dates.long(session.start, session.end), dates.long(new_start, new_end)
    assert f"<dd>{old} → {new}</dd>" in page
    assert 'value="Reporter la session et prévenir 2 personnes"' in page


def test_a_change_that_sends_nothing_says_so_on_its_button(admin_client, session):
    session.status, session.new_start, session.reason = (
        SessionStatus.POSTPONED,
        session.start + timedelta(days=3),
        "A",
    )
    session.save()
    page = admin_client.post(
        URL.format(pk=session.pk), form_data(session, reason="B")
    ).content.decode()

    assert 'value="Enregistrer sans prévenir personne"' in page
    assert 'class="info">Aucun e-mail' in page


@pytest.fixture
def portal_session(django_user_model):
    """A solidarity session: two groups by two referents, a seated line, a waiting one and a
    pending one."""
    session = SessionFactory(
        activity__channel=Channel.SOLIDARITY,
        start=timezone.now().replace(second=0, microsecond=0) + timedelta(days=7),
    )
    for number, statuses in enumerate([("valid", "waiting"), ("pending",)], start=1):
        author = django_user_model.objects.create_user(
            f"referent{number}", email=f"referent{number}@example.org"
        )
        group = ReservationGroupFactory(author=author)
        for status in statuses:
            PortalReservationFactory(
                session=session,
                group=group,
                status=status,
                waiting_rank=number if status == "waiting" else None,
            )
    Session.objects.filter(pk=session.pk).update(seats_taken=2, waiting_count=1)
    session.refresh_from_db()
    return session


def test_a_portal_that_sends_no_mail_says_so_and_what_it_cancels(
    admin_client, portal_session, monkeypatch
):
    policy = replace(policy_for(Channel.SOLIDARITY), group_mails={})
    monkeypatch.setitem(channels._POLICIES, Channel.SOLIDARITY, policy)
    data = form_data(portal_session, status=SessionStatus.CANCELLED, reason="Travaux")
    page = admin_client.post(URL.format(pk=portal_session.pk), data).content.decode()

    assert (
        "Aucun e-mail ne sera envoyé : ce portail n&#x27;en envoie pas pour ce changement." in page
    )
    assert (
        "Les 3 réservations (valides, en attente de traitement ou sur liste d&#x27;attente) "
        "seront annulées." in page
    )
    assert 'value="Annuler la session"' in page


def test_a_portal_that_tells_its_groups_counts_them(admin_client, portal_session, monkeypatch):
    policy = replace(
        policy_for(Channel.SOLIDARITY),
        group_mails={MailEvent.SESSION_CANCELLED: MessageKind.SESSION_CANCELLED},
    )
    monkeypatch.setitem(channels._POLICIES, Channel.SOLIDARITY, policy)
    data = form_data(portal_session, status=SessionStatus.CANCELLED, reason="Travaux")
    page = admin_client.post(URL.format(pk=portal_session.pk), data).content.decode()

    assert (
        "L&#x27;e-mail « Annulation de l&#x27;activité » sera envoyé pour chacun des 2 groupes "
        "de réservations concernés (2 adresses e-mail)." in page
    )
    assert 'value="Annuler la session et prévenir 2 personnes"' in page
    assert "rappels" not in page
