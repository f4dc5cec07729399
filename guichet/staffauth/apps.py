from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class StaffauthConfig(AppConfig):
    name = "guichet.staffauth"
    verbose_name = _("Connexion du personnel")

    def ready(self):
        from guichet.core.scheduler import periodic_job_register
        from guichet.staffauth import signals  # noqa: F401  (connects the sign-in receivers)
        from guichet.staffauth.tasks import ldap_accounts_sync_task

        periodic_job_register(ldap_accounts_sync_task, "30 1 * * *")  # 01:30 nightly


class StaffAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with Guichet's site as `admin.site` (the second factor is checked
    in its permission check, at every request)."""

    default = False  # this module's default is StaffauthConfig
    default_site = "guichet.staffauth.admin_site.StaffAdminSite"
