"""The journal: one entry per change, with its author, address and changed fields; read only."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from guichet.bookings.services import (
    reservation_cancel,
    reservation_create,
    reservation_update,
    session_save,
)
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.models import Channel
from guichet.catalogue.services import activity_save, session_copy
from guichet.catalogue.tests.factories import ActivityFactory, LocationFactory, SessionFactory
from guichet.core.audit import audit_record
from guichet.core.models import AuditAction, AuditActor, AuditEntry, Organisation
from guichet.core.permissions import DPO_GROUP
from guichet.notifications.models import MessageKind, MessageState, MessageTemplate
from guichet.notifications.services import message_resend
from guichet.notifications.tests.factories import OutgoingMessageFactory

pytestmark = pytest.mark.django_db


def entries_about(obj):
    return AuditEntry.objects.filter(
        object_id=str(obj.pk), content_type__model=obj._meta.model_name
    )


def test_a_task_changing_an_activity_is_the_system():
    activity = ActivityFactory(name="Visite du parc")
    activity.name = "Visite du grand parc"
    activity_save(activity=activity)

    entry = entries_about(activity).get()
    assert entry.actor_kind == AuditActor.SYSTEM and entry.action == AuditAction.CHANGE
    assert entry.changes == {"name": ["Visite du parc", "Visite du grand parc"]}


def test_staff_changing_a_location_in_the_admin_is_journalled_with_address(superuser):
    location = LocationFactory(name="Jardin")
    client = Client(REMOTE_ADDR="192.0.2.7")
    client.force_login(superuser)
    url = reverse("admin:catalogue_location_change", args=[location.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if name != "photo"}
    data = {name: "" if value is None else value for name, value in data.items()}
    data["name"] = "Jardin botanique"
    response = client.post(url, data)
    assert response.status_code == 302

    entry = entries_about(location).get()
    assert (entry.actor, entry.actor_kind, entry.client_ip) == (superuser, "staff", "192.0.2.7")
    assert entry.changes["name"] == ["Jardin", "Jardin botanique"]


def test_staff_reservation_change_and_cancel_are_journalled_online_booking_is_not(superuser):
    session = SessionFactory()
    reservation = reservation_create(session=session, **booking_data())
    assert not AuditEntry.objects.filter(action=AuditAction.CREATE).exists()

    reservation.city = "Roubaix"
    reservation_update(reservation=reservation)
    reservation_cancel(reservation=reservation)

    change, cancel = entries_about(reservation).order_by("pk")
    assert change.changes == {"city": ["Tourcoing", "Roubaix"]}
    assert cancel.action == AuditAction.CANCEL
    assert cancel.changes == {"status": ["valid", "cancelled"]}


def test_a_staff_booking_is_journalled():
    reservation = reservation_create(session=SessionFactory(), **booking_data(online=False))
    assert entries_about(reservation).get().action == AuditAction.CREATE


def test_session_copies_are_journalled():
    copies = session_copy(session=SessionFactory(), starts=[SessionFactory.build().start])
    assert entries_about(copies[0]).get().action == AuditAction.CREATE


def test_a_public_self_cancellation_is_the_visitor(organisation):
    reservation = reservation_create(session=SessionFactory(), **booking_data())
    client = Client(REMOTE_ADDR="198.51.100.4")

    response = client.post(reverse("public:reservation_cancel", args=[reservation.token]))

    assert response.status_code == 303
    entry = entries_about(reservation).get()
    assert (entry.actor_kind, entry.actor, entry.client_ip) == ("visitor", None, "198.51.100.4")
    assert entry.changes == {"status": ["valid", "cancelled"]}


def test_sign_ins_and_failures_are_journalled_without_password(superuser):
    client = Client()
    client.post(reverse("admin:login"), {"username": "chef", "password": "wrong-secret"})
    client.post(reverse("admin:login"), {"username": "chef", "password": "x"})

    failed = AuditEntry.objects.get(action=AuditAction.SIGN_IN_FAILED)
    signed_in = AuditEntry.objects.get(action=AuditAction.SIGN_IN)
    assert failed.note == "chef" and "wrong-secret" not in str(failed.__dict__)
    assert signed_in.actor == superuser and signed_in.changes == {}


def test_user_and_group_changes_never_hold_passwords_or_last_login(superuser):
    client = Client()
    client.force_login(superuser)
    client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "nouveau",
            "password1": "Tr3s-secret-42",
            "password2": "Tr3s-secret-42",
            "usable_password": "true",
        },
    )
    group_response = client.post(reverse("admin:auth_group_add"), {"name": "Accueil"})
    assert group_response.status_code == 302

    user_entry = AuditEntry.objects.get(action=AuditAction.CREATE, content_type__model="user")
    assert user_entry.changes["username"] == [None, "nouveau"]
    assert "password" not in user_entry.changes and "last_login" not in user_entry.changes
    group = Group.objects.get(name="Accueil")
    assert entries_about(group).get().changes["name"] == [None, "Accueil"]


def test_organisation_settings_are_journalled(superuser):
    organisation = Organisation.objects.create(name="Ville d'Exemple")
    client = Client()
    client.force_login(superuser)
    client.post(
        reverse("admin:core_organisation_change", args=[organisation.pk]),
        {
            "name": "Ville d'Exemple-sur-Mer",
            "online_cancellation_allowed": "on",
            "accessibility_level": "non",
        },
    )
    entry = entries_about(organisation).get()
    assert entry.changes["name"] == ["Ville d'Exemple", "Ville d'Exemple-sur-Mer"]


def test_exports_are_journalled(superuser):
    reservation_create(session=SessionFactory(), **booking_data())
    client = Client()
    client.force_login(superuser)
    response = client.get(reverse("admin:bookings_reservation_export", args=["csv"]))
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == superuser and entry.note == "1 réservation exportée"


def test_nobody_changes_or_deletes_an_entry(superuser):
    activity = ActivityFactory()
    activity_save(activity=activity)
    entry = AuditEntry.objects.get()
    client = Client()
    client.force_login(superuser)

    assert client.get(reverse("admin:core_auditentry_change", args=[entry.pk])).status_code == 200
    assert client.post(reverse("admin:core_auditentry_delete", args=[entry.pk])).status_code == 403
    assert client.get(reverse("admin:core_auditentry_add")).status_code == 403
    page = client.get(reverse("admin:core_auditentry_change", args=[entry.pk]))
    assert not page.context["has_change_permission"]
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    assert superuser.get_all_permissions() >= {"core.view_auditentry"}
    assert not {"core.change_auditentry", "core.delete_auditentry", "core.add_auditentry"} & (
        superuser.get_all_permissions()
    )


def test_managers_see_history_but_not_entries_about_accounts(manager, superuser):
    location = LocationFactory()
    client = Client()
    client.force_login(superuser)  # a sign-in entry: about an account
    client.force_login(manager)
    history = client.get(reverse("admin:catalogue_location_history", args=[location.pk]))
    assert history.status_code == 302
    assert f"object_id={location.pk}" in history["Location"]
    audit_record(action=AuditAction.CHANGE, obj=location, changes={"name": ["a", "b"]})
    audit_record(action=AuditAction.CHANGE, obj=LocationFactory(), changes={"name": ["c", "d"]})
    listed = client.get(reverse("admin:core_auditentry_changelist"))
    assert len(listed.context["cl"].result_list) == 2  # not the sign-in
    its_history = client.get(history["Location"])
    assert [entry.changes for entry in its_history.context["cl"].result_list] == [
        {"name": ["a", "b"]}
    ]


def test_each_portals_staff_read_the_journal_of_their_channel_only(staff_member, superuser):
    parks = SessionFactory()
    solidaire = SessionFactory(activity=ActivityFactory(channel=Channel.SOLIDARITY))
    for obj in (parks, parks.activity, solidaire, solidaire.activity):
        audit_record(action=AuditAction.CHANGE, obj=obj, changes={"note": ["", "x"]})
    location = LocationFactory()
    audit_record(action=AuditAction.CHANGE, obj=location, changes={"name": ["a", "b"]})

    def listed(user) -> set:
        client = Client()
        client.force_login(user)
        response = client.get(reverse("admin:core_auditentry_changelist"))
        return {entry.object_repr for entry in response.context["cl"].result_list}

    parks_entries = {str(parks), str(parks.activity), str(location)}
    solidaire_entries = {str(solidaire), str(solidaire.activity), str(location)}
    assert listed(staff_member("Gestionnaire")) == parks_entries
    assert listed(staff_member("Gestionnaire solidaire")) == solidaire_entries
    # The data protection officer, as the superuser, reads every channel's.
    assert listed(staff_member(DPO_GROUP)) == parks_entries | solidaire_entries
    assert listed(superuser) >= parks_entries | solidaire_entries


def test_a_mail_sent_again_and_a_mail_text_changed_are_journalled(superuser):
    message = OutgoingMessageFactory(state=MessageState.FAILED, failed_at=timezone.now())
    message_resend(message=message)
    assert entries_about(message).get().changes == {"state": ["failed", "pending"]}

    template = MessageTemplate.objects.get(kind=MessageKind.CONFIRMATION)
    client = Client()
    client.force_login(superuser)
    url = reverse("admin:notifications_messagetemplate_change", args=[template.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data["header_title"] = "Votre réservation est confirmée"
    assert client.post(url, data).status_code == 302
    entry = entries_about(template).get()
    assert entry.changes["header_title"][1] == "Votre réservation est confirmée"


def test_an_online_booking_never_touches_the_journal(organisation):
    """The hot path stays as it was: no entry, no content-type lookup, not one query more."""
    session = SessionFactory()
    with CaptureQueriesContext(connection) as queries:
        reservation_create(session=session, **booking_data())
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "core_auditentry" not in sql and "django_content_type" not in sql


def test_a_session_change_is_journalled_with_its_fields():
    session = session_save(session=SessionFactory.build(activity=ActivityFactory(), seat_limit=10))
    session.seat_limit = 12
    session_save(session=session)

    created, changed = entries_about(session).order_by("pk")
    assert created.action == AuditAction.CREATE and created.changes["seat_limit"] == [None, "10"]
    assert changed.changes == {"seat_limit": ["10", "12"]}
