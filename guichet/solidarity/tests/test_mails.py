"""The solidarity portal's mails, one per booking, through a real SMTP server (aiosmtpd): each
sent once, to the booking's author (else the structure's responsables), with its people, dates
and portal links; the J-2 reminder moved with its session and withdrawn once nothing is seated;
staff's cancellation with a reason from the back-office."""

from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from django.urls import reverse
from django.utils import timezone

from guichet.bookings.models import ReservationStatus
from guichet.bookings.services import session_save
from guichet.catalogue.models import SessionStatus
from guichet.core import dates
from guichet.notifications.delivery import messages_send_due
from guichet.notifications.models import MessageKind, MessageState, OutgoingMessage
from guichet.solidarity.models import Invitation, MemberRole
from guichet.solidarity.services import invitations_cancel, invitations_close
from guichet.solidarity.tests.booking_helpers import (
    book,
    guest,
    participant,
    solidarity_session,
)
from guichet.solidarity.tests.factories import MembershipFactory

SITE = "https://reservations.example.org"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def session():
    """A session in 10 days, open for booking now, of 1 seat and a waiting list."""
    start = timezone.now().replace(microsecond=0) + timedelta(days=10)
    return solidarity_session(start, seats=1, activity=None)


@pytest.fixture
def booking(session, structure, referent):
    """Anne seated, her guest Zoé waiting (rank 1), booked by Jules Référent."""
    anne = participant(structure, last_name="Martin", first_name="Anne")
    zoe = guest(anne, last_name="Petit", first_name="Zoé")
    return book(session, [anne, zoe], author=referent.user, now=timezone.now())


def delivered(smtp) -> list:
    messages_send_due()
    return [message_from_bytes(e.original_content, policy=default_policy) for e in smtp.envelopes]


def bodies(mail) -> tuple[str, str]:
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    return text, html


def subjects(mails) -> list[str]:
    return [mail["Subject"].strip() for mail in mails]


def test_a_booking_is_mailed_once_to_its_author_with_its_people(smtp, session, booking, referent):
    [mail] = delivered(smtp)
    assert len(delivered(smtp)) == 1  # nothing more on a second run
    activity = session.activity.name
    assert mail["Subject"].strip() == f"Réservation enregistrée - {activity}"
    assert mail["To"] == referent.user.email
    assert not any(part.get_filename() for part in mail.walk())  # no attachment
    seated = booking.outcomes[0].reservation
    page = SITE + reverse("solidarity:booking_detail", kwargs={"booking_id": booking.group.pk})
    for part in bodies(mail):
        assert "Bonjour Jules," in part and "(rang 1)" in part
        assert dates.when(session.starts_at, session.ends_at) in part
        assert "MARTIN Anne" in part and f"Invitation n° S-{seated.reference}" in part
        assert "PETIT Zoé" in part and "Invité de MARTIN Anne" in part
        assert page in part and SITE + reverse("solidarity:reservations") in part


def test_a_waiting_entry_seated_is_mailed_invitation_attribuee(smtp, session, structure, referent):
    first = book(session, [participant(structure)], author=referent.user, now=timezone.now())
    second = book(
        session,
        [participant(structure, last_name="Durand", first_name="Léo")],
        author=referent.user,
        now=timezone.now(),
    )
    delivered(smtp)
    smtp.envelopes.clear()
    invitations_cancel(
        structure=structure,
        reservation_ids=[first.outcomes[0].reservation.pk],
        by=referent.user,
    )
    [mail] = delivered(smtp)  # the author's own cancellation is not mailed
    assert mail["Subject"].strip() == f"Invitation attribuée - {session.activity.name}"
    text, html = bodies(mail)
    number = f"S-{second.outcomes[0].reservation.reference}"
    assert "DURAND Léo" in text and number in text and number in html


def test_someone_elses_cancellation_is_mailed_to_the_author(
    smtp, session, booking, structure, referent, responsable
):
    delivered(smtp)
    smtp.envelopes.clear()
    invitations_cancel(
        structure=structure,
        reservation_ids=[booking.outcomes[0].reservation.pk],
        by=responsable.user,
    )
    [mail] = delivered(smtp)
    assert mail["Subject"].strip() == f"Annulation enregistrée - {session.activity.name}"
    assert mail["To"] == referent.user.email
    text, _html = bodies(mail)
    assert "annulées par Élodie Responsable" in text
    assert "MARTIN Anne" in text and "PETIT Zoé" in text and "Annulée" in text


def test_the_closed_list_is_mailed_once(smtp, session, booking, time_machine):
    delivered(smtp)
    smtp.envelopes.clear()
    time_machine.move_to(session.closes_at + timedelta(seconds=1))
    invitations_close()
    invitations_close()
    # The reminder is due at the closing too (start − 48 h): the list's mail goes with it.
    [mail] = [m for m in delivered(smtp) if m["Subject"].startswith("Liste")]
    assert mail["Subject"].strip() == f"Liste d'attente close - {session.activity.name}"
    text, _html = bodies(mail)
    assert "PETIT Zoé" in text and "Non servie" in text and "- MARTIN Anne" not in text


def test_a_cancelled_session_is_mailed_with_its_reason_and_withdraws_the_reminder(
    smtp, session, booking
):
    delivered(smtp)
    smtp.envelopes.clear()
    planned = dates.when(session.starts_at, session.ends_at)
    session.status, session.reason = SessionStatus.CANCELLED, "Grève <b>du</b> personnel"
    session_save(session=session)
    [mail] = delivered(smtp)
    assert mail["Subject"].strip() == f"Séance annulée - {session.activity.name}"
    text, html = bodies(mail)
    assert planned in text and "Grève <b>du</b> personnel" in text
    assert "Grève &lt;b&gt;du&lt;/b&gt; personnel" in html
    reminder = OutgoingMessage.objects.get(kind=MessageKind.SOLIDARITY_REMINDER)
    assert reminder.state == MessageState.WITHDRAWN


def test_a_postponed_session_is_mailed_and_moves_the_reminder(smtp, session, booking):
    delivered(smtp)
    smtp.envelopes.clear()
    new_start = session.start + timedelta(days=7)
    session.status, session.new_start = SessionStatus.POSTPONED, new_start
    session.new_end = new_start + timedelta(hours=2)
    session_save(session=session)
    [mail] = delivered(smtp)
    assert mail["Subject"].strip() == f"Séance reportée - {session.activity.name}"
    text, _html = bodies(mail)
    assert dates.when(new_start, session.new_end, moved=True) in text
    assert "restent valables" in text
    [pending] = OutgoingMessage.objects.filter(
        kind=MessageKind.SOLIDARITY_REMINDER, state=MessageState.PENDING
    )
    assert pending.scheduled_for == new_start - timedelta(days=2)


def test_the_reminder_lists_whom_to_hand_invitations_to_two_days_before(
    smtp, session, booking, time_machine
):
    delivered(smtp)
    smtp.envelopes.clear()
    reminder = OutgoingMessage.objects.get(kind=MessageKind.SOLIDARITY_REMINDER)
    assert reminder.scheduled_for == session.starts_at - timedelta(days=2)
    assert delivered(smtp) == []  # not due yet
    time_machine.move_to(reminder.scheduled_for + timedelta(seconds=1))
    [mail] = delivered(smtp)
    assert mail["Subject"].strip() == f"Rappel : sortie dans 2 jours - {session.activity.name}"
    text, _html = bodies(mail)
    assert "MARTIN Anne" in text and "PETIT Zoé" not in text  # the seated only
    assert len(delivered(smtp)) == 1


def test_the_reminder_is_withdrawn_once_nothing_is_seated(
    smtp, session, booking, structure, referent, time_machine
):
    invitations_cancel(
        structure=structure,
        reservation_ids=[booking.outcomes[0].reservation.pk],
        by=referent.user,
    )
    reminder = OutgoingMessage.objects.get(kind=MessageKind.SOLIDARITY_REMINDER)
    assert reminder.state == MessageState.WITHDRAWN
    time_machine.move_to(reminder.scheduled_for + timedelta(seconds=1))
    smtp.envelopes.clear()
    assert not any(
        "Rappel" in subject for subject in subjects(delivered(smtp))
    )  # its booking mail only


def test_a_deactivated_author_leaves_the_mails_to_the_responsables(
    smtp, session, booking, structure, referent, responsable
):
    delivered(smtp)
    smtp.envelopes.clear()
    second = MembershipFactory(structure=structure, role=MemberRole.MANAGER)
    referent.user.is_active = False
    referent.user.save()
    invitations_cancel(
        structure=structure,
        reservation_ids=[booking.outcomes[0].reservation.pk],
        by=second.user,
    )
    [mail] = delivered(smtp)
    assert sorted(smtp.envelopes[0].rcpt_tos) == sorted([responsable.user.email, second.user.email])
    assert "Bonjour Madame, Monsieur," in bodies(mail)[0]


# --- staff's cancellation from the back-office ---


def change_url(reservation) -> str:
    return reverse("admin:solidarity_invitation_change", args=[reservation.pk])


def test_staff_cancel_after_the_deadline_with_a_reason(
    smtp, session, booking, client, solidarity_staff, referent, time_machine
):
    delivered(smtp)
    anne = booking.outcomes[0].reservation
    time_machine.move_to(session.cancel_until + timedelta(hours=1))
    delivered(smtp)  # the reminder, due then
    smtp.envelopes.clear()
    solidarity_client = client
    client.force_login(solidarity_staff)  # signed in now: a staff session does not last days
    reason = "Le musée <script>alert(1)</script> ferme"
    response = solidarity_client.post(change_url(anne), {"cancel_reason": reason})
    assert response.status_code == 302
    anne.refresh_from_db()
    assert anne.status == ReservationStatus.CANCELLED
    assert Invitation.objects.get(pk=anne.pk).cancel_reason == reason
    page = solidarity_client.get(change_url(anne)).content.decode()
    assert "Le musée &lt;script&gt;alert(1)&lt;/script&gt; ferme" in page
    assert "<script>alert(1)" not in page
    [mail] = delivered(smtp)
    assert mail["Subject"].strip() == f"Annulation enregistrée - {session.activity.name}"
    assert mail["To"] == referent.user.email
    text, html = bodies(mail)
    assert reason in text and "l'équipe de la Billetterie solidaire" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_staff_cancel_refuses_a_missing_or_hostile_reason(
    session, booking, solidarity_client, reason
):
    anne = booking.outcomes[0].reservation
    response = solidarity_client.post(change_url(anne), {"cancel_reason": reason})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    anne.refresh_from_db()
    assert anne.status == ReservationStatus.VALID


def test_staff_cancel_with_a_nul_byte_is_refused_without_a_server_error(
    session, booking, solidarity_client
):
    anne = booking.outcomes[0].reservation
    response = solidarity_client.post(change_url(anne), {"cancel_reason": "Fermé\x00"})
    assert response.status_code == 400  # guichet.core.middleware, in French
    anne.refresh_from_db()
    assert anne.status == ReservationStatus.VALID


def test_the_admin_lists_invitations_and_shows_no_form_once_cancelled(
    session, booking, solidarity_client, structure, referent
):
    anne = booking.outcomes[0].reservation
    listing = solidarity_client.get(reverse("admin:solidarity_invitation_changelist"))
    assert listing.status_code == 200 and "MARTIN Anne" in listing.content.decode()
    invitations_cancel(structure=structure, reservation_ids=[anne.pk], by=referent.user)
    page = solidarity_client.get(change_url(anne)).content.decode()
    assert 'name="cancel_reason"' not in page and "Annulée" in page
