"""The portal in headless Chromium with the keyboard only: the two-step sign-in, creating a
participant, the quick search, adding a référent, booking in the "Réserver" dialog (and as a
page without JavaScript), the invitations' download on the result page."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from guichet.accounts.tests.factories import PASSWORD
from guichet.bookings.models import Reservation
from guichet.catalogue.tests.factories import SessionFactory
from guichet.notifications.models import MessageKind, OutgoingMessage
from guichet.public.tests.browsing import keep_offline, record_errors
from guichet.public.tests.test_browser import tab_to
from guichet.solidarity.models import Beneficiary, BeneficiaryKind, Membership
from guichet.solidarity.tests.booking_helpers import book, solidarity_session
from guichet.solidarity.tests.factories import (
    BeneficiaryFactory,
    EventDetailsFactory,
    VenueFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser_page, live_server):
    keep_offline(browser_page.context, live_server.url)
    browser_page.set_default_timeout(5000)
    return browser_page


def tab_bar(page, name: str):
    return page.get_by_role("navigation", name="Billetterie solidaire").get_by_role(
        "link", name=name
    )


def sign_in_with_the_keyboard(page, live_server, identifier: str) -> None:
    page.goto(live_server.url + "/solidaire/")
    expect(page.get_by_role("heading", name="Connexion à votre espace")).to_be_visible()
    identifier_field = page.get_by_role("textbox", name="Email ou téléphone")
    expect(identifier_field).to_be_focused()  # step 1 starts in its field
    page.keyboard.type(identifier)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Étape 2 / 2")).to_be_visible()
    expect(page.get_by_text(identifier, exact=True)).to_be_visible()
    expect(page.get_by_role("textbox", name="Mot de passe", exact=True)).to_be_focused()
    expect(page.get_by_label("Rester connecté")).to_be_checked()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def test_sign_in_create_a_participant_and_find_it(live_server, page, referent):
    errors = record_errors(page, live_server.url)
    sign_in_with_the_keyboard(page, live_server, referent.user.email)
    expect(page.get_by_role("heading", level=1)).to_have_text(referent.structure.name)

    tab_to(page, tab_bar(page, "Mes participants"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Mes participants")).to_be_visible()
    tab_to(page, page.get_by_role("link", name="+ Nouveaux"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Nouvelle personne")).to_be_visible()

    tab_to(page, page.get_by_label("Famille"))
    page.keyboard.press("Tab")  # "Invité de": for a guest only
    page.keyboard.press("Tab")
    expect(page.get_by_label("Civilité")).to_be_focused()
    page.keyboard.press("ArrowDown")  # Madame
    for value in ("Dupré", "Élodie", "", "06 12 34 56 01", "elodie.dupre@example.org"):
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    tab_to(page, page.get_by_role("button", name="Enregistrer"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("DUPRÉ Élodie est ajouté.")).to_be_visible()
    person = Beneficiary.objects.get()
    assert (person.civility, person.phone, person.structure_id) == (
        "madame",
        "+33612345601",
        referent.structure_id,
    )

    BeneficiaryFactory(structure=referent.structure, last_name="Martin")
    page.reload()
    tab_to(page, page.get_by_role("searchbox", name="Recherche rapide"))
    page.keyboard.type("DUPRE elodie")
    page.keyboard.press("Enter")
    expect(page.get_by_text("1 à 1 sur 1 élément")).to_be_visible()
    expect(page.get_by_role("link", name="DUPRÉ Élodie")).to_be_visible()
    expect(page.get_by_text("MARTIN")).to_have_count(0)
    assert errors == []


def test_a_wrong_password_then_modifier(live_server, page, referent):
    page.goto(live_server.url + "/solidaire/connexion/")
    # Typing before the autofocus lands would lose the first characters.
    expect(page.get_by_role("textbox", name="Email ou téléphone")).to_be_focused()
    page.keyboard.type("personne@example.org")
    page.keyboard.press("Enter")
    expect(page.get_by_role("textbox", name="Mot de passe", exact=True)).to_be_focused()
    page.keyboard.type("mauvais")
    page.keyboard.press("Enter")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("Identifiant ou mot de passe incorrect.")
    expect(summary).to_be_focused()  # read out first
    tab_to(page, page.get_by_role("button", name="Modifier"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Étape 1 / 2")).to_be_visible()
    expect(page.get_by_role("textbox", name="Email ou téléphone")).to_have_value(
        "personne@example.org"
    )


def test_a_responsable_adds_a_referent(live_server, page, responsable):
    sign_in_with_the_keyboard(page, live_server, responsable.user.username)
    tab_to(page, tab_bar(page, "Ma structure"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Référents")).to_be_visible()
    tab_to(page, page.get_by_role("link", name="Ajouter un référent"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Nouveau référent")).to_be_visible()

    tab_to(page, page.get_by_label("Prénom"))
    for value in ("Camille", "Nouvelle", "camille.nouvelle@example.org", ""):
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    # The role's radio buttons: the checked one has the focus; an arrow picks the next.
    expect(page.get_by_label("Référent", exact=True)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(page.get_by_label("Responsable", exact=True)).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Ajouter et inviter"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("une invitation part à camille.nouvelle@example.org")).to_be_visible()
    expect(page.get_by_role("link", name="Camille Nouvelle", exact=True)).to_be_visible()
    added = Membership.objects.get(user__email="camille.nouvelle@example.org")
    assert added.role == "manager" and added.structure_id == responsable.structure_id
    assert OutgoingMessage.objects.filter(
        kind=MessageKind.SOLIDARITY_INVITATION, user=added.user
    ).exists()


def test_the_account_menu_opens_with_the_keyboard(live_server, page, referent):
    sign_in_with_the_keyboard(page, live_server, referent.user.email)
    tab_to(page, page.locator("summary.account-menu__button"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("link", name="Mon profil"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Mon profil")).to_be_visible()
    tab_to(page, page.locator("summary.account-menu__button"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("button", name="Se déconnecter"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Connexion à votre espace")).to_be_visible()


def test_find_an_event_and_its_slots_with_the_keyboard(live_server, page, referent):
    errors = record_errors(page, live_server.url)
    venue = VenueFactory(territory=referent.structure.territory)
    evening = EventDetailsFactory(venue=venue, activity__name="Concert d'été").activity
    session = SessionFactory(activity=evening, seat_limit=20)
    session.start = session.start.replace(hour=19)  # UTC: 20 h or 21 h in Paris
    session.end = session.start.replace(hour=21)
    session.save()
    morning = EventDetailsFactory(venue=venue, activity__name="Concert du matin").activity
    early = SessionFactory(activity=morning)
    early.start, early.end = early.start.replace(hour=8), early.start.replace(hour=9)
    early.save()

    sign_in_with_the_keyboard(page, live_server, referent.user.email)
    tab_to(page, tab_bar(page, "Billetterie Solidaire"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Billetterie Solidaire", level=1)).to_be_visible()
    tab_to(
        page,
        page.get_by_role("searchbox", name="Rechercher un événement").or_(
            page.get_by_role("textbox", name="Rechercher un événement")
        ),
    )
    page.keyboard.type("CONCERT")
    tab_to(page, page.locator(".event-search__advanced summary"))
    page.keyboard.press("Enter")  # the arrow opens the advanced search
    tab_to(page, page.get_by_label("Horaire"))
    page.keyboard.press("End")  # "Soir (à partir de 18 h)"
    expect(page.get_by_label("Horaire")).to_have_value("soir")
    tab_to(page, page.locator(".event-search__advanced").get_by_role("button", name="Rechercher"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("1 à 1 sur 1 élément")).to_be_visible()
    expect(page.get_by_role("link", name="Concert du matin")).to_have_count(0)
    tab_to(page, page.get_by_role("link", name="Concert d'été"), limit=60)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Concert d'été", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Créneaux disponibles")).to_be_visible()
    expect(page.locator("td[data-label='Invitations'] .slot__state")).to_have_text(
        "20 invitations disponibles"
    )
    assert errors == []


def booking_event(referent, *, seats: int):
    """ "Le Songe", a session in ten days with `seats` invitations, and two of the référent's
    people: a participant and an accompanier."""
    structure = referent.structure
    host = BeneficiaryFactory(structure=structure, last_name="Aubert", first_name="Nadia")
    helper = BeneficiaryFactory(
        structure=structure, kind=BeneficiaryKind.ACCOMPANIER, last_name="Aide", first_name="Paul"
    )
    event = EventDetailsFactory(activity__name="Le Songe").activity
    solidarity_session(timezone.now() + timedelta(days=10), seats=seats, activity=event)
    return event, host, helper


def open_booking_dialog(page, live_server, event):
    page.goto(f"{live_server.url}/solidaire/billetterie/{event.pk}/")
    book = page.get_by_role("link", name="Réserver", exact=False)
    tab_to(page, book, limit=60)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Réserver : Le Songe")
    expect(dialog).to_be_visible()
    # The focus is in the dialog's first field: typing before it lands would lose characters.
    expect(dialog.get_by_role("searchbox", name="Rechercher par nom")).to_be_focused()
    return book, dialog


def test_booking_in_the_dialog_with_the_keyboard_only(live_server, page, referent):
    """Book in the "Réserver" dialog a participant found by name, a guest created inline and an
    accompanier; the result page starts the PDF's download; cancel the guest, which seats the
    accompanier waiting (a promotion)."""
    event, host, helper = booking_event(referent, seats=2)
    errors = record_errors(page, live_server.url)
    sign_in_with_the_keyboard(page, live_server, referent.user.email)
    expect(page.get_by_role("heading", level=1)).to_have_text(referent.structure.name)
    event_page = f"{live_server.url}/solidaire/billetterie/{event.pk}/"
    _, dialog = open_booking_dialog(page, live_server, event)
    page.keyboard.type("aubert")
    page.keyboard.press("Enter")
    # The focus goes to what was found, then to the people of the booking.
    expect(dialog.get_by_role("button", name=f"Ajouter {host}")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("heading", name="Personnes inscrites (1 sur 8")).to_be_focused()
    expect(dialog.get_by_role("cell", name="Invitation")).to_have_count(1)
    tab_to(page, dialog.locator("summary", has_text="Ajouter un invité de"), limit=60)
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # Civilité, then Nom
    page.keyboard.type("Amie")
    page.keyboard.press("Tab")
    page.keyboard.type("Zoé")
    tab_to(page, dialog.get_by_role("button", name="Créer et ajouter l'invité"))
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("rowheader", name="AMIE Zoé")).to_be_visible()
    tab_to(page, dialog.get_by_role("button", name=f"Ajouter {helper}"), limit=80)
    page.keyboard.press("Enter")
    expect(dialog.get_by_text("Liste d'attente : complet")).to_be_visible()
    assert page.url == event_page  # all in the dialog, over the event's page
    tab_to(page, dialog.get_by_role("button", name="Enregistrer"), limit=80)
    with page.expect_download() as download:
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Le Songe", exact=True)).to_be_visible()
    expect(page.get_by_text("Le téléchargement de vos invitations va commencer…")).to_be_visible()
    pdf = download.value
    assert pdf.suggested_filename.startswith("invitations-")
    with open(pdf.path(), "rb") as content:
        assert content.read(5) == b"%PDF-"
    reference = Reservation.objects.get(holder_key=f"beneficiary:{host.pk}").reference
    expect(page.get_by_text(f"Invitation n° S-{reference}")).to_be_visible()
    expect(page.get_by_text("Sur liste d'attente (rang 1)")).to_be_visible()
    expect(page.get_by_role("link", name="Imprimer les invitations (PDF)")).to_be_visible()
    tab_to(page, page.get_by_role("link", name="Annuler l'invitation AMIE Zoé"), limit=60)
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("button", name="Confirmer l'annulation"), limit=60)
    page.keyboard.press("Enter")
    expect(
        page.get_by_text("Votre annulation est confirmée : les invitations sont remises en ligne.")
    ).to_be_visible()
    helper_row = Reservation.objects.get(holder_key=f"beneficiary:{helper.pk}")
    expect(page.get_by_text(f"Invitation n° S-{helper_row.reference}")).to_be_visible()
    assert helper_row.status == "valid"  # promoted when the guest's seat came back
    assert errors == []


def test_the_dialog_shows_refusals_and_escape_gives_the_focus_back(live_server, page, referent):
    event, host, _ = booking_event(referent, seats=2)
    sign_in_with_the_keyboard(page, live_server, referent.user.email)
    expect(page.get_by_role("heading", level=1)).to_have_text(referent.structure.name)
    book, dialog = open_booking_dialog(page, live_server, event)
    # A participant created with no name: the form's errors, in the dialog, read out first.
    tab_to(page, dialog.locator("summary", has_text="Créer un nouveau participant"), limit=60)
    page.keyboard.press("Enter")
    tab_to(page, dialog.get_by_role("button", name="Créer et ajouter le participant"))
    page.keyboard.press("Enter")
    summary = dialog.locator("[data-error-summary]")
    expect(summary).to_contain_text("Le formulaire contient des erreurs")
    expect(summary).to_be_focused()
    # A person deactivated while the dialog is open: the service's refusal, in the dialog.
    page.keyboard.press("Shift+Tab")
    tab_to(page, dialog.get_by_role("searchbox", name="Rechercher par nom"), limit=60)
    page.keyboard.type("aubert")
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("button", name=f"Ajouter {host}")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("rowheader", name=str(host))).to_be_visible()
    Beneficiary.objects.filter(pk=host.pk).update(is_active=False)
    tab_to(page, dialog.get_by_role("button", name="Enregistrer"), limit=80)
    page.keyboard.press("Enter")
    refusal = dialog.locator(".portal-messages")
    expect(refusal).to_be_focused()
    expect(refusal).to_contain_text("personne")
    assert not Reservation.objects.exists()
    # Escape closes the dialog and gives the focus back to "Réserver".
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(book).to_be_focused()
    page.keyboard.press("Enter")  # opens again, empty
    expect(page.get_by_role("dialog", name="Réserver : Le Songe")).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Fermer"), limit=60)
    page.keyboard.press("Enter")
    expect(book).to_be_focused()


def test_without_javascript_reserver_is_a_page_and_the_pdf_a_link(live_server, chromium, referent):
    event, host, _ = booking_event(referent, seats=2)
    context = chromium.new_context(locale="fr-FR", java_script_enabled=False)
    keep_offline(context, live_server.url)
    page = context.new_page()
    page.set_default_timeout(5000)
    page.goto(live_server.url + "/solidaire/connexion/")
    page.get_by_role("textbox", name="Email ou téléphone").fill(referent.user.email)
    page.get_by_role("button", name="Suivant").click()
    page.get_by_role("textbox", name="Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto(f"{live_server.url}/solidaire/billetterie/{event.pk}/")
    page.get_by_role("link", name="Réserver", exact=False).click()
    expect(page.get_by_role("heading", name="Réserver : Le Songe", level=1)).to_be_visible()
    assert page.url.endswith("/reserver/")
    page.get_by_role("searchbox", name="Rechercher par nom").fill("aubert")
    page.get_by_role("region", name="Ajouter un participant").get_by_role(
        "button", name="Rechercher"
    ).click()
    page.get_by_role("button", name=f"Ajouter {host}").click()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name="Le Songe", exact=True)).to_be_visible()
    assert page.url.endswith("?resultat=1")
    # No script, no download by itself and no announcement of one: the link.
    expect(page.locator("[data-download-notice]")).to_have_text("")
    download_link = page.get_by_role("link", name="Télécharger les invitations (PDF)")
    with page.expect_download() as download:
        download_link.click()
    with open(download.value.path(), "rb") as content:
        assert content.read(5) == b"%PDF-"
    context.close()


def test_the_download_starts_once(live_server, page, referent):
    event, host, _ = booking_event(referent, seats=2)
    sign_in_with_the_keyboard(page, live_server, referent.user.email)
    expect(page.get_by_role("heading", level=1)).to_have_text(referent.structure.name)
    session = event.sessions.get()
    booking = book(session, [host], author=referent.user, now=timezone.now())
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    result = f"{live_server.url}/solidaire/reservations/{booking.group.pk}/?resultat=1"
    with page.expect_download():
        page.goto(result)
    expect(page.get_by_role("status")).to_have_text(
        "Le téléchargement de vos invitations va commencer…"
    )
    assert page.url == result.removesuffix("?resultat=1")
    page.reload()
    expect(page.get_by_role("link", name="Imprimer les invitations (PDF)")).to_be_visible()
    expect(page.get_by_role("link", name="Télécharger les invitations (PDF)")).to_have_count(0)
    assert len(downloads) == 1
