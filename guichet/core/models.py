from django.core.cache import cache
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from guichet.core.phones import PhoneNumberField, phone_display
from guichet.core.validators import validate_single_line


class Organisation(models.Model):
    """The one organisation running this Guichet; pages and e-mails read their contact details here."""

    SINGLETON_PK = 1
    # guichet.core.selectors.organisation_get keeps the row in the shared cache.
    CACHE_KEY = "core.organisation"
    CACHE_SECONDS = 600

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    name = models.CharField(_("nom"), max_length=200, validators=[validate_single_line])
    logo = models.ImageField(_("logo"), upload_to="organisation/", blank=True)
    postal_address = models.TextField(_("adresse postale"), blank=True)
    phone = PhoneNumberField(
        _("téléphone"),
        blank=True,
        help_text=_("Numéro à appeler pour annuler ou modifier une réservation."),
    )
    website = models.URLField(_("site web"), blank=True)
    sender_email = models.EmailField(
        _("adresse d'envoi des e-mails"),
        blank=True,
        help_text=_("Laisser vide pour utiliser l'adresse d'envoi du serveur."),
    )
    contact_email = models.EmailField(
        _("adresse de contact"),
        blank=True,
        help_text=_(
            "L'adresse de l'organisation pour les personnes qui réservent ; elle reçoit aussi "
            "chaque matin le résumé des e-mails en échec ou en attente."
        ),
    )
    online_cancellation_allowed = models.BooleanField(
        _("annulation en ligne"),
        default=True,
        help_text=_(
            "Les personnes peuvent annuler elles-mêmes leur réservation depuis leur page, "
            "jusqu'à la date limite de réservation."
        ),
    )

    class Meta:
        verbose_name = _("paramètres de l'organisation")
        verbose_name_plural = _("paramètres de l'organisation")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="organisation_singleton"),
            models.CheckConstraint(
                condition=models.Q(phone="") | models.Q(phone__startswith="+"),
                name="organisation_phone_e164",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Again after the commit: a page may have cached the old row in the meantime.
        cache.delete(self.CACHE_KEY)
        transaction.on_commit(lambda: cache.delete(self.CACHE_KEY))

    @property
    def phone_display(self) -> str:
        return phone_display(self.phone)
