"""Mails by channel: the wave-1 mails, per reservation, go only where the channel's policy keeps
their kind (`core_mails`); a session's change is told per reservation, per group of
reservations (`group_mails`) or not at all; a group's mail has no reservation and is rendered
from its portal's context builder."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from guichet.bookings import channels
from guichet.bookings.channels import ChannelPolicy, MailEvent
from guichet.bookings.models import ReservationStatus
from guichet.bookings.services import reservation_create
from guichet.bookings.tests.factories import (
    PortalReservationFactory,
    ReservationGroupFactory,
    booking_data,
)
from guichet.catalogue.models import Channel, Session, SessionStatus
from guichet.catalogue.tests.factories import SessionFactory
from guichet.core.permissions import SOLIDARITY_MANAGER_GROUP
from guichet.notifications import emails
from guichet.notifications.delivery import messages_send_due
from guichet.notifications.models import (
    KIND_CHANNELS,
    MessageAttachment,
    MessageKind,
    MessageState,
    OutgoingMessage,
)
from guichet.notifications.services import (
    notify_reservation_cancelled,
    notify_reservation_created,
    notify_reservation_link,
    notify_reservation_quantity_changed,
    notify_session_changed,
    reminder_sync,
)
from guichet.notifications.tests.helpers import png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def solidarity_policy(monkeypatch):
    """Swaps in a policy for the solidarity channel, for the test only."""

    def swap(**fields) -> ChannelPolicy:
        policy = ChannelPolicy(
            channel=Channel.SOLIDARITY, staff_group=SOLIDARITY_MANAGER_GROUP, **fields
        )
        monkeypatch.setitem(channels._POLICIES, Channel.SOLIDARITY, policy)
        return policy

    return swap


@pytest.fixture
def author(django_user_model):
    return django_user_model.objects.create_user(
        "referente", email="referente@example.org", password="x"
    )


def portal_session(**fields) -> Session:
    return SessionFactory(
        activity__channel=Channel.SOLIDARITY,
        start=timezone.now().replace(microsecond=0) + timedelta(days=10),
        **fields,
    )


def changed(session: Session, **fields) -> tuple[Session, Session]:
    """(the session as saved with `fields`, the session before)."""
    before = Session.objects.select_related("activity").get(pk=session.pk)
    after = Session.objects.select_related("activity").get(pk=session.pk)
    for name, value in fields.items():
        setattr(after, name, value)
    after.full_clean()
    after.save()
    return after, before


def kinds() -> list[tuple[str, int | None, int | None]]:
    return sorted(
        OutgoingMessage.objects.values_list("kind", "reservation_id", "group_id"),
        key=lambda row: (row[0], row[1] or 0, row[2] or 0),
    )


# The wave-1 mails: per reservation, the kinds the channel keeps


def test_every_kind_belongs_to_a_channel_and_the_parks_keep_theirs():
    assert set(KIND_CHANNELS) == set(MessageKind.values)
    parks = channels.policy_for(Channel.PARKS)
    assert {kind for kind, channel in KIND_CHANNELS.items() if channel == "parcs"} >= set(
        parks.core_mails
    )
    for channel in Channel.values:
        for kind in channels.policy_for(channel).group_mails.values():
            assert KIND_CHANNELS[kind] == channel


def test_a_portal_keeping_no_core_mail_gets_none_of_them():
    reservation = PortalReservationFactory(session=portal_session())
    notify_reservation_created(reservation=reservation)
    notify_reservation_link(reservation=reservation)
    notify_reservation_quantity_changed(reservation=reservation, previous=2)
    reminder_sync(reservation=reservation)
    reservation.status, reservation.cancelled_at = ReservationStatus.CANCELLED, timezone.now()
    notify_reservation_cancelled(reservation=reservation)
    assert not OutgoingMessage.objects.exists()


def test_a_portal_gets_the_core_mails_its_policy_keeps_and_only_those(solidarity_policy):
    solidarity_policy(core_mails=frozenset({MessageKind.REMINDER}))
    reservation = PortalReservationFactory(session=portal_session())
    notify_reservation_created(reservation=reservation)
    notify_reservation_link(reservation=reservation)
    assert kinds() == [(MessageKind.REMINDER, reservation.pk, None)]

    reservation.status, reservation.cancelled_at = ReservationStatus.CANCELLED, timezone.now()
    notify_reservation_cancelled(reservation=reservation)  # kept: the reminder is withdrawn
    assert kinds() == [(MessageKind.REMINDER, reservation.pk, None)]
    assert OutgoingMessage.objects.get().state == MessageState.WITHDRAWN


# A session's change: per reservation, per group, or nothing


@pytest.mark.parametrize("status", [SessionStatus.CANCELLED, SessionStatus.POSTPONED])
def test_a_portal_without_group_mails_tells_nobody(status, solidarity_policy):
    solidarity_policy()  # no group_mails
    session = portal_session()
    PortalReservationFactory(session=session)
    new_start = session.start + timedelta(days=7) if status == SessionStatus.POSTPONED else None
    after, before = changed(session, status=status, new_start=new_start, reason="Travaux")
    notify_session_changed(session=after, before=before)
    assert not OutgoingMessage.objects.exists()


def test_a_cancelled_session_is_told_once_per_group_with_its_lines(solidarity_policy, author):
    solidarity_policy(
        group_mails={MailEvent.SESSION_CANCELLED: MessageKind.SESSION_CANCELLED},
        waiting_list=True,
    )
    session = portal_session()
    group = ReservationGroupFactory(author=author)
    seated = PortalReservationFactory(session=session, group=group)
    waiting = PortalReservationFactory(
        session=session, group=group, status=ReservationStatus.WAITING, waiting_rank=1
    )
    pending = PortalReservationFactory(session=session, status=ReservationStatus.PENDING)
    PortalReservationFactory(session=session, group=group, status=ReservationStatus.CANCELLED)

    after, before = changed(session, status=SessionStatus.CANCELLED, reason="Intempéries")
    notify_session_changed(session=after, before=before)

    rows = {row.group_id: row for row in OutgoingMessage.objects.all()}
    assert set(rows) == {group.pk, pending.group_id}
    mine = rows[group.pk]
    assert (mine.kind, mine.reservation_id, mine.session_id) == (
        MessageKind.SESSION_CANCELLED,
        None,
        session.pk,
    )
    assert mine.recipients == ["referente@example.org"]
    assert mine.details["reservations"] == sorted([seated.pk, waiting.pk])
    assert mine.details["reason"] == "Intempéries"
    assert mine.details["start"] == before.starts_at.isoformat()


def test_a_postponed_session_is_told_per_group_with_its_new_dates(solidarity_policy, author):
    solidarity_policy(group_mails={MailEvent.SESSION_POSTPONED: MessageKind.SESSION_POSTPONED})
    session = portal_session()
    group = ReservationGroupFactory(author=author)
    PortalReservationFactory(session=session, group=group)
    new_start = session.start + timedelta(days=7)

    after, before = changed(session, status=SessionStatus.POSTPONED, new_start=new_start)
    notify_session_changed(session=after, before=before)

    row = OutgoingMessage.objects.get()
    assert (row.kind, row.group_id, row.details["event"]) == (
        MessageKind.SESSION_POSTPONED,
        group.pk,
        MailEvent.SESSION_POSTPONED,
    )
    assert row.details["previous_start"] == session.start.isoformat()
    assert row.details["start"] == new_start.isoformat()


def test_the_parks_are_still_told_per_reservation():
    session = SessionFactory()
    reservation = reservation_create(session=session, **booking_data(online=False))
    OutgoingMessage.objects.all().delete()
    after, before = changed(session, status=SessionStatus.CANCELLED, reason="Intempéries")
    notify_session_changed(session=after, before=before)
    assert kinds() == [(MessageKind.SESSION_CANCELLED, reservation.pk, None)]


# Sending a group's mail: kept without a reservation, rendered by its portal's builder


def group_context(renderer, message) -> dict:
    session = message.session
    return {
        "activity": session.activity.name,
        "name": message.group.author.first_name or message.group.author.username,
        "listed": [
            (f"Ligne {pk}", "https://example.org/") for pk in message.details["reservations"]
        ],
    }


def test_a_group_mail_is_sent_with_its_portals_context(
    monkeypatch, author, settings, tmp_path, solidarity_policy
):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setitem(emails._CONTEXT_BUILDERS, MessageKind.SESSION_CANCELLED, group_context)
    MessageAttachment.objects.create(
        kind=MessageKind.SESSION_CANCELLED, file=SimpleUploadedFile("plan.png", png_bytes())
    )
    session = portal_session()
    group = ReservationGroupFactory(author=author)
    line = PortalReservationFactory(session=session, group=group)
    message = OutgoingMessage.objects.create(
        kind=MessageKind.SESSION_CANCELLED,
        subject="Annulation de l'activité - Goûter",
        recipients=["referente@example.org"],
        group=group,
        session=session,
        details={"reservations": [line.pk]},
        dedupe_key="group-test",
        scheduled_for=timezone.now(),
    )

    messages_send_due()

    message.refresh_from_db()
    assert message.state == MessageState.SENT
    (email,) = mail.outbox
    assert (email.to, email.subject) == (["referente@example.org"], message.subject)
    assert "Bonjour referente," in email.body
    assert f"- Ligne {line.pk} : https://example.org/" in email.body
    assert session.activity.name in email.alternatives[0].content
    assert [attachment[0] for attachment in email.attachments] == ["plan.png"]


def test_a_mail_whose_reservation_is_gone_is_still_withdrawn():
    session = portal_session()
    message = OutgoingMessage.objects.create(
        kind=MessageKind.CONFIRMATION,
        subject="Confirmation",
        recipients=["camille@example.org"],
        session=session,
        dedupe_key="orphan",
        scheduled_for=timezone.now(),
    )
    messages_send_due()
    message.refresh_from_db()
    assert (message.state, message.last_error) == (
        MessageState.WITHDRAWN,
        "La réservation a été supprimée.",
    )
    assert mail.outbox == []
