from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "guichet.privacy"
    verbose_name = _("Données personnelles")

    def ready(self):
        from guichet.core.scheduler import periodic_job_register
        from guichet.privacy import parks, signals
        from guichet.privacy.tasks import retention_apply_task

        parks.register()
        signals.connect()
        periodic_job_register(retention_apply_task, "30 3 * * *")  # 03:30 nightly
