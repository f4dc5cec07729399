"""What the mails say: layout of the guide (section 8.3), editable sections, links, attachments."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.utils import timezone

from guichet.bookings.services import (
    AlreadyBooked,
    reservation_cancel,
    reservation_create,
    reservation_quantity_change,
    session_save,
)
from guichet.bookings.tests.factories import ReservationFactory, booking_data
from guichet.catalogue.models import SessionStatus
from guichet.catalogue.tests.factories import ActivityFactory, SessionFactory
from guichet.notifications.default_texts import DEFAULT_TEXTS
from guichet.notifications.delivery import messages_send_due
from guichet.notifications.emails import (
    ACCOUNT_MAILS,
    MailRenderer,
    html_to_text,
    mail_context_builder,
    message_preview,
)
from guichet.notifications.models import (
    ACCOUNT_KINDS,
    MessageAttachment,
    MessageKind,
    MessageTemplate,
    OutgoingMessage,
)
from guichet.notifications.selectors import message_template_get
from guichet.notifications.services import notify_reservation_link, notify_reservations_list
from guichet.notifications.tests.factories import OutgoingMessageFactory
from guichet.notifications.tests.helpers import png_bytes, sent_rows

pytestmark = pytest.mark.django_db


def book(session, **overrides):
    return reservation_create(session=session, **booking_data(**overrides))


def mails(kind) -> list:
    """The mails of `kind` sent so far, as (text, html) pairs."""
    messages_send_due()
    pairs = zip(sent_rows(), mail.outbox, strict=True)
    return [(email.body, email.alternatives[0].content) for row, email in pairs if row.kind == kind]


def april_session(**kwargs):
    # 10 April 2025 12:00 UTC is 14:00 in Paris (summer time).
    start = datetime(2025, 4, 10, 12, 0, tzinfo=UTC)
    return SessionFactory(start=start, **{"end": start + timedelta(hours=1), **kwargs})


def test_the_confirmation_follows_the_guides_layout(time_machine):
    time_machine.move_to(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    activity = ActivityFactory(
        name="Activités manuelles",
        location__name="Jardin botanique",
        location__address="1 rue des Exemples\n59000 Exempleville",
    )
    reservation = book(
        april_session(activity=activity), first_name="Zoé", last_name="Martin", quantity=3
    )
    [(text, html)] = mails(MessageKind.CONFIRMATION)
    for part in (text, html):
        assert f"Réservation n° {reservation.reference}" in part
        assert "CONFIRMATION DE RÉSERVATION" in part
        assert "Bonjour Zoé," in part
        assert (
            "Nous avons le plaisir de vous confirmer la réservation de la visite suivante :" in part
        )
        assert "Jeudi 10 avril 2025, de 14 h à 15 h" in part
        assert "Jardin botanique" in part and "1 rue des Exemples, 59000 Exempleville" in part
        assert "Nombre de personnes : 3" in part
        assert "Informations sur la réservation :" in part and "Une visite guidée." in part
        assert "Ajouter à mon agenda" in part and "Accéder à ma réservation" in part
        assert "nous contacter au +33 3 20 00 00 00." in part
        assert "Le service Parcs et Jardins." in part
        assert "Ville d'Exempleville" in part or "Ville d&#x27;Exempleville" in part
        assert "https://www.example.org/" in part


def test_a_session_without_end_shows_its_start_only(time_machine):
    time_machine.move_to(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    book(april_session(end=None))
    [(text, _html)] = mails(MessageKind.CONFIRMATION)
    assert re.search(r"^Jeudi 10 avril 2025, 14 h$", text, re.MULTILINE)


def test_the_postponement_mail_gives_old_and_new_dates_reason_and_phone(time_machine):
    time_machine.move_to(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    session = april_session()
    book(session)
    session.status, session.reason = SessionStatus.POSTPONED, "Intempéries"
    session.new_start = datetime(2025, 4, 25, 8, 0, tzinfo=UTC)
    session_save(session=session)
    [(text, html)] = mails(MessageKind.SESSION_POSTPONED)
    assert "REPORT DE L'ACTIVITÉ" in text and "RAPPORT" not in text
    assert (
        "prévue le jeudi 10 avril 2025 de 14 h à 15 h a été REPORTÉE "
        "au vendredi 25 avril 2025 de 10 h à 11 h." in text  # it keeps its length
    )
    assert "<strong>REPORTÉE</strong>" in html
    assert "Motif : Intempéries" in text
    assert "Votre réservation reste valide" in text
    assert "+33 3 20 00 00 00" in text
    assert "Annuler ma réservation" in text and "Réserver une nouvelle activité" in text


def test_the_schedule_change_mail_says_the_old_and_new_times(time_machine):
    time_machine.move_to(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    session = april_session()
    book(session)
    session.end += timedelta(minutes=30)
    session_save(session=session)
    [(text, html)] = mails(MessageKind.SCHEDULE_CHANGED)
    assert "CHANGEMENT D'HORAIRE" in text
    assert (
        "prévue le jeudi 10 avril 2025 de 14 h à 15 h a CHANGÉ : elle aura lieu "
        "le jeudi 10 avril 2025 de 14 h à 15 h 30." in text
    )
    assert "<strong>CHANGÉ</strong>" in html
    assert "Ajouter à mon agenda" in text and "Annuler ma réservation" in text


def test_the_schedule_change_preview_shows_a_new_end():
    template = message_template_get(kind=MessageKind.SCHEDULE_CHANGED)
    text = message_preview(template=template).body
    assert "a CHANGÉ : elle aura lieu le" in text
    assert "Motif" not in text


def test_the_session_cancelled_mail_invites_to_book_another_activity(time_machine):
    time_machine.move_to(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    session = april_session()
    reservation = book(session)
    session.status, session.reason = SessionStatus.CANCELLED, "Travaux"
    session_save(session=session)
    [(text, html)] = mails(MessageKind.SESSION_CANCELLED)
    assert "ANNULATION DE L'ACTIVITÉ" in text
    assert "prévue le jeudi 10 avril 2025 de 14 h à 15 h a été ANNULÉE." in text
    assert "Motif : Travaux" in text
    assert "Réserver une nouvelle activité : http://127.0.0.1:8000/" in text
    assert f"/reservation/{reservation.token}/" not in text  # nothing left to see or cancel


def test_the_reservation_cancelled_mail(time_machine):
    time_machine.move_to(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    reservation_cancel(reservation=book(april_session()))
    [(text, _html)] = mails(MessageKind.RESERVATION_CANCELLED)
    assert "ANNULATION DE VOTRE RÉSERVATION" in text
    assert "prévue le jeudi 10 avril 2025 de 14 h à 15 h a été ANNULÉE." in text
    assert "Réserver une nouvelle activité" in text


def test_a_night_session_names_both_days_in_every_mail(time_machine):
    time_machine.move_to(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    # 21:00 UTC to 23:00 UTC is 23 h to 1 h the next day in Paris (summer time).
    session = SessionFactory(
        start=datetime(2025, 4, 10, 21, 0, tzinfo=UTC),
        end=datetime(2025, 4, 10, 23, 0, tzinfo=UTC),
    )
    book(session)
    [(confirmation, _html)] = mails(MessageKind.CONFIRMATION)
    assert "\nDu jeudi 10 avril 2025 à 23 h au vendredi 11 avril 2025 à 1 h\n" in confirmation
    session.status, session.reason = SessionStatus.POSTPONED, "Nuages"
    session.new_start = datetime(2025, 4, 17, 21, 0, tzinfo=UTC)
    session.new_end = datetime(2025, 4, 17, 22, 30, tzinfo=UTC)
    session_save(session=session)
    [(postponement, _html)] = mails(MessageKind.SESSION_POSTPONED)
    assert (
        "prévue du jeudi 10 avril 2025 à 23 h au vendredi 11 avril 2025 à 1 h a été REPORTÉE "
        "du jeudi 17 avril 2025 à 23 h au vendredi 18 avril 2025 à 0 h 30." in postponement
    )


def test_a_postponement_to_a_day_with_hours(time_machine):
    time_machine.move_to(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    session = april_session()
    book(session)
    session.status = SessionStatus.POSTPONED
    session.new_start = datetime(2025, 4, 25, 8, 0, tzinfo=UTC)
    session.new_end = datetime(2025, 4, 25, 9, 30, tzinfo=UTC)
    session_save(session=session)
    [(text, _html)] = mails(MessageKind.SESSION_POSTPONED)
    assert "a été REPORTÉE au vendredi 25 avril 2025 de 10 h à 11 h 30." in text


def test_the_text_part_keeps_what_was_typed_and_the_html_part_escapes_it():
    book(SessionFactory(), online=False, first_name="Zoé O'Brien & <Fils>", last_name="Exemple")
    [(text, html)] = mails(MessageKind.CONFIRMATION)
    assert "Bonjour Zoé O'Brien & <Fils>" in text
    assert "Bonjour Zoé O&#x27;Brien &amp; &lt;Fils&gt;" in html


def test_subjects_carry_no_visitor_text(time_machine):
    """A subject is the kind and the activity's name, both typed by staff: whatever a visitor
    types stays in the body, where it is introduced as their name or city."""
    time_machine.move_to(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    visitor = {
        "first_name": "Compte",
        "last_name": "Suspendu",
        "city": "Connectez-vous sur evil.example",
        "email": "victime@example.org",
    }
    postponed, cancelled = april_session(), april_session()
    notify_reservation_link(reservation=book(postponed, **visitor))
    reservation_quantity_change(reservation=book(april_session(), **visitor), quantity=2)
    notify_reservations_list(email=visitor["email"])
    reservation_cancel(reservation=book(april_session(), **visitor))
    book(cancelled, **visitor)
    postponed.status, postponed.new_start = SessionStatus.POSTPONED, postponed.start + timedelta(1)
    session_save(session=postponed)
    cancelled.status = SessionStatus.CANCELLED
    session_save(session=cancelled)
    rescheduled = april_session()
    book(rescheduled, **visitor)
    rescheduled.end += timedelta(minutes=30)
    session_save(session=rescheduled)
    renderer = MailRenderer()
    subjects = {}
    for row in OutgoingMessage.objects.select_related("reservation__session__activity"):
        subject = renderer.email(row, attachments=False).subject
        activity = row.reservation.session.activity.name
        assert subject == f"{MessageKind(row.kind).label} - {activity}"
        subjects[row.kind] = subject
    # Every reservation mail; an account mail's subject is a fixed text (test_account_mails), a
    # portal's own kind (the family portal's daily report) names no reservation.
    portal_kinds = {kind for kind in MessageKind if mail_context_builder(kind) is not None}
    assert set(subjects) == set(MessageKind) - set(ACCOUNT_KINDS) - portal_kinds
    for subject in subjects.values():
        for typed in visitor.values():
            assert typed.casefold() not in subject.casefold()


def test_the_cancel_button_only_while_the_person_may_cancel(organisation):
    book(SessionFactory())
    messages_send_due()
    organisation.online_cancellation_allowed = False
    organisation.save()
    book(SessionFactory())
    first, second = mails(MessageKind.CONFIRMATION)
    assert "Annuler ma réservation" in first[0]
    assert "Annuler ma réservation" not in second[0]


def test_the_confirmation_carries_the_ics():
    book(SessionFactory())
    messages_send_due()
    [(filename, content, mimetype)] = mail.outbox[0].attachments
    assert (filename, mimetype) == ("reservation.ics", "text/calendar")
    assert "BEGIN:VEVENT" in content


def test_a_staff_edit_of_a_section_appears_in_the_next_mail():
    session = SessionFactory()
    book(session)
    messages_send_due()
    template = message_template_get(kind=MessageKind.CONFIRMATION)
    template.main_content = "<p>Pensez à vos <strong>bottes</strong> ; infos : {site_web}</p>"
    template.save()
    book(session, email="other@example.org")
    first, second = mails(MessageKind.CONFIRMATION)
    assert "bottes" not in first[0]
    assert "Pensez à vos bottes ; infos : https://www.example.org/" in second[0]
    assert "<strong>bottes</strong>" in second[1]


def test_staff_text_is_sanitised_and_placeholders_escaped(organisation):
    organisation.name = "<b>Ville</b>"
    organisation.save()
    template = message_template_get(kind=MessageKind.CONFIRMATION)
    template.signature = '<p onclick="x()">Merci</p><script>alert(1)</script>{organisation}'
    template.save()
    book(SessionFactory())
    [(_text, html)] = mails(MessageKind.CONFIRMATION)
    assert "<script>" not in html and "onclick" not in html
    assert "&lt;b&gt;Ville&lt;/b&gt;" in html


def test_attachments_go_with_every_mail_of_their_kind(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    MessageAttachment.objects.create(
        kind=MessageKind.CONFIRMATION, file=ContentFile(png_bytes(), name="plan.png")
    )
    session = SessionFactory()
    book(session)
    reservation_cancel(reservation=book(session, email="b@example.org"))
    messages_send_due()
    attached = {
        row.kind: [a[0] for a in email.attachments]
        for row, email in zip(sent_rows(), mail.outbox, strict=True)
    }
    assert attached[MessageKind.CONFIRMATION] == ["reservation.ics", "plan.png"]
    assert attached[MessageKind.RESERVATION_CANCELLED] == []


def test_the_preview_uses_the_unsaved_texts():
    template = message_template_get(kind=MessageKind.SESSION_POSTPONED)
    template.header_title = "NOUVEAU TITRE"
    email = message_preview(template=template)
    assert "NOUVEAU TITRE" in email.body and "a été REPORTÉE" in email.body
    assert (
        MessageTemplate.objects.get(kind=MessageKind.SESSION_POSTPONED).header_title
        == "REPORT DE L'ACTIVITÉ"
    )


def test_every_kind_has_its_default_texts_installed_and_none_types_a_phone():
    assert set(MessageTemplate.objects.values_list("kind", flat=True)) == set(MessageKind.values)
    for texts in DEFAULT_TEXTS.values():
        for text in texts.values():
            assert not re.search(r"\d\d[ .]\d\d[ .]\d\d", str(text)), text
            assert "RAPPORT" not in str(text) and "tourcoing" not in str(text).lower()


def test_html_to_text():
    html = '<p>Un <strong>jardin</strong>.</p><ul><li>A</li><li>B</li></ul><p>Voir <a href="https://example.org/">ici</a><br>Fin</p>'
    assert html_to_text(html) == "Un jardin.\n\n- A\n- B\n\nVoir ici (https://example.org/)\nFin"


def test_times_are_local_in_winter_too(time_machine):
    time_machine.move_to(datetime(2025, 1, 1, 9, 0, tzinfo=UTC))
    start = datetime(2025, 1, 20, 13, 0, tzinfo=UTC)  # 14:00 in Paris (winter time)
    book(SessionFactory(start=start, end=None))
    [(text, _html)] = mails(MessageKind.CONFIRMATION)
    assert "Lundi 20 janvier 2025, 14 h" in text


def test_the_reservation_link_mail_gives_the_booking_and_its_page(time_machine):
    time_machine.move_to(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    session = april_session(seat_limit=20, activity__max_places_per_booking=4)
    email = "zoe@example.org"
    reservation = book(session, quantity=4, email=email, first_name="Zoé", last_name="Martin")
    with pytest.raises(AlreadyBooked):
        book(session, quantity=1, email=email, first_name="Autre", last_name="Personne")
    [(text, html)] = mails(MessageKind.RESERVATION_LINK)
    for part in (text, html):
        assert "Bonjour Zoé," in part and "Autre" not in part
        assert f"Réservation n° {reservation.reference}" in part
        assert f"/reservation/{reservation.token}/" in part
    [row] = [row for row in sent_rows() if row.kind == MessageKind.RESERVATION_LINK]
    assert row.subject.startswith("Lien de votre réservation - ")


@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_kind_has_a_preview(kind):
    email = message_preview(template=message_template_get(kind=kind))
    subject = ACCOUNT_MAILS[kind].subject if kind in ACCOUNT_KINDS else kind.label
    assert email.subject.startswith(str(subject))
    assert "Bonjour Camille," in email.body


def test_the_installed_reminder_is_headed_with_its_accent():
    email = message_preview(template=MessageTemplate.objects.get(kind=MessageKind.REMINDER))
    assert email.body.startswith("J-2 AVANT VOTRE ACTIVITÉ\n")


def test_a_mail_goes_without_an_attachment_missing_on_disk(settings, tmp_path, caplog):
    settings.MEDIA_ROOT = tmp_path
    kept, lost = (
        MessageAttachment.objects.create(
            kind=MessageKind.CONFIRMATION, file=ContentFile(png_bytes(), name=name)
        )
        for name in ("plan.png", "depliant.png")
    )
    lost.file.storage.delete(lost.file.name)
    book(SessionFactory())
    book(SessionFactory(), email="b@example.org")
    report = messages_send_due()
    # Every confirmation went (they all failed until given up before), with what could be read.
    assert report.sent == 2 and report.retried == 0
    assert [[a[0] for a in email.attachments] for email in mail.outbox] == [
        ["reservation.ics", kept.filename]
    ] * 2
    assert f"Attachment {lost.pk} ({lost.file.name}) cannot be read" in caplog.text


def test_new_activity_button_leads_to_the_same_activitys_other_dates(time_machine, settings):
    time_machine.move_to(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    session = april_session()
    lonely = april_session()
    SessionFactory(activity=session.activity, start=datetime(2025, 4, 20, 12, 0, tzinfo=UTC))
    reservation_cancel(reservation=book(session))
    reservation_cancel(reservation=book(lonely))
    [(with_dates, _html), (without, _html2)] = mails(MessageKind.RESERVATION_CANCELLED)
    activity_url = f"{settings.SITE_URL}/activites/{session.activity.slug}/"
    assert f"Réserver une nouvelle activité : {activity_url}\n" in with_dates
    assert f"Réserver une nouvelle activité : {settings.SITE_URL}/\n" in without


def test_the_changed_mail_says_old_and_new_places(time_machine):
    time_machine.move_to(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    reservation = book(april_session(seat_limit=10), quantity=3, first_name="Anne")
    reservation_quantity_change(reservation=reservation, quantity=2)
    [(text, html)] = mails(MessageKind.RESERVATION_CHANGED)
    assert "RÉSERVATION MODIFIÉE" in text and "Bonjour Anne," in text
    assert "a été MODIFIÉE : 3 places → 2 places." in text
    assert "<strong>MODIFIÉE</strong>" in html
    assert "Nombre de personnes : 2" in text


def test_the_logo_heads_the_mail(time_machine, settings):
    from guichet.core.selectors import organisation_get

    organisation = organisation_get()
    organisation.logo.save("logo.png", ContentFile(png_bytes()), save=True)
    time_machine.move_to(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    book(april_session())
    [(_text, html)] = mails(MessageKind.CONFIRMATION)
    assert f'<img src="{settings.SITE_URL}{organisation.logo.url}"' in html


def test_the_mails_of_one_session_rendered_once_are_the_mails_rendered_one_by_one():
    """The worker renders a session's mails once with slots for each reservation's own values
    (MailRenderer.bodies): every mail must read as if rendered on its own, whatever the values."""
    session, other = SessionFactory(), SessionFactory()
    names = ['<b>Zoé</b> & "Léa"', "O'Brien", "Nul\x00Octet", "\x000\x00", "Camille"]
    reservations = [
        ReservationFactory(session=session, quantity=places) for places in (1, 2, 12345, 3, 4)
    ]
    for reservation, name in zip(reservations, names, strict=True):
        reservation.first_name = name  # not saved: PostgreSQL refuses NUL bytes
    reservations.append(ReservationFactory(session=other))
    # Too late to cancel online: no cancel button for this one.
    reservations.append(
        ReservationFactory(session=SessionFactory(start=timezone.now() + timedelta(hours=1)))
    )
    messages = [
        OutgoingMessageFactory(kind=kind, reservation=reservation)
        for kind in (
            MessageKind.REMINDER,
            MessageKind.CONFIRMATION,
            MessageKind.RESERVATION_CANCELLED,
        )
        for reservation in reservations
    ]
    for message in messages[-len(reservations) :]:
        message.details = {"reason": "Pluie\x00"}  # a NUL byte outside the slots
    renderer = MailRenderer()
    for message in messages:
        email = renderer.email(message, attachments=False)
        alone = MailRenderer().render(MailRenderer().context(message, message.reservation))
        assert (email.body, email.alternatives[0].content) == alone
    reminder = renderer.email(messages[0], attachments=False)
    html = reminder.alternatives[0].content
    assert "Bonjour &lt;b&gt;Zoé&lt;/b&gt; &amp; &quot;Léa&quot;," in html
    assert 'Bonjour <b>Zoé</b> & "Léa",' in reminder.body
