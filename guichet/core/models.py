from django.conf import settings
from django.contrib.contenttypes.models import ContentType
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


class AuditActor(models.TextChoices):
    STAFF = "staff", _("Personnel")
    SYSTEM = "system", _("Système")
    VISITOR = "visitor", _("Visiteur")


class AuditAction(models.TextChoices):
    CREATE = "create", _("Création")
    CHANGE = "change", _("Modification")
    DELETE = "delete", _("Suppression")
    CANCEL = "cancel", _("Annulation")
    SIGN_IN = "sign_in", _("Connexion")
    SIGN_IN_FAILED = "sign_in_failed", _("Connexion refusée")
    EXPORT = "export", _("Export")
    ANONYMISE = "anonymise", _("Anonymisation")


class AuditEntry(models.Model):
    """One line of the journal ("Journal des modifications"): who changed what, when, from where.
    Written by guichet.core.audit.audit_record only; append-only (see docs/design/audit.md)."""

    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    actor_kind = models.CharField(_("auteur"), max_length=10, choices=AuditActor.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("personne"),
    )
    # The user's name when the entry was written: kept if the account is deleted.
    actor_name = models.CharField(_("nom de l'auteur"), max_length=150, blank=True)
    client_ip = models.GenericIPAddressField(_("adresse du client"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("type d'objet"),
    )
    object_id = models.CharField(_("identifiant de l'objet"), max_length=64, blank=True)
    object_repr = models.CharField(_("objet"), max_length=200, blank=True)
    # {field: [before, after]} as text; an export or a sign-in may hold a note instead.
    changes = models.JSONField(_("changements"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal des modifications")
        ordering = ["-created_at", "-pk"]
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="audit_object"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(actor_kind__in=AuditActor.values), name="audit_actor_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(action__in=AuditAction.values), name="audit_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} — {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A journal entry is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("A journal entry is never deleted one by one.")
