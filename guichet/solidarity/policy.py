"""The solidarity portal's answers to the bookings core (guichet.bookings.channels): its staff
group, no wave-1 mail per reservation. Its booking rules (who may take a seat, its waiting list,
its mails about a whole booking) come with the portal's booking pages."""

from guichet.bookings.channels import ChannelPolicy
from guichet.catalogue.models import Channel
from guichet.core.permissions import SOLIDARITY_MANAGER_GROUP

SOLIDARITY_POLICY = ChannelPolicy(channel=Channel.SOLIDARITY, staff_group=SOLIDARITY_MANAGER_GROUP)
