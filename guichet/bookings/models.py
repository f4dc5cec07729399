import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from guichet.catalogue.models import Channel, Session
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
    """The states of docs/design/waiting-list.md's table."""

    VALID = "valid", _("Valide")
    CANCELLED = "cancelled", _("Annulé")
    ARCHIVED = "archived", _("Archivé")
    # Seated, waiting for staff to accept it (a portal whose policy `needs_staff`).
    PENDING = "pending", _("En attente de traitement")
    # No seat: on the session's waiting list, at `waiting_rank`.
    WAITING = "waiting", _("Sur liste d'attente")
    REFUSED = "refused", _("Refusé")
    # Pending or waiting when the session started: never seated.
    NOT_SERVED = "not_served", _("Non servi")


# Reservations in these states hold their seats; "Archivé" is a valid reservation of a past
# session, "En attente de traitement" a seat kept until staff decide (accepting never lacks one).
SEAT_HOLDING_STATUSES = (
    ReservationStatus.VALID,
    ReservationStatus.ARCHIVED,
    ReservationStatus.PENDING,
)
# A holder has at most one reservation in these states per session.
LIVE_STATUSES = (*SEAT_HOLDING_STATUSES, ReservationStatus.WAITING)


class ReservationGroup(models.Model):
    """The lines one portal booking made together (one submission): its mails go per group."""

    channel = models.CharField(_("portail"), max_length=20, choices=Channel.choices)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur"),
    )
    # The portal's form sent twice books once: the second finds the group by its key (unique in
    # Meta; NULL when there is none, as unique=True allows).
    submission_key = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("groupe de réservations")
        verbose_name_plural = _("groupes de réservations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="reservation_group_channel_valid"
            ),
            # Looked up by equality only: a constraint, not unique=True, whose second index
            # (varchar_pattern_ops, for LIKE) PostgreSQL would write at every insert for nothing.
            models.UniqueConstraint(
                fields=["submission_key"],
                condition=Q(submission_key__isnull=False),
                name="reservation_group_submission_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} n° {self.pk}"


# Parks reservations keep the visitor's details; the portals' keep only the holder's names
# (copied and kept current by the portal), never a beneficiary's or a child's contact data.
_CONTACT_FIELDS = ("email", "phone", "city")


class Reservation(SearchableModel):
    # The phone and the token have searches of their own (ReservationAdmin).
    search_sources = ("first_name", "last_name", "email", "city")

    # No index of its own: reservation_session_status and the waiting ranks' begin with it.
    session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        related_name="reservations",
        verbose_name=_("session"),
        db_index=False,
    )
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=ReservationStatus.choices,
        default=ReservationStatus.VALID,
    )
    first_name = models.CharField(_("prénom"), max_length=100, validators=[validate_single_line])
    last_name = models.CharField(_("nom"), max_length=100, validators=[validate_single_line])
    # Required for parks, empty for the portals (clean(), reservation_person_required).
    email = models.EmailField(_("email"), blank=True)
    phone = PhoneNumberField(_("numéro de téléphone"), blank=True)
    city = models.CharField(
        _("ville"), max_length=100, blank=True, validators=[validate_single_line]
    )
    quantity = models.PositiveIntegerField(
        _("quantité"), default=1, validators=[MinValueValidator(1)]
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True, db_index=True)
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True, editable=False)
    # The token, the reference and the submission key are unique by constraints in Meta.
    token = models.CharField(max_length=64, default=reservation_token, editable=False)
    # Shown instead of the id, which would tell how many bookings there are.
    reference = models.CharField(
        _("référence"), max_length=8, default=reservation_reference, editable=False
    )
    # Set by the booking form: the same form submitted twice (double click, reload) books once.
    # NULL when there is none (unique in Meta), as unique=True allows.
    submission_key = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, editable=False
    )
    # Set by the online booking when the address had had CONFIRMATION_MAIL_LIMIT mails: its
    # confirmation was written held back, never sent ("Ma réservation" says so, and it gets no
    # reminder). Kept on the row so that neither needs to look for that mail.
    confirmation_held = models.BooleanField(
        _("confirmation retenue"), default=False, editable=False
    )
    # Set when the person's fields were blanked (guichet.privacy): retention or their request.
    anonymised_at = models.DateTimeField(_("anonymisée le"), null=True, blank=True, editable=False)
    # The session's activity's channel, copied by the services so that constraints need no join.
    channel = models.CharField(
        _("portail"), max_length=20, choices=Channel.choices, default=Channel.PARKS
    )
    group = models.ForeignKey(
        ReservationGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reservations",
        verbose_name=_("groupe"),
    )
    # Who the line is for in its portal ("beneficiary:42", "child:7"); empty for parks.
    holder_key = models.CharField(
        _("titulaire"), max_length=40, blank=True, editable=False, validators=[validate_single_line]
    )
    # Its place on the session's waiting list, given under the session's lock (gapless, in commit
    # order) and kept after promotion.
    waiting_rank = models.PositiveIntegerField(_("rang"), null=True, blank=True, editable=False)
    # Why a waiting entry was not promoted yet (the policy's Wait reason, or "complet").
    waiting_reason = models.CharField(
        _("motif d'attente"),
        max_length=200,
        blank=True,
        editable=False,
        validators=[validate_single_line],
    )

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
                condition=Q(phone__startswith="+") | Q(phone=""), name="reservation_phone_e164"
            ),
            models.CheckConstraint(
                condition=(
                    Q(channel=Channel.PARKS)
                    & ~Q(first_name="")
                    & ~Q(last_name="")
                    & ~Q(email="")
                    & ~Q(phone="")
                    & ~Q(city="")
                )
                | (
                    ~Q(channel=Channel.PARKS)
                    & ~Q(first_name="")
                    & ~Q(last_name="")
                    & Q(email="", phone="", city="")
                )
                | Q(anonymised_at__isnull=False, first_name="", last_name="", email=""),
                name="reservation_person_required",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="reservation_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel=Channel.PARKS, holder_key="")
                | (~Q(channel=Channel.PARKS) & ~Q(holder_key="")),
                name="reservation_holder_key_by_channel",
            ),
            models.UniqueConstraint(
                fields=["session", "holder_key"],
                condition=Q(status__in=LIVE_STATUSES) & ~Q(holder_key=""),
                name="reservation_one_live_per_holder",
            ),
            # Constraints, not unique=True: the token, the reference and the key are looked up by
            # equality only, and unique=True adds on PostgreSQL a second index (varchar_pattern_ops,
            # for LIKE) that every insert writes for nothing. Most rows have no key, no rank.
            models.UniqueConstraint(fields=["token"], name="reservation_token_unique"),
            models.UniqueConstraint(fields=["reference"], name="reservation_reference_unique"),
            models.UniqueConstraint(
                fields=["submission_key"],
                condition=Q(submission_key__isnull=False),
                name="reservation_submission_key_unique",
            ),
            models.UniqueConstraint(
                fields=["session", "waiting_rank"],
                condition=Q(waiting_rank__isnull=False),
                name="reservation_waiting_rank_unique",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReservationStatus.WAITING) | Q(waiting_rank__isnull=False),
                name="reservation_waiting_has_rank",
            ),
            models.CheckConstraint(
                condition=Q(waiting_rank__isnull=True) | Q(waiting_rank__gte=1),
                name="reservation_waiting_rank_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} — {self.session}"

    def clean(self) -> None:
        errors = {}
        # The names are required by their fields; the contact fields depend on the channel.
        for name in _CONTACT_FIELDS if self.anonymised_at is None else ():
            if self.channel == Channel.PARKS and not getattr(self, name):
                errors[name] = ValidationError(
                    self._meta.get_field(name).error_messages["blank"], code="blank"
                )
            elif self.channel != Channel.PARKS and getattr(self, name):
                errors[name] = _("Les réservations de ce portail ne gardent pas les coordonnées.")
        if (self.channel == Channel.PARKS) != (not self.holder_key):
            errors["holder_key"] = _(
                "Une réservation d'un portail a un titulaire ; une réservation des parcs, aucun."
            )
        if self.status == ReservationStatus.WAITING and self.waiting_rank is None:
            errors["waiting_rank"] = _("Une inscription en liste d'attente a un rang.")
        if errors:
            raise ValidationError(errors)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def phone_display(self) -> str:
        return phone_display(self.phone)

    @property
    def holds_seats(self) -> bool:
        return self.status in SEAT_HOLDING_STATUSES
