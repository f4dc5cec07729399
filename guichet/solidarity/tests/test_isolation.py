"""One structure never sees another's people: every URL of the `solidarity` namespace, walked as
another structure's responsable, answers 404 for the first structure's ids and shows none of
its names; and the portal's views read nothing but through StructureScope."""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from guichet.accounts.tokens import user_uid
from guichet.catalogue.tests.factories import ActivityFactory, SessionFactory
from guichet.solidarity import booking_views, views
from guichet.solidarity.models import BeneficiaryKind, MemberRole
from guichet.solidarity.tests.booking_helpers import book, solidarity_session
from guichet.solidarity.tests.factories import (
    BeneficiaryFactory,
    EventDetailsFactory,
    MembershipFactory,
    StructureFactory,
)

# A value for each URL argument of the namespace, from the first structure's rows. A new
# argument name fails the walk until it is given one here.
ARGUMENTS = {
    "beneficiary_id": lambda first: first["guest"].pk,
    "member_id": lambda first: first["member"].pk,
    "uidb64": lambda first: user_uid(first["member"].user),
    "token": lambda first: "k3zz-0123456789abcdef",  # a link guessed at
    # Events are shared by every structure: the id of an activity the portal does not offer (a
    # parks one) must answer 404 as a forged one.
    "event_id": lambda first: first["parks_activity"].pk,
    # Sessions too: a parks session's id answers 404 on the booking page.
    "session_id": lambda first: first["parks_session"].pk,
    "booking_id": lambda first: first["booking"].group.pk,
    "invitation_id": lambda first: first["booking"].outcomes[0].reservation.pk,
}


def portal_patterns() -> list[tuple[str, tuple[str, ...]]]:
    """(name, argument names) of every pattern of the `solidarity` namespace."""
    [portal] = [
        entry
        for entry in get_resolver().url_patterns
        if isinstance(entry, URLResolver) and entry.namespace == "solidarity"
    ]
    return [(entry.name, tuple(entry.pattern.converters)) for entry in portal.url_patterns]


@pytest.fixture
def first():
    structure = StructureFactory(name="Maison Ancolie")
    member = MembershipFactory(
        structure=structure,
        role=MemberRole.MANAGER,
        user__first_name="Oriane",
        user__last_name="Ancolie-Responsable",
        user__profile__email="oriane.ancolie@example.org",
    )
    host = BeneficiaryFactory(
        structure=structure,
        last_name="Ancolie-Participante",
        email="participante.ancolie@example.org",
        phone="+33699887766",
    )
    guest = BeneficiaryFactory(
        structure=structure,
        kind=BeneficiaryKind.GUEST,
        guest_of=host,
        last_name="Ancolie-Invitee",
    )
    event = EventDetailsFactory(published_at=timezone.now() - timedelta(days=1))
    session = solidarity_session(timezone.now() + timedelta(days=10), activity=event.activity)
    booking = book(session, [host, guest], author=member.user, now=timezone.now())
    return {
        "structure": structure,
        "member": member,
        "host": host,
        "guest": guest,
        "parks_activity": ActivityFactory(name="Visite Ancolie"),
        "parks_session": SessionFactory(activity__name="Visite Ancolie"),
        "booking": booking,
    }


@pytest.fixture
def other():
    """A responsable of another structure, with people of its own."""
    membership = MembershipFactory(structure=StructureFactory(name="Foyer Bleuet"), role="manager")
    BeneficiaryFactory(structure=membership.structure, last_name="Bleuet")
    return membership


def names_of(first) -> list[str]:
    return [
        first["structure"].name,
        "ANCOLIE",
        "Ancolie",
        first["member"].user.email,
        first["host"].email,
        "06 99 88 77 66",
    ]


def test_every_portal_url_is_closed_to_another_structure(first, other):
    patterns = portal_patterns()
    assert len(patterns) >= 20
    forbidden = names_of(first)
    checked = []
    for name, arguments in patterns:
        missing = [argument for argument in arguments if argument not in ARGUMENTS]
        assert not missing, f"solidarity:{name}: give {missing} a value in ARGUMENTS"
        url = reverse(
            f"solidarity:{name}",
            kwargs={argument: ARGUMENTS[argument](first) for argument in arguments},
        )
        statuses = set()
        for method in ("get", "post"):
            client = Client()
            client.force_login(other.user, backend="guichet.accounts.backends.IdentifierBackend")
            data = {"q": "ancolie", "active": "0", "guest_of": first["host"].pk, "kind": "guest"}
            response = getattr(client, method)(url, data)
            page = response.content.decode()
            statuses.add(response.status_code)
            if arguments:
                # 405: a method the page never takes, refused before any id is read.
                assert response.status_code in (404, 405), (method, url, response.status_code)
            else:
                assert response.status_code < 500, (method, url)
            leaks = [text for text in forbidden if text in page]
            assert not leaks, (method, url, leaks)
            checked.append((method, name))
        if arguments:
            assert 404 in statuses, url
    first["member"].user.refresh_from_db()
    first["guest"].refresh_from_db()
    assert first["member"].user.is_active and first["guest"].is_active  # nothing changed
    assert len(checked) == 2 * len(patterns)


def test_a_guest_cannot_be_attached_to_another_structures_participant(first, other):
    client = Client()
    client.force_login(other.user, backend="guichet.accounts.backends.IdentifierBackend")
    page = client.post(
        reverse("solidarity:beneficiary_create"),
        {"kind": "guest", "guest_of": first["host"].pk, "last_name": "X", "first_name": "Y"},
    ).content.decode()
    assert "Choisissez un participant de votre structure." in page
    assert not other.structure.beneficiaries.filter(last_name="X").exists()


def test_forged_ids_answer_404_not_500(first, other):
    client = Client()
    client.force_login(other.user, backend="guichet.accounts.backends.IdentifierBackend")
    for url in (
        "/solidaire/participants/999999999999/",
        "/solidaire/participants/99999999999999999999999/",
        "/solidaire/structure/referents/-1/",
        "/solidaire/invitation/AAAA/zz-00/",
        "/solidaire/invitation/" + "A" * 22 + "/zz-00/",
        "/solidaire/profil/adresse/x:y/",
    ):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("module", [views, booking_views])
def test_portal_views_read_only_through_the_structure_scope(module):
    """No `Model.objects` (nor `_default_manager`) in the portal's views: every read is one of
    StructureScope's querysets or a selector."""
    tree = ast.parse(Path(module.__file__).read_text())
    managers = [
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in ("objects", "_default_manager")
    ]
    assert managers == []
