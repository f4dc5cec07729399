"""The demo data: every session state of the guide, and loading again changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.bookings.services import reservations_archive_past, seats_mismatches
from guichet.catalogue.models import Activity, Location, Session
from guichet.core.models import AuditActor, AuditEntry, Organisation
from guichet.core.permissions import DPO_GROUP, SOLIDARITY_MANAGER_GROUP
from guichet.core.tests.commands import command_output
from guichet.demo.data import (
    ADMIN_USERNAME,
    DEMO_PASSWORD,
    DPO_USERNAME,
    STAFF_USERNAME,
    demo_load,
)
from guichet.notifications.models import MessageKind, OutgoingMessage
from guichet.solidarity.models import (
    Beneficiary,
    BeneficiaryKind,
    EventDetails,
    Membership,
    Structure,
    StructureState,
    Territory,
    Venue,
)
from guichet.solidarity.selectors import session_slot_state

pytestmark = pytest.mark.django_db

# The listing of the guide, with "Réservation en ligne" where it shows it.
GUIDE_ACTIVITIES = {
    'Activités manuelles : "Thème de Pâques"': True,
    'Atelier : "Fabrication de nichoirs à oiseaux"': True,
    'Atelier pour enfants : "Découverte des légumes du potager et des outils du jardinier"': True,
    'Dimanche familial : "Découverte des plantes en jouant" - épreuves physiques et quizz': False,
    'Dimanche familial : "Jeux de société sur les plantes et l\'environnement"': False,
    "Petite visite guidée des serres": False,
    "Tourcoing se met au vert": False,
    "Visite guidée des serres pédagogiques": True,
    'Visite thématique des serres : "Adaptation des plantes à la sécheresse"': True,
    'Visite thématique des serres : "Les plantes et les animaux"': True,
}
DEMO_APPS = (
    "core.",
    "catalogue.",
    "bookings.",
    "auth.",
    "accounts.",
    "solidarity.",
    "families.",
)


def snapshot() -> dict:
    return {
        # Every model, the e-mails and tasks that bookings cause included.
        "counts": {
            model._meta.label: model._default_manager.count() for model in apps.get_models()
        },
        "sessions": list(
            Session.objects.order_by("pk").values_list(
                "pk", "start", "new_start", "status", "seat_limit", "seats_taken"
            )
        ),
        "reservations": list(
            Reservation.objects.order_by("pk").values_list("pk", "session_id", "status", "quantity")
        ),
    }


def demo_counts(snap: dict) -> dict:
    """The demo's own rows: not the journal, where moving the sessions writes its changes."""
    return {
        label: count
        for label, count in snap["counts"].items()
        if label.startswith(DEMO_APPS) and label != "core.AuditEntry"
    }


def states() -> set[str]:
    """The session states of the guide (section 1.2) found among the upcoming sessions."""
    now = timezone.now()
    found = set()
    for session in Session.objects.select_related("activity").filter(effective_start__gt=now):
        valid = sum(
            session.reservations.filter(status=ReservationStatus.VALID).values_list(
                "quantity", flat=True
            )
        )
        open_online = (
            session.activity.bookable_online
            and not session.is_cancelled
            and not session.is_booking_closed()
        )
        if not session.activity.bookable_online:
            found.add("free access")
        if session.seat_limit and session.seats_taken == session.seat_limit == valid:
            found.add("full")
        if session.is_cancelled and session.reason and not valid:
            found.add("cancelled with a reason")
        if session.is_postponed and session.new_start > session.start and open_online:
            found.add("postponed")
        if (
            open_online
            and session.activity.booking_delay == timedelta(days=2)
            and session.seats_left
        ):
            found.add("booking deadline")
        if open_online and session.seat_limit and 0 < session.seats_left < session.seat_limit:
            found.add("places left")
        if open_online and session.is_unlimited:
            found.add("unlimited")
        if (
            session.activity.bookable_online
            and not session.is_cancelled
            and session.is_booking_closed(now)
        ):
            found.add("booking closed")
    if Reservation.objects.filter(
        status=ReservationStatus.ARCHIVED, session__effective_end__lt=now
    ).exists():
        found.add("past, archived")
    return found


ALL_STATES = {
    "free access",
    "full",
    "cancelled with a reason",
    "postponed",
    "booking deadline",
    "places left",
    "unlimited",
    "booking closed",
    "past, archived",
}


def test_demo_has_the_guide_catalogue_and_every_session_state():
    demo_load()

    parks = Activity.objects.filter(channel="parcs")
    assert dict(parks.values_list("name", "bookable_online")) == GUIDE_ACTIVITIES
    garden = Location.objects.get(name="Jardin Botanique de Tourcoing")
    assert garden.address == "32 rue du Moulin Fagot\n59200 Tourcoing"
    assert (garden.latitude, garden.longitude) == (Decimal("50.731800"), Decimal("3.160100"))
    assert set(parks.values_list("location", flat=True)) == {garden.pk}
    assert set(Activity.objects.values_list("channel", flat=True)) == {
        "parcs",
        "solidaire",
        "famille",
    }
    organisation = Organisation.objects.get()
    assert organisation.phone == "+33320000000"
    assert organisation.sender_email.endswith("@example.org")
    assert organisation.logo.name.endswith(".png")  # an invented logo
    with organisation.logo.open("rb") as logo:
        assert logo.read(8) == b"\x89PNG\r\n\x1a\n"
    assert all(
        email.endswith("@example.org")
        for email in Reservation.objects.filter(channel="parcs").values_list("email", flat=True)
    )
    assert states() == ALL_STATES
    assert seats_mismatches() == []


def test_demo_sends_no_confirmation_for_a_session_already_over():
    demo_load()

    confirmed = OutgoingMessage.objects.filter(kind=MessageKind.CONFIRMATION)
    past = Reservation.objects.filter(session__effective_start__lt=timezone.now())
    assert past.exists()
    assert not confirmed.filter(reservation__in=past).exists()
    assert confirmed.exclude(reservation__in=past).exists()


def test_demo_accounts():
    demo_load()

    staff = User.objects.get(username=STAFF_USERNAME)
    assert staff.is_staff and not staff.is_superuser
    assert staff.check_password(DEMO_PASSWORD)
    assert list(staff.groups.values_list("name", flat=True)) == ["Gestionnaire"]
    for username, group in [
        ("demo-solidaire", "Gestionnaire solidaire"),
        ("demo-famille", "Gestionnaire famille"),
    ]:
        portal_staff = User.objects.get(username=username)
        assert portal_staff.is_staff and not portal_staff.is_superuser
        assert portal_staff.check_password(DEMO_PASSWORD)
        assert list(portal_staff.groups.values_list("name", flat=True)) == [group]
        assert portal_staff.has_perm("bookings.change_reservation")
    admin = User.objects.get(username=ADMIN_USERNAME)
    assert admin.is_superuser and admin.check_password(DEMO_PASSWORD)
    dpo = User.objects.get(username=DPO_USERNAME)
    assert dpo.is_staff and not dpo.is_superuser and dpo.check_password(DEMO_PASSWORD)
    assert list(dpo.groups.values_list("name", flat=True)) == [DPO_GROUP]
    assert dpo.has_perm("privacy.view_persondata") and dpo.has_perm("core.view_auditentry")


def test_demo_solidarity_portal(client):
    demo_load()

    assert list(Territory.objects.values_list("code", flat=True)) == ["59", "62"]
    assert Structure.objects.filter(state=StructureState.ACTIVE).count() == 2
    for number in (1, 2):
        for prefix, role in (("demo-responsable", "manager"), ("demo-referent", "referent")):
            membership = Membership.objects.get(user__username=f"{prefix}-{number}")
            assert membership.role == role
            assert membership.user.profile.email == f"{prefix}-{number}@example.org"
            assert authenticate(
                None, identifier=f"{prefix}-{number}@example.org", password=DEMO_PASSWORD
            )
    people = Beneficiary.objects.all()
    participants = people.filter(kind=BeneficiaryKind.PARTICIPANT)
    assert participants.count() == 20
    assert participants.filter(phone="", email="").exists()
    assert participants.exclude(phone="").exists() and participants.exclude(email="").exists()
    assert people.filter(kind=BeneficiaryKind.GUEST).count() == 3
    assert people.filter(kind=BeneficiaryKind.ACCOMPANIER).count() == 2
    assert all(
        guest.guest_of.structure_id == guest.structure_id for guest in people.filter(kind="guest")
    )
    assert all(
        email.endswith("@example.org")
        for email in people.exclude(email="").values_list("email", flat=True)
    )
    staff = User.objects.get(username="demo-solidaire")
    assert list(staff.groups.values_list("name", flat=True)) == [SOLIDARITY_MANAGER_GROUP]
    # The demo référent signs in on the portal and finds its people.
    response = client.post(
        reverse("solidarity:login"),
        {"identifier": "demo-referent-1", "password": DEMO_PASSWORD},
    )
    assert response.status_code == 302
    page = client.get(reverse("solidarity:beneficiary_list")).content.decode()
    assert "1 à 13 sur 13 éléments" in page


def test_demo_changes_are_in_the_journal():
    demo_load()

    entries = AuditEntry.objects.all()
    assert entries.filter(content_type__model="activity").exists()
    assert entries.filter(content_type__model="session").exists()
    assert entries.filter(content_type__model="reservation").exists()
    assert set(entries.values_list("actor_kind", flat=True)) == {AuditActor.SYSTEM}


def test_loading_twice_changes_nothing():
    demo_load()
    before = snapshot()

    demo_load()

    assert snapshot() == before


def test_loading_days_later_moves_the_sessions_and_adds_nothing(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    demo_load()
    before = snapshot()
    days = {
        pk: timezone.localdate(start) for pk, start in Session.objects.values_list("pk", "start")
    }

    time_machine.move_to(timezone.now() + timedelta(days=10), tick=False)
    reservations_archive_past()  # the nightly job archived what is now past
    demo_load()

    # Moving a booked session re-plans its e-mails (reminders, postponement notice) as a real
    # move would, so only the demo's own rows are compared.
    assert demo_counts(snapshot()) == demo_counts(before)
    # The parks' sessions move with today; the family portal's periods stay until they end.
    moved = {
        (timezone.localdate(start) - days[pk]).days
        for pk, start in Session.objects.filter(activity__channel="parcs").values_list(
            "pk", "start"
        )
    }
    assert moved <= {7, 10, 14} and 10 in moved  # the Sunday sessions move to a Sunday
    assert states() == ALL_STATES
    assert not Reservation.objects.filter(
        status=ReservationStatus.ARCHIVED, session__effective_start__gt=timezone.now()
    ).exists()
    assert seats_mismatches() == []


@pytest.mark.django_db
def test_load_demo_data_refuses_with_debug_off_unless_forced():
    with pytest.raises(CommandError, match="DEBUG est désactivé"):
        command_output("load_demo_data")
    output = command_output("load_demo_data", "--force")
    # 10 in the parks, 9 solidarity events, the family portal's 4.
    assert "23 activités" in output
    assert "Portail famille : http://" in output and "demo-parent-1" in output
    assert "identifiant demo-gestionnaire / mot de passe guichet-demo" in output
    assert "portails : demo-solidaire, demo-famille" in output


def test_demo_solidarity_catalogue(client):
    demo_load()

    assert Venue.objects.count() == 3
    events = EventDetails.objects.select_related("activity", "venue")
    assert events.count() == 9
    for details in events:
        assert details.activity.channel == "solidaire"
        details.full_clean()  # its place is one of its venue's
        assert details.activity.sessions.filter(start__gt=timezone.now()).exists()
    assert all(
        url.endswith(".example.org/")
        for url in Venue.objects.exclude(website="").values_list("website", flat=True)
    )
    client.login(username="demo-referent-1", password=DEMO_PASSWORD)
    page = client.get("/solidaire/billetterie/").content.decode()
    new = page.split('id="section-new"')[1].split("</section>")[0]
    closing = page.split('id="section-closing"')[1].split("</section>")[0]
    assert "Visite guidée" in new  # put online yesterday
    assert "Contes du grenier" in closing  # its booking closes tomorrow
    assert "Match de rugby" not in page  # in the Pas-de-Calais


def solidarity_demo_states() -> tuple[set[str], set[str]]:
    """The slot states (guichet.solidarity.selectors.session_slot_state, "Bientôt clos" and
    "Reporté" included) of the demo's solidarity sessions to come, and the states of their
    invitations (the waiting ones over the quota apart)."""
    now = timezone.now()
    slots, lines = set(), set()
    for session in Session.objects.filter(activity__channel="solidaire", effective_start__gt=now):
        state = session_slot_state(session=session, now=now)
        slots.add(state.kind.value)
        if state.closing_soon:
            slots.add("closing soon")
        if state.postponed:
            slots.add("postponed")
        for line in session.reservations.all():
            lines.add(line.status)
            if line.status == ReservationStatus.WAITING and "quota" in line.waiting_reason:
                lines.add("waiting over the quota")
    return slots, lines


SLOT_STATES = {
    "cancelled",
    "not_open",
    "closed",
    "open",
    "waiting_list",
    "full",
    "postponed",
    "closing soon",
}
LINE_STATES = {"valid", "waiting", "waiting over the quota", "cancelled", "not_served"}


def test_demo_solidarity_sessions_show_every_slot_and_line_state(client):
    demo_load()

    assert solidarity_demo_states() == (SLOT_STATES, LINE_STATES)
    assert seats_mismatches() == []
    # Made by the services: each line an invitation of the demo's structure, by its référent.
    lines = Reservation.objects.filter(channel="solidaire")
    assert lines.count() == 15
    assert set(lines.values_list("invitation__author__username", flat=True)) == {"demo-referent-1"}
    client.login(username="demo-referent-1", password=DEMO_PASSWORD)
    circus = Activity.objects.get(name="Le Grand Cirque des Flandres (démo)")
    page = client.get(f"/solidaire/billetterie/{circus.pk}/").content.decode()
    for text in (
        "Motif : Chapiteau endommagé par la tempête.",
        "Ouverture des réservations le",
        "Réservations closes",
        "10 invitations disponibles",
        "Liste d&#x27;attente",
        "Complet (liste d&#x27;attente comprise)",
        "Reporté — nouvelle date :",
        "Bientôt clos",
    ):
        assert text in page, text
    mine = client.get("/solidaire/reservations/?vue=toutes").content.decode()
    assert "Non servie" in mine and "Annulée" in mine and "Sur liste d&#x27;attente" in mine


def test_the_solidarity_demo_loads_days_later_with_the_same_states(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    demo_load()
    before = demo_counts(snapshot())

    time_machine.move_to(timezone.now() + timedelta(days=10), tick=False)
    reservations_archive_past()
    demo_load()

    assert demo_counts(snapshot()) == before
    slots, lines = solidarity_demo_states()
    assert slots == SLOT_STATES
    assert {"valid", "waiting", "waiting over the quota", "cancelled"} <= lines
    assert seats_mismatches() == []
