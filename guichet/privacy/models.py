from django.utils.translation import gettext_lazy as _

from guichet.bookings.models import Reservation


class PersonData(Reservation):
    """No table: the admin entry "Données d'une personne" and its permission (view), given to
    the "Délégué à la protection des données" group."""

    class Meta:
        proxy = True
        default_permissions = ("view",)
        verbose_name = _("données d'une personne")
        verbose_name_plural = _("données d'une personne")
