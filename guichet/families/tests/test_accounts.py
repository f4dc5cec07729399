"""The family portal's accounts: staff create a household's guardians in the back-office (an
invitation with an address, a printed "Lettre d'activation" without), "Authentification",
"Première connexion", "Le retrouver", "Profil" → "Modifier"."""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from guichet.accounts.tests.factories import PASSWORD
from guichet.core.permissions import FAMILY_MANAGER_GROUP
from guichet.families.models import ActivationCode, Guardian
from guichet.families.services import activation_code_redeem, activation_letter_make
from guichet.families.tests.factories import GuardianFactory, HouseholdFactory
from guichet.families.views_accounts import REMEMBER_COOKIE, REMEMBER_SECONDS
from guichet.notifications.delivery import messages_send_due
from guichet.notifications.models import MessageKind, OutgoingMessage

LINK = re.compile(r"http://testserver(/famille/[^\s\"<]+)")
NEW_PASSWORD = "un-nouveau-mot-de-passe-2027"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def sent_links() -> list[str]:
    messages_send_due()
    links = []
    for message in mail.outbox:
        links += LINK.findall(message.body)
    mail.outbox.clear()
    return links


@pytest.fixture
def family_staff(django_user_model):
    user = django_user_model.objects.create_user(
        username="periscolaire", email="periscolaire@example.org", password="x", is_staff=True
    )
    user.groups.add(Group.objects.get(name=FAMILY_MANAGER_GROUP))
    return django_user_model.objects.get(pk=user.pk)


@pytest.fixture
def staff_client(family_staff):
    client = Client()
    client.force_login(family_staff)
    return client


def add_guardian(staff_client, household, email=""):
    return staff_client.post(
        reverse("admin:families_guardian_add"),
        {
            "household": household.pk,
            "first_name": "Sacha",
            "last_name": "Parent",
            "email": email,
            "phone": "",
            "receives_digest": "on",
        },
    )


@pytest.mark.parametrize(
    "model",
    [
        "household",
        "guardian",
        "childgroup",
        "child",
        "activityrules",
        "familysettings",
        "bookingperiod",
        "sessionday",
        "reservationchange",
    ],
)
def test_the_family_group_sees_its_pages_and_the_parks_group_does_not(
    staff_client, manager_client, model
):
    url = reverse(f"admin:families_{model}_changelist")
    assert staff_client.get(url).status_code in (200, 302)
    assert manager_client.get(url).status_code == 403


def test_a_guardian_with_an_address_is_invited_and_chooses_a_password(staff_client):
    household = HouseholdFactory()
    response = add_guardian(staff_client, household, email="sacha.parent@example.org")
    assert response.status_code == 302
    guardian = Guardian.objects.get()
    assert not guardian.user.has_usable_password()
    assert OutgoingMessage.objects.get().kind == MessageKind.FAMILY_INVITATION
    [link] = sent_links()
    assert link.startswith("/famille/invitation/")
    client = Client()
    response = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == reverse("families:home")
    page = client.get(reverse("families:home")).content.decode()
    assert household.name in page and "Se déconnecter" in page
    assert client.get(link).status_code == 404  # used: dead


def test_a_guardian_without_address_gets_a_letter_and_its_code_works_once(staff_client):
    household = HouseholdFactory(address="3 rue des Tilleuls\n59000 Exempleville")
    add_guardian(staff_client, household)
    guardian = Guardian.objects.get()
    assert OutgoingMessage.objects.count() == 0
    response = staff_client.post(
        reverse("admin:families_guardian_changelist"),
        {"action": "activation_letter", "_selected_action": [guardian.pk]},
    )
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Lettre d'activation" in text and guardian.user.username in text
    assert "3 rue des Tilleuls" in text
    code = re.search(r"Code d'activation\s*([A-Z0-9]{4} [A-Z0-9]{4})", text)[1]
    stored = ActivationCode.objects.get(user=guardian.user)
    assert code.replace(" ", "") not in stored.code_hash  # hashed
    client = Client()
    page = client.post(
        reverse("families:first_connection"),
        {
            "identifier": guardian.user.username,
            "code": code.lower(),
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert page.status_code == 302 and page.url == reverse("families:home")
    again = Client().post(
        reverse("families:first_connection"),
        {
            "identifier": guardian.user.username,
            "code": code,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert "déjà utilisé ou expiré" in again.content.decode()


def test_a_code_expires_after_30_days_and_a_wrong_one_says_the_same(db):
    guardian = GuardianFactory(user__password=None)
    guardian.user.set_unusable_password()
    guardian.user.save()
    now = timezone.now()
    activation_letter_make(guardian=guardian, now=now)
    from guichet.families.services import FamilyError, activation_code_issue

    code = activation_code_issue(user=guardian.user, now=now)
    with pytest.raises(FamilyError) as wrong:
        activation_code_redeem(
            identifier=guardian.user.username, code="AAAAAAAA", password=NEW_PASSWORD, now=now
        )
    with pytest.raises(FamilyError) as expired:
        activation_code_redeem(
            identifier=guardian.user.username,
            code=code,
            password=NEW_PASSWORD,
            now=now + timedelta(days=30),
        )
    with pytest.raises(FamilyError) as unknown:
        activation_code_redeem(identifier="personne", code=code, password=NEW_PASSWORD, now=now)
    assert str(wrong.value) == str(expired.value) == str(unknown.value)
    user = activation_code_redeem(
        identifier=guardian.user.username,
        code=code,
        password=NEW_PASSWORD,
        now=now + timedelta(days=29),
    )
    assert user.check_password(NEW_PASSWORD)


def test_sign_in_with_remember_me(client):
    guardian = GuardianFactory()
    response = client.post(
        reverse("families:login"),
        {"identifier": guardian.user.email, "password": PASSWORD, "remember": "on"},
    )
    assert response.status_code == 302 and response.url == reverse("families:home")
    assert client.session.get_expiry_age() == REMEMBER_SECONDS
    assert response.cookies[REMEMBER_COOKIE].value == guardian.user.email
    assert PASSWORD not in str(response.cookies)
    client.post(reverse("families:logout"))
    page = client.get(reverse("families:login")).content.decode()
    assert f'value="{guardian.user.email}"' in page  # the identifier remembered


def test_sign_in_without_remember_me_ends_with_the_browser(client):
    guardian = GuardianFactory()
    response = client.post(
        reverse("families:login"), {"identifier": guardian.user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session.get_expire_at_browser_close()


def test_wrong_password_unknown_identifier_and_other_portals_accounts(client):
    from guichet.accounts.tests.factories import PortalUserFactory

    guardian = GuardianFactory()
    wrong = client.post(
        reverse("families:login"), {"identifier": guardian.user.email, "password": "nope"}
    ).content.decode()
    unknown = client.post(
        reverse("families:login"), {"identifier": "inconnu@example.org", "password": "nope"}
    ).content.decode()
    assert "Identifiant ou mot de passe incorrect" in wrong
    assert "Identifiant ou mot de passe incorrect" in unknown
    other = PortalUserFactory()
    page = client.post(
        reverse("families:login"), {"identifier": other.email, "password": PASSWORD}
    ).content.decode()
    assert "pas accès au Portail famille" in page


def test_hostile_input_is_refused_with_a_message(client):
    for identifier in ("a\x00b", "<script>alert(1)</script>", "x" * 300, "a\u202eb"):
        response = client.post(
            reverse("families:login"), {"identifier": identifier, "password": "x"}
        )
        assert response.status_code in (200, 400)
        assert "<script>alert(1)</script>" not in response.content.decode()


def test_forgotten_password_mails_a_link_only_to_an_address(client):
    guardian = GuardianFactory()
    without = GuardianFactory(user__profile__email="")
    for identifier in (guardian.user.email, without.user.username, "personne"):
        page = client.post(
            reverse("families:password_forgot"), {"identifier": identifier}
        ).content.decode()
        assert "adressez-vous au pôle périscolaire" in page.lower()
    [link] = sent_links()
    assert link.startswith("/famille/mot-de-passe/")
    response = Client().post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    guardian.user.refresh_from_db()
    assert guardian.user.check_password(NEW_PASSWORD)


def test_profile_update_password_and_address(client):
    guardian = GuardianFactory()
    client.force_login(guardian.user, backend="guichet.accounts.backends.IdentifierBackend")
    url = reverse("families:profile_update")
    page = client.post(
        url,
        {"old_password": "mauvais", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    ).content.decode()
    assert "Votre mot de passe actuel n&#x27;est pas celui-ci." in page
    page = client.post(
        url,
        {"old_password": PASSWORD, "email1": "nouvelle@example.org", "email2": "autre@example.org"},
    ).content.decode()
    assert "Les deux adresses ne sont pas identiques." in page
    response = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
            "email1": "nouvelle@example.org",
            "email2": "nouvelle@example.org",
        },
    )
    assert response.status_code == 302
    guardian.user.refresh_from_db()
    assert guardian.user.check_password(NEW_PASSWORD)
    assert guardian.user.email != "nouvelle@example.org"  # not before it is confirmed
    assert client.get(reverse("families:profile")).status_code == 200  # still signed in
    [link] = sent_links()
    assert link.startswith("/famille/profil/adresse/")
    assert client.post(link).status_code == 302
    guardian.user.refresh_from_db()
    assert guardian.user.email == "nouvelle@example.org"


def test_generer_les_seances_from_the_back_office(staff_client):
    from datetime import datetime

    from guichet.families.deadlines import PARIS
    from guichet.families.models import SessionDay
    from guichet.families.tests.factories import ActivityRulesFactory, BookingPeriodFactory

    rules = ActivityRulesFactory()
    period = BookingPeriodFactory(
        first_day=datetime(2030, 3, 4).date(),
        last_day=datetime(2030, 3, 8).date(),
        opens_at=datetime(2030, 2, 1, tzinfo=PARIS),
        activities=[rules.activity],
    )
    response = staff_client.post(
        reverse("admin:families_bookingperiod_changelist"),
        {"action": "generate", "_selected_action": [period.pk]},
        follow=True,
    )
    assert "5 séances créées, 0 modifiées, 0 supprimées." in response.content.decode()
    assert SessionDay.objects.filter(period=period).count() == 5
    page = staff_client.get(reverse("admin:families_bookingperiod_change", args=[period.pk]))
    assert page.status_code == 200 and 'name="weekdays"' in page.content.decode()
