"""What can be booked: places, activities and their dated sessions."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.core import dates
from guichet.core.richtext import RichTextField
from guichet.core.search import SearchableModel
from guichet.core.validators import validate_single_line

# A booking closes at most this long before its session: a longer delay is a typing error, and
# one of about 740,000 days puts the closing date before year 1.
BOOKING_DELAY_MAX = timedelta(days=365)
# The years a session may take place in: the pages, mails and calendars work with dates far from
# the ends of Python's calendar (year 1 minus a delay, year 9999 plus a duration fail).
SESSION_YEARS = range(2000, 2101)
# The database's bounds, in UTC: a day wider than the years above, whatever the time zone.
_SESSION_FIRST = datetime(SESSION_YEARS.start - 1, 12, 31, tzinfo=UTC)
_SESSION_LAST = datetime(SESSION_YEARS.stop, 1, 2, tzinfo=UTC)


def validate_session_date(value: datetime) -> None:
    # The year as typed, in its own time zone: converting year 1 or 9999 may overflow.
    if value.year not in SESSION_YEARS:
        raise ValidationError(
            _("Choisissez une date entre %(first)d et %(last)d.")
            % {"first": SESSION_YEARS.start, "last": SESSION_YEARS.stop - 1},
            code="session_year",
        )


def _session_dates_in_range(field: str, *, nullable: bool) -> Q:
    within = Q(**{f"{field}__gte": _SESSION_FIRST, f"{field}__lte": _SESSION_LAST})
    return Q(**{f"{field}__isnull": True}) | within if nullable else within


class ShiftedEnd(models.Func):
    """`new_start` plus the original length (`end` - `start`), in SQL a generated column accepts
    (immutable on PostgreSQL, deterministic on SQLite). NULL when `end` is."""

    output_field = models.DateTimeField()

    def __init__(self):
        super().__init__(F("new_start"), F("start"), F("end"))

    def as_postgresql(self, compiler, connection, **extra_context):
        # timestamptz + interval depends on the time zone; in UTC timestamps it does not.
        template = (
            "((%(expressions)s AT TIME ZONE 'UTC') + (%(end)s - %(start)s)) AT TIME ZONE 'UTC'"
        )
        new_start, start, end = (compiler.compile(e)[0] for e in self.get_source_expressions())
        return template % {"expressions": new_start, "start": start, "end": end}, []

    def as_sql(self, compiler, connection, **extra_context):
        new_start, start, end = (compiler.compile(e)[0] for e in self.get_source_expressions())
        # Whole seconds, written as Django writes a datetime without microseconds.
        sql = (
            f"datetime(strftime('%%s', {new_start}) + strftime('%%s', {end}) "
            f"- strftime('%%s', {start}), 'unixepoch')"
        )
        return f"CASE WHEN {end} IS NULL THEN NULL ELSE {sql} END", []


class NamedModel(SearchableModel):
    search_sources = ("name",)

    name = models.CharField(
        _("nom"), max_length=100, unique=True, validators=[validate_single_line]
    )

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Category(NamedModel):
    class Meta(NamedModel.Meta):
        verbose_name = _("catégorie")
        verbose_name_plural = _("catégories")


class Audience(NamedModel):
    class Meta(NamedModel.Meta):
        verbose_name = _("public")
        verbose_name_plural = _("publics")


class ActivityType(NamedModel):
    class Meta(NamedModel.Meta):
        verbose_name = _("type d'activité")
        verbose_name_plural = _("types d'activité")


class Location(SearchableModel):
    search_sources = ("name", "address")

    name = models.CharField(_("nom"), max_length=200, validators=[validate_single_line])
    description = RichTextField(verbose_name=_("description"))
    address = models.TextField(
        _("adresse"),
        help_text=_("Texte simple sur plusieurs lignes : il sert aux agendas, cartes et e-mails."),
    )
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    photo = models.ImageField(_("photo"), upload_to="locations/", blank=True)
    group_contact = models.CharField(
        _("contact pour les groupes"),
        max_length=300,
        blank=True,
        validators=[validate_single_line],
        help_text=_(
            "Par exemple « Contactez directement les serres au 03.59.63.44.48 ». "
            "Vide : le téléphone de l'organisation."
        ),
    )

    class Meta:
        verbose_name = _("localisation")
        verbose_name_plural = _("localisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90), name="location_latitude_range"
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-180, longitude__lte=180),
                name="location_longitude_range",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="location_name_required"),
            models.CheckConstraint(condition=~Q(address=""), name="location_address_required"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            errors["latitude"] = _("La latitude est comprise entre -90 et 90.")
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            errors["longitude"] = _("La longitude est comprise entre -180 et 180.")
        if errors:
            raise ValidationError(errors)


class Channel(models.TextChoices):
    """The portal an activity is booked through; its reservations carry it too."""

    PARKS = "parcs", _("Parcs et jardins")
    SOLIDARITY = "solidaire", _("Billetterie solidaire")
    FAMILY = "famille", _("Portail famille")


class Activity(SearchableModel):
    search_sources = ("name",)

    # Which portal books it; fixed once it has reservations (catalogue.services.activity_save).
    channel = models.CharField(
        _("portail"), max_length=20, choices=Channel.choices, default=Channel.PARKS
    )

    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="activities",
        verbose_name=_("localisation"),
    )
    name = models.CharField(_("nom"), max_length=200, validators=[validate_single_line])
    slug = models.SlugField(
        _("slug"),
        max_length=220,
        unique=True,
        blank=True,
        help_text=_("Généré à partir du nom si vide."),
    )
    description = RichTextField(verbose_name=_("description"), blank=True)
    image = models.ImageField(_("image"), upload_to="activities/", blank=True)
    audience = models.ForeignKey(
        Audience, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("public")
    )
    activity_type = models.ForeignKey(
        ActivityType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("type d'activité"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("catégorie")
    )
    bookable_online = models.BooleanField(_("réservable en ligne"), default=True)
    booking_delay = models.DurationField(
        _("délai de réservation"),
        default=timedelta(0),
        validators=[
            MaxValueValidator(
                BOOKING_DELAY_MAX, _("Le délai de réservation est d'au plus 365 jours.")
            )
        ],
        help_text=_(
            "La réservation en ligne ferme ce délai avant le début de la session. "
            "00:00:00 = désactivé, 1 00:00:00 = 1 jour avant (jours heures:minutes:secondes)."
        ),
    )
    max_places_per_booking = models.PositiveSmallIntegerField(
        _("places au plus par réservation en ligne"), default=8
    )

    class Meta:
        verbose_name = _("activité")
        verbose_name_plural = _("activités")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="activity_name_required"),
            models.CheckConstraint(condition=~Q(slug=""), name="activity_slug_required"),
            models.CheckConstraint(
                condition=Q(booking_delay__gte=timedelta(0)),
                name="activity_booking_delay_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(booking_delay__lte=BOOKING_DELAY_MAX),
                name="activity_booking_delay_at_most_a_year",
            ),
            models.CheckConstraint(
                condition=Q(max_places_per_booking__gte=1), name="activity_max_places_at_least_one"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="activity_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.booking_delay is not None and self.booking_delay < timedelta(0):
            raise ValidationError(
                {"booking_delay": _("Le délai de réservation ne peut pas être négatif.")}
            )
        if self.max_places_per_booking is not None and self.max_places_per_booking < 1:
            raise ValidationError(
                {"max_places_per_booking": _("Au moins une place par réservation.")}
            )


class SessionStatus(models.TextChoices):
    NONE = "", _("—")
    CANCELLED = "cancelled", _("Annulé")
    POSTPONED = "postponed", _("Reporté")


class Session(models.Model):
    """One dated occurrence of an activity. A postponed session counts by its new dates."""

    activity = models.ForeignKey(
        Activity, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("activité")
    )
    start = models.DateTimeField(_("débute le"), validators=[validate_session_date])
    end = models.DateTimeField(
        _("fini le"), null=True, blank=True, validators=[validate_session_date]
    )
    seat_limit = models.PositiveIntegerField(
        _("limite"), null=True, blank=True, help_text=_("Vide : pas de limite de places.")
    )
    # Seats held by valid (and archived) reservations. Written only by guichet.bookings.services;
    # `manage.py check_seats` proves it equals the reservations' quantities.
    seats_taken = models.PositiveIntegerField(_("places réservées"), default=0, editable=False)
    price = models.DecimalField(_("prix"), max_digits=8, decimal_places=2, default=Decimal("0"))
    status = models.CharField(
        _("statut"),
        max_length=20,
        choices=SessionStatus.choices,
        default=SessionStatus.NONE,
        blank=True,
    )
    reason = models.TextField(_("motif"), blank=True)
    new_start = models.DateTimeField(
        _("nouveau début"), null=True, blank=True, validators=[validate_session_date]
    )
    new_end = models.DateTimeField(
        _("nouvelle fin"), null=True, blank=True, validators=[validate_session_date]
    )
    # The dates that count everywhere (lists, deadlines, archiving, calendars, exports, reminders).
    effective_start = models.GeneratedField(
        expression=Coalesce(F("new_start"), F("start")),
        output_field=models.DateTimeField(verbose_name=_("début effectif")),
        db_persist=True,
    )
    effective_end = models.GeneratedField(
        # Postponed without a new end, the session keeps its length.
        expression=Case(
            When(status=SessionStatus.POSTPONED, new_end__isnull=False, then=F("new_end")),
            When(status=SessionStatus.POSTPONED, then=ShiftedEnd()),
            default=F("end"),
        ),
        output_field=models.DateTimeField(null=True, verbose_name=_("fin effective")),
        db_persist=True,
    )
    # The waiting list: empty, unlimited; 0, none. `waiting_count` is a counter like
    # `seats_taken` (written only by guichet.bookings.services, proved by `check_seats`).
    waiting_limit = models.PositiveIntegerField(
        _("places en liste d'attente"),
        null=True,
        blank=True,
        help_text=_("Vide : liste d'attente sans limite ; 0 : pas de liste d'attente."),
    )
    waiting_count = models.PositiveIntegerField(
        _("inscrits en liste d'attente"), default=0, editable=False
    )
    # The booking window of the portals; empty: the activity's rules (booking delay).
    opens_at = models.DateTimeField(
        _("ouverture des réservations"),
        null=True,
        blank=True,
        validators=[validate_session_date],
    )
    closes_at = models.DateTimeField(
        _("clôture des réservations"), null=True, blank=True, validators=[validate_session_date]
    )
    cancel_until = models.DateTimeField(
        _("annulation possible jusqu'au"),
        null=True,
        blank=True,
        validators=[validate_session_date],
    )
    # Set once the waiting list was closed (its entries not served): `waiting_list_close`.
    waiting_closed_at = models.DateTimeField(
        _("liste d'attente close le"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["effective_start"], name="session_effective_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")),
                name="session_end_after_start",
            ),
            models.CheckConstraint(
                condition=_session_dates_in_range("start", nullable=False)
                & _session_dates_in_range("end", nullable=True)
                & _session_dates_in_range("new_start", nullable=True)
                & _session_dates_in_range("new_end", nullable=True),
                name="session_dates_in_range",
            ),
            models.CheckConstraint(
                condition=Q(seat_limit__isnull=True) | Q(seat_limit__gte=1),
                name="session_seat_limit_positive",
            ),
            models.CheckConstraint(
                condition=Q(seat_limit__isnull=True) | Q(seats_taken__lte=F("seat_limit")),
                name="session_seats_within_limit",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="session_price_not_negative"),
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values), name="session_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=SessionStatus.POSTPONED, new_start__isnull=False)
                | (
                    ~Q(status=SessionStatus.POSTPONED)
                    & Q(new_start__isnull=True, new_end__isnull=True)
                ),
                name="session_new_dates_only_when_postponed",
            ),
            models.CheckConstraint(
                condition=Q(new_end__isnull=True) | Q(new_end__gt=F("new_start")),
                name="session_new_end_after_new_start",
            ),
            models.CheckConstraint(
                condition=Q(waiting_limit__isnull=True) | Q(waiting_count__lte=F("waiting_limit")),
                name="session_waiting_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(waiting_count__gte=0), name="session_waiting_count_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(opens_at__lt=F("closes_at")),
                name="session_opens_before_closing",
            ),
            models.CheckConstraint(
                condition=_session_dates_in_range("opens_at", nullable=True)
                & _session_dates_in_range("closes_at", nullable=True)
                & _session_dates_in_range("cancel_until", nullable=True),
                name="session_window_dates_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity.name} ({self.dates_display})"

    def clean(self) -> None:
        errors = {}
        if self.start and self.end and self.end <= self.start:
            errors["end"] = _("La fin doit être après le début.")
        if self.seat_limit is not None and self.seat_limit < 1:
            errors["seat_limit"] = _(
                "La limite est d'au moins une place ; laissez vide pour ne pas limiter."
            )
        elif self.seat_limit is not None and self.seat_limit < self.seats_taken:
            errors["seat_limit"] = _(
                "%(taken)d places sont déjà réservées : la limite ne peut pas être inférieure."
            ) % {"taken": self.seats_taken}
        if self.waiting_limit is not None and self.waiting_limit < self.waiting_count:
            errors["waiting_limit"] = _(
                "%(count)d personnes sont en liste d'attente : la limite ne peut pas être "
                "inférieure."
            ) % {"count": self.waiting_count}
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            errors["closes_at"] = _("La clôture des réservations doit être après leur ouverture.")
        if self.price is not None and self.price < 0:
            errors["price"] = _("Le prix ne peut pas être négatif.")
        if self.status == SessionStatus.POSTPONED:
            if not self.new_start:
                errors["new_start"] = _(
                    "Une session reportée a besoin d'une nouvelle date de début."
                )
            elif self.new_end and self.new_end <= self.new_start:
                errors["new_end"] = _("La nouvelle fin doit être après le nouveau début.")
        else:
            if self.new_start:
                errors["new_start"] = _(
                    "Une nouvelle date ne se renseigne que pour une session reportée."
                )
            if self.new_end:
                errors["new_end"] = _(
                    "Une nouvelle date ne se renseigne que pour une session reportée."
                )
        if errors:
            raise ValidationError(errors)

    # The effective dates, also right on an instance whose status was just changed in memory.
    @property
    def starts_at(self):
        return (
            self.new_start
            if self.status == SessionStatus.POSTPONED and self.new_start
            else self.start
        )

    @property
    def ends_at(self):
        if self.status != SessionStatus.POSTPONED:
            return self.end
        if self.new_end or not (self.end and self.new_start):
            return self.new_end
        try:
            return self.new_start + (self.end - self.start)
        except OverflowError:  # a new start typed near year 9999, refused by the form anyway
            return None

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def is_postponed(self) -> bool:
        return self.status == SessionStatus.POSTPONED

    @property
    def is_unlimited(self) -> bool:
        return self.seat_limit is None

    @property
    def seats_left(self) -> int | None:
        """Seats still free; None when the session has no limit."""
        return None if self.seat_limit is None else max(self.seat_limit - self.seats_taken, 0)

    @property
    def booking_closes_at(self):
        """When booking closes: the window's end when set, else the activity's delay before the
        start."""
        if self.closes_at is not None:
            return self.closes_at
        return self.starts_at - self.activity.booking_delay

    def is_booking_open(self, now=None) -> bool:
        """Has the window opened (always, without `opens_at`)?"""
        return self.opens_at is None or (now or timezone.now()) >= self.opens_at

    def is_booking_closed(self, now=None) -> bool:
        return (now or timezone.now()) >= self.booking_closes_at

    @staticmethod
    def _dates(start, end) -> str:
        return dates.short(start, end, year=True)

    @property
    def dates_display(self) -> str:
        """'mer. 16 avr. 2025, 10 h – 11 h 30' by the dates that count."""
        return self._dates(self.starts_at, self.ends_at)
