"""The portal's two-step sign-in (CPT's "Connexion à votre espace"), sign-out, and the login
limit shared with the back-office."""

import pytest
from django.conf import settings
from django.urls import reverse

from guichet.accounts.tests.factories import PASSWORD
from guichet.core import login_limit
from guichet.core.models import AuditAction, AuditEntry
from guichet.solidarity.models import StructureState

LOGIN = reverse("solidarity:login")
HOME = reverse("solidarity:home")
WRONG = "Identifiant ou mot de passe incorrect."
THROTTLED = "Trop de tentatives de connexion : réessayez dans 15 minutes."


@pytest.fixture(autouse=True)
def _no_delay(monkeypatch):
    monkeypatch.setattr(login_limit, "_delay", lambda seconds: None)


def step_two(client, identifier):
    return client.post(LOGIN, {"identifier": identifier})


def sign_in(client, identifier, password, **extra):
    data = {"identifier": identifier, "password": password, "remember": "on"} | extra
    return client.post(LOGIN, data, REMOTE_ADDR=extra.pop("address", "203.0.113.5"))


def test_step_one_asks_for_the_identifier(client, db):
    page = client.get(LOGIN).content.decode()
    for text in (
        "Connexion à votre espace",
        "Email ou téléphone",
        "Étape 1 / 2",
        "Suivant",
        "Pas encore membre ?",
        "Inscription",
    ):
        assert text in page
    assert "Mot de passe" not in page


@pytest.mark.parametrize("identifier", ["jules@example.org", "personne@example.org", "06 00"])
def test_step_two_comes_for_any_identifier(client, referent, identifier):
    page = step_two(client, identifier).content.decode()
    for text in ("Étape 2 / 2", "Modifier", "Mot de passe", "Rester connecté", "Connexion"):
        assert text in page
    assert "Mot de passe oublié" in page
    assert f"<strong data-identifier>{identifier}</strong>" in page
    assert 'name="remember" id="id_remember" checked' in page


def test_modifier_goes_back_to_step_one_with_the_identifier(client, db):
    page = client.post(LOGIN, {"identifier": "jules@example.org", "edit": "1"}).content.decode()
    assert "Étape 1 / 2" in page and 'value="jules@example.org"' in page


@pytest.mark.parametrize(
    "identifier", ["email", "EMAIL", "phone", "+33 6 12 34 56 78", "0033612345678", "username"]
)
def test_every_identifier_signs_in(client, referent, identifier):
    referent.user.profile.phone = "+33612345678"
    referent.user.profile.save()
    typed = {
        "email": referent.user.email,
        "EMAIL": referent.user.email.upper(),
        "phone": "06 12 34 56 78",
        "username": referent.user.username,
    }.get(identifier, identifier)
    response = sign_in(client, typed, PASSWORD)
    assert response.status_code == 302 and response.url == HOME
    assert client.get(HOME).status_code == 200


def test_rester_connecte_keeps_the_session_thirty_days(client, referent):
    sign_in(client, referent.user.email, PASSWORD)
    assert client.session.get_expiry_age() == 30 * 24 * 3600
    assert not client.session.get_expire_at_browser_close()


def test_without_rester_connecte_the_session_ends_with_the_browser(client, referent):
    client.post(LOGIN, {"identifier": referent.user.email, "password": PASSWORD})
    assert client.session.get_expire_at_browser_close()


@pytest.mark.parametrize("case", ["unknown", "wrong", "inactive", "invited"])
def test_every_failure_says_the_same(client, referent, case):
    identifier, password = referent.user.email, PASSWORD
    if case == "unknown":
        identifier = "personne@example.org"
    elif case == "wrong":
        password = "mauvais"
    elif case == "inactive":
        referent.user.is_active = False
        referent.user.save()
    else:
        referent.user.set_unusable_password()
        referent.user.save()
    response = sign_in(client, identifier, password)
    page = response.content.decode()
    assert response.status_code == 200 and WRONG in page
    assert "Étape 2 / 2" in page and f"<strong data-identifier>{identifier}</strong>" in page
    assert client.get(HOME).status_code == 302


def test_sign_ins_and_failures_are_in_the_journal(client, referent):
    sign_in(client, "personne@example.org", "mauvais")
    sign_in(client, referent.user.email, PASSWORD)
    failed = AuditEntry.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert failed.note == "personne@example.org"
    signed = AuditEntry.objects.get(action=AuditAction.SIGN_IN)
    assert signed.object_id == str(referent.user.pk)


def test_an_account_of_an_inactive_structure_is_told_it_has_no_access(client, referent):
    referent.structure.state = StructureState.INACTIVE
    referent.structure.save()
    page = sign_in(client, referent.user.email, PASSWORD).content.decode()
    assert "Votre compte n&#x27;a pas accès à la Billetterie solidaire" in page
    assert client.get(HOME).status_code == 302


def test_an_account_without_a_structure_is_not_let_in(client, django_user_model):
    from guichet.accounts.tests.factories import PortalUserFactory

    user = PortalUserFactory()
    page = sign_in(client, user.email, PASSWORD).content.decode()
    assert "pas accès à la Billetterie solidaire" in page
    client.force_login(user, backend="guichet.accounts.backends.IdentifierBackend")
    response = client.get(HOME)
    assert response.status_code == 403 and "Accès refusé" in response.content.decode()


def test_the_login_limit_and_its_messages_are_the_back_offices(client, referent, settings):
    settings.LOGIN_RATE_LIMIT = "10/15m"
    answers = [sign_in(client, referent.user.email, f"essai-{n}") for n in range(12)]
    assert all(WRONG in a.content.decode() for a in answers[:10])
    assert all(THROTTLED in a.content.decode() for a in answers[10:])
    assert THROTTLED in sign_in(client, referent.user.email, PASSWORD).content.decode()
    # Per address: another identifier from the same address is refused too.
    assert THROTTLED in sign_in(client, "autre@example.org", "x").content.decode()
    # Another address may still sign in.
    response = client.post(
        LOGIN,
        {"identifier": referent.user.email, "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 302


def test_a_portal_page_sends_to_the_portals_sign_in_and_back(client, referent):
    url = reverse("solidarity:beneficiary_list")
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={url}"
    response = sign_in(client, referent.user.email, PASSWORD, next=url)
    assert response.url == url


def test_an_outside_next_is_ignored(client, referent):
    response = sign_in(client, referent.user.email, PASSWORD, next="https://evil.example/")
    assert response.url == HOME


def test_the_back_office_keeps_its_own_sign_in():
    assert settings.LOGIN_URL == "admin:login"


def test_signing_out(client, referent):
    sign_in(client, referent.user.email, PASSWORD)
    assert client.get(reverse("solidarity:logout")).status_code == 405
    response = client.post(reverse("solidarity:logout"))
    assert response.url == LOGIN
    assert client.get(HOME).status_code == 302


@pytest.mark.parametrize(
    "identifier",
    ["", " ", "x" * 255, "a\u2028b", "jules@\rexample.org", "<script>alert(1)</script>"],
)
def test_bad_identifiers_get_a_french_message_and_no_error(client, db, identifier):
    response = step_two(client, identifier)
    page = response.content.decode()
    if identifier.strip() == "":
        assert "Saisissez votre adresse e-mail ou votre numéro de téléphone." in page
    elif len(identifier) > 254:
        assert "Cet identifiant est trop long (254 caractères au plus)." in page
    elif identifier.startswith("<"):
        assert "Étape 2 / 2" in page and "<script>alert" not in page
    else:
        assert "Ce champ tient sur une ligne" in page
    assert response.status_code == 200


def test_a_forged_step_two_goes_back_to_step_one(client, db):
    page = client.post(LOGIN, {"identifier": "x" * 300, "password": "y"}).content.decode()
    assert "Étape 1 / 2" in page and "trop long" in page
    page = client.post(LOGIN, {"password": "y"}).content.decode()
    assert "Étape 1 / 2" in page


def test_a_nul_byte_is_refused_before_the_view(client, db):
    assert client.post(LOGIN, {"identifier": "a\x00b"}).status_code == 400
