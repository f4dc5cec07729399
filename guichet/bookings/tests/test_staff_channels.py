"""The back-office by channel: each staff group sees and changes its own channel's activities,
sessions, reservations and mails; a superuser sees them all; the parks' forms refuse the
portals' sessions and leave their reservations read only."""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from guichet.bookings.channels import policy_for
from guichet.bookings.models import Reservation, ReservationStatus
from guichet.bookings.services import reservation_create
from guichet.bookings.tests.conftest import line, portal_session
from guichet.bookings.tests.factories import PortalReservationFactory, booking_data
from guichet.catalogue.models import Activity, Channel, Session
from guichet.catalogue.selectors import CHANNEL_STAFF_GROUPS, staff_channels
from guichet.catalogue.tests.factories import ActivityFactory, SessionFactory
from guichet.catalogue.tests.test_admin import activity_post
from guichet.core.permissions import (
    FAMILY_MANAGER_GROUP,
    MANAGER_GROUP,
    SOLIDARITY_MANAGER_GROUP,
)
from guichet.notifications.models import (
    KIND_CHANNELS,
    MessageAttachment,
    MessageKind,
    MessageTemplate,
    message_kinds_of,
)
from guichet.notifications.tests.factories import OutgoingMessageFactory

pytestmark = pytest.mark.django_db

GROUPS = {
    Channel.PARKS: MANAGER_GROUP,
    Channel.SOLIDARITY: SOLIDARITY_MANAGER_GROUP,
    Channel.FAMILY: FAMILY_MANAGER_GROUP,
}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass
class ChannelRows:
    activity: Activity
    session: Session
    reservation: Reservation


def rows_of(channel: str) -> ChannelRows:
    """An activity, a session and a reservation of `channel`, named after it."""
    session = SessionFactory(
        activity=ActivityFactory(channel=channel, name=f"Activité {channel}", slug=channel)
    )
    if channel == Channel.PARKS:
        reservation = reservation_create(
            session=session, **booking_data(online=False, last_name="Parcs")
        )
    else:
        reservation = PortalReservationFactory(
            session=session, channel=channel, last_name=f"Titulaire {channel}"
        )
        Session.objects.filter(pk=session.pk).update(seats_taken=reservation.quantity)
    return ChannelRows(activity=session.activity, session=session, reservation=reservation)


@pytest.fixture
def every_channel() -> dict[str, ChannelRows]:
    return {channel: rows_of(channel) for channel in Channel.values}


@pytest.fixture
def login(client, staff_member, admin_user):
    """A client signed in as a member of the channel's group (None: a superuser)."""

    def sign_in(channel: str | None):
        user = admin_user if channel is None else staff_member(GROUPS[channel])
        client.force_login(user)
        return client

    return sign_in


def url(obj, action: str = "change") -> str:
    name = f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{action}"
    return reverse(name, args=[obj.pk] if action == "change" else [])


def listed(client, model) -> set:
    response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    return set(response.context["cl"].result_list)


# Who sees what


def test_each_group_names_a_channel_and_the_policies_agree():
    assert CHANNEL_STAFF_GROUPS == GROUPS
    for channel in Channel.values:
        assert policy_for(channel).staff_group == CHANNEL_STAFF_GROUPS[channel]


def test_the_migration_gives_the_portal_groups_the_permissions_of_gestionnaire(staff_member):
    staff_member(MANAGER_GROUP)  # the groups as migrated
    permissions = {
        name: set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        for name in GROUPS.values()
    }
    # The solidarity group also runs its portal's structures (guichet.solidarity's 0002).
    solidarity_own = set(
        Group.objects.get(name=SOLIDARITY_MANAGER_GROUP)
        .permissions.filter(content_type__app_label="solidarity")
        .values_list("codename", flat=True)
    )
    assert {"view_beneficiary", "change_structure", "add_membership"} <= solidarity_own
    assert permissions[SOLIDARITY_MANAGER_GROUP] == permissions[MANAGER_GROUP] | solidarity_own
    # And the family group its portal's households, children, rules and periods (guichet.families'
    # 0002).
    family_own = set(
        Group.objects.get(name=FAMILY_MANAGER_GROUP)
        .permissions.filter(content_type__app_label="families")
        .values_list("codename", flat=True)
    )
    assert {"add_household", "change_guardian", "change_bookingperiod"} <= family_own
    assert permissions[FAMILY_MANAGER_GROUP] == permissions[MANAGER_GROUP] | family_own
    assert {"change_reservation", "change_session", "view_outgoingmessage"} <= permissions[
        MANAGER_GROUP
    ]


def test_staff_channels(staff_member, admin_user, django_user_model):
    both = staff_member(SOLIDARITY_MANAGER_GROUP)
    both.groups.add(Group.objects.get(name=FAMILY_MANAGER_GROUP))
    outsider = django_user_model.objects.create_user("personne", is_staff=True)
    assert staff_channels(user=staff_member(MANAGER_GROUP)) == {Channel.PARKS}
    assert staff_channels(user=both) == {Channel.SOLIDARITY, Channel.FAMILY}
    assert staff_channels(user=admin_user) == set(Channel.values)
    assert staff_channels(user=outsider) == set()


@pytest.mark.parametrize("channel", [None, *Channel.values])
def test_every_list_add_and_change_page_renders_with_its_channels_rows_only(
    login, every_channel, channel, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = login(channel)
    mine = every_channel if channel is None else {channel: every_channel[channel]}
    others = [rows for key, rows in every_channel.items() if key not in mine]

    assert listed(client, Activity) == {rows.activity for rows in mine.values()}
    assert listed(client, Session) == {rows.session for rows in mine.values()}
    assert listed(client, Reservation) == {rows.reservation for rows in mine.values()}
    for model in (Activity, Session, Reservation):
        assert client.get(url(model, "add")).status_code == 200
    for rows in mine.values():
        for obj in (rows.activity, rows.session, rows.reservation):
            response = client.get(url(obj))
            assert response.status_code == 200, obj
            assert str(obj.pk) in response.content.decode()
    for rows in others:
        for obj in (rows.activity, rows.session, rows.reservation):
            # The admin's answer to an object it cannot find: back to the index, with a message.
            assert client.get(url(obj)).status_code == 302, obj


@pytest.mark.parametrize("channel", [None, *Channel.values])
def test_the_mail_pages_show_the_kinds_of_the_users_channels(
    login, channel, monkeypatch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    # The reminder plays a solidarity kind with an outbox row of a reservation (the portal's
    # own kinds, its account mails, have none).
    monkeypatch.setitem(KIND_CHANNELS, MessageKind.REMINDER, Channel.SOLIDARITY)
    attachment = MessageAttachment.objects.create(
        kind=MessageKind.REMINDER, file=SimpleUploadedFile("plan.png", PNG)
    )
    reminder = OutgoingMessageFactory(kind=MessageKind.REMINDER)
    confirmation = OutgoingMessageFactory(kind=MessageKind.CONFIRMATION)
    client = login(channel)
    templates = listed(client, MessageTemplate)
    solidarity = channel in (None, Channel.SOLIDARITY)
    parks = channel in (None, Channel.PARKS)

    # Each channel's kinds (the family portal's own among them since guichet.families).
    assert {template.kind for template in templates} == set(
        message_kinds_of(set(Channel.values) if channel is None else {channel})
    )
    assert MessageKind.SOLIDARITY_INVITATION in message_kinds_of({Channel.SOLIDARITY})
    assert listed(client, MessageAttachment) == ({attachment} if solidarity else set())
    assert listed(client, type(reminder)) == ({reminder} if solidarity else set()) | (
        {confirmation} if parks else set()
    )
    add_form = client.get(url(MessageAttachment, "add"))
    assert add_form.status_code == 200
    offered = {value for value, _label in add_form.context["adminform"].form.fields["kind"].choices}
    assert (MessageKind.REMINDER in offered, MessageKind.CONFIRMATION in offered) == (
        solidarity,
        parks,
    )
    for obj, shown in [
        (attachment, solidarity),
        (reminder, solidarity),
        (confirmation, parks),
        (MessageTemplate.objects.get(kind=MessageKind.REMINDER), solidarity),
    ]:
        assert client.get(url(obj)).status_code == (200 if shown else 302), obj


def test_an_attachment_of_another_channels_kind_is_refused(login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(Channel.SOLIDARITY)
    response = client.post(
        url(MessageAttachment, "add"),
        {"kind": MessageKind.CONFIRMATION, "file": SimpleUploadedFile("plan.png", PNG)},
    )
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in str(response.context["adminform"].form.errors)
    assert not MessageAttachment.objects.exists()


def test_superusers_filter_by_channel_and_managers_of_one_do_not_need_to(login, every_channel):
    everything = login(None).get(url(Reservation, "changelist"), {"channel__exact": "famille"})
    assert list(everything.context["cl"].result_list) == [every_channel["famille"].reservation]
    assert "channel__exact" in everything.content.decode()
    parks = login(Channel.PARKS).get(url(Session, "changelist"))
    assert "activity__channel__exact" not in parks.content.decode()
    # The activity filter offers the user's channels' activities only.
    assert "Activité parcs" in parks.content.decode()
    assert "Activité solidaire" not in parks.content.decode()


# Activities: the channel of the person who creates them


def test_a_portal_manager_creates_activities_of_their_portal(login, every_channel):
    client = login(Channel.SOLIDARITY)
    form = client.get(url(Activity, "add")).context["adminform"].form
    assert form.fields["channel"].disabled
    assert list(form.fields["channel"].choices) == [("solidaire", "Billetterie solidaire")]
    location = every_channel["parcs"].activity.location
    # Whatever is posted for the channel: the field is not theirs to choose.
    response = client.post(url(Activity, "add"), activity_post(location, channel="parcs"))
    assert response.status_code == 302
    assert Activity.objects.get(name="Visite des serres").channel == Channel.SOLIDARITY


def test_a_superuser_chooses_the_channel(login, every_channel):
    client = login(None)
    location = every_channel["parcs"].activity.location
    response = client.post(url(Activity, "add"), activity_post(location, channel="famille"))
    assert response.status_code == 302
    assert Activity.objects.get(name="Visite des serres").channel == Channel.FAMILY


# Sessions: the activity picker, the window and waiting fields


def split(name: str, value) -> dict:
    if value is None:
        return {f"{name}_0": "", f"{name}_1": ""}
    local = timezone.localtime(value)
    return {f"{name}_0": local.strftime("%d/%m/%Y"), f"{name}_1": local.strftime("%H:%M:%S")}


def session_post(activity, **changes) -> dict:
    start = timezone.now().replace(microsecond=0, second=0) + timezone.timedelta(days=20)
    data = {
        "activity": activity.pk,
        "seat_limit": "12",
        "price": "0",
        "status": "",
        "reason": "Visite du jardin partagé",
        "waiting_limit": "",
        **split("start", start),
        **split("end", start + timezone.timedelta(hours=1)),
        **split("new_start", None),
        **split("new_end", None),
        **split("opens_at", None),
        **split("closes_at", None),
        **split("cancel_until", None),
    }
    return data | changes


def test_the_session_form_offers_the_users_activities_and_refuses_others(login, every_channel):
    client = login(Channel.PARKS)
    form = client.get(url(Session, "add")).context["adminform"].form
    assert list(form.fields["activity"].queryset) == [every_channel["parcs"].activity]
    response = client.post(url(Session, "add"), session_post(every_channel["solidaire"].activity))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["activity"] == ["Choisissez une activité d'un portail que vous gérez."]
    assert "Visite du jardin partagé" in response.content.decode()  # what was typed stays
    assert Session.objects.count() == 3


def test_the_session_form_has_the_booking_window_and_the_waiting_list(login, every_channel):
    client = login(Channel.SOLIDARITY)
    activity = every_channel["solidaire"].activity
    opens = timezone.now().replace(microsecond=0, second=0) + timezone.timedelta(days=1)
    response = client.post(
        url(Session, "add"),
        session_post(
            activity,
            waiting_limit="5",
            waiting_count="99",  # read only: ignored
            **split("opens_at", opens),
            **split("closes_at", opens + timezone.timedelta(days=5)),
            **split("cancel_until", opens + timezone.timedelta(days=4)),
        ),
    )
    assert response.status_code == 302
    session = Session.objects.get(activity=activity, seat_limit=12)
    assert (session.waiting_limit, session.waiting_count) == (5, 0)
    assert (session.opens_at, session.closes_at, session.cancel_until) == (
        opens,
        opens + timezone.timedelta(days=5),
        opens + timezone.timedelta(days=4),
    )
    page = client.get(url(session)).content.decode()
    assert "Inscrits en liste d&#x27;attente" in page or "Inscrits en liste d'attente" in page
    assert 'name="waiting_count"' not in page


def test_a_waiting_limit_below_the_people_waiting_is_refused_in_french(login, every_channel):
    session = every_channel["solidaire"].session
    Session.objects.filter(pk=session.pk).update(waiting_count=3)
    client = login(Channel.SOLIDARITY)
    data = session_post(session.activity, waiting_limit="2", seat_limit=session.seat_limit)
    response = client.post(
        url(session), data | split("start", session.start) | split("end", session.end)
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["waiting_limit"] == [
        "3 personnes sont en liste d'attente : la limite ne peut pas être inférieure."
    ]


# Reservations: the parks' forms


def reservation_post(session, **changes) -> dict:
    return {
        "session": session.pk,
        "quantity": "2",
        "first_name": "Anatole",
        "last_name": "Exemple",
        "email": "anatole@example.org",
        "phone": "06 12 34 56 78",
        "city": "Roubaix",
    } | changes


@pytest.mark.parametrize("channel", [None, Channel.SOLIDARITY])
def test_the_reservation_form_refuses_a_portals_session_in_french(login, every_channel, channel):
    client = login(channel)
    session = every_channel["solidaire"].session
    response = client.post(url(Reservation, "add"), reservation_post(session))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["session"] == [
        "Choisissez une session des parcs et jardins qui n'est pas annulée : les autres "
        "portails réservent par leurs propres pages."
    ]
    assert "anatole@example.org" in response.content.decode()
    assert not Reservation.objects.filter(last_name="Exemple").exists()


def test_the_reservation_forms_session_picker_offers_parks_sessions(login, every_channel):
    client = login(None)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "bookings", "model_name": "reservation", "field_name": "session"},
    )
    assert [int(result["id"]) for result in response.json()["results"]] == [
        every_channel["parcs"].session.pk
    ]


@pytest.mark.parametrize("channel", [None, Channel.FAMILY])
def test_a_portals_reservation_is_read_only_here(login, every_channel, channel):
    client = login(channel)
    reservation = every_channel["famille"].reservation
    page = client.get(url(reservation)).content.decode()
    assert 'name="_save"' not in page
    assert reservation.holder_key in page  # who it is for, in its portal
    assert "Ouvrir la page de la réservation" not in page  # it has no public page
    response = client.post(url(reservation), reservation_post(reservation.session, quantity="3"))
    assert response.status_code == 403
    reservation.refresh_from_db()
    assert reservation.quantity == 1


def test_the_cancel_action_cancels_the_users_channels_reservations(login, every_channel):
    client = login(Channel.PARKS)
    selected = [every_channel[channel].reservation.pk for channel in ("famille", "parcs")]
    client.post(
        url(Reservation, "changelist"),
        {"action": "cancel_selected", "_selected_action": selected},
    )
    cancelled = set(
        Reservation.objects.filter(status=ReservationStatus.CANCELLED).values_list(
            "channel", flat=True
        )
    )
    assert cancelled == {Channel.PARKS}  # the family's one is not theirs to see


@pytest.mark.parametrize(
    ("channel", "selection", "where"),
    [
        (Channel.FAMILY, ("famille",), "« Portail famille › Réserver pour une famille »"),
        (None, ("parcs", "solidaire"), "« Billetterie solidaire › Invitations »"),
        (None, ("famille", "solidaire"), "« Portail famille › Réserver pour une famille »"),
    ],
)
def test_the_cancel_action_leaves_the_portals_lines_to_their_own_pages(
    login, every_channel, mailoutbox, channel, selection, where
):
    """A portal's cancellation does more than give the seat back (solidarity: the guests and
    lone accompaniers, the author's mail; families: the journal, the reason past the deadlines):
    a selection with one of its lines cancels nothing, and says where to cancel it."""
    client = login(channel)
    response = client.post(
        url(Reservation, "changelist"),
        {
            "action": "cancel_selected",
            "_selected_action": [every_channel[name].reservation.pk for name in selection],
        },
        follow=True,
    )
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("Aucune réservation n'a été annulée. ")
    assert where in message
    assert not Reservation.objects.filter(status=ReservationStatus.CANCELLED).exists()
    assert mailoutbox == []


def test_the_cancel_action_seats_the_waiting_list(login, solidaire):
    session = portal_session(seat_limit=2)
    outcomes = solidaire.allocate([line(session, key) for key in (1, 2, 3)])
    assert [outcome.state for outcome in outcomes] == ["valid", "valid", "waiting"]
    client = login(Channel.SOLIDARITY)
    response = client.post(
        url(Reservation, "changelist"),
        {"action": "cancel_selected", "_selected_action": [outcomes[0].reservation.pk]},
        follow=True,
    )
    assert "1 réservation annulée." in [str(m) for m in response.context["messages"]]
    waiting = outcomes[2].reservation
    waiting.refresh_from_db()
    session.refresh_from_db()
    assert waiting.status == ReservationStatus.VALID
    assert (session.seats_taken, session.waiting_count) == (2, 0)


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"waiting_limit": "-1"}, "waiting_limit", "supérieure ou égale à 0"),
        ({"waiting_limit": "beaucoup"}, "waiting_limit", "Saisissez un nombre entier."),
        ({"waiting_limit": "9" * 40}, "waiting_limit", "inférieure ou égale à"),
        ({"waiting_limit": "3\x01"}, "waiting_limit", "Saisissez un nombre entier."),
        ({"opens_at_0": "31/02/2030", "opens_at_1": "10:00"}, "opens_at", "date valide"),
        ({"opens_at_0": "01/01/0001", "opens_at_1": "00:00"}, "opens_at", "entre 2000 et 2100"),
        (
            {"cancel_until_0": "<b>demain</b>" * 100, "cancel_until_1": "10:00"},
            "cancel_until",
            "date valide",
        ),
        (
            {
                "opens_at_0": "10/05/2030",
                "opens_at_1": "10:00",
                "closes_at_0": "09/05/2030",
                "closes_at_1": "10:00",
            },
            "closes_at",
            "La clôture des réservations doit être après leur ouverture.",
        ),
    ],
)
def test_the_window_and_waiting_fields_refuse_bad_input_in_french(
    login, every_channel, changes, field, error
):
    client = login(Channel.SOLIDARITY)
    data = session_post(every_channel["solidaire"].activity, **changes)
    response = client.post(url(Session, "add"), data)
    assert response.status_code == 200
    assert error in " ".join(response.context["adminform"].form.errors[field])
    assert "Visite du jardin partagé" in response.content.decode()  # what was typed stays
    assert Session.objects.count() == 3


def test_pages_read_only_for_a_group_without_change_permissions(login, every_channel):
    group = Group.objects.get_or_create(name=FAMILY_MANAGER_GROUP)[0]
    client = login(Channel.FAMILY)
    group.permissions.remove(
        *group.permissions.filter(codename__in=["change_activity", "change_session"])
    )
    rows = every_channel["famille"]
    for obj in (rows.activity, rows.session):
        response = client.get(url(obj))
        assert response.status_code == 200
        assert 'name="_save"' not in response.content.decode()
