from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SolidarityConfig(AppConfig):
    name = "guichet.solidarity"
    verbose_name = _("Billetterie solidaire")

    def ready(self):
        from guichet.accounts.backends import account_page_relation_register
        from guichet.bookings.channels import policy_register
        from guichet.core.scheduler import periodic_job_register
        from guichet.notifications.emails import mail_context_register
        from guichet.solidarity import privacy
        from guichet.solidarity.mails import BOOKING_KINDS, booking_mail_context
        from guichet.solidarity.policy import SOLIDARITY_POLICY
        from guichet.solidarity.tasks import invitations_close_task

        # In place of the bookings app's default policy for the channel.
        policy_register(SOLIDARITY_POLICY)
        periodic_job_register(invitations_close_task, "* * * * *")  # every minute
        for kind in BOOKING_KINDS:
            mail_context_register(kind=kind, builder=booking_mail_context)
        # Its people in "Données d'une personne" and the nightly retention (guichet.privacy).
        privacy.register()
        # Every portal page reads the référent's membership and structure
        # (selectors.membership_get_for_user): loaded with the account.
        account_page_relation_register("solidarity_membership__structure__territory")
