from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

LDAP_ISSUER = "ldap"


class StaffIdentity(models.Model):
    """The directory identity an account signs in with: an OpenID provider's (issuer, sub), or
    (LDAP_ISSUER, username) for LDAP. Accounts are matched on it, never on an e-mail claim."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_identities",
        verbose_name=_("compte"),
    )
    issuer = models.CharField(_("fournisseur"), max_length=255)
    subject = models.CharField(_("identifiant chez le fournisseur"), max_length=255)
    last_login = models.DateTimeField(_("dernière connexion"), auto_now=True)

    class Meta:
        verbose_name = _("identité du personnel")
        verbose_name_plural = _("identités du personnel")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="staffidentity_issuer_subject_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(issuer="") & ~models.Q(subject=""),
                name="staffidentity_issuer_subject_not_empty",
            ),
        ]

    def __str__(self):
        return f"{self.issuer} {self.subject}"
