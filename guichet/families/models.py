"""The family portal's rows: households and their guardians (portal accounts), children and their
groups, each activity's booking rules, the portal's settings, booking periods (which generate the
core's sessions), the hours of a reservation, the parents' baskets, their submissions, the log of
what happened to each request (the daily report) and the activation codes of printed letters.

No health, diet, religion or disability field on a child (CNIL): names, birth date and group
suffice to book. Seats and waiting lists are the core's (guichet.bookings): a child's booking is a
`Reservation` whose holder key is `child:<pk>`."""

from datetime import time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.catalogue.models import Activity, Channel, Session
from guichet.core import dates
from guichet.core.richtext import RichTextField
from guichet.core.search import SearchableModel
from guichet.core.validators import validate_single_line

# "Arrivée" and "Départ" are chosen in steps of 15 minutes.
HOURS_STEP_MINUTES = 15
# A basket's lines are kept 7 days after their last change; an activation code 30 days.
BASKET_DAYS = 7
ACTIVATION_CODE_DAYS = 30
ACTIVATION_CODE_LENGTH = 8
# The longest deadline staff may set: 365 days (or as many hours).
DEADLINE_MAX_COUNT = 365 * 24


def child_holder_key(child_id: int) -> str:
    """The core's holder key of a child's reservations (Reservation.holder_key)."""
    return f"child:{child_id}"


def holder_key_child_id(holder_key: str) -> int | None:
    prefix, _sep, pk = holder_key.partition(":")
    return int(pk) if prefix == "child" and pk.isdigit() else None


def validate_quarter_hour(value: time | None) -> None:
    if value is not None and (value.minute % HOURS_STEP_MINUTES or value.second):
        raise ValidationError(_("Choisissez une heure par pas de 15 minutes (8 h, 8 h 15…)."))


# --- households -----------------------------------------------------------------------------


class Household(SearchableModel):
    """A "compte famille": the guardians who sign in and the children they book for."""

    search_sources = ("number", "name")

    number = models.CharField(
        _("numéro"), max_length=20, unique=True, validators=[validate_single_line]
    )
    name = models.CharField(_("nom"), max_length=200, validators=[validate_single_line])
    address = models.TextField(_("adresse"), blank=True, max_length=500)
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("compte famille")
        verbose_name_plural = _("comptes famille")
        ordering = ["name", "number"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(number="") & ~Q(name=""), name="household_number_name_required"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} – {self.name}"


class Guardian(models.Model):
    """A parent (or another adult in charge): a portal account of one household. E-mail and phone
    are on the account's profile (guichet.accounts), both optional."""

    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="guardians",
        verbose_name=_("compte famille"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="guardian",
        verbose_name=_("compte"),
    )
    receives_digest = models.BooleanField(_("Reçoit le compte rendu"), default=True)

    class Meta:
        verbose_name = _("responsable")
        verbose_name_plural = _("responsables")
        ordering = ["user__last_name", "user__first_name", "pk"]

    def __str__(self) -> str:
        return f"{self.user.first_name} {self.user.last_name}".strip() or self.user.username


class ChildGroup(models.Model):
    """ "Maternelle", "Élémentaire"…: what an activity may be limited to."""

    name = models.CharField(
        _("nom"), max_length=100, unique=True, validators=[validate_single_line]
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("groupe d'enfants")
        verbose_name_plural = _("groupes d'enfants")
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="child_group_name_required"),
        ]

    def __str__(self) -> str:
        return self.name


class Child(SearchableModel):
    search_sources = ("first_name", "last_name")

    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("compte famille"),
    )
    first_name = models.CharField(_("prénom"), max_length=100, validators=[validate_single_line])
    last_name = models.CharField(_("nom"), max_length=100, validators=[validate_single_line])
    birth_date = models.DateField(_("date de naissance"))
    group = models.ForeignKey(
        ChildGroup, on_delete=models.PROTECT, related_name="children", verbose_name=_("groupe")
    )
    is_active = models.BooleanField(
        _("actif"), default=True, help_text=_("Un enfant inactif ne peut plus être réservé.")
    )

    class Meta:
        verbose_name = _("enfant")
        verbose_name_plural = _("enfants")
        ordering = ["household", "first_name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(first_name="") & ~Q(last_name=""), name="child_names_required"
            ),
            models.CheckConstraint(
                condition=Q(birth_date__gte="1990-01-01"), name="child_birth_date_plausible"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def clean(self) -> None:
        if self.birth_date and self.birth_date.year < 1990:
            raise ValidationError({"birth_date": _("Vérifiez la date de naissance.")})

    @property
    def holder_key(self) -> str:
        return child_holder_key(self.pk)

    def age_on(self, day) -> int:
        """Full years on `day` (a child born on 29 February has its birthday on 1 March)."""
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


# --- rules and settings ---------------------------------------------------------------------


class Acceptance(models.TextChoices):
    AUTOMATIC = "auto", _("Automatique")
    STAFF = "staff", _("Par nos services")


class DeadlineKind(models.TextChoices):
    """How a booking or cancellation deadline is counted back from the session (deadlines.py)."""

    DAYS = "days", _("N jours à HH:MM")
    WORKING_DAYS = "working_days", _("N jours ouvrés à HH:MM")
    HOURS = "hours", _("N heures")


def _deadline_constraints(prefix: str) -> list[models.BaseConstraint]:
    kind, count, at = f"{prefix}_kind", f"{prefix}_count", f"{prefix}_at"
    return [
        models.CheckConstraint(
            condition=Q(**{f"{kind}__in": DeadlineKind.values}), name=f"rules_{prefix}_kind_valid"
        ),
        models.CheckConstraint(
            condition=Q(**{f"{count}__lte": DEADLINE_MAX_COUNT}),
            name=f"rules_{prefix}_count_bounded",
        ),
        # "N heures" has no time of day; the two others need one.
        models.CheckConstraint(
            condition=Q(**{kind: DeadlineKind.HOURS, f"{at}__isnull": True})
            | (~Q(**{kind: DeadlineKind.HOURS}) & Q(**{f"{at}__isnull": False})),
            name=f"rules_{prefix}_time_by_kind",
        ),
    ]


DEADLINE_TIME_HELP = _("Pour « N jours à HH:MM » et « N jours ouvrés à HH:MM ».")


class ActivityRules(models.Model):
    """What the portal needs to know of a `famille` activity: who may book it, how requests are
    accepted, its default times, the hours windows, its waiting list and its deadlines."""

    activity = models.OneToOneField(
        Activity,
        on_delete=models.CASCADE,
        related_name="family_rules",
        limit_choices_to={"channel": Channel.FAMILY},
        verbose_name=_("activité"),
    )
    age_min = models.PositiveSmallIntegerField(
        _("âge minimum"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(25)],
        help_text=_("En années révolues à la date de la séance. Vide : pas de minimum."),
    )
    age_max = models.PositiveSmallIntegerField(
        _("âge maximum"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(25)],
        help_text=_("En années révolues à la date de la séance (inclus). Vide : pas de maximum."),
    )
    groups = models.ManyToManyField(
        ChildGroup,
        blank=True,
        related_name="+",
        verbose_name=_("groupes"),
        help_text=_("Vide : tous les groupes."),
    )
    acceptance = models.CharField(
        _("acceptation"), max_length=10, choices=Acceptance.choices, default=Acceptance.AUTOMATIC
    )
    starts_at = models.TimeField(_("heure de début"), default=time(7, 30))
    ends_at = models.TimeField(_("heure de fin"), default=time(8, 30))
    arrival_from = models.TimeField(
        _("arrivée à partir de"),
        null=True,
        blank=True,
        validators=[validate_quarter_hour],
        help_text=_("Vide avec « jusqu'à » : pas d'heure d'arrivée à choisir."),
    )
    arrival_until = models.TimeField(
        _("arrivée jusqu'à"), null=True, blank=True, validators=[validate_quarter_hour]
    )
    departure_from = models.TimeField(
        _("départ à partir de"),
        null=True,
        blank=True,
        validators=[validate_quarter_hour],
        help_text=_("Vide avec « jusqu'à » : pas d'heure de départ à choisir."),
    )
    departure_until = models.TimeField(
        _("départ jusqu'à"), null=True, blank=True, validators=[validate_quarter_hour]
    )
    waiting_limit = models.PositiveIntegerField(
        _("places en liste d'attente"),
        null=True,
        blank=True,
        default=0,
        help_text=_("Vide : liste d'attente sans limite ; 0 : pas de liste d'attente."),
    )
    booking_kind = models.CharField(
        _("délai de réservation"),
        max_length=20,
        choices=DeadlineKind.choices,
        default=DeadlineKind.DAYS,
    )
    booking_count = models.PositiveIntegerField(
        _("délai de réservation : N"),
        default=2,
        validators=[MaxValueValidator(DEADLINE_MAX_COUNT)],
    )
    booking_at = models.TimeField(
        _("délai de réservation : heure"),
        null=True,
        blank=True,
        default=time(12, 0),
        help_text=DEADLINE_TIME_HELP,
    )
    cancel_kind = models.CharField(
        _("délai d'annulation"),
        max_length=20,
        choices=DeadlineKind.choices,
        default=DeadlineKind.DAYS,
    )
    cancel_count = models.PositiveIntegerField(
        _("délai d'annulation : N"),
        default=2,
        validators=[MaxValueValidator(DEADLINE_MAX_COUNT)],
    )
    cancel_at = models.TimeField(
        _("délai d'annulation : heure"),
        null=True,
        blank=True,
        default=time(12, 0),
        help_text=DEADLINE_TIME_HELP,
    )

    class Meta:
        verbose_name = _("règles d'une activité")
        verbose_name_plural = _("règles des activités")
        ordering = ["activity__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(acceptance__in=Acceptance.values), name="rules_acceptance_valid"
            ),
            models.CheckConstraint(
                condition=Q(age_min__isnull=True)
                | Q(age_max__isnull=True)
                | Q(age_min__lte=F("age_max")),
                name="rules_ages_ordered",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="rules_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(arrival_from__isnull=True, arrival_until__isnull=True)
                | Q(
                    arrival_from__isnull=False,
                    arrival_until__isnull=False,
                    arrival_until__gte=F("arrival_from"),
                ),
                name="rules_arrival_window",
            ),
            models.CheckConstraint(
                condition=Q(departure_from__isnull=True, departure_until__isnull=True)
                | Q(
                    departure_from__isnull=False,
                    departure_until__isnull=False,
                    departure_until__gte=F("departure_from"),
                ),
                name="rules_departure_window",
            ),
            *_deadline_constraints("booking"),
            *_deadline_constraints("cancel"),
        ]

    def __str__(self) -> str:
        return str(self.activity)

    @property
    def needs_staff(self) -> bool:
        return self.acceptance == Acceptance.STAFF

    @property
    def has_hours(self) -> bool:
        return self.arrival_from is not None or self.departure_from is not None

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.activity_id and self.activity.channel != Channel.FAMILY:
            errors["activity"] = _("Choisissez une activité du portail famille.")
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            errors["age_max"] = _("L'âge maximum ne peut pas être inférieur à l'âge minimum.")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("La fin doit être après le début.")
        for name in ("arrival", "departure"):
            start, end = getattr(self, f"{name}_from"), getattr(self, f"{name}_until")
            if (start is None) != (end is None):
                errors[f"{name}_until"] = _("Renseignez les deux heures, ou aucune.")
            elif start is not None and end < start:
                errors[f"{name}_until"] = _("La fin de la plage doit être après son début.")
        for prefix in ("booking", "cancel"):
            kind, at = getattr(self, f"{prefix}_kind"), getattr(self, f"{prefix}_at")
            if kind == DeadlineKind.HOURS:
                setattr(self, f"{prefix}_at", None)
            elif at is None:
                errors[f"{prefix}_at"] = _("Précisez l'heure du délai.")
        if errors:
            raise ValidationError(errors)

    def deadline(self, prefix: str):
        """The `Deadline` (guichet.families.deadlines) of `prefix` "booking" or "cancel"."""
        from guichet.families.deadlines import Deadline

        return Deadline(
            kind=getattr(self, f"{prefix}_kind"),
            count=getattr(self, f"{prefix}_count"),
            at=getattr(self, f"{prefix}_at"),
        )


class SchoolZone(models.TextChoices):
    A = "A", _("Zone A")
    B = "B", _("Zone B")
    C = "C", _("Zone C")


class HolidaySubdivision(models.TextChoices):
    NONE = "", _("Aucune (jours fériés nationaux)")
    MOSELLE = "57", _("Moselle (57)")
    ALSACE = "6AE", _("Alsace (67, 68)")


class FamilySettings(models.Model):
    """The portal's one settings row (as core's Organisation)."""

    SINGLETON_PK = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_PK, editable=False)
    school_zone = models.CharField(
        _("zone de vacances scolaires"),
        max_length=1,
        choices=SchoolZone.choices,
        default=SchoolZone.B,
    )
    holiday_subdivision = models.CharField(
        _("jours fériés"),
        max_length=3,
        choices=HolidaySubdivision.choices,
        default=HolidaySubdivision.NONE,
        blank=True,
        help_text=_("L'Alsace et la Moselle ont deux jours fériés de plus."),
    )
    digest_time = models.TimeField(
        _("heure du compte rendu"),
        default=time(7, 0),
        help_text=_("Le compte rendu de la veille part chaque jour à cette heure."),
    )
    notice_hours = models.PositiveSmallIntegerField(
        _("Délai de prévenance (heures)"),
        default=24,
        validators=[MaxValueValidator(24 * 14)],
        help_text=_(
            "Une place libérée n'est plus attribuée automatiquement à la liste d'attente moins "
            "de ce délai avant la fin des annulations : la famille prévenue peut encore annuler."
        ),
    )

    home_notice = RichTextField(
        verbose_name=_("informations de la page d'accueil"),
        blank=True,
        help_text=_("Affichées aux familles sur la page d'accueil du portail."),
    )

    class Meta:
        verbose_name = _("paramètres du portail famille")
        verbose_name_plural = _("paramètres du portail famille")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="family_settings_singleton"),
            models.CheckConstraint(
                condition=Q(school_zone__in=SchoolZone.values), name="family_settings_zone_valid"
            ),
            models.CheckConstraint(
                condition=Q(holiday_subdivision__in=HolidaySubdivision.values),
                name="family_settings_subdivision_valid",
            ),
            models.CheckConstraint(
                condition=Q(notice_hours__lte=24 * 14), name="family_settings_notice_bounded"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Paramètres du portail famille"))

    @property
    def notice(self) -> timedelta:
        return timedelta(hours=self.notice_hours)


# --- periods --------------------------------------------------------------------------------


class PeriodDays(models.TextChoices):
    SCHOOL = "school", _("Jours d'école")
    HOLIDAYS = "holidays", _("Vacances scolaires")
    ALL = "all", _("Tous les jours")


WEEKDAY_CHOICES = [
    (0, _("lundi")),
    (1, _("mardi")),
    (2, _("mercredi")),
    (3, _("jeudi")),
    (4, _("vendredi")),
    (5, _("samedi")),
    (6, _("dimanche")),
]


def validate_weekdays(value) -> None:
    if (
        not isinstance(value, list)
        or not value
        or any(not isinstance(day, int) or isinstance(day, bool) for day in value)
        or any(day not in range(7) for day in value)
        or len(set(value)) != len(value)
    ):
        raise ValidationError(_("Choisissez au moins un jour de la semaine."))


def weekdays_default() -> list[int]:
    return [0, 1, 3, 4]


class BookingPeriod(SearchableModel):
    """A stretch of days whose sessions parents may book: "Générer les séances" makes one core
    session per activity and day (guichet.families.services.period_generate_sessions)."""

    search_sources = ("name",)

    name = models.CharField(_("nom"), max_length=200, validators=[validate_single_line])
    activities = models.ManyToManyField(
        Activity,
        related_name="family_periods",
        limit_choices_to={"channel": Channel.FAMILY},
        verbose_name=_("activités"),
    )
    first_day = models.DateField(_("premier jour"))
    last_day = models.DateField(_("dernier jour"))
    weekdays = models.JSONField(
        _("jours de la semaine"), default=weekdays_default, validators=[validate_weekdays]
    )
    days = models.CharField(
        _("jours"), max_length=10, choices=PeriodDays.choices, default=PeriodDays.SCHOOL
    )
    opens_at = models.DateTimeField(
        _("ouverture des réservations"),
        help_text=_("Les familles réservent à compter de cette date (par exemple le 1er mai)."),
    )
    closes_at = models.DateTimeField(
        _("clôture des réservations"),
        null=True,
        blank=True,
        help_text=_("Vide : seuls les délais de l'activité ferment les réservations."),
    )
    seat_limit = models.PositiveIntegerField(
        _("places"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Par activité et par jour. Vide : pas de limite."),
    )
    waiting_limit = models.PositiveIntegerField(
        _("places en liste d'attente"),
        null=True,
        blank=True,
        help_text=_("Vide : celles des règles de l'activité."),
    )
    price = models.DecimalField(
        _("prix"), max_digits=8, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    generated_at = models.DateTimeField(
        _("séances générées le"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("période de réservation")
        verbose_name_plural = _("périodes de réservation")
        ordering = ["-first_day", "name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="period_name_required"),
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")), name="period_days_ordered"
            ),
            models.CheckConstraint(
                condition=Q(days__in=PeriodDays.values), name="period_days_valid"
            ),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(closes_at__gt=F("opens_at")),
                name="period_opens_before_closing",
            ),
            models.CheckConstraint(
                condition=Q(seat_limit__isnull=True) | Q(seat_limit__gte=1),
                name="period_seat_limit_positive",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="period_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.first_day and self.last_day:
            if self.last_day < self.first_day:
                errors["last_day"] = _("Le dernier jour doit suivre le premier.")
            elif (self.last_day - self.first_day).days > 400:
                errors["last_day"] = _("Une période dure au plus 400 jours.")
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = _("La clôture des réservations doit être après leur ouverture.")
        if errors:
            raise ValidationError(errors)


class PeriodDayChange(models.Model):
    """Staff's edit of one day of a period, over the calendar: a closure ("Fermeture"), or a day
    opened that the rules would leave out (a school day in a holiday period, a Saturday…)."""

    period = models.ForeignKey(
        BookingPeriod,
        on_delete=models.CASCADE,
        related_name="day_changes",
        verbose_name=_("période"),
    )
    day = models.DateField(_("jour"))
    is_open = models.BooleanField(
        _("ouvert"),
        default=False,
        help_text=_(
            "Décoché : le jour est fermé. Coché : le jour est ouvert malgré le calendrier."
        ),
    )
    reason = models.CharField(
        _("motif"), max_length=200, blank=True, validators=[validate_single_line]
    )

    class Meta:
        verbose_name = _("fermeture ou ouverture")
        verbose_name_plural = _("fermetures et ouvertures")
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["period", "day"], name="period_day_change_unique"),
        ]

    def __str__(self) -> str:
        state = _("ouvert") if self.is_open else _("fermé")
        return f"{dates.day_long(self.day)} : {state}"


class SessionDay(models.Model):
    """The portal's side of a core session it generated: one per activity and day. A day
    removed from its period after it was booked keeps its session (`removed_at`), listed for
    staff."""

    session = models.OneToOneField(
        Session, on_delete=models.CASCADE, related_name="family_day", verbose_name=_("session")
    )
    period = models.ForeignKey(
        BookingPeriod,
        on_delete=models.PROTECT,
        related_name="session_days",
        verbose_name=_("période"),
    )
    activity = models.ForeignKey(
        Activity, on_delete=models.PROTECT, related_name="family_days", verbose_name=_("activité")
    )
    day = models.DateField(_("jour"))
    removed_at = models.DateTimeField(_("retiré le"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("jour d'activité")
        verbose_name_plural = _("jours d'activité")
        ordering = ["day", "activity"]
        indexes = [models.Index(fields=["day", "activity"], name="session_day_day_activity")]
        constraints = [
            models.UniqueConstraint(fields=["activity", "day"], name="session_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.activity} – {dates.day_long(self.day)}"


class ReservationHours(models.Model):
    """The hours a parent chose for one reservation ("Arrivée", "Départ"); none when the
    activity has no windows. Kept beside the core's reservation, which knows no hours."""

    reservation = models.OneToOneField(
        Reservation,
        on_delete=models.CASCADE,
        related_name="family_hours",
        verbose_name=_("réservation"),
    )
    arrival = models.TimeField(_("Arrivée"), null=True, blank=True)
    departure = models.TimeField(_("Départ"), null=True, blank=True)

    class Meta:
        verbose_name = _("horaires d'une réservation")
        verbose_name_plural = _("horaires des réservations")
        constraints = [
            models.CheckConstraint(
                condition=Q(arrival__isnull=True)
                | Q(departure__isnull=True)
                | Q(departure__gt=F("arrival")),
                name="reservation_hours_ordered",
            ),
        ]

    def __str__(self) -> str:
        return str(self.reservation)


# --- basket ---------------------------------------------------------------------------------


class BasketAction(models.TextChoices):
    BOOK = "book", _("À réserver")
    CANCEL = "cancel", _("À annuler")
    HOURS = "hours", _("Horaires à modifier")


class Basket(models.Model):
    """A guardian's changes not sent yet, kept on the server: a reload, another tab or an
    error loses nothing. No seat is held."""

    guardian = models.OneToOneField(
        Guardian, on_delete=models.CASCADE, related_name="basket", verbose_name=_("responsable")
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("panier")
        verbose_name_plural = _("paniers")

    def __str__(self) -> str:
        return str(self.guardian)


class BasketLine(models.Model):
    basket = models.ForeignKey(
        Basket, on_delete=models.CASCADE, related_name="lines", verbose_name=_("panier")
    )
    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="+", verbose_name=_("enfant")
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="+", verbose_name=_("session")
    )
    action = models.CharField(_("action"), max_length=10, choices=BasketAction.choices)
    arrival = models.TimeField(_("Arrivée"), null=True, blank=True)
    departure = models.TimeField(_("Départ"), null=True, blank=True)
    created_at = models.DateTimeField(_("ajoutée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("ligne de panier")
        verbose_name_plural = _("lignes de panier")
        ordering = ["session__start", "child_id", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["basket", "child", "session"], name="basket_line_one_per_unit"
            ),
            models.CheckConstraint(
                condition=Q(action__in=BasketAction.values), name="basket_line_action_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    action=BasketAction.CANCEL, arrival__isnull=True, departure__isnull=True
                )
                | ~Q(action=BasketAction.CANCEL),
                name="basket_line_cancel_has_no_hours",
            ),
            models.CheckConstraint(
                condition=Q(arrival__isnull=True)
                | Q(departure__isnull=True)
                | Q(departure__gt=F("arrival")),
                name="basket_line_hours_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child} – {self.session} ({self.get_action_display()})"


class Submission(models.Model):
    """One "Valider" of a basket: its key makes a second post answer the first result, kept as
    the per-line statuses shown on the recap (`outcomes`, a list of dicts: child, session,
    action, state, rank, reason, message)."""

    guardian = models.ForeignKey(
        Guardian,
        on_delete=models.CASCADE,
        related_name="submissions",
        verbose_name=_("responsable"),
    )
    submission_key = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("envoyé le"), auto_now_add=True)
    outcomes = models.JSONField(_("résultats"), default=list, editable=False)

    class Meta:
        verbose_name = _("envoi de panier")
        verbose_name_plural = _("envois de panier")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.guardian} – {dates.datetime_long(self.created_at)}"


# --- the log of requests (daily report) -----------------------------------------------------


class ChangeKind(models.TextChoices):
    """What happened to a request, in the report's order (seed 002)."""

    WAITING = "waiting", _("RESERVATIONS MISES EN LISTE D'ATTENTE")
    ACCEPTED = "accepted", _("RESERVATIONS ACCEPTEES")
    PENDING = "pending", _("RESERVATIONS EN ATTENTE DE TRAITEMENT")
    REFUSED = "refused", _("RESERVATIONS REFUSEES")
    NOT_SERVED = "not_served", _("RESERVATIONS NON SERVIES")
    CANCELLED = "cancelled", _("RESERVATIONS ANNULEES")


# The state a reservation moved to → the report's section.
CHANGE_OF_STATUS = {
    ReservationStatus.WAITING: ChangeKind.WAITING,
    ReservationStatus.VALID: ChangeKind.ACCEPTED,
    ReservationStatus.PENDING: ChangeKind.PENDING,
    ReservationStatus.REFUSED: ChangeKind.REFUSED,
    ReservationStatus.NOT_SERVED: ChangeKind.NOT_SERVED,
    ReservationStatus.CANCELLED: ChangeKind.CANCELLED,
}


class ChangeOrigin(models.TextChoices):
    BOOKING_REQUEST = "book", _("Demande de réservation")
    CANCEL_REQUEST = "cancel", _("Demande d'annulation")
    STAFF = "staff", _("Décision de nos services")
    PROMOTION = "promotion", _("Liste d'attente")
    SYSTEM = "system", _("Clôture")


class ReservationChange(models.Model):
    """One thing that happened to a child's request: the daily report reads the day's rows of a
    household. Written by the portal's services, in the transaction of the change."""

    household = models.ForeignKey(
        Household,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("compte famille"),
    )
    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="changes", verbose_name=_("enfant")
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="+", verbose_name=_("session")
    )
    reservation = models.ForeignKey(
        Reservation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="family_changes",
        verbose_name=_("réservation"),
    )
    kind = models.CharField(_("mouvement"), max_length=20, choices=ChangeKind.choices)
    origin = models.CharField(_("origine"), max_length=10, choices=ChangeOrigin.choices)
    rank = models.PositiveIntegerField(_("rang"), null=True, blank=True)
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur"),
    )
    at = models.DateTimeField(_("le"), db_index=True)

    class Meta:
        verbose_name = _("mouvement")
        verbose_name_plural = _("mouvements")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["household", "at"], name="change_household_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ChangeKind.values), name="change_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(origin__in=ChangeOrigin.values), name="change_origin_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child} – {self.session} : {self.get_kind_display()}"


# --- activation letters ---------------------------------------------------------------------


class ActivationCode(models.Model):
    """The code of a printed "Lettre d'activation" (a guardian without e-mail): 8 characters,
    stored hashed, valid 30 days, used once ("Première connexion"). A new letter replaces the
    account's previous code."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="activation_code",
        verbose_name=_("compte"),
    )
    code_hash = models.CharField(max_length=128, editable=False)
    created_at = models.DateTimeField(_("créé le"), editable=False)
    expires_at = models.DateTimeField(_("valable jusqu'au"), editable=False)
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("code d'activation")
        verbose_name_plural = _("codes d'activation")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="activation_code_expires_later"
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)
