"""The portal's reads. A view finds its household with `household_get_for_user` and reads only
through that household's `HouseholdScope`: another household's children, basket lines,
reservations, submissions or reports are never in its querysets, so a forged id answers 404.

The rules a page shows and a service enforces live here once (`unit_booking_refusal`,
`unit_cancel_refusal`, `hours_refusal`), so that "hors délai" on the calendar and the refusal of
"Valider" cannot drift."""

import functools
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from guichet.bookings.models import LIVE_STATUSES, Reservation
from guichet.catalogue.models import Activity, Channel, Session
from guichet.core.db import ModelRows, sql_name
from guichet.core.permissions import FAMILY_MANAGER_GROUP
from guichet.families.models import (
    ActivityRules,
    Basket,
    BasketLine,
    Child,
    FamilySettings,
    Guardian,
    Household,
    ReservationChange,
    ReservationHours,
    Submission,
    child_holder_key,
)

# The reasons shared by the calendar, the basket, "Copier" and "Valider" (the seeds' words).
REASON_CLOSED = _("Fermé ou hors délai")
REASON_LATE = _("hors délai")
REASON_LATE_CANCEL = _("hors délai pour annuler")
REASON_NOT_FOR_CHILD = _("non accessible à cet enfant")
REASON_OVERLAP = _("horaires incompatibles")
REASON_FULL = _("plus de place")
REASON_ALREADY = _("déjà réservé")

SETTINGS_CACHE_KEY = "families.settings"
SETTINGS_CACHE_SECONDS = 600
# "Compte rendu": the reports of the last 30 days.
REPORT_DAYS = 30


def family_settings_get() -> FamilySettings:
    """The portal's settings row, created on first use; kept in the shared cache (cleared by
    `family_settings_save`)."""
    found = cache.get(SETTINGS_CACHE_KEY)
    if found is None:
        found, _created = FamilySettings.objects.get_or_create(pk=FamilySettings.SINGLETON_PK)
        cache.set(SETTINGS_CACHE_KEY, found, SETTINGS_CACHE_SECONDS)
    return found


def guardian_get_for_user(*, user) -> Guardian | None:
    """The account's guardian row (with its household and user), or None."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return Guardian.objects.select_related("household", "user").filter(user_id=user.pk).first()


def household_get_for_user(*, user) -> Household | None:
    """The household whose portal `user` uses, or None (staff, another portal's account)."""
    guardian = guardian_get_for_user(user=user)
    return None if guardian is None else guardian.household


def _get_or_404(queryset: QuerySet, pk):
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


_RESERVATION_ROWS, _HOURS_ROWS = ModelRows(Reservation), ModelRows(ReservationHours)
_LINE_ROWS = ModelRows(BasketLine)


@functools.lru_cache(maxsize=64)
def _child_units_sql(vendor: str, sessions: int) -> tuple[str, str]:
    """The statements of `HouseholdScope.child_units_rows` for so many sessions, built once per
    database vendor (its quoting) and count."""
    reservation, hours = sql_name(Reservation), sql_name(ReservationHours)
    line, basket = sql_name(BasketLine), sql_name(Basket)
    ids = ", ".join(["%s"] * sessions)
    statuses = ", ".join(["%s"] * len(LIVE_STATUSES))
    reservations = (
        f"SELECT {_RESERVATION_ROWS.columns()}, {_HOURS_ROWS.columns()} FROM {reservation}"
        f" LEFT OUTER JOIN {hours} ON {hours}.{sql_name(ReservationHours, 'reservation')}"
        f" = {reservation}.{sql_name(Reservation, 'id')}"
        f" WHERE {reservation}.{sql_name(Reservation, 'channel')} = %s"
        f" AND {reservation}.{sql_name(Reservation, 'holder_key')} = %s"
        f" AND {reservation}.{sql_name(Reservation, 'status')} IN ({statuses})"
        f" AND {reservation}.{sql_name(Reservation, 'session')} IN ({ids})"
    )
    lines = (
        f"SELECT {_LINE_ROWS.columns()} FROM {line} INNER JOIN {basket}"
        f" ON {basket}.{sql_name(Basket, 'id')} = {line}.{sql_name(BasketLine, 'basket')}"
        f" WHERE {basket}.{sql_name(Basket, 'guardian')} = %s"
        f" AND {line}.{sql_name(BasketLine, 'child')} = %s"
        f" AND {line}.{sql_name(BasketLine, 'session')} IN ({ids})"
    )
    return reservations, lines


class HouseholdScope:
    """Every read of the portal about one household: each method returns a queryset filtered by
    it (or one row of such a queryset, else Http404)."""

    def __init__(self, household: Household, *, guardian: Guardian | None = None):
        self.household = household
        self.guardian = guardian

    @classmethod
    def for_user(cls, user) -> "HouseholdScope":
        """The scope of `user`'s household; Http404 for an account that has none."""
        guardian = guardian_get_for_user(user=user)
        if guardian is None:
            raise Http404
        return cls(guardian.household, guardian=guardian)

    # children
    def children(self) -> QuerySet[Child]:
        return Child.objects.filter(household_id=self.household.pk).select_related("group")

    def active_children(self) -> QuerySet[Child]:
        return self.children().filter(is_active=True)

    def child(self, pk) -> Child:
        return _get_or_404(self.children(), pk)

    def child_among(self, children: Sequence[Child], pk) -> Child:
        """`child(pk)` from the household's children read already (no statement)."""
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            raise Http404 from None
        for child in children:
            if child.pk == pk and child.household_id == self.household.pk:
                return child
        raise Http404

    def guardians(self) -> QuerySet[Guardian]:
        return Guardian.objects.filter(household_id=self.household.pk).select_related("user")

    # reservations
    def holder_keys(self, children: Sequence[Child] | None = None) -> list[str]:
        """The keys of the household's children, or of those of `children` (read already)."""
        if children is None:
            return [child_holder_key(pk) for pk in self.children().values_list("pk", flat=True)]
        return [child.holder_key for child in children if child.household_id == self.household.pk]

    def reservations(self, children: Sequence[Child] | None = None) -> QuerySet[Reservation]:
        """The household's children's reservations (every state), with their session, activity
        and hours; those of `children` (the household's, read already: no statement for them)
        when given."""
        return Reservation.objects.filter(
            channel=Channel.FAMILY, holder_key__in=self.holder_keys(children)
        ).select_related("session__activity", "family_hours")

    def live_reservations(self) -> QuerySet[Reservation]:
        return self.reservations().filter(status__in=LIVE_STATUSES)

    def reservation(self, pk) -> Reservation:
        return _get_or_404(self.reservations(), pk)

    def child_units_rows(
        self, child: Child, sessions: dict[int, Session]
    ) -> tuple[dict[int, Reservation], dict[int, BasketLine]]:
        """The child's live reservations (with their hours) and this guardian's basket lines
        for it, on these sessions, by session id; each with its session (one of `sessions`).
        Http404 for a child of another household.

        Written by hand, two statements: the calendar reads them on every load, and the ORM
        spent longer compiling its queries than the database running them."""
        if child.household_id != self.household.pk:
            raise Http404
        reservations: dict[int, Reservation] = {}
        lines: dict[int, BasketLine] = {}
        if not sessions:
            return reservations, lines
        reservations_sql, lines_sql = _child_units_sql(connection.vendor, len(sessions))
        ids = list(sessions)
        statuses = [status.value for status in LIVE_STATUSES]
        width = len(_RESERVATION_ROWS.fields)
        with connection.cursor() as cursor:
            cursor.execute(
                reservations_sql, [Channel.FAMILY.value, child.holder_key, *statuses, *ids]
            )
            for row in cursor.fetchall():
                reservation = _RESERVATION_ROWS.instance(row[:width])
                Reservation.session.field.set_cached_value(
                    reservation, sessions[reservation.session_id]
                )
                hours = None
                if row[width] is not None:  # the hours' id: a row joined
                    hours = _HOURS_ROWS.instance(row[width:])
                    ReservationHours.reservation.field.set_cached_value(hours, reservation)
                Reservation.family_hours.related.set_cached_value(reservation, hours)
                reservations[reservation.session_id] = reservation
            if self.guardian is not None:
                cursor.execute(lines_sql, [self.guardian.pk, child.pk, *ids])
                for row in cursor.fetchall():
                    line = _LINE_ROWS.instance(row)
                    BasketLine.child.field.set_cached_value(line, child)
                    BasketLine.session.field.set_cached_value(line, sessions[line.session_id])
                    lines[line.session_id] = line
        return reservations, lines

    # basket, submissions, reports
    def basket_lines(self) -> QuerySet[BasketLine]:
        """The lines of this guardian's basket (a guardian's basket is their own)."""
        if self.guardian is None:
            return BasketLine.objects.none()
        return BasketLine.objects.filter(
            basket__guardian_id=self.guardian.pk, child__household_id=self.household.pk
        ).select_related("child", "session__activity")

    def basket_line(self, pk) -> BasketLine:
        return _get_or_404(self.basket_lines(), pk)

    def submissions(self) -> QuerySet[Submission]:
        if self.guardian is None:
            return Submission.objects.none()
        return Submission.objects.filter(guardian_id=self.guardian.pk)

    def submission(self, pk) -> Submission:
        return _get_or_404(self.submissions(), pk)

    def changes(self, *, now: datetime) -> QuerySet[ReservationChange]:
        """ "Compte rendu": the household's movements of the last 30 days."""
        return ReservationChange.objects.filter(
            household_id=self.household.pk, at__gte=now - timedelta(days=REPORT_DAYS)
        ).select_related("child", "session__activity")

    def activities(self) -> QuerySet[Activity]:
        """The portal's activities that have rules (those parents may see)."""
        return (
            Activity.objects.filter(channel=Channel.FAMILY, family_rules__isnull=False)
            .select_related("family_rules")
            .order_by("name")
        )


# --- the shared rules -------------------------------------------------------------------------


def rules_of(session: Session) -> ActivityRules | None:
    """The rules of the session's activity (cached on the activity by Django)."""
    try:
        return session.activity.family_rules
    except ActivityRules.DoesNotExist:
        return None


def child_refusal(*, child: Child, session: Session, rules: ActivityRules | None) -> str | None:
    """Why `child` may not attend `session` at all ("non accessible à cet enfant"): inactive,
    outside the ages at the session's date, not in one of the activity's groups."""
    if rules is None or not child.is_active:
        return str(REASON_NOT_FOR_CHILD)
    age = child.age_on(session_day(session))
    if rules.age_min is not None and age < rules.age_min:
        return str(REASON_NOT_FOR_CHILD)
    if rules.age_max is not None and age > rules.age_max:
        return str(REASON_NOT_FOR_CHILD)
    group_ids = rules_group_ids(rules)
    if group_ids and child.group_id not in group_ids:
        return str(REASON_NOT_FOR_CHILD)
    return None


def rules_group_ids(rules: ActivityRules) -> set[int]:
    """The rules' groups (empty: every group), read once per rules instance."""
    cached = getattr(rules, "_group_ids", None)
    if cached is None:
        cached = set(rules.groups.values_list("pk", flat=True))
        rules._group_ids = cached
    return cached


def rules_group_ids_read(rules: list[ActivityRules]) -> None:
    """Reads the groups of many rules instances in one statement, so that `rules_group_ids`
    asks none for them (a page or a validation over many sessions)."""
    if not rules:
        return
    groups: dict[int, set[int]] = {r.pk: set() for r in rules}
    through = ActivityRules.groups.through
    for rules_id, group_id in through.objects.filter(activityrules_id__in=list(groups)).values_list(
        "activityrules_id", "childgroup_id"
    ):
        groups[rules_id].add(group_id)
    for r in rules:
        rules_group_ids_set(r, groups[r.pk])


def rules_group_ids_set(rules: ActivityRules, group_ids: set[int]) -> None:
    """Gives the rules their groups' ids, read by the caller's own statement."""
    rules._group_ids = group_ids


def session_day(session: Session) -> date:
    from guichet.families.deadlines import PARIS

    return session.starts_at.astimezone(PARIS).date()


def unit_booking_refusal(*, session: Session, now: datetime) -> str | None:
    """Why nobody may ask for `session` now: cancelled, not open yet, past its booking deadline
    ("Fermé ou hors délai"); None when the window is open."""
    if session.is_cancelled or session.activity.channel != Channel.FAMILY:
        return str(REASON_CLOSED)
    if session.opens_at is not None and now < session.opens_at:
        return str(REASON_CLOSED)
    if now >= session.booking_closes_at:
        return str(REASON_LATE)
    return None


def unit_cancel_refusal(*, session: Session, now: datetime) -> str | None:
    """Why a booking of `session` may no longer be cancelled (or its hours changed) by the
    family: past `cancel_until` ("hors délai pour annuler"); None while it may."""
    limit = session.cancel_until or session.booking_closes_at
    if now >= limit:
        return str(REASON_LATE_CANCEL)
    return None


def unit_span(*, session: Session, arrival: time | None, departure: time | None):
    """The (start, end) a child is there for a unit: its hours when chosen, else the session's."""
    from guichet.families.deadlines import PARIS, paris_datetime

    day = session_day(session)
    start = paris_datetime(day, arrival) if arrival else session.starts_at.astimezone(PARIS)
    end_value = session.ends_at or session.starts_at
    end = paris_datetime(day, departure) if departure else end_value.astimezone(PARIS)
    return start, end


def spans_overlap(first, second) -> bool:
    return first[0] < second[1] and second[0] < first[1]


def hours_refusal(
    *, rules: ActivityRules | None, arrival: time | None, departure: time | None
) -> str | None:
    """Why these hours are refused for the activity: outside its windows, not on a quarter
    hour, "Départ" not after "Arrivée", hours given to an activity without windows."""
    if rules is None:
        return str(REASON_NOT_FOR_CHILD)
    for value, start, end, label in (
        (arrival, rules.arrival_from, rules.arrival_until, _("L'arrivée")),
        (departure, rules.departure_from, rules.departure_until, _("Le départ")),
    ):
        if value is None:
            continue
        if start is None:
            return str(_("%(what)s ne se choisit pas pour cette activité.") % {"what": label})
        if value.minute % 15 or value.second:
            return str(_("Choisissez une heure par pas de 15 minutes."))
        if not start <= value <= end:
            return str(
                _("%(what)s se choisit entre %(start)s et %(end)s.")
                % {"what": label, "start": _hm(start), "end": _hm(end)}
            )
    if arrival is not None and departure is not None and departure <= arrival:
        return str(_("Le départ doit être après l'arrivée."))
    return None


def _hm(value: time) -> str:
    from guichet.core import dates
    from guichet.families.deadlines import paris_datetime

    return dates.hour(paris_datetime(date(2000, 1, 3), value))


def sessions_of_days(
    *, activity_ids: list[int] | None, first_day: date, last_day: date
) -> QuerySet[Session]:
    """The portal's sessions generated for these days (all activities when `activity_ids` is
    None), with their activity and its rules, by day then activity name."""
    found = Session.objects.filter(
        family_day__day__gte=first_day,
        family_day__day__lte=last_day,
        activity__channel=Channel.FAMILY,
    )
    if activity_ids is not None:
        found = found.filter(activity_id__in=activity_ids)
    return found.select_related("activity__family_rules", "family_day").order_by(
        "family_day__day", "activity__name", "pk"
    )


def removed_days_booked() -> QuerySet:
    """Sessions whose day was removed from its period while booked: kept, listed for staff."""
    from guichet.families.models import SessionDay

    return SessionDay.objects.filter(removed_at__isnull=False).select_related(
        "session", "activity", "period"
    )


def changes_of_day(*, household_id: int, start: datetime, end: datetime) -> QuerySet:
    return ReservationChange.objects.filter(
        household_id=household_id, at__gte=start, at__lt=end
    ).select_related("child", "session__activity")


def pending_requests() -> QuerySet[Reservation]:
    """ "Demandes à traiter": the portal's reservations waiting for staff, by day and
    activity."""
    from guichet.bookings.models import ReservationStatus

    return (
        Reservation.objects.filter(channel=Channel.FAMILY, status=ReservationStatus.PENDING)
        .select_related("session__activity", "family_hours")
        .order_by("session__start", "session__activity__name", "last_name", "first_name")
    )


def households_search(query: str) -> QuerySet[Household]:
    from guichet.core.search import search_filter

    return search_filter(Household.objects.all(), query).order_by("name", "number")


def household_for_staff(pk) -> Household:
    """The household staff chose by its id (any household: staff act for all); Http404 for an
    unknown or forged id."""
    return _get_or_404(Household.objects.all(), pk)


def family_staff_allowed(user) -> bool:
    """Superusers and the "Gestionnaire famille" group: the staff pages ("Demandes à traiter",
    "Réserver pour une famille", "Liste du jour") and their links on the back-office's home
    (guichet.core.staff_links)."""
    return user.is_superuser or user.groups.filter(name=FAMILY_MANAGER_GROUP).exists()
