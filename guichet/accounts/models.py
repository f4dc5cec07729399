"""What a portal account (solidarity, family) adds to Django's user: the e-mail address and the
phone number it signs in with, each unique among the accounts that have one."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from guichet.core.phones import PhoneNumberField, phone_search_text
from guichet.core.search import SearchableModel

EMAIL_TAKEN = _("Cette adresse e-mail est déjà utilisée par un autre compte.")
PHONE_TAKEN = _("Ce numéro de téléphone est déjà utilisé par un autre compte.")


class Profile(SearchableModel):
    """One per portal account. `email` is stored in lower case and `User.email` kept equal to
    it (guichet.accounts.services); `phone` in E.164. Saved with its user by every service, so
    that its search text follows the user's names."""

    search_sources = ("names", "email", "phone_search")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="profile",
        verbose_name=_("compte"),
    )
    email = models.EmailField(_("adresse e-mail"), blank=True)
    phone = PhoneNumberField(_("téléphone"), blank=True)

    class Meta:
        verbose_name = _("profil")
        verbose_name_plural = _("profils")
        constraints = [
            # violation_error_code "unique": full_clean reports it on the field itself.
            models.UniqueConstraint(
                fields=["email"],
                condition=~Q(email=""),
                name="profile_email_unique",
                violation_error_code="unique",
                violation_error_message=EMAIL_TAKEN,
            ),
            models.UniqueConstraint(
                fields=["phone"],
                condition=~Q(phone=""),
                name="profile_phone_unique",
                violation_error_code="unique",
                violation_error_message=PHONE_TAKEN,
            ),
            models.CheckConstraint(
                condition=Q(email=Lower("email")), name="profile_email_lower_case"
            ),
        ]

    def __str__(self) -> str:
        return self.email or self.phone or str(self.user_id)

    @property
    def names(self) -> str:
        return f"{self.user.first_name} {self.user.last_name}"

    @property
    def phone_search(self) -> str:
        return phone_search_text(self.phone)


def email_normalise(email: str) -> str:
    """An address as it is stored and looked up: without spaces around it, in lower case (the
    part before "@" may differ in case in theory; no mail provider makes use of it)."""
    return (email or "").strip().lower()
