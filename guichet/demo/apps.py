from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo data (`manage.py load_demo_data`): on top of every other app, imported by none."""

    name = "guichet.demo"
    verbose_name = _("Démonstration")
