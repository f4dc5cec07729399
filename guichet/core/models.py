from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from guichet.core.phones import PhoneNumberField, phone_display
from guichet.core.richtext import RichTextField
from guichet.core.validators import validate_single_line


class ConformityLevel(models.TextChoices):
    """The RGAA's three levels; a city without an audit claims nothing."""

    NONE = "non", _("non conforme")
    PARTIAL = "partial", _("partiellement conforme")
    FULL = "full", _("totalement conforme")


# Defaults to adapt in the back-office; the accessibility statement follows the RGAA model.
def accessibility_statement_default() -> str:
    return str(
        _(
            "<h2>État de conformité</h2>"
            "<p>Ce site de réservation est <strong>non conforme</strong> au référentiel "
            "général d'amélioration de l'accessibilité (RGAA) : il n'a pas encore été audité.</p>"
            "<h2>Contenus non accessibles</h2>"
            "<p>Les contenus non accessibles seront listés ici après l'audit.</p>"
            "<h2>Retour d'information et contact</h2>"
            "<p>Si vous n'arrivez pas à accéder à un contenu ou à un service, contactez-nous "
            "(voir « Contact » en bas de page) : nous vous aiderons à réserver par un autre "
            "moyen.</p>"
            "<h2>Voies de recours</h2>"
            "<p>Si vous nous avez signalé un défaut d'accessibilité sans obtenir de réponse "
            "satisfaisante, vous pouvez écrire au Défenseur des droits "
            '(<a href="https://formulaire.defenseurdesdroits.fr/">formulaire en ligne</a>), '
            "contacter son délégué dans votre région, ou écrire gratuitement, sans timbre, à : "
            "Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07.</p>"
        )
    )


def legal_notice_default() -> str:
    return str(
        _(
            "<h2>Éditeur du site</h2><p>À compléter : nom et adresse de la collectivité, "
            "directeur ou directrice de la publication.</p>"
            "<h2>Hébergement</h2><p>À compléter : nom, adresse et téléphone de l'hébergeur.</p>"
            "<h2>Logiciel</h2><p>Ce site utilise Guichet, logiciel libre sous licence AGPL.</p>"
        )
    )


def personal_data_default() -> str:
    return str(
        _(
            "<h2>Données collectées</h2><p>Pour une réservation : nom, prénom, adresse e-mail, "
            "téléphone, ville et nombre de places.</p>"
            "<h2>Pourquoi</h2><p>Gérer votre réservation : vous confirmer la réservation, vous "
            "prévenir d'un changement, vous rappeler l'activité et accueillir les participants "
            "(mission de service public).</p>"
            "<h2>Durée de conservation</h2><p>Vos données sont archivées après l'activité puis "
            "supprimées ; elles ne sont ni vendues ni transmises.</p>"
            "<h2>Vos droits</h2><p>Vous pouvez accéder à vos données, les faire rectifier ou "
            "effacer, et vous opposer à leur traitement en nous contactant (voir « Contact » en "
            "bas de page). Vous pouvez aussi adresser une réclamation à la CNIL (cnil.fr).</p>"
        )
    )


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

    payment_instructions = models.CharField(
        _("paiement"),
        max_length=200,
        blank=True,
        validators=[validate_single_line],
        default=_("à régler sur place"),
        help_text=_(
            "Comment régler une session payante, dit sur le formulaire de réservation ; "
            "vide : rien n'est dit."
        ),
    )
    accessibility_level = models.CharField(
        _("conformité au RGAA"),
        max_length=10,
        choices=ConformityLevel.choices,
        default=ConformityLevel.NONE,
        help_text=_("Le niveau établi par le dernier audit ; sans audit : non conforme."),
    )
    # Emptied, a legal page shows its default text again.
    accessibility_statement = RichTextField(
        verbose_name=_("déclaration d'accessibilité"),
        blank=True,
        default=accessibility_statement_default,
    )
    accessibility_statement_date = models.DateField(
        _("date de la déclaration"), null=True, blank=True
    )
    accessibility_pages_audited = models.TextField(
        _("pages auditées"), blank=True, help_text=_("Une page par ligne.")
    )
    legal_notice = RichTextField(
        verbose_name=_("mentions légales"), blank=True, default=legal_notice_default
    )
    personal_data = RichTextField(
        verbose_name=_("données personnelles"), blank=True, default=personal_data_default
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
            models.CheckConstraint(
                condition=models.Q(accessibility_level__in=ConformityLevel.values),
                name="organisation_accessibility_level_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Again after the commit: a page may have cached the old row in the meantime.
        cache.delete(self.CACHE_KEY)
        transaction.on_commit(lambda: cache.delete(self.CACHE_KEY))

    def legal_text(self, field: str) -> str:
        """A legal page's rich text; its default when emptied."""
        return getattr(self, field) or self._meta.get_field(field).get_default()

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
