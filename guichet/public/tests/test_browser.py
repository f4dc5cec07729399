"""The public site in headless Chromium: filter, book, add to the calendar and cancel; the same
booking with the keyboard only; and refused bookings that say what is wrong and keep what was
typed."""

import re
from pathlib import Path

import icalendar
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.bookings.services import reservation_create
from guichet.bookings.tests.factories import booking_data
from guichet.public.tests.browsing import PERSON, field, fill, record_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_filter_book_add_to_calendar_and_cancel(live_server, page, open_session):
    errors = record_errors(page, live_server.url)
    activity = open_session.activity
    page.goto(live_server.url)
    expect(page.locator(".card")).to_have_count(2)

    page.get_by_label("Localisation").select_option(label=activity.location.name)
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator(".card")).to_have_count(1)
    expect(page.get_by_text("1 activité", exact=True)).to_be_visible()

    page.get_by_role("link", name=activity.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(activity.name)
    expect(page.get_by_text("10 places restantes")).to_be_visible()

    page.get_by_role("link", name="RÉSERVER").click()
    expect(page.get_by_role("heading", name="Formulaire de réservation")).to_be_visible()
    fill(page, PERSON)
    field(page, "Quantité").select_option("2")
    page.get_by_role("button", name="RÉSERVER").click()

    expect(page.get_by_role("heading", name="Ma réservation")).to_be_visible()
    expect(page.get_by_text("Camille, votre réservation a été prise en compte.")).to_be_visible()
    reservation = Reservation.objects.get()
    assert (
        page.url
        == live_server.url
        + reverse("public:reservation_detail", args=[reservation.token])
        + "?enregistree=1"
    )
    assert (reservation.quantity, reservation.phone, reservation.session_id) == (
        2,
        "+33612345678",
        open_session.pk,
    )

    with page.expect_download() as download:
        page.get_by_role("link", name="Ajouter à mon calendrier").click()
    assert download.value.suggested_filename == f"reservation-{activity.slug}.ics"
    calendar = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes())
    (event,) = calendar.walk("VEVENT")
    assert event["dtstart"].params["TZID"] == "Europe/Paris"
    assert event.decoded("dtstart") == open_session.start
    assert event.decoded("dtstart").strftime("%H:%M") == "14:30"  # Paris wall-clock time
    assert event.decoded("dtend") == open_session.end
    assert str(event["summary"]) == activity.name

    page.get_by_role("link", name="Annuler ma réservation").click()
    expect(page.get_by_role("heading", name="Annuler ma réservation")).to_be_visible()
    question = "Voulez-vous vraiment annuler votre réservation de 2 places ?"
    expect(page.get_by_text(question)).to_be_visible()
    page.get_by_role("button", name="Oui, annuler ma réservation").click()

    alert = page.locator('[data-alert="reservation-cancelled"]')
    expect(alert).to_have_attribute("role", "status")
    expect(alert).to_contain_text("Votre réservation a été annulée.")
    expect(page.get_by_role("link", name="Annuler ma réservation")).to_have_count(0)
    reservation.refresh_from_db()
    open_session.refresh_from_db()
    assert reservation.status == ReservationStatus.CANCELLED
    assert open_session.seats_taken == 0
    assert errors == []


def tab_to(page, locator, limit: int = 30) -> None:
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{locator} never got the focus in {limit} presses of Tab")


def test_booking_with_the_keyboard_only(live_server, page, open_session):
    page.goto(live_server.url)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    tab_to(page, page.get_by_role("link", name=open_session.activity.name))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(open_session.activity.name)
    tab_to(page, page.get_by_role("link", name="RÉSERVER"))
    page.keyboard.press("Enter")

    # The fields in the order of the form, one Tab apart (the hidden honeypot is skipped).
    tab_to(page, field(page, "Prénom"))
    for label, value in PERSON.items():
        expect(field(page, label)).to_be_focused()
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    expect(field(page, "Quantité")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(field(page, "Quantité")).to_have_value("2")
    page.keyboard.press("Tab")
    # The data notice above the button links to "Données personnelles".
    expect(page.locator("[data-data-notice] a")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="RÉSERVER")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Camille, votre réservation a été prise en compte.")).to_be_visible()
    reservation = Reservation.objects.get()
    assert (reservation.email, reservation.city, reservation.quantity) == (
        "camille@example.org",
        "Tourcoing",
        2,
    )


def test_refused_bookings_are_announced_and_keep_what_was_typed(live_server, page, open_session):
    open_session.seat_limit = 3
    open_session.save()
    page.goto(live_server.url + reverse("public:session_book", args=[open_session.pk]))
    fill(page, PERSON | {"Email": "camille@exemple", "Numéro de téléphone": ""})
    field(page, "Quantité").select_option("3")
    page.get_by_role("button", name="RÉSERVER").click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Votre réservation n'est pas enregistrée")
    expect(summary).to_contain_text("Email : Adresse e-mail invalide")
    expect(summary).to_contain_text("Numéro de téléphone : Saisissez votre numéro de téléphone.")
    expect(page).to_have_title(re.compile(r"^Erreur : Formulaire de réservation"))
    expect(field(page, "Prénom")).to_have_value("Camille")
    expect(field(page, "Email")).to_have_value("camille@exemple")
    expect(field(page, "Email")).to_have_attribute("aria-invalid", "true")
    expect(field(page, "Email")).to_have_accessible_description(
        "Par exemple : camille.martin@example.org "
        "Adresse e-mail invalide : saisissez-la sous la forme nom@exemple.fr."
    )
    expect(field(page, "Quantité")).to_have_value("3")
    assert not Reservation.objects.exists()

    # The summary's links lead to the fields. The page's address then ends in "#id_email": the
    # next refusal must still put the focus on the summary, not on that field.
    summary.get_by_role("link", name=re.compile("^Email")).click()
    expect(field(page, "Email")).to_be_focused()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.type("camille@example.org")
    field(page, "Numéro de téléphone").fill("+33 6 12 34 56 78")

    # Meanwhile someone else books 2 of the 3 seats: the 3 asked for are refused.
    reservation_create(
        session=open_session, **booking_data(quantity=2, email="dominique@example.org")
    )
    page.get_by_role("button", name="RÉSERVER").click()

    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Quantité : La quantité ne peut être que 1.")
    expect(page.get_by_text("Quantité restante : 1")).to_be_visible()
    typed = PERSON | {"Numéro de téléphone": "+33 6 12 34 56 78"}
    for label, value in typed.items():
        expect(field(page, label)).to_have_value(value)
    assert Reservation.objects.count() == 1

    # What is left can still be booked from the same page.
    expect(field(page, "Quantité")).to_have_value("1")
    page.get_by_role("button", name="RÉSERVER").click()
    expect(page.get_by_text("Camille, votre réservation a été prise en compte.")).to_be_visible()
    open_session.refresh_from_db()
    assert open_session.seats_taken == 3
    assert Reservation.objects.filter(email="camille@example.org", quantity=1).count() == 1
