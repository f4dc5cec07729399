from datetime import datetime

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan

from guichet.catalogue.models import Channel
from guichet.core.permissions import FAMILY_MANAGER_GROUP, MANAGER_GROUP, SOLIDARITY_MANAGER_GROUP

# The staff group that runs each channel in the back-office (each ChannelPolicy's `staff_group`,
# guichet.bookings.channels, names the same): its members see that channel's activities,
# sessions, reservations and mails, and no other's. Here rather than with the policies because
# the catalogue's own admin (activities) reads it, and the catalogue is below the bookings.
CHANNEL_STAFF_GROUPS: dict[str, str] = {
    Channel.PARKS: MANAGER_GROUP,
    Channel.SOLIDARITY: SOLIDARITY_MANAGER_GROUP,
    Channel.FAMILY: FAMILY_MANAGER_GROUP,
}


def staff_channels(*, user) -> frozenset[str]:
    """The channels `user` manages in the back-office: those of their staff groups; every one
    for a superuser, none for anyone else. Read once per request (kept on the user object)."""
    if not (user.is_active and user.is_staff):
        return frozenset()
    if user.is_superuser:
        return frozenset(Channel.values)
    channels = getattr(user, "_staff_channels", None)
    if channels is None:
        names = set(user.groups.values_list("name", flat=True))
        channels = frozenset(
            channel for channel, group in CHANNEL_STAFF_GROUPS.items() if group in names
        )
        user._staff_channels = channels
    return channels


def session_over_q(*, now: datetime, prefix: str = "") -> Q:
    """Sessions that are over, by the dates that count: their end, or their start when they have
    none, is before `now`. The one rule for archiving reservations and, excluded, the public
    lists. Never NULL (the start always is set), so that its negation is right too. `prefix`
    reaches the session through a relation, e.g. "session__"."""
    ends = Coalesce(F(f"{prefix}effective_end"), F(f"{prefix}effective_start"))
    return Q(LessThan(ends, now))
