"""The portal's pages: the shell, "Mes participants", "Ma structure" and its référents, "Mon
profil"; with what social workers type wrong."""

import pytest
from django.contrib.auth import authenticate
from django.urls import reverse

from guichet.accounts.tests.factories import PASSWORD, PortalUserFactory
from guichet.notifications.models import MessageKind, OutgoingMessage
from guichet.solidarity.models import Beneficiary, BeneficiaryKind, MemberRole, Membership
from guichet.solidarity.tests.factories import BeneficiaryFactory, StructureFactory

LIST = reverse("solidarity:beneficiary_list")
CREATE = reverse("solidarity:beneficiary_create")
STRUCTURE = reverse("solidarity:structure_detail")
MEMBER_CREATE = reverse("solidarity:member_create")
LAST_MANAGER = "La structure doit garder au moins un responsable."
EMAIL_TAKEN = "Cette adresse e-mail est déjà utilisée par un autre compte."


def person(**fields) -> dict:
    return {
        "kind": BeneficiaryKind.PARTICIPANT,
        "guest_of": "",
        "civility": "madame",
        "last_name": "Exemple",
        "first_name": "Nadia",
        "address": "",
        "phone": "",
        "email": "",
    } | fields


def member(**fields) -> dict:
    return {
        "first_name": "Camille",
        "last_name": "Nouvelle",
        "email": "camille.nouvelle@example.org",
        "phone": "",
        "role": MemberRole.REFERENT,
    } | fields


def test_the_shell(referent_client, structure):
    page = referent_client.get(reverse("solidarity:home")).content.decode()
    tabs = page.split('class="portal-tabs"')[1].split("</nav>")[0]
    labels = ["Accueil", "Mes participants", "Billetterie Solidaire", "Mes réservations"]
    for label in [*labels, "Ma structure"]:
        assert f">{label}</a>" in tabs
    assert 'aria-current="page">Accueil<' in tabs
    assert "Mon profil" in page and "Se déconnecter" in page
    assert f"<h1>{structure.name}</h1>" in page
    assert "<title>Accueil – Billetterie solidaire</title>" in page
    assert "Retrouver mes réservations" not in page  # the parks' link
    assert "Mentions légales" in page


def test_mes_reservations_has_its_page(referent_client):
    page = referent_client.get(reverse("solidarity:reservations")).content.decode()
    assert "Réservations en cours" in page and "Toutes les réservations" in page


def test_the_list_of_people_as_cpt_shows_it(referent_client, structure):
    host = BeneficiaryFactory(
        structure=structure,
        last_name="Aubert",
        first_name="Nadia",
        civility="monsieur",
    )
    BeneficiaryFactory(
        structure=structure,
        last_name="Barrau",
        first_name="Dominique",
        phone="+33612345601",
        email="accueil-quatre-vents@example.org",
        address="3 rue des Exemples",
        is_active=False,
    )
    BeneficiaryFactory(
        structure=structure, kind=BeneficiaryKind.GUEST, guest_of=host, last_name="Zidi"
    )
    page = referent_client.get(LIST).content.decode()
    for header in ("Famille", "Participant", "Coordonnées", "Contact", "Etat", "Civilité"):
        assert f'<th scope="col">{header}</th>' in page
    assert "Recherche rapide" in page and "Rechercher" in page and "+ Nouveaux" in page
    assert "1 à 3 sur 3 éléments" in page
    assert "AUBERT Nadia" in page and "Tel :  / Mail : " in page and "-</td>" in page
    assert "Tel : 06 12 34 56 01 / Mail : accueil-quatre-vents@example.org" in page
    assert "3 rue des Exemples" in page and "Inactif" in page and "Monsieur" in page
    assert 'Invité <span class="muted">de AUBERT Nadia</span>' in page


def test_twenty_five_a_page(referent_client, structure):
    for n in range(36):
        BeneficiaryFactory(structure=structure, last_name=f"Nom{n:02d}")
    page = referent_client.get(LIST).content.decode()
    assert "1 à 25 sur 36 éléments" in page and "NOM24" in page and "NOM25" not in page
    page = referent_client.get(LIST + "?page=2").content.decode()
    assert "26 à 36 sur 36 éléments" in page and "NOM35" in page
    assert referent_client.get(LIST + "?page=999").status_code == 200
    assert referent_client.get(LIST + "?page=abc").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "dupre",
        "DUPRÉ",
        "élodie dupré",
        "Dupre Elodie",
        "06 12 34",
        "0612345678",
        "+33 6 12",
        "elodie.d@",
    ],
)
def test_quick_search_ignores_accents_and_case(referent_client, structure, query):
    BeneficiaryFactory(
        structure=structure,
        last_name="Dupré",
        first_name="Élodie",
        phone="+33612345678",
        email="elodie.d@example.org",
    )
    BeneficiaryFactory(structure=structure, last_name="Martin", first_name="Paul")
    page = referent_client.get(LIST, {"q": query}).content.decode()
    assert "DUPRÉ Élodie" in page and "MARTIN" not in page
    assert "1 à 1 sur 1 élément" in page


@pytest.mark.parametrize("query", ["x" * 5000, "a b c d e f g h i j k l m", "<b>", "\u2028", "%_"])
def test_any_search_answers(referent_client, structure, query):
    BeneficiaryFactory(structure=structure, last_name="Martin")
    response = referent_client.get(LIST, {"q": query})
    assert response.status_code == 200
    assert "<b>" not in response.content.decode().split("<main")[1]


def test_creating_a_participant_with_a_name_alone(referent_client, structure, referent):
    response = referent_client.post(CREATE, person())
    assert response.status_code == 302 and response.url == LIST
    created = Beneficiary.objects.get()
    assert (created.structure, created.created_by) == (structure, referent.user)
    assert (created.phone, created.email, created.is_active) == ("", "", True)
    assert "EXEMPLE Nadia est ajouté." in referent_client.get(LIST).content.decode()


def test_creating_a_guest_and_an_accompanier(referent_client, structure):
    host = BeneficiaryFactory(structure=structure)
    referent_client.post(CREATE, person(kind="guest", guest_of=host.pk, last_name="Invitée"))
    referent_client.post(CREATE, person(kind="accompanier", last_name="Bénévole"))
    guest = Beneficiary.objects.get(last_name="Invitée")
    assert guest.guest_of == host
    assert Beneficiary.objects.get(last_name="Bénévole").kind == BeneficiaryKind.ACCOMPANIER


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "guest"}, "Choisissez le participant qui invite cette personne."),
        ({"phone": "12"}, "Numéro de téléphone invalide"),
        ({"email": "pas-une-adresse"}, "Saisissez une adresse de courriel valide."),
        ({"last_name": "http://evil.example"}, "Saisissez un nom en lettres"),
        ({"first_name": "Jo3"}, "Saisissez un prénom en lettres"),
        ({"last_name": "x" * 101}, "101"),
        ({"address": "1 rue\r\nBcc: x"}, "Ce champ tient sur une ligne"),
        ({"kind": "chef"}, "Sélectionnez un choix valide."),
        ({"civility": "docteur"}, "Sélectionnez un choix valide."),
        ({"guest_of": "abc", "kind": "guest"}, "Choisissez un participant de votre structure."),
        ({"last_name": ""}, "Ce champ est obligatoire."),
    ],
)
def test_bad_input_is_refused_in_french_and_kept(referent_client, structure, fields, message):
    response = referent_client.post(CREATE, person(**fields))
    page = response.content.decode()
    assert response.status_code == 200 and message in page
    assert not Beneficiary.objects.exists()
    assert 'value="Nadia"' in page or fields.get("first_name")


def test_a_guest_of_another_structures_participant_is_refused(referent_client, structure):
    elsewhere = BeneficiaryFactory(structure=StructureFactory(), last_name="Ailleurs")
    own_guest = BeneficiaryFactory(
        structure=structure,
        kind=BeneficiaryKind.GUEST,
        guest_of=BeneficiaryFactory(structure=structure),
    )
    for host in (elsewhere, own_guest):
        page = referent_client.post(
            CREATE, person(kind="guest", guest_of=host.pk, last_name="Invitée")
        ).content.decode()
        assert "Choisissez un participant de votre structure." in page
        assert 'value="Invitée"' in page
        assert "AILLEURS" not in page
    assert not Beneficiary.objects.filter(last_name="Invitée").exists()


def test_editing_and_deactivating(referent_client, structure):
    someone = BeneficiaryFactory(structure=structure, last_name="Avant")
    url = reverse("solidarity:beneficiary_update", kwargs={"beneficiary_id": someone.pk})
    page = referent_client.get(url).content.decode()
    assert 'value="Avant"' in page and "Désactiver" in page
    assert referent_client.post(url, person(last_name="Après")).status_code == 302
    someone.refresh_from_db()
    assert someone.last_name == "Après"
    state = reverse("solidarity:beneficiary_state", kwargs={"beneficiary_id": someone.pk})
    assert referent_client.get(state).status_code == 405
    referent_client.post(state, {"active": "0"})
    someone.refresh_from_db()
    assert not someone.is_active
    page = referent_client.get(url).content.decode()
    assert "Réactiver" in page and "cette personne ne peut pas être inscrite" in page
    referent_client.post(state, {"active": "1"})
    someone.refresh_from_db()
    assert someone.is_active


def test_a_host_stays_a_participant_while_it_has_guests(referent_client, structure):
    host = BeneficiaryFactory(structure=structure, last_name="Hôte", first_name="Nadia")
    BeneficiaryFactory(structure=structure, kind=BeneficiaryKind.GUEST, guest_of=host)
    url = reverse("solidarity:beneficiary_update", kwargs={"beneficiary_id": host.pk})
    page = referent_client.post(url, person(kind="accompanier")).content.decode()
    assert "Cette personne a des invités : elle reste participant." in page
    host.refresh_from_db()
    assert host.kind == BeneficiaryKind.PARTICIPANT


def test_ma_structure_shows_its_details_and_referents(referent_client, structure, referent):
    page = referent_client.get(STRUCTURE).content.decode()
    assert structure.name in page and structure.territory.name in page
    for tab in ("Participants", "Réservations", "Tribune d'expression"):
        assert tab in page
    assert "Référents" in page and "Élodie Responsable" in page and "Jules Référent" in page
    # Only a responsable edits.
    assert reverse("solidarity:structure_update") not in page
    assert MEMBER_CREATE not in page
    assert referent_client.get(reverse("solidarity:structure_update")).status_code == 403
    assert referent_client.post(MEMBER_CREATE, member()).status_code == 403
    url = reverse("solidarity:member_update", kwargs={"member_id": referent.pk})
    assert referent_client.get(url).status_code == 200
    assert referent_client.post(url, member()).status_code == 403


def test_a_responsable_edits_the_structure(responsable_client, structure):
    url = reverse("solidarity:structure_update")
    assert url in responsable_client.get(STRUCTURE).content.decode()
    data = {
        "address": "2 place de l'Exemple",
        "postal_code": "59100",
        "city": "Roubaix",
        "phone": "03 20 00 00 00",
        "email": "accueil@example.org",
    }
    assert responsable_client.post(url, data).status_code == 302
    structure.refresh_from_db()
    assert (structure.city, structure.phone) == ("Roubaix", "+33320000000")
    page = responsable_client.post(url, data | {"city": "", "phone": "x"}).content.decode()
    assert "Ce champ est obligatoire." in page and "Numéro de téléphone invalide" in page
    assert 'value="2 place de l&#x27;Exemple"' in page


def test_adding_a_referent_sends_an_invitation(responsable_client, structure):
    response = responsable_client.post(MEMBER_CREATE, member(role=MemberRole.MANAGER))
    assert response.status_code == 302
    added = Membership.objects.get(user__email="camille.nouvelle@example.org")
    assert (added.structure, added.role) == (structure, MemberRole.MANAGER)
    assert not added.user.has_usable_password()
    assert OutgoingMessage.objects.get().kind == MessageKind.SOLIDARITY_INVITATION
    page = responsable_client.get(STRUCTURE).content.decode()
    assert "Camille Nouvelle" in page and "invitation envoyée" in page


@pytest.mark.parametrize(
    ("fields", "field_message"),
    [
        ({"email": "JULES.REFERENT@example.org"}, EMAIL_TAKEN),
        (
            {"phone": "+33 6 11 22 33 44"},
            "Ce numéro de téléphone est déjà utilisé par un autre compte.",
        ),
        ({"phone": "06 1"}, "Numéro de téléphone invalide"),
        ({"email": ""}, "Ce champ est obligatoire."),
        ({"role": "chef"}, "Sélectionnez un choix valide."),
    ],
)
def test_a_referent_clash_is_named_and_the_input_kept(
    responsable_client, referent, fields, field_message
):
    referent.user.email = referent.user.profile.email = "jules.referent@example.org"
    referent.user.save()
    referent.user.profile.phone = "+33611223344"
    referent.user.profile.save()
    page = responsable_client.post(MEMBER_CREATE, member(**fields)).content.decode()
    assert field_message in page
    assert 'value="Nouvelle"' in page
    assert not Membership.objects.filter(user__last_name="Nouvelle").exists()
    assert not OutgoingMessage.objects.exists()


def test_editing_a_referent_and_its_pending_address(responsable_client, referent):
    url = reverse("solidarity:member_update", kwargs={"member_id": referent.pk})
    # A used account: its address is its own.
    page = responsable_client.get(url).content.decode()
    assert "Son titulaire la change depuis « Mon profil »." in page
    data = member(first_name="Jules", last_name="Modifié", email="autre@example.org")
    assert responsable_client.post(url, data).status_code == 302
    referent.user.refresh_from_db()
    assert referent.user.last_name == "Modifié" and referent.user.email != "autre@example.org"
    # An invitation never used: its address may be corrected, and the invitation goes again.
    referent.user.set_unusable_password()
    referent.user.save()
    assert responsable_client.post(url, data).status_code == 302
    referent.user.refresh_from_db()
    assert referent.user.email == "autre@example.org"
    row = OutgoingMessage.objects.get()
    assert row.recipients == ["autre@example.org"]
    invite = reverse("solidarity:member_invite", kwargs={"member_id": referent.pk})
    assert "Renvoyer l'invitation" in responsable_client.get(url).content.decode()
    responsable_client.post(invite)
    assert OutgoingMessage.objects.count() == 2


def test_removing_a_referent_deactivates_its_account(responsable_client, referent):
    url = reverse("solidarity:member_remove", kwargs={"member_id": referent.pk})
    page = responsable_client.get(url).content.decode()
    assert "Son compte sera désactivé" in page
    assert responsable_client.post(url).status_code == 302
    referent.refresh_from_db()
    assert not referent.user.is_active
    assert Membership.objects.filter(pk=referent.pk).exists()  # its bookings keep its name
    assert authenticate(None, identifier=referent.user.email, password=PASSWORD) is None
    page = responsable_client.get(STRUCTURE).content.decode()
    assert "Jules Référent est retiré de la structure." in page
    assert "Jules Référent</a>" not in page
    assert responsable_client.get(url).status_code == 404


def test_the_last_responsable_can_be_neither_removed_nor_demoted(responsable_client, responsable):
    remove = reverse("solidarity:member_remove", kwargs={"member_id": responsable.pk})
    response = responsable_client.post(remove)
    assert response.status_code == 400 and LAST_MANAGER in response.content.decode()
    edit = reverse("solidarity:member_update", kwargs={"member_id": responsable.pk})
    data = member(first_name="Élodie", last_name="Responsable", email=responsable.user.email)
    page = responsable_client.post(edit, data).content.decode()
    assert LAST_MANAGER in page and 'value="Responsable"' in page
    responsable.refresh_from_db()
    assert responsable.role == MemberRole.MANAGER and responsable.user.is_active


def test_with_a_second_responsable_one_may_leave(responsable_client, responsable, structure):
    from guichet.solidarity.tests.factories import MembershipFactory

    MembershipFactory(structure=structure, role=MemberRole.MANAGER)
    remove = reverse("solidarity:member_remove", kwargs={"member_id": responsable.pk})
    response = responsable_client.post(remove)
    assert response.url == reverse("solidarity:login")
    assert responsable_client.get(STRUCTURE).status_code == 302  # signed out with its account


def test_mon_profil(referent_client, referent):
    url = reverse("solidarity:profile")
    page = referent_client.get(url).content.decode()
    assert "Mon profil" in page and 'value="Jules"' in page
    data = {
        "first_name": "Jules",
        "last_name": "Nouveau",
        "email": referent.user.email,
        "phone": "0612345678",
    }
    assert referent_client.post(url, data).status_code == 302
    referent.user.refresh_from_db()
    assert referent.user.last_name == "Nouveau"
    assert referent.user.profile.phone == "+33612345678"
    assert not OutgoingMessage.objects.exists()  # the address did not change


def test_changing_the_password(referent_client, referent):
    url = reverse("solidarity:password_change")
    page = referent_client.post(
        url,
        {"old_password": "faux", "new_password1": "n0uveau-mot", "new_password2": "n0uveau-mot"},
    ).content.decode()
    assert "Votre ancien mot de passe est incorrect." in page
    response = referent_client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "un-nouveau-mot-2026",
            "new_password2": "un-nouveau-mot-2026",
        },
    )
    assert response.status_code == 302
    assert referent_client.get(reverse("solidarity:home")).status_code == 200  # still signed in
    assert authenticate(None, identifier=referent.user.email, password="un-nouveau-mot-2026")


def test_a_user_with_an_account_but_no_structure_sees_no_page(client, db):
    user = PortalUserFactory()
    client.force_login(user, backend="guichet.accounts.backends.IdentifierBackend")
    for name in ("home", "beneficiary_list", "structure_detail", "profile"):
        assert client.get(reverse(f"solidarity:{name}")).status_code == 403
