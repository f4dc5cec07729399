from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "guichet.bookings"
    verbose_name = _("Réservations")

    def ready(self):
        from guichet.bookings.channels import (
            PARKS_POLICY,
            ChannelPolicy,
            policy_for,
            policy_register,
        )
        from guichet.bookings.tasks import reservations_archive_task
        from guichet.catalogue.models import Channel
        from guichet.catalogue.selectors import CHANNEL_STAFF_GROUPS
        from guichet.core.scheduler import periodic_job_register

        policy_register(PARKS_POLICY)
        for channel in (Channel.SOLIDARITY, Channel.FAMILY):
            try:
                policy_for(channel)
            except LookupError:
                # Until its portal's app registers its own (issues 12–14): its sessions and
                # reservations are kept from the back-office, without mails nor waiting list.
                policy_register(
                    ChannelPolicy(channel=channel, staff_group=CHANNEL_STAFF_GROUPS[channel])
                )
        periodic_job_register(reservations_archive_task, "0 2 * * *")  # 02:00 nightly
