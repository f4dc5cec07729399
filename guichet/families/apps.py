from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamiliesConfig(AppConfig):
    name = "guichet.families"
    verbose_name = _("Portail famille")

    def ready(self):
        from guichet.bookings.channels import policy_register
        from guichet.core.scheduler import periodic_job_register
        from guichet.core.staff_links import StaffLink, staff_link_register
        from guichet.families import privacy
        from guichet.families.digest import digest_mail_context
        from guichet.families.policy import FAMILY_POLICY
        from guichet.families.selectors import family_staff_allowed
        from guichet.families.tasks import family_digest_task
        from guichet.notifications.emails import mail_context_register

        # In place of the bookings app's default policy for the channel.
        policy_register(FAMILY_POLICY)
        # Every quarter of an hour: the task sends the reports once the digest time has come
        # (FamilySettings.digest_time, which staff may change), each household once a day.
        periodic_job_register(family_digest_task, "*/15 * * * *")
        mail_context_register(kind="family_digest", builder=digest_mail_context)
        # Its people in "Données d'une personne" and the nightly retention (guichet.privacy).
        privacy.register()
        # The staff pages on the back-office's home, for their staff.
        for url_name, label in (
            ("families:staff_requests", _("Demandes à traiter")),
            ("families:staff_book", _("Réserver pour une famille")),
            ("families:staff_day_list", _("Liste du jour")),
        ):
            staff_link_register(StaffLink(self.verbose_name, url_name, label, family_staff_allowed))
