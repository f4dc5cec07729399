"""The links mailed to référents: the invitation sent instead of CPT's temporary password,
"Mot de passe oublié", a new e-mail address. The outbox row holds the account only; the link is
made when the mail is sent; each link dies once used."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guichet.accounts.tests.factories import PASSWORD
from guichet.notifications.delivery import messages_send_due
from guichet.notifications.models import MessageKind, MessageState, OutgoingMessage
from guichet.solidarity.models import MemberRole, Membership

User = get_user_model()
LINK = re.compile(r"http://testserver(/solidaire/[^\s\"<]+)")
INVALID = "Lien expiré ou déjà utilisé"
FORGOT = reverse("solidarity:password_forgot")
FORGOT_ANSWER = "Si un compte correspond à cet identifiant, un e-mail vient d&#x27;être envoyé."


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def sent_links() -> list[str]:
    """The portal links of the mails sent, in order (the worker sends what is due)."""
    messages_send_due()
    links = []
    for message in mail.outbox:
        links += [path for path in LINK.findall(message.body) if "?" not in path]
    mail.outbox.clear()
    return links


def invite(responsable_client, email="camille.nouvelle@example.org"):
    return responsable_client.post(
        reverse("solidarity:member_create"),
        {
            "first_name": "Camille",
            "last_name": "Nouvelle",
            "email": email,
            "phone": "",
            "role": MemberRole.REFERENT,
        },
    )


def choose(client, link, password="un-nouveau-mot-de-passe-2026"):
    return client.post(link, {"new_password1": password, "new_password2": password})


def test_an_invited_referent_chooses_a_password_and_is_signed_in(responsable_client, client):
    response = invite(responsable_client)
    assert response.status_code == 302
    row = OutgoingMessage.objects.get(kind=MessageKind.SOLIDARITY_INVITATION)
    new = User.objects.get(email="camille.nouvelle@example.org")
    assert row.user == new and row.recipients == [new.email] and row.reservation is None
    assert not new.has_usable_password()
    [link] = sent_links()
    assert link.startswith("/solidaire/invitation/")
    # Nothing of the link was stored.
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in str(model_to_dict(OutgoingMessage.objects.get(pk=row.pk)))
    responsable_client.logout()
    page = client.get(link).content.decode()
    assert "Choisir mon mot de passe" in page and "Compte de Camille Nouvelle" in page
    response = choose(client, link)
    assert response.status_code == 302 and response.url == reverse("solidarity:home")
    assert client.get(reverse("solidarity:home")).status_code == 200
    assert client.session.get_expire_at_browser_close()
    # Used: dead.
    client.logout()
    response = client.get(link)
    assert response.status_code == 404 and INVALID in response.content.decode()


def test_the_invitation_mail_says_how_long_its_link_lasts(responsable_client):
    invite(responsable_client)
    messages_send_due()
    [message] = mail.outbox
    assert message.subject == "Votre accès à la Billetterie solidaire"
    assert message.to == ["camille.nouvelle@example.org"]
    assert "Bonjour Camille," in message.body
    assert "Choisir mon mot de passe : http://testserver/solidaire/invitation/" in message.body
    assert "Ce lien ne sert qu'une fois et expire le " in message.body
    assert "http://testserver/solidaire/invitation/" in message.alternatives[0].content


def test_the_password_must_be_typed_twice_and_pass_the_validators(responsable_client, client):
    invite(responsable_client)
    [link] = sent_links()
    responsable_client.logout()
    page = client.post(
        link, {"new_password1": "un-mot-de-passe-2026", "new_password2": "un-autre-2026"}
    ).content.decode()
    assert "Les deux mots de passe ne correspondent pas." in page
    page = choose(client, link, "123").content.decode()
    assert "Ce mot de passe est trop court." in page
    page = choose(client, link, "x" * 1025).content.decode()
    assert "1024 caractères" in page
    assert choose(client, link).status_code == 302


def test_an_invitation_expires_after_seven_days(responsable_client, client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    invite(responsable_client)
    [link] = sent_links()
    responsable_client.logout()
    time_machine.shift(timedelta(days=7, seconds=1))
    assert client.get(link).status_code == 404


def test_forgotten_password_sends_a_reset_link_valid_one_hour(client, referent, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    page = client.post(FORGOT, {"identifier": referent.user.email.upper()}).content.decode()
    assert FORGOT_ANSWER in page
    assert OutgoingMessage.objects.get().kind == MessageKind.SOLIDARITY_PASSWORD_RESET
    [link] = sent_links()
    assert link.startswith("/solidaire/mot-de-passe/")
    # Not an invitation link: the same uid and token are refused there.
    assert client.get(link.replace("/mot-de-passe/", "/invitation/")).status_code == 404
    time_machine.shift(timedelta(minutes=61))
    assert client.get(link).status_code == 404


def test_a_reset_link_dies_once_used(client, referent):
    client.post(FORGOT, {"identifier": referent.user.email})
    [link] = sent_links()
    assert "Choisir un nouveau mot de passe" in client.get(link).content.decode()
    assert choose(client, link).status_code == 302
    referent.user.refresh_from_db()
    assert not referent.user.check_password(PASSWORD)
    client.logout()
    assert client.get(link).status_code == 404


def test_an_invited_referent_who_forgot_gets_a_new_invitation(client, referent):
    referent.user.set_unusable_password()
    referent.user.save()
    client.post(FORGOT, {"identifier": referent.user.email})
    assert OutgoingMessage.objects.get().kind == MessageKind.SOLIDARITY_INVITATION
    [link] = sent_links()
    assert link.startswith("/solidaire/invitation/")


@pytest.mark.parametrize("identifier", ["personne@example.org", "06 99 99 99 99", "inconnu"])
def test_the_answer_is_the_same_whatever_exists(client, referent, identifier):
    page = client.post(FORGOT, {"identifier": identifier}).content.decode()
    assert FORGOT_ANSWER in page
    assert not OutgoingMessage.objects.exists()
    # Someone typing a phone number or a username may have an account without an address.
    told = "demandez au responsable de votre structure de vous inviter de nouveau" in page
    assert told is ("@" not in identifier)


def test_a_phone_only_account_gets_no_mail_and_is_told_to_ask_its_responsable(client, referent):
    referent.user.profile.phone, referent.user.profile.email = "+33612345678", ""
    referent.user.profile.save()
    referent.user.email = ""
    referent.user.save()
    page = client.post(FORGOT, {"identifier": "06 12 34 56 78"}).content.decode()
    assert "demandez au responsable de votre structure" in page
    assert not OutgoingMessage.objects.exists()


def test_step_two_leads_to_forgotten_password_with_its_identifier(client, referent):
    page = client.post(reverse("solidarity:login"), {"identifier": referent.user.email})
    assert f'action="{FORGOT}"' in page.content.decode()
    client.post(FORGOT, {"identifier": referent.user.email})
    assert OutgoingMessage.objects.filter(user=referent.user).exists()


def test_forgotten_password_cannot_flood_an_inbox(client, referent, settings):
    settings.CONFIRMATION_MAIL_LIMIT = ["3/h"]
    for _n in range(5):
        client.post(FORGOT, {"identifier": referent.user.email})
    states = list(OutgoingMessage.objects.order_by("pk").values_list("state", flat=True))
    assert states == [MessageState.PENDING] * 3 + [MessageState.HELD] * 2


def test_nobody_outside_an_active_structure_gets_a_link(client, referent):
    referent.structure.state = "inactive"
    referent.structure.save()
    client.post(FORGOT, {"identifier": referent.user.email})
    assert not OutgoingMessage.objects.exists()


def test_a_mail_for_a_deactivated_account_or_a_chosen_password_is_withdrawn(
    responsable_client, referent
):
    invite(responsable_client)
    invited = Membership.objects.get(user__email="camille.nouvelle@example.org").user
    invited.set_password(PASSWORD)
    invited.save()
    responsable_client.post(
        reverse("solidarity:member_remove", kwargs={"member_id": referent.pk}), {}
    )
    from guichet.solidarity.services import member_invitation_send

    member_invitation_send(membership=referent)
    assert sent_links() == []
    reasons = set(OutgoingMessage.objects.values_list("last_error", flat=True))
    assert reasons == {"Le mot de passe a déjà été choisi.", "Le compte a été désactivé."}


def test_a_new_address_is_confirmed_from_the_link_sent_to_it(referent_client, referent):
    old = referent.user.email
    data = {"first_name": "Jules", "last_name": "Référent", "email": "Nouvelle@example.org"}
    response = referent_client.post(reverse("solidarity:profile"), data | {"phone": ""})
    assert response.status_code == 302
    referent.user.refresh_from_db()
    assert referent.user.email == old  # not yet
    row = OutgoingMessage.objects.get()
    assert (row.kind, row.recipients) == (
        MessageKind.SOLIDARITY_EMAIL_CHANGE,
        ["nouvelle@example.org"],
    )
    [link] = sent_links()
    page = referent_client.get(link).content.decode()
    assert "nouvelle@example.org" in page and "Confirmer cette adresse" in page
    referent.user.refresh_from_db()
    assert referent.user.email == old  # opening the link changes nothing
    assert referent_client.post(link).status_code == 302
    referent.user.refresh_from_db()
    assert referent.user.email == referent.user.profile.email == "nouvelle@example.org"
    assert referent_client.get(link).status_code == 404  # used


def test_a_taken_address_is_refused_before_any_mail(referent_client, responsable):
    data = {"first_name": "Jules", "last_name": "Référent", "phone": ""}
    page = referent_client.post(
        reverse("solidarity:profile"), data | {"email": responsable.user.email.upper()}
    ).content.decode()
    assert "Cette adresse e-mail est déjà utilisée par un autre compte." in page
    assert f'value="{responsable.user.email.upper()}"' in page  # the input is kept
    assert not OutgoingMessage.objects.exists()


def test_another_accounts_confirmation_link_is_not_found(responsable_client, referent):
    responsable_client.post(
        reverse("solidarity:profile"),
        {"first_name": "Élodie", "last_name": "R", "email": "elodie2@example.org", "phone": ""},
    )
    [link] = sent_links()
    other = Client()
    other.force_login(referent.user, backend="guichet.accounts.backends.IdentifierBackend")
    assert other.get(link).status_code == 404


def test_the_back_office_shows_no_link_and_refuses_to_send_one_again(admin_client, referent):
    from guichet.solidarity.services import member_invitation_send

    member_invitation_send(membership=referent)
    row = OutgoingMessage.objects.get()
    page = admin_client.get(
        reverse("admin:notifications_outgoingmessage_change", args=[row.pk])
    ).content.decode()
    assert "lien masqué" in page and "/solidaire/invitation/" not in page
    response = admin_client.post(
        reverse("admin:notifications_outgoingmessage_changelist"),
        {"action": "resend", "_selected_action": [row.pk]},
        follow=True,
    )
    assert "ne se renvoie pas" in response.content.decode()
    row.refresh_from_db()
    assert row.attempts == 0 and row.state == MessageState.PENDING
