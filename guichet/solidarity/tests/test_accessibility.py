"""axe-core on every page of the portal, at desktop and phone widths: no serious or critical
violation (axe-core from npm: `npm ci`). Screenshots go to var/screenshots/solidarity/ for
review."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from guichet.accounts.tests.factories import PASSWORD
from guichet.accounts.tokens import email_change_token, invitation_token_generator, user_uid
from guichet.catalogue.tests.factories import SessionFactory
from guichet.public.tests.browsing import keep_offline
from guichet.public.tests.test_accessibility import (
    VIEWPORTS,
    axe_script,
    blocking_violations,
    describe,
)
from guichet.solidarity.models import BeneficiaryKind
from guichet.solidarity.tests.booking_helpers import book, solidarity_session
from guichet.solidarity.tests.factories import (
    BeneficiaryFactory,
    EventDetailsFactory,
    MembershipFactory,
    VenueFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["axe_script"]  # the fixture, used by name

SCREENSHOTS = settings.BASE_DIR / "var" / "screenshots" / "solidarity"


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_portal_pages_have_no_serious_violation(
    axe_script, live_server, chromium, responsable, referent, viewport
):
    structure = responsable.structure
    host = BeneficiaryFactory(
        structure=structure, last_name="Aubert", phone="+33612345601", email="a@example.org"
    )
    BeneficiaryFactory(structure=structure, kind=BeneficiaryKind.GUEST, guest_of=host)
    BeneficiaryFactory(structure=structure, is_active=False, address="3 rue des Exemples")
    venue = VenueFactory(territory=structure.territory)
    event = EventDetailsFactory(venue=venue, activity__name="Le Songe").activity
    SessionFactory(activity=event)
    SessionFactory(activity=event, seat_limit=None)
    invited = MembershipFactory(structure=structure, user__first_name="Inès")
    invited.user.set_unusable_password()
    invited.user.save()
    invitation = reverse(
        "solidarity:invitation",
        kwargs={
            "uidb64": user_uid(invited.user),
            "token": invitation_token_generator.make_token(invited.user),
        },
    )

    context = chromium.new_context(bypass_csp=True, locale="fr-FR", viewport=viewport)
    keep_offline(context, live_server.url)
    page = context.new_page()
    page.set_default_timeout(5000)
    found = {}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = viewport["width"]

    def check(name: str, heading: str) -> None:
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        found[name] = blocking_violations(page, axe_script)
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)

    def visit(url: str, name: str, heading: str) -> None:
        page.goto(live_server.url + url)
        check(name, heading)

    visit(invitation, "choisir mon mot de passe", "Choisir mon mot de passe")
    page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    check("choisir, avec erreurs", "Le formulaire contient des erreurs")
    visit(
        invitation.replace("/invitation/", "/mot-de-passe/"),
        "lien mort",
        "Lien expiré ou déjà utilisé",
    )
    visit(reverse("solidarity:password_forgot"), "mot de passe oublié", "Mot de passe oublié")
    page.get_by_role("textbox", name="Email ou téléphone").fill("06 00 00 00 00")
    page.get_by_role("button", name="Recevoir un lien").click()
    check("mot de passe oublié, réponse", "Mot de passe oublié")

    visit(reverse("solidarity:login"), "connexion 1", "Connexion à votre espace")
    page.get_by_role("button", name="Suivant").click()
    check("connexion 1, erreur", "Connexion impossible")
    page.get_by_role("textbox", name="Email ou téléphone").fill(responsable.user.email)
    page.get_by_role("button", name="Suivant").click()
    check("connexion 2", "Connexion à votre espace")
    page.get_by_role("textbox", name="Mot de passe", exact=True).fill("mauvais")
    page.get_by_role("button", name="Connexion").click()
    check("connexion 2, erreur", "Connexion impossible")
    page.get_by_role("textbox", name="Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    check("accueil", structure.name)
    page.locator("summary.account-menu__button").click()
    found["menu du compte ouvert"] = blocking_violations(page, axe_script)

    visit(reverse("solidarity:beneficiary_list"), "mes participants", "Mes participants")
    visit(
        reverse("solidarity:beneficiary_list") + "?q=personne", "recherche vide", "Mes participants"
    )
    visit(reverse("solidarity:beneficiary_create"), "nouvelle personne", "Nouvelle personne")
    page.get_by_role("textbox", name="Téléphone").fill("12")
    page.get_by_role("button", name="Enregistrer").click()
    check("nouvelle personne, erreurs", "Le formulaire contient des erreurs")
    update = reverse("solidarity:beneficiary_update", kwargs={"beneficiary_id": host.pk})
    visit(update, "fiche d'une personne", str(host))
    visit(reverse("solidarity:structure_detail"), "ma structure", structure.name)
    visit(reverse("solidarity:structure_update"), "modifier la structure", "Modifier ma structure")
    visit(reverse("solidarity:member_create"), "nouveau référent", "Nouveau référent")
    page.get_by_role("button", name="Ajouter et inviter").click()
    check("nouveau référent, erreurs", "Le formulaire contient des erreurs")
    member = reverse("solidarity:member_update", kwargs={"member_id": invited.pk})
    visit(member, "fiche d'un référent", str(invited))
    remove = reverse("solidarity:member_remove", kwargs={"member_id": responsable.pk})
    visit(remove, "retirer", f"Retirer {responsable}")
    page.get_by_role("button", name="Retirer ce référent").click()
    check("retirer, refus", f"Retirer {responsable}")
    visit(reverse("solidarity:profile"), "mon profil", "Mon profil")
    visit(reverse("solidarity:password_change"), "mot de passe", "Changer mon mot de passe")
    token = email_change_token(user=responsable.user, email="nouvelle@example.org")
    confirm = reverse("solidarity:email_confirm", kwargs={"token": token})
    visit(confirm, "confirmer l'adresse", "Confirmer ma nouvelle adresse e-mail")
    visit(reverse("solidarity:events"), "billetterie", "Billetterie Solidaire")
    page.locator(".event-search__advanced summary").click()
    found["billetterie, recherche avancée ouverte"] = blocking_violations(page, axe_script)
    visit(
        reverse("solidarity:events") + "?q=songe", "billetterie, recherche", "Billetterie Solidaire"
    )
    visit(
        reverse("solidarity:events") + "?section=new&du=31/02/2026",
        "billetterie, erreurs",
        "La recherche contient des erreurs",
    )
    visit(
        reverse("solidarity:events") + "?q=personne",
        "billetterie, aucun résultat",
        "Résultats de la recherche",
    )
    visit(reverse("solidarity:event_detail", args=[event.pk]), "fiche événement", "Le Songe")
    session = solidarity_session(timezone.now() + timedelta(days=10), seats=1, activity=event)
    booking = book(session, [host], author=responsable.user, now=timezone.now())
    book(session, [BeneficiaryFactory(structure=structure)], now=timezone.now())
    visit(reverse("solidarity:event_detail", args=[event.pk]), "fiche, créneaux", "Le Songe")
    visit(reverse("solidarity:booking_new", args=[session.pk]), "réserver", "Réserver : Le Songe")
    page.get_by_role("searchbox", name="Rechercher par nom").fill("aubert")
    page.get_by_role("region", name="Ajouter un participant").get_by_role(
        "button", name="Rechercher"
    ).click()
    check("réserver, recherche", "Réserver : Le Songe")
    page.locator("summary", has_text="Créer un nouveau participant").click()
    page.get_by_role("button", name="Créer et ajouter le participant").click()
    check("réserver, création avec erreurs", "Réserver : Le Songe")
    detail = reverse("solidarity:booking_detail", args=[booking.group.pk])
    visit(detail, "réservation", "Le Songe")
    line = booking.outcomes[0].reservation
    cancel = reverse("solidarity:invitation_cancel", args=[line.pk])
    visit(cancel, "annuler une invitation", "Annuler : Le Songe")
    visit(reverse("solidarity:reservations"), "mes réservations", "Mes réservations")
    visit(
        reverse("solidarity:reservations") + "?vue=toutes",
        "toutes les réservations",
        "Mes réservations",
    )

    # A référent sees "Ma structure" and a colleague's page without the forms.
    page.locator("summary.account-menu__button").click()
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("textbox", name="Email ou téléphone").fill(referent.user.email)
    page.get_by_role("button", name="Suivant").click()
    page.get_by_role("textbox", name="Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    visit(member, "fiche d'un référent, lecture", str(invited))
    context.close()

    assert len(found) >= 41
    assert not any(found.values()), describe(found)


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_the_booking_dialog_and_the_result_page_have_no_serious_violation(
    axe_script, live_server, chromium, referent, viewport
):
    structure = referent.structure
    host = BeneficiaryFactory(structure=structure, last_name="Aubert")
    event = EventDetailsFactory(activity__name="Le Songe").activity
    solidarity_session(timezone.now() + timedelta(days=10), seats=1, activity=event)
    context = chromium.new_context(bypass_csp=True, locale="fr-FR", viewport=viewport)
    keep_offline(context, live_server.url)
    page = context.new_page()
    page.set_default_timeout(5000)
    page.goto(live_server.url + reverse("solidarity:login"))
    page.get_by_role("textbox", name="Email ou téléphone").fill(referent.user.email)
    page.get_by_role("button", name="Suivant").click()
    page.get_by_role("textbox", name="Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("heading", name=structure.name)).to_be_visible()
    page.goto(live_server.url + reverse("solidarity:event_detail", args=[event.pk]))
    found = {}
    width = viewport["width"]

    def check(name: str, shown) -> None:
        expect(shown).to_be_visible()
        found[name] = blocking_violations(page, axe_script)
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.get_by_role("link", name="Réserver", exact=False).click()
    dialog = page.get_by_role("dialog", name="Réserver : Le Songe")
    check("réserver, dialogue", dialog)
    dialog.get_by_role("searchbox", name="Rechercher par nom").fill("aubert")
    dialog.get_by_role("searchbox", name="Rechercher par nom").press("Enter")
    dialog.get_by_role("button", name=f"Ajouter {host}").click()
    check("réserver, dialogue, une personne", dialog.get_by_role("rowheader", name=str(host)))
    dialog.locator("summary", has_text="Créer un nouveau participant").click()
    dialog.get_by_role("button", name="Créer et ajouter le participant").click()
    check("réserver, dialogue, erreurs", dialog.locator("[data-error-summary]"))
    with page.expect_download():
        dialog.get_by_role("button", name="Enregistrer").click()
    check("résultat, téléchargement", page.get_by_role("status"))
    context.close()

    assert len(found) == 4
    assert not any(found.values()), describe(found)
