"""The solidarity portal's people: départements, social structures ("coopérateurs sociaux"),
their référents (portal accounts) and the people they follow. Nothing about anyone's situation,
income, health or origin is recorded: names and how to reach them suffice."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guichet.core.phones import PhoneNumberField, phone_search_text
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
