"""The back-office of the solidarity portal: superusers and the "Gestionnaire solidaire" group;
référents invited from it; people followed read only; each group its own mails."""

import pytest
from django.test import Client
from django.urls import reverse

from guichet.notifications.models import MessageKind, MessageTemplate, OutgoingMessage
from guichet.notifications.tests.factories import OutgoingMessageFactory
from guichet.solidarity.models import MemberRole, Membership
from guichet.solidarity.services import member_invitation_send
from guichet.solidarity.tests.factories import BeneficiaryFactory

SOLIDARITY_PAGES = (
    "territory",
    "structurecategory",
    "structure",
    "membership",
    "beneficiary",
    "venuecategory",
    "venue",
    "eventdetails",
)


@pytest.mark.parametrize("model", SOLIDARITY_PAGES)
def test_the_solidarity_group_sees_its_pages(solidarity_client, referent, model):
    BeneficiaryFactory(structure=referent.structure)
    response = solidarity_client.get(reverse(f"admin:solidarity_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", SOLIDARITY_PAGES)
def test_the_parks_group_does_not(manager_client, model):
    assert manager_client.get(reverse(f"admin:solidarity_{model}_changelist")).status_code == 403


def test_people_followed_are_read_only(solidarity_client, structure):
    person = BeneficiaryFactory(structure=structure, last_name="Dupré")
    assert solidarity_client.get(reverse("admin:solidarity_beneficiary_add")).status_code == 403
    page = solidarity_client.get(
        reverse("admin:solidarity_beneficiary_change", args=[person.pk])
    ).content.decode()
    assert "DUPRÉ Dominique" in page and 'name="_save"' not in page
    found = solidarity_client.get(reverse("admin:solidarity_beneficiary_changelist") + "?q=dupre")
    assert "DUPRÉ Dominique" in found.content.decode()


def test_a_referent_added_in_the_back_office_is_invited(solidarity_client, structure):
    response = solidarity_client.post(
        reverse("admin:solidarity_membership_add"),
        {
            "structure": structure.pk,
            "role": MemberRole.MANAGER,
            "first_name": "Chloé",
            "last_name": "Exemple",
            "email": "Chloe.Exemple@example.org",
            "phone": "06 12 34 56 78",
        },
    )
    assert response.status_code == 302
    member = Membership.objects.get(user__email="chloe.exemple@example.org")
    assert member.role == MemberRole.MANAGER and member.user.profile.phone == "+33612345678"
    row = OutgoingMessage.objects.get()
    assert (row.kind, row.user) == (MessageKind.SOLIDARITY_INVITATION, member.user)


def test_the_back_office_keeps_a_responsable_too(solidarity_client, responsable):
    url = reverse("admin:solidarity_membership_change", args=[responsable.pk])
    page = solidarity_client.post(
        url,
        {
            "role": MemberRole.REFERENT,
            "first_name": "Élodie",
            "last_name": "Responsable",
            "email": responsable.user.email,
            "phone": "",
        },
    ).content.decode()
    assert "La structure doit garder au moins un responsable." in page
    responsable.refresh_from_db()
    assert responsable.role == MemberRole.MANAGER


def test_envoyer_une_invitation(solidarity_client, responsable, referent):
    referent.user.set_unusable_password()
    referent.user.save()
    response = solidarity_client.post(
        reverse("admin:solidarity_membership_changelist"),
        {"action": "invite", "_selected_action": [responsable.pk, referent.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "1 invitation envoyée." in page
    assert f"Pas d&#x27;invitation pour {responsable}" in page
    assert list(OutgoingMessage.objects.values_list("user", flat=True)) == [referent.user_id]


def test_each_group_sees_and_edits_its_own_mails(solidarity_staff, manager, referent):
    member_invitation_send(membership=referent)
    OutgoingMessageFactory(kind=MessageKind.CONFIRMATION, reservation__email="parc@example.org")
    templates = reverse("admin:notifications_messagetemplate_changelist")
    outbox = reverse("admin:notifications_outgoingmessage_changelist")
    invitation = MessageTemplate.objects.get(kind=MessageKind.SOLIDARITY_INVITATION)
    confirmation = MessageTemplate.objects.get(kind=MessageKind.CONFIRMATION)

    solidarity_client, manager_client = Client(), Client()
    solidarity_client.force_login(solidarity_staff)
    manager_client.force_login(manager)
    page = solidarity_client.get(templates).content.decode()
    assert "Invitation à la Billetterie solidaire" in page
    assert "Confirmation de réservation" not in page
    assert "parc@example.org" not in solidarity_client.get(outbox).content.decode()
    assert (
        solidarity_client.get(
            reverse("admin:notifications_messagetemplate_change", args=[confirmation.pk])
        ).status_code
        == 302  # the admin's answer to an object it cannot see
    )

    page = manager_client.get(templates).content.decode()
    assert "Confirmation de réservation" in page
    assert "Invitation à la Billetterie solidaire" not in page
    assert referent.user.email not in manager_client.get(outbox).content.decode()
    assert (
        manager_client.get(
            reverse("admin:notifications_messagetemplate_change", args=[invitation.pk])
        ).status_code
        == 302
    )


def test_superusers_see_every_kind(admin_client, referent):
    member_invitation_send(membership=referent)
    page = admin_client.get(
        reverse("admin:notifications_messagetemplate_changelist")
    ).content.decode()
    assert "Invitation à la Billetterie solidaire" in page and "Confirmation de réservation" in page


@pytest.mark.parametrize(
    ("model", "query", "expected"),
    [
        ("membership", "REFERENT jules", "Jules Référent"),
        ("membership", "06 11 22", "Jules Référent"),
        ("structure", "quatre-vents", "Maison des Quatre Vents"),
        ("territory", "nord", "59 – Nord"),
        ("structurecategory", "centre SOCIAL", "Centre social"),
    ],
)
def test_back_office_searches_ignore_accents_and_case(
    solidarity_client, referent, model, query, expected
):
    referent.user.profile.phone = "+33611223344"
    referent.user.profile.save()
    url = reverse(f"admin:solidarity_{model}_changelist")
    result = list(solidarity_client.get(url, {"q": query}).context["cl"].result_list)
    assert [str(row) for row in result] == [expected]
