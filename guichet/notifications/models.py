"""The outbox (one row per e-mail), the editable texts of each kind of e-mail, their attachments."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image
from pypdf import PdfReader

from guichet.catalogue.models import Channel
from guichet.core.richtext import RichTextField
from guichet.core.validators import validate_single_line


class MessageKind(models.TextChoices):
    CONFIRMATION = "confirmation", _("Confirmation de réservation")
    REMINDER = "reminder", _("Rappel de réservation")
    SESSION_CANCELLED = "session_cancelled", _("Annulation de l'activité")
    SESSION_POSTPONED = "session_postponed", _("Report de l'activité")
    RESERVATION_CANCELLED = "reservation_cancelled", _("Annulation de réservation")
    # Sent again to the address when it tries to book a session it already holds all its places for.
    RESERVATION_LINK = "reservation_link", _("Lien de votre réservation")
    SCHEDULE_CHANGED = "schedule_changed", _("Changement d'horaire")
    # The person changed the number of places from their reservation page.
    RESERVATION_CHANGED = "reservation_changed", _("Réservation modifiée")
    # "Retrouver mes réservations": the links of an address's reservations to come, in one mail.
    RESERVATION_LIST = "reservation_list", _("Vos réservations")
    # The solidarity portal's accounts (guichet.accounts, guichet.solidarity).
    SOLIDARITY_INVITATION = "solidarity_invitation", _("Invitation à la Billetterie solidaire")
    SOLIDARITY_PASSWORD_RESET = (
        "solidarity_password_reset",
        _("Mot de passe oublié (Billetterie solidaire)"),
    )
    SOLIDARITY_EMAIL_CHANGE = (
        "solidarity_email_change",
        _("Nouvelle adresse e-mail (Billetterie solidaire)"),
    )
    # The family portal's accounts and its daily report (guichet.families).
    FAMILY_INVITATION = "family_invitation", _("Invitation au Portail famille")
    FAMILY_PASSWORD_RESET = "family_password_reset", _("Mot de passe oublié (Portail famille)")
    FAMILY_EMAIL_CHANGE = "family_email_change", _("Nouvelle adresse e-mail (Portail famille)")
    FAMILY_DIGEST = "family_digest", _("Compte rendu quotidien (Portail famille)")
    # The solidarity portal's bookings, one mail per booking (guichet.solidarity.mails).
    SOLIDARITY_BOOKED = "solidarity_booked", _("Réservation enregistrée")
    SOLIDARITY_PROMOTED = "solidarity_promoted", _("Invitation attribuée")
    SOLIDARITY_WAITING_CLOSED = "solidarity_waiting_closed", _("Liste d'attente close")
    SOLIDARITY_SESSION_CANCELLED = "solidarity_session_cancelled", _("Séance annulée")
    SOLIDARITY_SESSION_POSTPONED = "solidarity_session_postponed", _("Séance reportée")
    SOLIDARITY_REMINDER = "solidarity_reminder", _("Rappel : sortie dans 2 jours")
    SOLIDARITY_CANCELLED = "solidarity_cancelled", _("Annulation enregistrée")


# The channel each kind of mail belongs to: the back-office shows its texts, attachments and
# outbox rows to that channel's staff only (a portal adds its kinds here with its own).
KIND_CHANNELS: dict[str, str] = {
    MessageKind.CONFIRMATION: Channel.PARKS,
    MessageKind.REMINDER: Channel.PARKS,
    MessageKind.SESSION_CANCELLED: Channel.PARKS,
    MessageKind.SESSION_POSTPONED: Channel.PARKS,
    MessageKind.RESERVATION_CANCELLED: Channel.PARKS,
    MessageKind.RESERVATION_LINK: Channel.PARKS,
    MessageKind.SCHEDULE_CHANGED: Channel.PARKS,
    MessageKind.RESERVATION_CHANGED: Channel.PARKS,
    MessageKind.RESERVATION_LIST: Channel.PARKS,
    MessageKind.SOLIDARITY_INVITATION: Channel.SOLIDARITY,
    MessageKind.SOLIDARITY_PASSWORD_RESET: Channel.SOLIDARITY,
    MessageKind.SOLIDARITY_EMAIL_CHANGE: Channel.SOLIDARITY,
    MessageKind.FAMILY_INVITATION: Channel.FAMILY,
    MessageKind.FAMILY_PASSWORD_RESET: Channel.FAMILY,
    MessageKind.FAMILY_EMAIL_CHANGE: Channel.FAMILY,
    MessageKind.FAMILY_DIGEST: Channel.FAMILY,
    MessageKind.SOLIDARITY_BOOKED: Channel.SOLIDARITY,
    MessageKind.SOLIDARITY_PROMOTED: Channel.SOLIDARITY,
    MessageKind.SOLIDARITY_WAITING_CLOSED: Channel.SOLIDARITY,
    MessageKind.SOLIDARITY_SESSION_CANCELLED: Channel.SOLIDARITY,
    MessageKind.SOLIDARITY_SESSION_POSTPONED: Channel.SOLIDARITY,
    MessageKind.SOLIDARITY_REMINDER: Channel.SOLIDARITY,
    MessageKind.SOLIDARITY_CANCELLED: Channel.SOLIDARITY,
}


def message_kinds_of(channels) -> list[str]:
    """The kinds of mail of `channels` (values), in MessageKind's order."""
    return [kind for kind in MessageKind.values if KIND_CHANNELS[kind] in channels]


# Kinds sent at a later date ("Notifications retardées"); the others go out at once.
DEFERRED_KINDS = (MessageKind.REMINDER, MessageKind.SOLIDARITY_REMINDER)

# Mails about an account: the row holds the account (and, for a new address, that address); the
# link they carry is made when the mail is rendered for sending, never stored, so neither the
# outbox nor its admin pages hold one. "Renvoyer" is refused for them: a new link is asked for.
ACCOUNT_KINDS = (
    MessageKind.SOLIDARITY_INVITATION,
    MessageKind.SOLIDARITY_PASSWORD_RESET,
    MessageKind.SOLIDARITY_EMAIL_CHANGE,
    MessageKind.FAMILY_INVITATION,
    MessageKind.FAMILY_PASSWORD_RESET,
    MessageKind.FAMILY_EMAIL_CHANGE,
)


class MessageState(models.TextChoices):
    PENDING = "pending", _("En attente")
    SENT = "sent", _("Envoyé")
    FAILED = "failed", _("Échec")
    WITHDRAWN = "withdrawn", _("Retiré")
    # Never sent: the address had received too many mails of its kind (CONFIRMATION_MAIL_LIMIT).
    HELD = "held", _("Retenu (trop d'e-mails à cette adresse)")


class OutgoingMessage(models.Model):
    """One e-mail, written in the transaction of the change that causes it. The row is the truth:
    a worker sends it only while it is pending, due and not claimed by another worker."""

    Kind = MessageKind
    State = MessageState

    kind = models.CharField(_("type"), max_length=30, choices=MessageKind.choices)
    subject = models.CharField(_("sujet"), max_length=255)
    recipients = models.JSONField(_("destinataires"), default=list)
    reservation = models.ForeignKey(
        "bookings.Reservation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("réservation"),
    )
    session = models.ForeignKey(
        "catalogue.Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("session"),
    )
    # A portal's mail about a whole booking (the policy's group_mails): one per group.
    group = models.ForeignKey(
        "bookings.ReservationGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("groupe de réservations"),
    )
    # The account of an ACCOUNT_KINDS mail.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="account_messages",
        verbose_name=_("compte"),
    )
    # What the change was (previous and new dates, reason), for the session-cancelled and
    # session-postponed mails: the session may change again before the mail goes out.
    details = models.JSONField(_("détails"), default=dict, blank=True)
    # One key per message: the same change never writes the same mail twice (unique in Meta).
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("ajouté le"), auto_now_add=True, db_index=True)
    scheduled_for = models.DateTimeField(_("programmé pour"))
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    state = models.CharField(
        _("état"), max_length=20, choices=MessageState.choices, default=MessageState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    # The first failed attempt of the current series (cleared once sent, or sent again by staff):
    # retries go on for NOTIFICATIONS_RETRY_HOURS from here.
    failing_since = models.DateTimeField(_("en erreur depuis"), null=True, blank=True)
    failed_at = models.DateTimeField(_("abandonné le"), null=True, blank=True)
    # Set by the worker that is sending it; another worker may take the row over once
    # NOTIFICATIONS_CLAIM_TIMEOUT has passed (the first one died).
    claimed_at = models.DateTimeField(_("pris en charge le"), null=True, blank=True)
    # No index: it is always read with the row's pk.
    claim_token = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The workers' query: pending rows whose time has come.
            models.Index(
                fields=["scheduled_for"], condition=Q(state="pending"), name="outgoing_pending_due"
            ),
            # The count of mails given up lately (admin index, daily summary).
            models.Index(
                fields=["failed_at"], condition=Q(state="failed"), name="outgoing_failed_recent"
            ),
        ]
        constraints = [
            # Not unique=True: looked up by equality only, and unique=True adds on PostgreSQL a
            # second index (varchar_pattern_ops, for LIKE) that every insert writes for nothing.
            models.UniqueConstraint(fields=["dedupe_key"], name="outgoing_dedupe_key_unique"),
            models.CheckConstraint(
                condition=Q(state__in=MessageState.values), name="outgoing_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=MessageKind.values), name="outgoing_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=ACCOUNT_KINDS) | Q(reservation__isnull=True),
                name="outgoing_account_mail_without_reservation",
            ),
            models.CheckConstraint(
                condition=Q(state="sent", sent_at__isnull=False) | ~Q(state="sent"),
                name="outgoing_sent_has_date",
            ),
            models.CheckConstraint(
                condition=Q(state="failed", failed_at__isnull=False) | ~Q(state="failed"),
                name="outgoing_failed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


PLACEHOLDERS_HELP = _(
    "Vous pouvez écrire {telephone}, {site_web} et {organisation} : ils sont remplacés par les "
    "coordonnées des paramètres de l'organisation."
)


class MessageTemplate(models.Model):
    """The parts of one kind of e-mail that staff may edit; the rest of the mail is fixed."""

    kind = models.CharField(
        _("type d'e-mail"), max_length=30, choices=MessageKind.choices, unique=True
    )
    header_title = models.CharField(
        _("titre de l'en-tête"), max_length=200, blank=True, validators=[validate_single_line]
    )
    sub_greeting = RichTextField(
        verbose_name=_("sous « Bonjour »"), blank=True, help_text=PLACEHOLDERS_HELP
    )
    main_content = RichTextField(
        verbose_name=_("contenu principal"), blank=True, help_text=PLACEHOLDERS_HELP
    )
    main_ending = RichTextField(
        verbose_name=_("fin principale"), blank=True, help_text=PLACEHOLDERS_HELP
    )
    signature = RichTextField(verbose_name=_("signature"), blank=True, help_text=PLACEHOLDERS_HELP)
    footer = RichTextField(
        verbose_name=_("pied de page"),
        blank=True,
        help_text=_("Le téléphone et le site web de l'organisation sont ajoutés dessous. ")
        + PLACEHOLDERS_HELP,
    )

    SECTIONS = ("sub_greeting", "main_content", "main_ending", "signature", "footer")

    class Meta:
        verbose_name = _("configuration des notifications")
        verbose_name_plural = _("configuration des notifications")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MessageKind.values), name="message_template_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())


ATTACHMENT_EXTENSIONS = ["pdf", "png", "jpg", "jpeg", "gif", "webp"]
IMAGE_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


def _is_readable_pdf(file) -> bool:
    """pypdf reads it strictly and finds at least one page: a file that only starts like a PDF
    (`%PDF-<html>…`) is refused."""
    try:
        return len(PdfReader(file, strict=True).pages) >= 1
    except Exception:  # pypdf raises many kinds of errors (and recursion) on a broken file
        return False


def _is_image(file) -> bool:
    try:
        with Image.open(file) as image:
            image.verify()
            return image.format in IMAGE_FORMATS
    except Exception:  # Pillow raises many kinds of errors for a file that is no image
        return False


def validate_attachment(file) -> None:
    """A PDF or an image, no larger than NOTIFICATIONS_ATTACHMENT_MAX_SIZE; checked by content,
    not only by name."""
    limit = settings.NOTIFICATIONS_ATTACHMENT_MAX_SIZE
    if file.size > limit:
        raise ValidationError(
            _("Le fichier dépasse la taille autorisée (%(limit)s).")
            % {"limit": filesizeformat(limit)},
            code="too_large",
        )
    is_pdf = file.name.lower().endswith(".pdf")
    position = file.tell()
    try:
        file.seek(0)
        valid = _is_readable_pdf(file) if is_pdf else _is_image(file)
    finally:
        file.seek(position)
    if valid:
        return
    if is_pdf:
        raise ValidationError(
            _(
                "Ce fichier PDF est illisible ou n'a aucune page : enregistrez-le de nouveau en "
                "PDF depuis son logiciel, puis réessayez."
            ),
            code="invalid_pdf",
        )
    raise ValidationError(
        _("Le contenu du fichier ne correspond pas à son extension."), code="invalid_content"
    )


class MessageAttachment(models.Model):
    """A file sent with every e-mail of one kind (a map, a leaflet…)."""

    kind = models.CharField(_("type d'e-mail"), max_length=30, choices=MessageKind.choices)
    file = models.FileField(
        _("fichier"),
        upload_to="notifications/attachments/",
        validators=[FileExtensionValidator(ATTACHMENT_EXTENSIONS), validate_attachment],
        help_text=_("PDF ou image (PNG, JPEG, GIF, WebP)."),
    )
    created_at = models.DateTimeField(_("ajouté le"), auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=MessageKind.values), name="message_attachment_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def filename(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]
