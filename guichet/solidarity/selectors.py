"""The portal's reads. A view finds its structure with `structure_get_for_user` and reads only
through that structure's `StructureScope`: another structure's rows are never in its querysets,
so a forged id answers 404."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db import connection, models
from django.db.models import (
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, ExtractHour
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guichet.bookings.models import (
    LIVE_STATUSES,
    SEAT_HOLDING_STATUSES,
    Reservation,
    ReservationGroup,
    ReservationStatus,
)
from guichet.bookings.selectors import local_midnight
from guichet.catalogue.models import Activity, Channel, Session, SessionStatus
from guichet.catalogue.selectors import session_over_q
from guichet.core import dates
from guichet.core.db import CompiledQuery
from guichet.core.search import search_filter, search_normalise
from guichet.solidarity.models import (
    Beneficiary,
    BeneficiaryKind,
    Invitation,
    InvitationRole,
    MemberRole,
    Membership,
    SolidaritySettings,
    Structure,
    Territory,
)


def solidarity_settings_get() -> SolidaritySettings:
    """The portal's rules (window, quota, last call), made on first use with their defaults and
    kept in the shared cache, which SolidaritySettings.save() clears."""
    row = cache.get(SolidaritySettings.CACHE_KEY)
    if row is None:
        row, _created = SolidaritySettings.objects.get_or_create(pk=SolidaritySettings.SINGLETON_PK)
        cache.set(SolidaritySettings.CACHE_KEY, row, SolidaritySettings.CACHE_SECONDS)
    return row


def membership_get_for_user(*, user) -> Membership | None:
    """The account's place in its structure (with the structure), or None. Read with the
    account when the request loaded it (accounts.backends.account_page_relation_register)."""
    if not user.is_authenticated:
        return None
    if Membership.user.field.remote_field.is_cached(user):
        return getattr(user, "solidarity_membership", None)
    # No ordering: one row at most (one-to-one), and Meta.ordering would join the accounts.
    return (
        Membership.objects.select_related("structure__territory", "user")
        .filter(user_id=user.pk)
        .order_by()
        .first()
    )


def structure_get_for_user(*, user) -> Structure | None:
    """The active structure whose portal `user` uses, or None."""
    membership = membership_get_for_user(user=user)
    if membership is None or not membership.structure.is_active:
        return None
    return membership.structure


def _get_or_404(queryset: QuerySet, pk: int):
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


class StructureScope:
    """Every read of the portal about one structure: each method returns a queryset filtered by
    it (or one row of such a queryset, else Http404). Later: its groups and reservations."""

    def __init__(self, structure: Structure):
        self.structure = structure

    def beneficiaries(self) -> QuerySet[Beneficiary]:
        return Beneficiary.objects.filter(structure_id=self.structure.pk)

    def beneficiary(self, pk: int) -> Beneficiary:
        return _get_or_404(self.beneficiaries(), pk)

    def beneficiaries_listed(self, *, query: str = "") -> QuerySet[Beneficiary]:
        """ "Mes participants": found by names, phone or e-mail, accents and case ignored."""
        rows = self.beneficiaries().select_related("guest_of")
        return search_filter(rows, query).order_by("last_name", "first_name", "pk")

    def hosts(self) -> QuerySet[Beneficiary]:
        """The participants a guest may be invited by."""
        return self.beneficiaries().filter(kind=BeneficiaryKind.PARTICIPANT)

    def members(self) -> QuerySet[Membership]:
        """The référents of the structure whose account is active (removed ones are kept,
        deactivated, for what they booked)."""
        return (
            Membership.objects.filter(structure_id=self.structure.pk, user__is_active=True)
            .select_related("user__profile")
            .order_by("user__last_name", "user__first_name", "pk")
        )

    def member(self, pk: int) -> Membership:
        return _get_or_404(self.members(), pk)

    def bookable_people(self, *, query: str = "") -> QuerySet[Beneficiary]:
        """The active people a booking may name, found by their names."""
        rows = self.beneficiaries().filter(is_active=True)
        return search_filter(rows, query).order_by("last_name", "first_name", "pk")

    def invitations(self) -> QuerySet[Reservation]:
        """The structure's lines (reservations with their invitation), with what the lists
        show."""
        return _structure_invitations(self.structure.pk)

    def invitations_listed(self) -> QuerySet[Reservation]:
        """The structure's lines with only what "Mes réservations" shows of them (its rows'
        texts and whether each may still be cancelled): most of the page's CPU was the rows
        made of every column of six tables."""
        return (
            Reservation.objects.filter(invitation__structure_id=self.structure.pk)
            .select_related("session__activity", "invitation")
            .only(
                "group_id",
                "status",
                "waiting_rank",
                "reference",
                "first_name",
                "last_name",
                "created_at",
                "session__start",
                "session__new_start",
                "session__status",
                "session__closes_at",
                "session__cancel_until",
                "session__activity__name",
                "session__activity__booking_delay",
                "invitation__role",
            )
        )

    def invitation(self, pk: int) -> Reservation:
        return _get_or_404(self.invitations(), pk)

    def bookings(self) -> QuerySet[ReservationGroup]:
        """The structure's bookings: the groups holding its lines."""
        return ReservationGroup.objects.filter(
            Exists(
                Reservation.objects.filter(
                    group_id=OuterRef("pk"), invitation__structure_id=self.structure.pk
                )
            )
        )

    def booking(self, pk: int) -> ReservationGroup:
        return _get_or_404(self.bookings().select_related("author"), pk)

    def session(self, pk: int, *, now: datetime) -> Session:
        """A session of an event the portal offers (shared by every structure); else 404."""
        found = _SESSION_OFFERED.first(pk=pk, now=now)
        if found is None:
            raise Http404
        return found

    def session_offered(self, pk: int, *, now: datetime) -> bool:
        """Is `pk` such a session (`session`'s test, the row not read)?"""
        return self._sessions_offered(now=now).filter(pk=pk).exists()

    @staticmethod
    def _sessions_offered(*, now: datetime) -> QuerySet[Session]:
        return Session.objects.filter(
            activity__channel=Channel.SOLIDARITY,
            activity__event_details__isnull=False,
            activity__event_details__published_at__lte=now,
        )

    def events_booked(self) -> QuerySet[Activity]:
        """The events the structure has lines on (the filter of "Mes réservations"), with
        their names only."""
        return (
            Activity.objects.filter(
                sessions__reservations__invitation__structure_id=self.structure.pk
            )
            .distinct()
            .order_by("name", "pk")
            .only("name")
        )

    def people_booked(self) -> QuerySet[Beneficiary]:
        """The people the structure has lines for (the filter of "Mes réservations"), with
        their names only."""
        return (
            self.beneficiaries()
            .filter(invitations__isnull=False)
            .distinct()
            .order_by("last_name", "first_name", "pk")
            .only("last_name", "first_name")
        )

    def future_invitations(
        self, beneficiary: Beneficiary, *, now: datetime
    ) -> QuerySet[Reservation]:
        """A person's live lines on sessions to come (listed before deactivating them)."""
        return (
            self.invitations()
            .filter(
                invitation__beneficiary_id=beneficiary.pk,
                status__in=LIVE_STATUSES,
                session__effective_start__gt=now,
            )
            .order_by("session__effective_start", "pk")
        )

    def booking_lines(self, booking: ReservationGroup) -> QuerySet[Reservation]:
        return _booking_lines(self.structure.pk, booking.pk)

    def booking_lines_read(self, booking_id: int, *, printed: bool = False) -> list[Reservation]:
        """The structure's lines of a booking, each with the booking (`line.group`, its author),
        in one statement (`booking` then `booking_lines` read in two); `printed`: with what the
        invitations' PDF shows besides (the event's details, venue and place). Empty when the
        booking holds none of the structure's lines."""
        read = _BOOKING_LINES_PRINTED if printed else _BOOKING_LINES
        return read.rows(structure=self.structure.pk, booking=booking_id)


def _structure_invitations(structure: int) -> QuerySet[Reservation]:
    return Reservation.objects.filter(invitation__structure_id=structure).select_related(
        *_INVITATIONS_RELATED
    )


def _booking_lines(structure: int, booking: int, *related: str) -> QuerySet[Reservation]:
    lines = _structure_invitations(structure).filter(group_id=booking).order_by("pk")
    # Without names, select_related() would follow every foreign key.
    return lines.select_related(*related) if related else lines


# The reads of every booking's path, compiled once per thread (the ORM's compiling them cost
# several times the statement: a third of the booking page's CPU, of the result page's).
_INVITATIONS_RELATED = (
    "session__activity",
    "invitation__beneficiary",
    "invitation__guest_of",
    "group__author",
)
_BOOKING_LINES = CompiledQuery(_booking_lines)
_BOOKING_LINES_PRINTED = CompiledQuery(
    lambda structure, booking: _booking_lines(
        structure,
        booking,
        "session__activity__event_details__venue",
        "session__activity__location",
    )
)
_SESSION_OFFERED = CompiledQuery(
    lambda pk, now: (
        StructureScope._sessions_offered(now=now)
        .select_related("activity__event_details__venue", "activity__location")
        .filter(pk=pk)
    )
)


def week_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The ISO week (Monday 00:00 to the next Monday 00:00, Paris time) holding `moment`, as
    aware datetimes: a week across a clock change is 167 or 169 hours long."""
    local = timezone.localtime(moment)
    monday = local.date() - timedelta(days=local.weekday())
    zone = timezone.get_default_timezone()
    start = datetime.combine(monday, time(0, 0), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), time(0, 0), tzinfo=zone)
    return start, end


def _seated_in_week(
    *, beneficiary_ids: Sequence[int], moment: datetime, exclude_reservation_id: int | None = None
) -> list[int]:
    """The invitations of these people counted against a weekly quota in the ISO week of
    `moment`: seated ones (valid, pending, archived) as participant or guest, on solidarity
    sessions whose effective start falls in that week; one beneficiary id per invitation.
    Written in SQL: at each "Enregistrer", the ORM's building of these joins and lookups cost
    several times the statement itself."""
    start, end = week_bounds(moment)
    adapt = connection.ops.adapt_datetimefield_value
    roles = [str(role) for role in (InvitationRole.PARTICIPANT, InvitationRole.GUEST)]
    statuses = [str(status) for status in SEAT_HOLDING_STATUSES]
    params = [
        *beneficiary_ids,
        *roles,
        *statuses,
        str(Channel.SOLIDARITY),
        adapt(start),
        adapt(end),
    ]
    excluded = ""
    if exclude_reservation_id is not None:
        excluded = " AND i.reservation_id <> %s"
        params.append(exclude_reservation_id)

    def marks(values) -> str:
        return ", ".join(["%s"] * len(values))

    sql = (
        f"SELECT i.beneficiary_id FROM {Invitation._meta.db_table} i"
        f" JOIN {Reservation._meta.db_table} r ON r.id = i.reservation_id"
        f" JOIN {Session._meta.db_table} s ON s.id = r.session_id"
        f" WHERE i.beneficiary_id IN ({marks(beneficiary_ids)}) AND i.role IN ({marks(roles)})"
        f" AND r.status IN ({marks(statuses)}) AND r.channel = %s"
        f" AND s.effective_start >= %s AND s.effective_start < %s{excluded}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def invitations_seated_in_week(
    *, beneficiary_id: int, moment: datetime, exclude_reservation_id: int | None = None
) -> int:
    """How many invitations count against the person's weekly quota in the ISO week of
    `moment` (`_seated_in_week`); `exclude_reservation_id` left out (the line being judged).
    Never stored: read at each decision, under the person's row lock."""
    return len(
        _seated_in_week(
            beneficiary_ids=[beneficiary_id],
            moment=moment,
            exclude_reservation_id=exclude_reservation_id,
        )
    )


def invitations_seated_in_week_of(
    *, beneficiary_ids: Iterable[int], moment: datetime
) -> dict[int, int]:
    """`invitations_seated_in_week` for several people in one statement (a booking's, read
    under their row locks): {beneficiary id: count}, every id present."""
    ids = list(beneficiary_ids)
    counts = dict.fromkeys(ids, 0)
    if ids:
        for beneficiary_id in _seated_in_week(beneficiary_ids=ids, moment=moment):
            counts[beneficiary_id] += 1
    return counts


# --- The events catalogue ("Billetterie Solidaire") ---

# "Nouveaux événements": put online within these days; "Réservation bientôt close": a session
# whose booking closes within these hours.
NEW_EVENT_DAYS = 14
CLOSING_SOON_HOURS = 72


class Moment(models.TextChoices):
    """ "Horaire" of the advanced search, by the session's start in Paris time."""

    MORNING = "matin", _("Matin (avant 12 h)")
    AFTERNOON = "apres-midi", _("Après-midi (de 12 h à 18 h)")
    EVENING = "soir", _("Soir (à partir de 18 h)")


# The [first, last) local hours of each moment.
MOMENT_HOURS = {Moment.MORNING: (0, 12), Moment.AFTERNOON: (12, 18), Moment.EVENING: (18, 24)}


@dataclass(frozen=True)
class EventFilters:
    """What the référent asked for; empty values filter nothing."""

    territory_id: int | None = None
    query: str = ""
    category_id: int | None = None
    audience_id: int | None = None
    city: str = ""
    moment: str = ""
    first_day: date | None = None
    last_day: date | None = None

    @property
    def advanced(self) -> bool:
        return bool(
            self.category_id
            or self.audience_id
            or self.city
            or self.moment
            or self.first_day
            or self.last_day
        )


def session_to_come_q(*, now: datetime, prefix: str = "") -> Q:
    """Sessions not over nor cancelled (full or closed ones included: the sheet says so)."""
    return ~session_over_q(now=now, prefix=prefix) & ~Q(
        **{f"{prefix}status": SessionStatus.CANCELLED}
    )


def session_closes_at_expression():
    """When a session's booking closes, in SQL: its window's end, else the activity's delay
    before its start (Session.booking_closes_at)."""
    return Coalesce(
        F("closes_at"),
        ExpressionWrapper(
            F("effective_start") - F("activity__booking_delay"), output_field=DateTimeField()
        ),
    )


def _sessions_matching(*, filters: EventFilters, now: datetime) -> QuerySet[Session]:
    sessions = Session.objects.filter(session_to_come_q(now=now), activity=OuterRef("pk"))
    if filters.first_day:
        sessions = sessions.filter(effective_start__gte=local_midnight(filters.first_day))
    if filters.last_day:
        sessions = sessions.filter(
            effective_start__lt=local_midnight(filters.last_day + timedelta(days=1))
        )
    if filters.moment in MOMENT_HOURS:
        first, last = MOMENT_HOURS[filters.moment]
        sessions = sessions.annotate(
            local_hour=ExtractHour("effective_start", tzinfo=timezone.get_current_timezone())
        ).filter(local_hour__gte=first, local_hour__lt=last)
    return sessions


def event_list_for_portal(
    *, filters: EventFilters, now: datetime, section: str = ""
) -> QuerySet[Activity]:
    """The events of the catalogue: solidarity activities with their details, put online, with a
    session to come that matches the filters (dates and "horaire" apply to one same session),
    each with `next_start`, the first such session's start, in the order they next happen.
    `section`: "new" (put online within NEW_EVENT_DAYS) or "closing" (a session whose booking
    closes within CLOSING_SOON_HOURS)."""
    sessions = _sessions_matching(filters=filters, now=now)
    events = (
        Activity.objects.filter(
            Exists(sessions),
            channel=Channel.SOLIDARITY,
            event_details__isnull=False,
            event_details__published_at__lte=now,
        )
        .select_related("event_details__venue", "category", "audience")
        .annotate(
            next_start=Subquery(
                sessions.order_by("effective_start", "pk").values("effective_start")[:1]
            )
        )
        .order_by("next_start", "name", "pk")
    )
    if filters.territory_id:
        events = events.filter(event_details__venue__territory_id=filters.territory_id)
    if filters.category_id:
        events = events.filter(category_id=filters.category_id)
    if filters.audience_id:
        events = events.filter(audience_id=filters.audience_id)
    if filters.city:
        events = events.filter(event_details__venue__city=filters.city)
    if filters.query:
        events = search_filter(events, filters.query)
    if section == "new":
        events = events.filter(
            event_details__published_at__gte=now - timedelta(days=NEW_EVENT_DAYS)
        ).order_by("-event_details__published_at", "pk")
    elif section == "closing":
        closing = (
            sessions.annotate(closes=session_closes_at_expression())
            .filter(closes__gt=now, closes__lte=now + timedelta(hours=CLOSING_SOON_HOURS))
            .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
        )
        events = events.filter(Exists(closing))
    return events


def territory_list() -> list[Territory]:
    """The département menu."""
    return list(Territory.objects.order_by("code"))


@dataclass(frozen=True)
class EventChoices:
    """The choices of the advanced search: the genres, publics and towns of the events of a
    département (id, name pairs; towns by name)."""

    categories: list[tuple[int, str]]
    audiences: list[tuple[int, str]]
    cities: list[str]


def event_choices_for_portal(*, territory_id: int | None) -> EventChoices:
    """In one statement, whatever the number of events."""
    rows = Activity.objects.filter(channel=Channel.SOLIDARITY, event_details__isnull=False)
    if territory_id:
        rows = rows.filter(event_details__venue__territory_id=territory_id)
    rows = rows.values_list(
        "category_id",
        "category__name",
        "audience_id",
        "audience__name",
        "event_details__venue__city",
    ).distinct()
    categories, audiences, cities = {}, {}, set()
    for category_id, category, audience_id, audience, city in rows:
        if category_id:
            categories[category_id] = category
        if audience_id:
            audiences[audience_id] = audience
        cities.add(city)
    return EventChoices(
        categories=sorted(categories.items(), key=lambda item: search_normalise(item[1])),
        audiences=sorted(audiences.items(), key=lambda item: search_normalise(item[1])),
        cities=sorted(cities, key=search_normalise),
    )


def event_get_for_portal(*, activity_id: int, now: datetime) -> Activity:
    """An event's sheet: put online, of the solidarity channel (even without a session to come:
    a link kept from last week still answers); else Http404."""
    return _get_or_404(
        Activity.objects.filter(
            channel=Channel.SOLIDARITY,
            event_details__isnull=False,
            event_details__published_at__lte=now,
        ).select_related("event_details__venue", "location", "category", "audience"),
        activity_id,
    )


@dataclass(frozen=True)
class EventSlot:
    """One line of "Créneaux disponibles" (solidarity/_session_slots.html): its session and
    what `session_slot_state` says of it."""

    session: Session
    state: "SlotState"

    @property
    def seats_left(self) -> int | None:
        """Invitations left; None when the session has no limit."""
        return self.session.seats_left


def event_slots(*, activity: Activity, now: datetime) -> list[EventSlot]:
    """The sessions of an event not over yet, in the order they happen, cancelled ones
    included (their slot says "Annulé" and why)."""
    sessions = activity.sessions.filter(~session_over_q(now=now)).order_by("effective_start", "pk")
    slots = []
    for session in sessions:
        session.activity = activity  # its booking_closes_at reads the activity's delay
        slots.append(EventSlot(session=session, state=session_slot_state(session=session, now=now)))
    return slots


# --- bookings: slots, previews, "Mes réservations" ------------------------------------------

CLOSING_SOON = timedelta(hours=72)


class SlotKind(models.TextChoices):
    """The states of a session's slot, the first that applies (issue 13)."""

    CANCELLED = "cancelled", _("Annulé")
    NOT_OPEN = "not_open", _("Pas encore ouvert")
    CLOSED = "closed", _("Réservations closes")
    OPEN = "open", _("Invitations disponibles")
    WAITING_LIST = "waiting_list", _("Complet")
    FULL = "full", _("Complet (liste d'attente comprise)")


@dataclass(frozen=True)
class SlotState:
    """What a slot says and allows: `text` (its state), `detail` (the reason of a cancellation,
    "Liste d'attente"), `bookable` ("Réserver"), `postponed` ("Reporté — nouvelle date : …"),
    `closing_soon` ("Bientôt clos")."""

    kind: str
    text: str
    detail: str = ""
    bookable: bool = False
    postponed: str = ""
    closing_soon: bool = False


def session_waiting_room(session: Session) -> bool:
    """May someone still join the session's waiting list?"""
    return session.waiting_closed_at is None and (
        session.waiting_limit is None or session.waiting_count < session.waiting_limit
    )


def session_slot_state(*, session: Session, now: datetime) -> SlotState:
    """The one function that says what a session's slot is at `now` (the sheet, the booking
    page); the booking service checks the same again under the session's lock."""
    postponed = ""
    if session.is_postponed:
        postponed = _("Reporté — nouvelle date : %(when)s") % {
            "when": dates.long(session.starts_at, session.ends_at)
        }
    if session.is_cancelled:
        detail = _("Motif : %(reason)s") % {"reason": session.reason} if session.reason else ""
        return SlotState(kind=SlotKind.CANCELLED, text=_("Annulé"), detail=detail)
    if not session.is_booking_open(now):
        return SlotState(
            kind=SlotKind.NOT_OPEN,
            text=_("Ouverture des réservations %(when)s") % {"when": dates.when(session.opens_at)},
            postponed=postponed,
        )
    closes_at = session.booking_closes_at
    if now >= closes_at:
        return SlotState(kind=SlotKind.CLOSED, text=_("Réservations closes"), postponed=postponed)
    soon = closes_at - now <= CLOSING_SOON
    left = session.seats_left
    if left is None or left > 0:
        text = (
            _("Invitations disponibles")
            if left is None
            else ngettext(
                "%(count)d invitation disponible", "%(count)d invitations disponibles", left
            )
            % {"count": left}
        )
        return SlotState(
            kind=SlotKind.OPEN, text=text, bookable=True, postponed=postponed, closing_soon=soon
        )
    if session_waiting_room(session):
        return SlotState(
            kind=SlotKind.WAITING_LIST,
            text=_("Complet"),
            detail=_("Liste d'attente"),
            bookable=True,
            postponed=postponed,
            closing_soon=soon,
        )
    return SlotState(
        kind=SlotKind.FULL, text=_("Complet (liste d'attente comprise)"), postponed=postponed
    )


def lines_ordered(people: list[Beneficiary]) -> list[Beneficiary]:
    """The order a booking's lines are allocated in: each participant followed by its guests,
    then the guests whose participant is not in this booking, then the accompaniers (last, so
    that they see which participants got a seat)."""
    participants = [p for p in people if p.kind == BeneficiaryKind.PARTICIPANT]
    guests = [p for p in people if p.kind == BeneficiaryKind.GUEST]
    ordered = []
    for participant in participants:
        ordered.append(participant)
        ordered += [g for g in guests if g.guest_of_id == participant.pk]
    ordered += [g for g in guests if g not in ordered]
    ordered += [p for p in people if p.kind == BeneficiaryKind.ACCOMPANIER]
    return ordered


def invitation_role_text(reservation: Reservation) -> str:
    """ "Participant", "Invité de NOM Prénom", "Accompagnateur" (`reservation.invitation`)."""
    invitation = reservation.invitation
    if invitation.role == InvitationRole.GUEST and invitation.guest_of is not None:
        return _("Invité de %(name)s") % {"name": invitation.guest_of}
    return invitation.get_role_display()


def booking_recipients(group: ReservationGroup) -> list[str]:
    """Whom a booking's mails go to (the policy's `group_recipients`): its author while the
    account is active, else the responsables of the booking's structure."""
    author = group.author
    if author is not None and author.is_active and author.email:
        return [author.email]
    structures = Invitation.objects.filter(reservation__group_id=group.pk).values("structure_id")
    return sorted(
        Membership.objects.filter(
            structure_id__in=structures[:1], role=MemberRole.MANAGER, user__is_active=True
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )


def invitation_state_text(reservation: Reservation) -> str:
    """The "Etat" of a line in "Mes réservations" (the button aside)."""
    if reservation.status == ReservationStatus.WAITING:
        return _("Sur liste d'attente (rang %(rank)d)") % {"rank": reservation.waiting_rank}
    if reservation.status == ReservationStatus.CANCELLED:
        return _("Annulée")
    if reservation.status in (ReservationStatus.NOT_SERVED, ReservationStatus.REFUSED):
        return _("Non servie")
    return _("Invitation n° %(number)s") % {"number": f"S-{reservation.reference}"}
