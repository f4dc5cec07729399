"""The channel policies' registry."""

import pytest

from guichet.bookings.channels import (
    PARKS_POLICY,
    SEAT,
    BookingLine,
    ChannelPolicy,
    policy_for,
    policy_register,
)
from guichet.catalogue.models import Channel
from guichet.core.permissions import MANAGER_GROUP
from guichet.notifications.models import MessageKind


def test_parks_is_registered_by_the_bookings_app_and_keeps_every_core_mail():
    policy = policy_for(Channel.PARKS)
    assert policy is PARKS_POLICY
    assert policy.staff_group == MANAGER_GROUP
    assert policy.core_mails == set(MessageKind.values)
    assert policy.group_mails == {}
    assert not policy.waiting_list


def test_parks_seats_everyone_without_staff():
    line = BookingLine(session_id=1, holder_key="", first_name="Anne", last_name="Exemple")
    assert PARKS_POLICY.eligible(line, session=None, seated=set(), now=None) is SEAT
    assert not PARKS_POLICY.needs_staff(None)


def test_a_channel_without_a_policy_says_so(monkeypatch):
    from guichet.bookings import channels

    monkeypatch.setattr(channels, "_POLICIES", {})
    with pytest.raises(LookupError, match="famille"):
        policy_for(Channel.FAMILY)
    policy = ChannelPolicy(channel=Channel.FAMILY, staff_group="Gestionnaire famille")
    policy_register(policy)
    assert policy_for("famille") is policy


def test_the_portals_have_a_default_policy_until_their_app_registers_one(monkeypatch):
    from guichet.bookings import channels

    assert policy_for(Channel.SOLIDARITY).staff_group == "Gestionnaire solidaire"
    assert policy_for(Channel.FAMILY).staff_group == "Gestionnaire famille"
    assert not policy_for(Channel.FAMILY).core_mails  # no wave-1 mail for the portals
    monkeypatch.setattr(channels, "_POLICIES", {})
    portal = ChannelPolicy(channel=Channel.FAMILY, staff_group="Gestionnaire famille")
    policy_register(portal)  # the portal's app first…
    for default in channels.PORTAL_DEFAULT_POLICIES:  # …then the bookings app
        policy_register(default, default=True)
    assert policy_for(Channel.FAMILY) is portal
