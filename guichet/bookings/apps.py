from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "guichet.bookings"
    verbose_name = _("Réservations")

    def ready(self):
        from guichet.bookings.channels import (
            PARKS_POLICY,
            PORTAL_DEFAULT_POLICIES,
            policy_register,
        )
        from guichet.bookings.tasks import reservations_archive_task
        from guichet.core.scheduler import periodic_job_register

        policy_register(PARKS_POLICY)
        for policy in PORTAL_DEFAULT_POLICIES:
            policy_register(policy, default=True)
        periodic_job_register(reservations_archive_task, "0 2 * * *")  # 02:00 nightly
