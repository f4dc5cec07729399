import secrets

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from guichet.catalogue.models import Session
from guichet.core.phones import PhoneNumberField, phone_display
from guichet.core.references import reference_new
from guichet.core.search import SearchableModel
from guichet.core.validators import validate_single_line


def reservation_token() -> str:
    return secrets.token_urlsafe(24)


def reservation_reference() -> str:
    """The short reference shown to the person and to staff (see guichet.core.references)."""
    return reference_new()


class ReservationStatus(models.TextChoices):
    VALID = "valid", _("Valide")
    CANCELLED = "cancelled", _("Annulé")
    ARCHIVED = "archived", _("Archivé")


# Reservations in these states hold their seats; "Archivé" is a valid reservation of a past session.
SEAT_HOLDING_STATUSES = (ReservationStatus.VALID, ReservationStatus.ARCHIVED)


class Reservation(SearchableModel):
    # The phone and the token have searches of their own (ReservationAdmin).
    search_sources = ("first_name", "last_name", "email", "city")

    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("session")
    )
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=ReservationStatus.choices,
        default=ReservationStatus.VALID,
    )
    first_name = models.CharField(_("prénom"), max_length=100, validators=[validate_single_line])
    last_name = models.CharField(_("nom"), max_length=100, validators=[validate_single_line])
    email = models.EmailField(_("email"))
    phone = PhoneNumberField(_("numéro de téléphone"))
    city = models.CharField(_("ville"), max_length=100, validators=[validate_single_line])
    quantity = models.PositiveIntegerField(
        _("quantité"), default=1, validators=[MinValueValidator(1)]
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True, db_index=True)
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True, editable=False)
    token = models.CharField(max_length=64, unique=True, default=reservation_token, editable=False)
    # Shown instead of the id, which would tell how many bookings there are.
    reference = models.CharField(
        _("référence"),
        max_length=8,
        unique=True,
        default=reservation_reference,
        editable=False,
    )
    # Set by the booking form: the same form submitted twice (double click, reload) books once.
    submission_key = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    # Set when the person's fields were blanked (guichet.privacy): retention or their request.
    anonymised_at = models.DateTimeField(_("anonymisée le"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("réservation")
        verbose_name_plural = _("réservations")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["session", "status"], name="reservation_session_status"),
            # An address's bookings and mails, whatever the case it was typed in (seat hoarding,
            # CONFIRMATION_MAIL_LIMIT).
            models.Index(Upper("email"), name="reservation_email_upper"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="reservation_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReservationStatus.values), name="reservation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(phone__startswith="+") | Q(anonymised_at__isnull=False, phone=""),
                name="reservation_phone_e164",
            ),
            models.CheckConstraint(
                condition=(~Q(first_name="") & ~Q(last_name="") & ~Q(email="") & ~Q(city=""))
                | Q(anonymised_at__isnull=False, first_name="", last_name="", email=""),
                name="reservation_person_required",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} — {self.session}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def phone_display(self) -> str:
        return phone_display(self.phone)

    @property
    def holds_seats(self) -> bool:
        return self.status in SEAT_HOLDING_STATUSES
