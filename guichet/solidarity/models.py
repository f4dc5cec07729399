"""The solidarity portal's people: départements, social structures ("coopérateurs sociaux"),
their référents (portal accounts) and the people they follow; its cultural and sports partners
("coopérateurs culturels/sportifs", Venue) and what their events add to a core activity
(EventDetails). Nothing about anyone's situation,
income, health or origin is recorded: names and how to reach them suffice."""

from datetime import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.catalogue.models import Activity, Channel, Location
from guichet.core.phones import PhoneNumberField, phone_search_text
from guichet.core.richtext import RichTextField
from guichet.core.search import SearchableModel
from guichet.core.validators import validate_single_line


class Territory(SearchableModel):
    """A département, with the team that answers its structures."""

    search_sources = ("code", "name")

    code = models.CharField(_("code"), max_length=3, unique=True, validators=[validate_single_line])
    name = models.CharField(_("nom"), max_length=100, validators=[validate_single_line])
    phone = PhoneNumberField(_("téléphone de l'équipe"), blank=True)
    email = models.EmailField(_("e-mail de l'équipe"), blank=True)

    class Meta:
        verbose_name = _("département")
        verbose_name_plural = _("départements")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(code="") & ~Q(name=""), name="territory_code_name_required"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class StructureCategory(SearchableModel):
    """The kinds of social structures, a list staff keep ("Centre social", "CCAS"…)."""

    search_sources = ("name",)

    name = models.CharField(
        _("nom"), max_length=100, unique=True, validators=[validate_single_line]
    )

    class Meta:
        verbose_name = _("catégorie de structure")
        verbose_name_plural = _("catégories de structure")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="structure_category_required"),
        ]

    def __str__(self) -> str:
        return self.name


class StructureState(models.TextChoices):
    PENDING = "pending", _("En attente")
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")


class Structure(SearchableModel):
    """A social structure ("coopérateur social"). Its référents use the portal while it is
    active."""

    search_sources = ("name", "city")

    name = models.CharField(_("nom"), max_length=200, validators=[validate_single_line])
    category = models.ForeignKey(
        StructureCategory,
        on_delete=models.PROTECT,
        related_name="structures",
        verbose_name=_("catégorie"),
    )
    address = models.CharField(
        _("adresse"), max_length=200, blank=True, validators=[validate_single_line]
    )
    postal_code = models.CharField(
        _("code postal"), max_length=10, blank=True, validators=[validate_single_line]
    )
    city = models.CharField(_("ville"), max_length=100, validators=[validate_single_line])
    territory = models.ForeignKey(
        Territory,
        on_delete=models.PROTECT,
        related_name="structures",
        verbose_name=_("département"),
    )
    phone = PhoneNumberField(_("téléphone"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    state = models.CharField(
        _("état"), max_length=10, choices=StructureState.choices, default=StructureState.PENDING
    )
    in_directory = models.BooleanField(_("paraît dans l'annuaire"), default=False)

    class Meta:
        verbose_name = _("structure sociale")
        verbose_name_plural = _("structures sociales")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name="") & ~Q(city=""), name="structure_name_city_required"
            ),
            models.CheckConstraint(
                condition=Q(state__in=StructureState.values), name="structure_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.state == StructureState.ACTIVE


class MemberRole(models.TextChoices):
    MANAGER = "manager", _("Responsable")
    REFERENT = "referent", _("Référent")


class Membership(models.Model):
    """A portal account's place in its structure: one structure per account (CPT's personal
    accounts). A removed référent's account is deactivated and its membership kept, so that
    what it booked keeps its author's name."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="solidarity_membership",
        verbose_name=_("compte"),
    )
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="members", verbose_name=_("structure")
    )
    role = models.CharField(
        _("rôle"), max_length=10, choices=MemberRole.choices, default=MemberRole.REFERENT
    )
    created_at = models.DateTimeField(_("ajouté le"), auto_now_add=True)

    class Meta:
        verbose_name = _("référent")
        verbose_name_plural = _("référents")
        ordering = ["structure", "user__last_name", "user__first_name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=MemberRole.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def is_manager(self) -> bool:
        return self.role == MemberRole.MANAGER


class BeneficiaryKind(models.TextChoices):
    """ "Famille" in CPT's lists."""

    PARTICIPANT = "participant", _("Participant")
    GUEST = "guest", _("Invité")
    ACCOMPANIER = "accompanier", _("Accompagnateur")


class Civility(models.TextChoices):
    NONE = "", _("Non précisée")
    MADAME = "madame", _("Madame")
    MONSIEUR = "monsieur", _("Monsieur")


class Beneficiary(SearchableModel):
    """A person a structure follows ("Participant"), one of their circle ("Invité", of a
    participant of the same structure) or a professional or volunteer of the structure who
    accompanies outings ("Accompagnateur"). Deactivated rather than deleted: history stays, and
    an inactive person cannot be booked."""

    search_sources = ("last_name", "first_name", "email", "phone_search")

    structure = models.ForeignKey(
        Structure,
        on_delete=models.PROTECT,
        related_name="beneficiaries",
        verbose_name=_("structure"),
    )
    kind = models.CharField(
        _("famille"), max_length=12, choices=BeneficiaryKind.choices, default="participant"
    )
    guest_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="guests",
        verbose_name=_("invité de"),
    )
    civility = models.CharField(
        _("civilité"), max_length=10, choices=Civility.choices, blank=True, default=""
    )
    last_name = models.CharField(_("nom"), max_length=100, validators=[validate_single_line])
    first_name = models.CharField(_("prénom"), max_length=100, validators=[validate_single_line])
    address = models.CharField(
        _("adresse"), max_length=200, blank=True, validators=[validate_single_line]
    )
    phone = PhoneNumberField(_("téléphone"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    # When "Désactiver" was last used (the retention counts from it), and when the person's
    # fields were blanked (by the retention or on request, guichet.solidarity.privacy).
    deactivated_at = models.DateTimeField(_("désactivé le"), null=True, blank=True, editable=False)
    anonymised_at = models.DateTimeField(_("anonymisé le"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("créé par"),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("personne suivie")
        verbose_name_plural = _("personnes suivies")
        ordering = ["last_name", "first_name", "pk"]
        indexes = [models.Index(fields=["structure", "last_name", "first_name"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=BeneficiaryKind.values), name="beneficiary_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(civility__in=Civility.values), name="beneficiary_civility_valid"
            ),
            # A guest is someone's guest; nobody else is.
            models.CheckConstraint(
                condition=Q(kind="guest", guest_of__isnull=False)
                | (~Q(kind="guest") & Q(guest_of__isnull=True)),
                name="beneficiary_guest_has_host",
            ),
            models.CheckConstraint(
                condition=~Q(last_name="") & ~Q(first_name=""),
                name="beneficiary_names_required",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}"

    @property
    def phone_search(self) -> str:
        return phone_search_text(self.phone)


class VenueCategory(SearchableModel):
    """The kinds of cultural and sports partners, a list staff keep ("Théâtre", "Musée"…)."""

    search_sources = ("name",)

    name = models.CharField(
        _("nom"), max_length=100, unique=True, validators=[validate_single_line]
    )

    class Meta:
        verbose_name = _("catégorie de structure culturelle")
        verbose_name_plural = _("catégories de structure culturelle")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="venue_category_required"),
        ]

    def __str__(self) -> str:
        return self.name


class Venue(SearchableModel):
    """A cultural or sports partner ("coopérateur culturel/sportif") offering invitations; its
    places are core locations, where its events take place."""

    search_sources = ("name", "city")

    name = models.CharField(_("nom"), max_length=200, validators=[validate_single_line])
    category = models.ForeignKey(
        VenueCategory,
        on_delete=models.PROTECT,
        related_name="venues",
        verbose_name=_("catégorie"),
    )
    address = models.CharField(
        _("adresse"), max_length=200, blank=True, validators=[validate_single_line]
    )
    city = models.CharField(_("ville"), max_length=100, validators=[validate_single_line])
    territory = models.ForeignKey(
        Territory,
        on_delete=models.PROTECT,
        related_name="venues",
        verbose_name=_("département"),
    )
    phone = PhoneNumberField(_("téléphone"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("site internet"), blank=True)
    in_directory = models.BooleanField(_("paraît dans l'annuaire"), default=False)
    places = models.ManyToManyField(
        Location,
        related_name="solidarity_venues",
        blank=True,
        verbose_name=_("lieux"),
        help_text=_("Les lieux où se tiennent ses événements."),
    )

    class Meta:
        verbose_name = _("structure culturelle")
        verbose_name_plural = _("structures culturelles")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name="") & ~Q(city=""), name="venue_name_city_required"
            ),
        ]

    def __str__(self) -> str:
        return self.name


VENUE_PLACE_MISMATCH = _("Ce lieu n'appartient pas à la structure culturelle choisie.")
NOT_SOLIDARITY_CHANNEL = _("Cette activité n'est pas de la Billetterie solidaire.")


class EventDetails(models.Model):
    """What the solidarity catalogue adds to a core activity of channel `solidaire` (an
    "événement"): its venue, duration, advised age, practical information and when it was put
    online. Genre is the activity's category, "Types de publics" its audience."""

    activity = models.OneToOneField(
        Activity,
        on_delete=models.CASCADE,
        related_name="event_details",
        verbose_name=_("activité"),
        limit_choices_to={"channel": Channel.SOLIDARITY},
    )
    venue = models.ForeignKey(
        Venue,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("structure culturelle"),
    )
    duration = models.PositiveSmallIntegerField(
        _("durée (minutes)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(60 * 24 * 7)],
        help_text=_("En minutes ; vide si elle n'est pas connue."),
    )
    advised_age = models.CharField(
        _("âge conseillé"),
        max_length=60,
        blank=True,
        validators=[validate_single_line],
        help_text=_("Par exemple « À partir de 6 ans » ou « Tout public »."),
    )
    practical_info = RichTextField(
        verbose_name=_("informations pratiques"),
        blank=True,
        help_text=_("Accès, entrée, accueil des groupes…"),
    )
    published_at = models.DateTimeField(_("mis en ligne le"), default=timezone.now)

    class Meta:
        verbose_name = _("détails de l'événement")
        verbose_name_plural = _("détails des événements")
        indexes = [models.Index(fields=["published_at"], name="event_published_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration__isnull=True) | Q(duration__gte=1),
                name="event_duration_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(self.activity)

    def clean(self) -> None:
        errors = {}
        activity = self.activity if self.activity_id else None
        if activity is not None and activity.channel != Channel.SOLIDARITY:
            errors["activity"] = NOT_SOLIDARITY_CHANNEL
        if (
            activity is not None
            and self.venue_id
            and not venue_has_place(venue_id=self.venue_id, location_id=activity.location_id)
        ):
            errors["venue"] = VENUE_PLACE_MISMATCH
        if errors:
            raise ValidationError(errors)


def venue_has_place(*, venue_id: int, location_id: int) -> bool:
    """Is the location one of the venue's places? (the rule of EventDetails.clean and of the
    event services)."""
    return Venue.places.through.objects.filter(venue_id=venue_id, location_id=location_id).exists()


class SolidaritySettings(models.Model):
    """The portal's booking rules, one row staff edit (like core's Organisation), read through
    `guichet.solidarity.selectors.solidarity_settings_get`, which keeps it in the shared cache.
    A change moves no existing session: the window is written on each session when it is made
    (`session_defaults`), where staff may still change it."""

    SINGLETON_PK = 1
    CACHE_KEY = "solidarity.settings"
    CACHE_SECONDS = 600

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    opening_days = models.PositiveSmallIntegerField(
        _("ouverture (jours avant)"),
        default=30,
        help_text=_("Les réservations d'une séance ouvrent tant de jours avant sa date."),
    )
    opening_time = models.TimeField(
        _("heure d'ouverture"), default=time(9, 0), help_text=_("Heure de Paris.")
    )
    closing_hours = models.PositiveSmallIntegerField(
        _("clôture (heures avant)"),
        default=48,
        help_text=_(
            "Les réservations et les annulations ferment tant d'heures avant le début ; "
            "la liste des invités part alors au partenaire."
        ),
    )
    weekly_quota = models.PositiveSmallIntegerField(
        _("quota hebdomadaire"),
        default=2,
        help_text=_(
            "Invitations au plus par personne (participant ou invité) et par semaine, du lundi "
            "au dimanche ; 0 : pas de quota. Les accompagnateurs n'y sont pas soumis."
        ),
    )
    last_call_hours = models.PositiveSmallIntegerField(
        _("dernier appel (heures avant la clôture)"),
        default=24,
        help_text=_(
            "À partir de ce moment, une place encore libre peut aller à une personne qui a "
            "atteint son quota."
        ),
    )

    class Meta:
        verbose_name = _("paramètres de la billetterie solidaire")
        verbose_name_plural = _("paramètres de la billetterie solidaire")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="solidarity_settings_singleton"),
            # The opening stays before the closing whatever the session's hour.
            models.CheckConstraint(
                condition=Q(closing_hours__lte=models.F("opening_days") * 24 - 24),
                name="solidarity_settings_opens_before_closing",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Paramètres de la billetterie solidaire"))

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Again after the commit: a page may have cached the old row in the meantime.
        cache.delete(self.CACHE_KEY)
        transaction.on_commit(lambda: cache.delete(self.CACHE_KEY))

    def clean(self) -> None:
        if (
            self.opening_days is not None
            and self.closing_hours is not None
            and self.opening_days * 24 < self.closing_hours + 24
        ):
            raise ValidationError(
                {
                    "opening_days": _(
                        "L'ouverture doit précéder la clôture d'au moins un jour : "
                        "augmentez « Ouverture (jours avant) »."
                    )
                }
            )


class InvitationRole(models.TextChoices):
    PARTICIPANT = "participant", _("Participant")
    GUEST = "guest", _("Invité")
    ACCOMPANIER = "accompanier", _("Accompagnateur")


class Invitation(models.Model):
    """What a solidarity reservation (one person, one session) is to the portal: whose it is,
    in which role, whose guest, booked by whom. The reservation (core) holds the seat, the
    state and the holder's names (`holder_key` "beneficiary:<pk>"); this row, made with it by
    `booking_create`, is never moved by anything else (a staff cancellation records its
    reason here)."""

    reservation = models.OneToOneField(
        "bookings.Reservation",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="invitation",
        verbose_name=_("réservation"),
    )
    # The beneficiary's structure, copied: every read of the portal filters on it.
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("structure")
    )
    beneficiary = models.ForeignKey(
        Beneficiary,
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("personne"),
    )
    role = models.CharField(_("rôle"), max_length=12, choices=InvitationRole.choices)
    guest_of = models.ForeignKey(
        Beneficiary,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invité de"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("réservé par"),
    )
    # Why staff cancelled it from the back-office (invitations_cancel_by_staff); told by mail.
    cancel_reason = models.TextField(_("motif d'annulation"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["beneficiary", "role"], name="invitation_person_role")]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=InvitationRole.values), name="invitation_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(role="guest", guest_of__isnull=False)
                | (~Q(role="guest") & Q(guest_of__isnull=True)),
                name="invitation_guest_has_host",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reservation.last_name.upper()} {self.reservation.first_name}"

    @property
    def number(self) -> str:
        """ "S-K7PM3QXR": the reservation's short reference, as the invitation shows it."""
        return f"S-{self.reservation.reference}"
