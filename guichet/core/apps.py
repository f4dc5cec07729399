from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "guichet.core"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from guichet.core.db import lock_timeout_on_connect, psycopg_statement_cache_widen

        connection_created.connect(lock_timeout_on_connect, dispatch_uid="guichet.lock_timeout")
        psycopg_statement_cache_widen()
