"""The family portal's writes: generating a period's sessions, the parents' basket and its
validation, staff decisions on requests, staff bookings for a household, the accounts (guardians,
activation letters, passwords, addresses), the log of what happened and the daily report.

Seats and waiting lists move only through guichet.bookings.services (`sessions_lock`,
`reservations_allocate`, `reservations_cancel`, `reservation_update`), in the lock order of
docs/design/seats.md: sessions by pk, then the children by pk, then reservations.

Every function is keyword-only; `now` is passed by the caller (a view passes `timezone.now()`),
so that deadlines are tested at the boundary minute."""

import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import email_normalise
from guichet.accounts.selectors import user_find_by_identifier, user_has_chosen_password
from guichet.accounts.services import account_create, account_password_set, account_update
from guichet.bookings.channels import REASON_ALREADY_BOOKED, REASON_NO_SEAT, BookingLine, policy_for
from guichet.bookings.channels import REASON_FULL as CORE_REASON_FULL
from guichet.bookings.models import LIVE_STATUSES, Reservation, ReservationStatus
from guichet.bookings.services import (
    reservation_group_create,
    reservation_update,
    reservations_allocate,
    reservations_cancel,
    session_save,
    sessions_lock,
)
from guichet.catalogue.models import Activity, Channel, Session
from guichet.core import dates
from guichet.core.audit import audit_before, audit_record, audit_saved
from guichet.core.models import AuditAction
from guichet.core.selectors import organisation_get
from guichet.core.validators import validate_single_line
from guichet.families.deadlines import PARIS, deadline_at, paris_datetime, period_days
from guichet.families.digest import day_bounds
from guichet.families.letters import activation_letter_pdf
from guichet.families.models import (
    ACTIVATION_CODE_DAYS,
    ACTIVATION_CODE_LENGTH,
    BASKET_DAYS,
    CHANGE_OF_STATUS,
    ActivationCode,
    ActivityRules,
    Basket,
    BasketAction,
    BasketLine,
    BookingPeriod,
    ChangeKind,
    ChangeOrigin,
    Child,
    Guardian,
    Household,
    ReservationChange,
    ReservationHours,
    SessionDay,
    Submission,
    child_holder_key,
    holder_key_child_id,
)
from guichet.families.policy import FamilyLine, child_overlaps
from guichet.families.selectors import (
    REASON_ALREADY,
    REASON_CLOSED,
    REASON_FULL,
    REASON_LATE,
    REASON_NOT_FOR_CHILD,
    REASON_OVERLAP,
    child_refusal,
    family_settings_get,
    guardian_get_for_user,
    hours_refusal,
    rules_group_ids_read,
    rules_group_ids_set,
    rules_of,
    session_day,
    spans_overlap,
    unit_booking_refusal,
    unit_cancel_refusal,
    unit_span,
)
from guichet.notifications.models import MessageKind, OutgoingMessage
from guichet.notifications.services import (
    account_email_change_request,
    account_password_link_send,
    notify_account_mail,
    notify_portal_mails,
)

# The per-line statuses of "Valider" (the recap's "Statut" column).
STATUS_ACCEPTED = _("Acceptée")
STATUS_PENDING = _("En attente de traitement par nos services")
STATUS_CANCELLED = _("Annulée")
STATUS_HOURS = _("Horaires modifiés")


def status_waiting(rank: int) -> str:
    return str(_("Mise en liste d'attente (rang %(rank)d)") % {"rank": rank})


def status_refused(reason: str) -> str:
    return str(_("Refusée : %(reason)s") % {"reason": reason})


class FamilyError(Exception):
    """A refusal of the portal's services, its message in French for the page."""


# --- shared helpers -----------------------------------------------------------------------------

NOT_YOURS = _("Cet enfant n'est pas de votre compte famille.")
REASON_REQUIRED = _("Hors délai : indiquez le motif.")


def _child_of(guardian: Guardian, child: Child) -> None:
    """A child of another household is refused (the views already answer 404 for it)."""
    if child.household_id != guardian.household_id:
        raise FamilyError(str(NOT_YOURS))


def _reason_clean(reason: str) -> str:
    reason = (reason or "").strip()
    try:
        validate_single_line(reason)
    except ValidationError as error:
        raise FamilyError(" ".join(error.messages)) from None
    if len(reason) > 200:
        raise FamilyError(str(_("Le motif fait au plus 200 caractères.")))
    return reason


def _children_lock(ids) -> dict[int, Child]:
    """The children by pk, locked (the lock order's person rows, after the sessions)."""
    return {
        child.pk: child
        for child in Child.objects.select_for_update(of=("self",))
        .select_related("group")
        .filter(pk__in=sorted(set(ids)))
        .order_by("pk")
    }


def _live_reservations(*, child_ids, session_ids) -> dict[tuple[int, int], Reservation]:
    """(child id, session id) → the child's live reservation there."""
    keys = [child_holder_key(pk) for pk in child_ids]
    found = {}
    for row in Reservation.objects.filter(
        channel=Channel.FAMILY,
        holder_key__in=keys,
        session_id__in=list(session_ids),
        status__in=LIVE_STATUSES,
    ).select_related("family_hours"):
        found[(holder_key_child_id(row.holder_key), row.session_id)] = row
    return found


def _hours_of(reservation: Reservation) -> tuple[time | None, time | None]:
    try:
        hours = reservation.family_hours
    except ReservationHours.DoesNotExist:
        return None, None
    return hours.arrival, hours.departure


def _change(
    *,
    household_id: int,
    child_id: int,
    session_id: int,
    kind: str,
    origin: str,
    now: datetime,
    reservation: Reservation | None = None,
    rank: int | None = None,
    reason: str = "",
    author=None,
) -> ReservationChange:
    return ReservationChange(
        household_id=household_id,
        child_id=child_id,
        session_id=session_id,
        reservation=reservation,
        kind=kind,
        origin=origin,
        rank=rank,
        reason=str(reason)[:200],
        author=author,
        at=now,
    )


def _waiting_snapshot(sessions: dict[int, Session]) -> list[int]:
    """The waiting entries of the locked sessions that may promote (a list and a seat left):
    read before a change, so that the promotions it causes are logged for the daily report."""
    ids = [pk for pk, session in sessions.items() if session.waiting_count]
    if not ids:
        return []
    return list(
        Reservation.objects.filter(
            session_id__in=ids, status=ReservationStatus.WAITING
        ).values_list("pk", flat=True)
    )


def _promotions_log(waiting_before: list[int], *, now: datetime) -> list[ReservationChange]:
    """The changes of the entries of `waiting_before` that were seated since."""
    if not waiting_before:
        return []
    promoted = list(
        Reservation.objects.filter(
            pk__in=waiting_before, status__in=(ReservationStatus.VALID, ReservationStatus.PENDING)
        )
    )
    if not promoted:
        return []
    child_ids = {holder_key_child_id(row.holder_key) for row in promoted}
    households = dict(Child.objects.filter(pk__in=child_ids).values_list("pk", "household_id"))
    changes = []
    for row in promoted:
        child_id = holder_key_child_id(row.holder_key)
        if child_id not in households:
            continue
        changes.append(
            _change(
                household_id=households[child_id],
                child_id=child_id,
                session_id=row.session_id,
                reservation=row,
                kind=CHANGE_OF_STATUS[row.status],
                origin=ChangeOrigin.PROMOTION,
                rank=row.waiting_rank,
                now=now,
            )
        )
    return changes


def _reason_for_family(reason: str) -> str:
    """The core's refusal reasons in the portal's words ("Refusée : …")."""
    reason = str(reason)
    if reason in (str(REASON_NOT_FOR_CHILD), str(REASON_OVERLAP), str(REASON_LATE)):
        return reason
    if reason == str(REASON_ALREADY_BOOKED):
        return str(REASON_ALREADY)
    if reason in (str(CORE_REASON_FULL), str(REASON_NO_SEAT)):
        return str(REASON_FULL)
    return str(REASON_LATE)  # the session's window (closed, not open, cancelled)


# --- periods --------------------------------------------------------------------------------


@dataclass
class GenerationReport:
    """What "Générer les séances" did: sessions created, changed (dates, limits, price), deleted
    (a day no longer in the period, never booked), kept (such a day already booked: listed for
    staff), days skipped (their booking deadline falls before the period opens, or another
    period has the activity that day) and sessions whose change the core refused (a limit below
    what is booked), with the reason."""

    created: list[Session] = field(default_factory=list)
    updated: list[Session] = field(default_factory=list)
    deleted: list[tuple[int, date]] = field(default_factory=list)  # (activity id, day)
    kept_booked: list[Session] = field(default_factory=list)
    skipped: list[tuple[Activity, date]] = field(default_factory=list)
    refused: list[tuple[Session, str]] = field(default_factory=list)


# What generating again updates on an existing session: its times and window follow the rules
# and the period. Its seat and waiting limits are set when it is made, then staff's (per session,
# in the back-office): generating again never undoes a session's own limit.
_GENERATED_FIELDS = ("start", "end", "opens_at", "closes_at", "cancel_until", "price")


def session_values(
    *, period: BookingPeriod, rules: ActivityRules, day: date, subdivision: str
) -> dict | None:
    """The fields of the session of `rules`' activity on `day` in `period`; None when its
    booking deadline falls before the period opens (the day could never be booked)."""
    start = paris_datetime(day, rules.starts_at)
    end = paris_datetime(day, rules.ends_at)
    booking = deadline_at(
        rules.deadline("booking"), day=day, starts_at=start, subdivision=subdivision
    )
    closes = min(period.closes_at, booking) if period.closes_at else booking
    if closes <= period.opens_at:
        return None
    cancel = deadline_at(
        rules.deadline("cancel"), day=day, starts_at=start, subdivision=subdivision
    )
    waiting = period.waiting_limit if period.waiting_limit is not None else rules.waiting_limit
    return {
        "start": start,
        "end": end,
        "opens_at": period.opens_at,
        "closes_at": closes,
        "cancel_until": cancel,
        "seat_limit": period.seat_limit,
        "waiting_limit": waiting,
        "price": period.price,
    }


@transaction.atomic
def period_generate_sessions(*, period: BookingPeriod, now: datetime) -> GenerationReport:
    """ "Générer les séances" (idempotent): one core session per activity (with rules) and day of
    the period (deadlines.period_days), starting and ending at the rules' default times;
    `opens_at` = the period's opening, `closes_at` = min(period closing, booking deadline),
    `cancel_until` = cancellation deadline, seat and waiting limits and price from the period
    (the waiting limit from the rules when the period has none). Run again, it creates the
    missing days, updates the changed ones (times, window, price; a session's seat and waiting
    limits stay as staff left them) and removes days no longer in the period: deleted when
    never booked, kept (`SessionDay.removed_at`) and listed when booked."""
    settings_row = family_settings_get()
    subdivision = settings_row.holiday_subdivision
    changes = dict(period.day_changes.values_list("day", "is_open"))
    days = period_days(
        first_day=period.first_day,
        last_day=period.last_day,
        weekdays=period.weekdays,
        days=period.days,
        zone=settings_row.school_zone,
        subdivision=subdivision,
        changes=changes,
    )
    report = GenerationReport()
    existing = {
        (row.activity_id, row.day): row
        for row in SessionDay.objects.filter(period=period).select_related("session__activity")
    }
    activities = list(
        period.activities.filter(channel=Channel.FAMILY, family_rules__isnull=False)
        .select_related("family_rules")
        .order_by("pk")
    )
    others = set(
        SessionDay.objects.filter(activity__in=activities, day__in=days)
        .exclude(period=period)
        .values_list("activity_id", "day")
    )
    for activity in activities:
        rules = activity.family_rules
        for day in days:
            values = session_values(period=period, rules=rules, day=day, subdivision=subdivision)
            row = existing.get((activity.pk, day))
            if values is None or (activity.pk, day) in others:
                if row is None:
                    report.skipped.append((activity, day))
                continue  # an existing row is removed below
            existing.pop((activity.pk, day), None)
            if row is None:
                session = Session(activity=activity, **values)
                session_save(session=session, now=now)
                SessionDay.objects.create(
                    session=session, period=period, activity=activity, day=day
                )
                report.created.append(session)
                continue
            session = row.session
            changed = [name for name in _GENERATED_FIELDS if getattr(session, name) != values[name]]
            if row.removed_at is not None:
                row.removed_at = None
                row.save(update_fields=["removed_at"])
            if not changed:
                continue
            for name in changed:
                setattr(session, name, values[name])
            try:
                with transaction.atomic():
                    session_save(session=session, now=now)
            except ValidationError as error:
                report.refused.append((session, " ".join(error.messages)))
                session.refresh_from_db()
            else:
                report.updated.append(session)
    _days_remove(list(existing.values()), report=report, now=now)
    period.generated_at = now
    period.save(update_fields=["generated_at"])
    return report


def _days_remove(rows: list[SessionDay], *, report: GenerationReport, now: datetime) -> None:
    """Days no longer in their period: their session is deleted when nobody ever booked it,
    kept (and listed) otherwise."""
    if not rows:
        return
    sessions_lock(ids=[row.session_id for row in rows])  # no booking slips in meanwhile
    booked = set(
        Reservation.objects.filter(session_id__in=[row.session_id for row in rows]).values_list(
            "session_id", flat=True
        )
    )
    for row in rows:
        if row.session_id in booked:
            if row.removed_at is None:
                row.removed_at = now
                row.save(update_fields=["removed_at"])
            report.kept_booked.append(row.session)
        else:
            report.deleted.append((row.activity_id, row.day))
            session = row.session
            row.delete()
            session.delete()


# --- basket ---------------------------------------------------------------------------------


def basket_get(*, guardian: Guardian) -> Basket:
    """The guardian's basket, made on first use."""
    basket, _created = Basket.objects.get_or_create(guardian=guardian)
    return basket


def _basket_touch(basket: Basket) -> None:
    basket.save(update_fields=["updated_at"])


@dataclass
class Locked:
    """A unit left as it was, and why (in French): "hors délai", "non accessible à cet
    enfant"…"""

    session: Session
    reason: str


@dataclass
class ToggleResult:
    """`action`: "book" or "cancel" (what the first actionable day decided), None when every
    day was locked; `changed`: the session ids whose basket line was added or removed;
    `locked`: the days skipped and why."""

    action: str | None
    changed: list[int] = field(default_factory=list)
    locked: list[Locked] = field(default_factory=list)


@dataclass
class _Unit:
    session: Session
    live: Reservation | None
    line: BasketLine | None

    @property
    def mine(self) -> bool:
        """Booked or waiting, the basket counted."""
        if self.line is not None:
            return self.line.action != BasketAction.CANCEL
        return self.live is not None


def _units(*, basket: Basket, child: Child, sessions: Sequence[Session]) -> list[_Unit]:
    ids = [session.pk for session in sessions]
    live = _live_reservations(child_ids=[child.pk], session_ids=ids)
    lines = {
        line.session_id: line
        for line in BasketLine.objects.filter(basket=basket, child=child, session_id__in=ids)
    }
    ordered = sorted(sessions, key=lambda session: (session.starts_at, session.pk))
    return [
        _Unit(session=session, live=live.get((child.pk, session.pk)), line=lines.get(session.pk))
        for session in ordered
    ]


def _book_refusal(unit: _Unit, *, child: Child, now: datetime) -> str | None:
    return unit_booking_refusal(session=unit.session, now=now) or child_refusal(
        child=child, session=unit.session, rules=rules_of(unit.session)
    )


def _cancel_refusal(unit: _Unit, *, now: datetime) -> str | None:
    if unit.live is None:
        return None  # only a line of the basket: it goes
    return unit_cancel_refusal(session=unit.session, now=now)


@transaction.atomic
def basket_toggle_days(
    *, guardian: Guardian, child: Child, sessions: Sequence[Session], now: datetime
) -> ToggleResult:
    """A click on a day, a week's arrow, a weekday's arrow or the month: `sessions` are the
    units concerned (the child's activity-days, any order). The first actionable one in date
    order decides: not booked (the basket counted: a "book" line counts as booked, a "cancel"
    line as not) → every bookable unit not booked gets a "book" line (or loses its "cancel"
    line); booked → every booked unit is cancelled (its "book" line removed, or a "cancel" line
    added while it may still be cancelled). Locked units are skipped and listed."""
    _child_of(guardian, child)
    basket = basket_get(guardian=guardian)
    units = _units(basket=basket, child=child, sessions=sessions)
    action = None
    for unit in units:
        if unit.mine and _cancel_refusal(unit, now=now) is None:
            action = BasketAction.CANCEL
            break
        if not unit.mine and (
            (unit.live is not None and unit.line is not None)  # a cancel line to take back
            or _book_refusal(unit, child=child, now=now) is None
        ):
            action = BasketAction.BOOK
            break
    result = ToggleResult(action=None if action is None else str(action))
    # Written together after the loop: one DELETE and one INSERT whatever the days.
    removed, added = [], []
    for unit in units:
        if action is None:
            reason = (
                _cancel_refusal(unit, now=now)
                if unit.mine
                else _book_refusal(unit, child=child, now=now)
            )
            result.locked.append(Locked(unit.session, reason or str(REASON_CLOSED)))
            continue
        if action == BasketAction.BOOK and not unit.mine:
            if unit.line is not None:  # booked, with a cancel line: keep it booked
                removed.append(unit.line.pk)
            else:
                reason = _book_refusal(unit, child=child, now=now)
                if reason:
                    result.locked.append(Locked(unit.session, reason))
                    continue
                added.append(
                    BasketLine(
                        basket=basket, child=child, session=unit.session, action=BasketAction.BOOK
                    )
                )
            result.changed.append(unit.session.pk)
        elif action == BasketAction.CANCEL and unit.mine:
            if unit.live is None:
                removed.append(unit.line.pk)
            else:
                reason = _cancel_refusal(unit, now=now)
                if reason:
                    result.locked.append(Locked(unit.session, reason))
                    continue
                if unit.line is not None:  # an hours line: the cancellation replaces it
                    removed.append(unit.line.pk)
                added.append(
                    BasketLine(
                        basket=basket,
                        child=child,
                        session=unit.session,
                        action=BasketAction.CANCEL,
                    )
                )
            result.changed.append(unit.session.pk)
    if removed:
        BasketLine.objects.filter(pk__in=removed).delete()
    if added:
        BasketLine.objects.bulk_create(added)
    if result.changed:
        _basket_touch(basket)
    return result


HOURS_ORDER = _("Le départ doit être après l'arrivée.")


@transaction.atomic
def basket_set_hours(
    *,
    guardian: Guardian,
    child: Child,
    sessions: Sequence[Session],
    arrival: time | None,
    departure: time | None,
    now: datetime,
) -> list[Locked]:
    """One pair of hours for these units ("Arrivée", "Départ", within the activity's windows,
    quarter hours, departure after arrival): on their "book" lines; for a unit already booked,
    an "hours" line (until `cancel_until`); a unit not booked gets a "book" line with them.
    Returns the units left unchanged and why; raises FamilyError when the hours themselves are
    refused (nothing changed)."""
    _child_of(guardian, child)
    if arrival is not None and departure is not None and departure <= arrival:
        raise FamilyError(str(HOURS_ORDER))
    basket = basket_get(guardian=guardian)
    locked = []
    changed = False
    for unit in _units(basket=basket, child=child, sessions=sessions):
        reason = hours_refusal(rules=rules_of(unit.session), arrival=arrival, departure=departure)
        if reason is None and not unit.mine and unit.line is not None:
            reason = str(_("annulation demandée"))
        if reason is None:
            if unit.live is not None:
                reason = unit_cancel_refusal(session=unit.session, now=now)
            elif unit.line is None:
                reason = _book_refusal(unit, child=child, now=now)
        if reason:
            locked.append(Locked(unit.session, reason))
            continue
        if unit.line is not None:
            unit.line.arrival, unit.line.departure = arrival, departure
            unit.line.full_clean()
            unit.line.save(update_fields=["arrival", "departure"])
        elif unit.live is not None:
            if _hours_of(unit.live) == (arrival, departure):
                continue
            BasketLine.objects.create(
                basket=basket,
                child=child,
                session=unit.session,
                action=BasketAction.HOURS,
                arrival=arrival,
                departure=departure,
            )
        else:
            BasketLine.objects.create(
                basket=basket,
                child=child,
                session=unit.session,
                action=BasketAction.BOOK,
                arrival=arrival,
                departure=departure,
            )
        changed = True
    if changed:
        _basket_touch(basket)
    return locked


def basket_line_remove(*, guardian: Guardian, line_id: int) -> bool:
    """Remove one line of the guardian's basket ("Supprimer" in the hours dialog for a line
    not sent); False when it was not there."""
    deleted, _rows = BasketLine.objects.filter(pk=line_id, basket__guardian_id=guardian.pk).delete()
    return bool(deleted)


def basket_clear(*, guardian: Guardian) -> int:
    """ "Abandonner": the guardian's basket emptied; returns how many lines went."""
    deleted, _rows = BasketLine.objects.filter(basket__guardian_id=guardian.pk).delete()
    return deleted


@dataclass
class NotImported:
    """A day "Copier" left out, for "Réservations non importées"."""

    day: date
    activity: str
    reason: str


@dataclass
class CopyResult:
    added: int = 0
    not_imported: list[NotImported] = field(default_factory=list)


def _unit_spans_of_child(*, basket: Basket, child: Child, days: set[date]) -> dict[date, list]:
    """The child's units on these days (live, minus cancel lines, plus book lines) as
    (session id, span) per day."""
    spans: dict[date, list] = defaultdict(list)
    lines = {
        line.session_id: line
        for line in BasketLine.objects.filter(
            basket=basket, child=child, session__family_day__day__in=days
        ).select_related("session")
    }
    for row in Reservation.objects.filter(
        channel=Channel.FAMILY,
        holder_key=child.holder_key,
        status__in=LIVE_STATUSES,
        session__family_day__day__in=days,
    ).select_related("session", "family_hours"):
        line = lines.get(row.session_id)
        if line is not None and line.action == BasketAction.CANCEL:
            continue
        arrival, departure = _hours_of(row)
        if line is not None and line.action == BasketAction.HOURS:
            arrival, departure = line.arrival, line.departure
        spans[session_day(row.session)].append(
            (row.session_id, unit_span(session=row.session, arrival=arrival, departure=departure))
        )
    for line in lines.values():
        if line.action == BasketAction.BOOK:
            spans[session_day(line.session)].append(
                (
                    line.session_id,
                    unit_span(session=line.session, arrival=line.arrival, departure=line.departure),
                )
            )
    return spans


@transaction.atomic
def basket_copy(
    *,
    guardian: Guardian,
    source_child: Child,
    target_child: Child,
    source_activity: Activity | None,
    target_activity: Activity | None,
    first_day: date,
    last_day: date,
    weeks_later: int = 0,
    now: datetime,
) -> CopyResult:
    """ "Copier": the source child's bookings (live, and "book" lines of the basket) of
    `source_activity` (every activity when None) between `first_day` and `last_day` become
    "book" lines of `target_child` on `target_activity` (the same activity when None), on the
    same dates or `weeks_later` weeks later, with the same hours. Each day left out is listed
    with its reason: "plus de place", "horaires incompatibles", "hors délai", "non accessible à
    cet enfant", "déjà réservé"."""
    _child_of(guardian, source_child)
    _child_of(guardian, target_child)
    if last_day < first_day or (last_day - first_day).days > 400 or not 0 <= weeks_later <= 52:
        raise FamilyError(str(_("Choisissez des dates dans l'ordre, sur au plus un an.")))
    basket = basket_get(guardian=guardian)
    offset = timedelta(weeks=weeks_later)
    # The source units: (day, activity, hours).
    source = []
    source_lines = {
        line.session_id: line
        for line in BasketLine.objects.filter(
            basket=basket,
            child=source_child,
            session__family_day__day__gte=first_day,
            session__family_day__day__lte=last_day,
        ).select_related("session__activity", "session__family_day")
    }
    rows = Reservation.objects.filter(
        channel=Channel.FAMILY,
        holder_key=source_child.holder_key,
        status__in=LIVE_STATUSES,
        session__family_day__day__gte=first_day,
        session__family_day__day__lte=last_day,
    ).select_related("session__activity", "session__family_day", "family_hours")
    if source_activity is not None:
        rows = rows.filter(session__activity=source_activity)
    for row in rows:
        line = source_lines.get(row.session_id)
        if line is not None and line.action == BasketAction.CANCEL:
            continue
        hours = (line.arrival, line.departure) if line is not None else _hours_of(row)
        source.append((row.session.family_day.day, row.session.activity, hours))
    for line in source_lines.values():
        if line.action == BasketAction.BOOK and (
            source_activity is None or line.session.activity_id == source_activity.pk
        ):
            source.append(
                (line.session.family_day.day, line.session.activity, (line.arrival, line.departure))
            )
    source.sort(key=lambda item: (item[0], item[1].name))
    targets = {}
    for day, activity, _hours in source:
        wanted = target_activity or activity
        targets[(wanted.pk, day + offset)] = None
    found = {
        (row.activity_id, row.day): row.session
        for row in SessionDay.objects.filter(
            activity_id__in={key[0] for key in targets},
            day__in={key[1] for key in targets},
            removed_at__isnull=True,
        ).select_related("session__activity__family_rules")
    }
    # The groups of every target's rules in one statement, not one per day.
    rules_group_ids_read([r for r in map(rules_of, found.values()) if r is not None])
    spans = _unit_spans_of_child(
        basket=basket, child=target_child, days={key[1] for key in targets}
    )
    result = CopyResult()
    copies = []
    for day, activity, (arrival, departure) in source:
        wanted = target_activity or activity
        target_day = day + offset
        session = found.get((wanted.pk, target_day))

        def skip(reason, target_day=target_day, wanted=wanted):
            result.not_imported.append(NotImported(target_day, wanted.name, str(reason)))

        if session is None:
            skip(REASON_LATE)
            continue
        if any(pk == session.pk for pk, _span in spans[target_day]):
            skip(REASON_ALREADY)
            continue
        refusal = unit_booking_refusal(session=session, now=now)
        if refusal:
            skip(REASON_LATE)
            continue
        rules = rules_of(session)
        if child_refusal(child=target_child, session=session, rules=rules):
            skip(REASON_NOT_FOR_CHILD)
            continue
        if hours_refusal(rules=rules, arrival=arrival, departure=departure):
            arrival = departure = None  # the target activity's windows differ: its defaults
        if session.seats_left == 0 and not _waiting_room(session):
            skip(REASON_FULL)
            continue
        span = unit_span(session=session, arrival=arrival, departure=departure)
        if any(spans_overlap(span, other) for _pk, other in spans[target_day]):
            skip(REASON_OVERLAP)
            continue
        copies.append(
            BasketLine(
                basket=basket,
                child=target_child,
                session=session,
                action=BasketAction.BOOK,
                arrival=arrival,
                departure=departure,
            )
        )
        spans[target_day].append((session.pk, span))
    if copies:
        # One statement for every day: a day's "cancel" line of the target child becomes "book".
        BasketLine.objects.bulk_create(
            copies,
            update_conflicts=True,
            unique_fields=["basket", "child", "session"],
            update_fields=["action", "arrival", "departure"],
        )
        _basket_touch(basket)
    result.added = len(copies)
    return result


def _waiting_room(session: Session) -> bool:
    return session.waiting_closed_at is None and (
        session.waiting_limit is None or session.waiting_count < session.waiting_limit
    )


def _outcome(
    *,
    line: BasketLine,
    child: Child,
    session: Session,
    state: str,
    status: str,
    rank: int | None = None,
    reservation: Reservation | None = None,
    arrival: time | None = None,
    departure: time | None = None,
) -> dict:
    """One line of a submission's result, as the recap shows it."""
    return {
        "child_id": child.pk,
        "child": str(child),
        "session_id": session.pk,
        "activity": session.activity.name,
        "day": session_day(session).isoformat(),
        "action": line.action,
        "arrival": arrival.strftime("%H:%M") if arrival else None,
        "departure": departure.strftime("%H:%M") if departure else None,
        "state": state,
        "rank": rank,
        "reservation_id": reservation.pk if reservation is not None else None,
        "status": str(status),
    }


def basket_validate(*, guardian: Guardian, now: datetime, submission_key: str) -> Submission:
    """The recap's final "Valider", in one transaction: `sessions_lock`, the children locked by
    pk, the reservations concerned locked, then the "cancel" lines (`reservations_cancel`),
    the "hours" lines, then the "book" lines (`reservations_allocate`). Each line's status:
    "Acceptée", "Mise en liste d'attente (rang N)", "En attente de traitement par nos
    services", "Refusée : plus de place", "Refusée : hors délai", "Refusée : horaires
    incompatibles" (or "non accessible à cet enfant", "déjà réservé"), "Annulée", "Horaires
    modifiés". The basket is emptied; the result is kept as a `Submission`. Sent twice with
    the same `submission_key`: the first result. A view wraps it in core's `with_retry`."""
    key = (submission_key or "").strip()[:64]
    if not key:
        raise FamilyError(str(_("Ce formulaire a expiré : rechargez la page.")))
    try:
        with transaction.atomic():
            return _basket_validate(guardian=guardian, now=now, key=key)
    except IntegrityError:
        # The same key sent twice at once: the second waited for the first's commit.
        pass
    first = Submission.objects.filter(submission_key=key).first()
    if first is None or first.guardian_id != guardian.pk:
        raise FamilyError(str(_("Ce formulaire a expiré : rechargez la page.")))
    return first


def _lines_with_rules(rows) -> tuple[list[BasketLine], dict[int, ActivityRules | None]]:
    """The basket's lines (one per pk) and activity id → its rules (None without), each with its
    groups' ids (`rules_group_ids`), from the rows of the lines' query: one row per line and
    group of its rules (the groups' table joined to the left), so that the rules cost no
    statement of their own on every validation."""
    lines: dict[int, BasketLine] = {}
    rules_of_activity: dict[int, ActivityRules | None] = {}
    group_ids: dict[int, set[int]] = {}
    for row in rows:
        lines.setdefault(row.pk, row)
        activity_id = row.session.activity_id
        if activity_id not in rules_of_activity:
            rules = rules_of(row.session)
            if rules is not None:
                rules_group_ids_set(rules, group_ids.setdefault(activity_id, set()))
            rules_of_activity[activity_id] = rules
        if row.rules_group_pk is not None:
            group_ids[activity_id].add(row.rules_group_pk)
    return list(lines.values()), rules_of_activity


def _basket_validate(*, guardian: Guardian, now: datetime, key: str) -> Submission:
    # The basket's lines, locked: the same guardian validating from two tabs (or the same form
    # twice) waits here for the first to commit, then finds them gone. A key used already
    # clashes on the submission's insert, at the end (`basket_validate` then returns the first).
    # The rules of the lines' activities come with them (read once for the whole validation).
    lines, rules_cache = _lines_with_rules(
        BasketLine.objects.select_for_update(of=("self",))
        .filter(basket__guardian_id=guardian.pk)
        .select_related("child", "session__activity__family_rules")
        .annotate(rules_group_pk=F("session__activity__family_rules__groups__pk"))
        .order_by("session_id", "child_id", "pk")
    )
    if not lines:
        return Submission.objects.create(guardian=guardian, submission_key=key, outcomes=[])
    sessions = sessions_lock(ids={line.session_id for line in lines})
    children = _children_lock({line.child_id for line in lines})
    for session in sessions.values():
        # The policy reads them from the activity.
        ActivityRules.activity.field.remote_field.set_cached_value(
            session.activity, rules_cache[session.activity_id]
        )
    # The children's live units of the days concerned, locked (the lock order: after the
    # children), in one statement: those the lines cancel or change, and those a booking must
    # not overlap.
    days = {session_day(session) for session in sessions.values()}
    units = list(
        Reservation.objects.select_for_update(of=("self",))
        .filter(
            Q(session_id__in=list(sessions)) | Q(session__family_day__day__in=days),
            channel=Channel.FAMILY,
            holder_key__in=[child.holder_key for child in children.values()],
            status__in=LIVE_STATUSES,
        )
        .select_related("session", "family_hours")
        .order_by("pk")
    )
    live = {(holder_key_child_id(row.holder_key), row.session_id): row for row in units}
    waiting_before = _waiting_snapshot(sessions)
    household_id = guardian.household_id
    outcomes: dict[int, dict] = {}
    changes: list[ReservationChange] = []
    author = guardian.user

    def refuse(line, session, reason, arrival=None, departure=None):
        outcomes[line.pk] = _outcome(
            line=line,
            child=children.get(line.child_id, line.child),
            session=session,
            state=ReservationStatus.REFUSED,
            status=status_refused(reason),
            arrival=arrival,
            departure=departure,
        )

    # 1. cancellations
    to_cancel = []
    for line in lines:
        if line.action != BasketAction.CANCEL:
            continue
        session, child = sessions[line.session_id], children.get(line.child_id)
        row = live.get((line.child_id, line.session_id))
        if child is None or child.household_id != household_id or row is None:
            refuse(line, session, REASON_CLOSED)
            continue
        refusal = unit_cancel_refusal(session=session, now=now)
        if refusal:
            refuse(line, session, REASON_LATE)
            continue
        to_cancel.append((line, row))
    if to_cancel:
        reservations_cancel(reservations=[row for _line, row in to_cancel], now=now)
        for line, row in to_cancel:
            session = sessions[line.session_id]
            live.pop((line.child_id, line.session_id), None)
            outcomes[line.pk] = _outcome(
                line=line,
                child=children[line.child_id],
                session=session,
                state=ReservationStatus.CANCELLED,
                status=STATUS_CANCELLED,
                reservation=row,
            )
            changes.append(
                _change(
                    household_id=household_id,
                    child_id=line.child_id,
                    session_id=line.session_id,
                    reservation=row,
                    kind=ChangeKind.CANCELLED,
                    origin=ChangeOrigin.CANCEL_REQUEST,
                    author=author,
                    now=now,
                )
            )
    # The children's units of the days concerned, after the cancellations: the overlaps.
    cancelled = {row.pk for _line, row in to_cancel}
    spans: dict[tuple[int, date], list] = defaultdict(list)
    for row in units:
        if row.pk in cancelled:
            continue
        arrival, departure = _hours_of(row)
        spans[(holder_key_child_id(row.holder_key), session_day(row.session))].append(
            [row.session_id, unit_span(session=row.session, arrival=arrival, departure=departure)]
        )

    def overlaps(child_id, session, arrival, departure) -> bool:
        span = unit_span(session=session, arrival=arrival, departure=departure)
        slot = spans[(child_id, session_day(session))]
        clash = any(pk != session.pk and spans_overlap(span, other) for pk, other in slot)
        if not clash:
            slot[:] = [item for item in slot if item[0] != session.pk] + [[session.pk, span]]
        return clash

    # 2. hours of units already booked
    hours_rows = []
    for line in lines:
        if line.action != BasketAction.HOURS:
            continue
        session, child = sessions[line.session_id], children.get(line.child_id)
        row = live.get((line.child_id, line.session_id))
        if child is None or child.household_id != household_id or row is None:
            refuse(line, session, REASON_CLOSED)
            continue
        reason = unit_cancel_refusal(session=session, now=now) and REASON_LATE
        reason = reason or hours_refusal(
            rules=rules_cache[session.activity_id], arrival=line.arrival, departure=line.departure
        )
        if not reason and overlaps(child.pk, session, line.arrival, line.departure):
            reason = REASON_OVERLAP
        if reason:
            refuse(line, session, reason, line.arrival, line.departure)
            continue
        hours_rows.append((row, line))
        outcomes[line.pk] = _outcome(
            line=line,
            child=child,
            session=session,
            state=row.status,
            status=STATUS_HOURS,
            reservation=row,
            arrival=line.arrival,
            departure=line.departure,
        )
    for row, line in hours_rows:
        ReservationHours.objects.update_or_create(
            reservation=row, defaults={"arrival": line.arrival, "departure": line.departure}
        )
    # 3. bookings
    booking_lines, booked = [], []
    for line in lines:
        if line.action != BasketAction.BOOK:
            continue
        session, child = sessions[line.session_id], children.get(line.child_id)
        if child is None or child.household_id != household_id:
            refuse(line, session, REASON_NOT_FOR_CHILD)
            continue
        if (child.pk, session.pk) in live:
            refuse(line, session, REASON_ALREADY)
            continue
        rules = rules_cache[session.activity_id]
        reason = (
            (unit_booking_refusal(session=session, now=now) and REASON_LATE)
            or child_refusal(child=child, session=session, rules=rules)
            or hours_refusal(rules=rules, arrival=line.arrival, departure=line.departure)
        )
        if reason:
            refuse(line, session, reason, line.arrival, line.departure)
            continue
        overlap = overlaps(child.pk, session, line.arrival, line.departure)
        booking_lines.append(
            BookingLine(
                session_id=session.pk,
                holder_key=child.holder_key,
                first_name=child.first_name,
                last_name=child.last_name,
                payload=FamilyLine(
                    child=child, arrival=line.arrival, departure=line.departure, overlap=overlap
                ),
            )
        )
        booked.append(line)
    if booking_lines:
        group = reservation_group_create(channel=Channel.FAMILY, author=author, submission_key=key)
        results = reservations_allocate(
            sessions=sessions,
            lines=booking_lines,
            policy=policy_for(Channel.FAMILY),
            group=group,
            now=now,
        )
        hours = []
        for line, result in zip(booked, results, strict=True):
            session, child = sessions[line.session_id], children[line.child_id]
            row = result.reservation
            if result.state == ReservationStatus.REFUSED:
                reason = _reason_for_family(result.reason)
                refuse(line, session, reason, line.arrival, line.departure)
                changes.append(
                    _change(
                        household_id=household_id,
                        child_id=child.pk,
                        session_id=session.pk,
                        kind=ChangeKind.REFUSED,
                        origin=ChangeOrigin.BOOKING_REQUEST,
                        reason=reason,
                        author=author,
                        now=now,
                    )
                )
                continue
            if line.arrival is not None or line.departure is not None:
                hours.append(
                    ReservationHours(
                        reservation=row, arrival=line.arrival, departure=line.departure
                    )
                )
            if result.state == ReservationStatus.WAITING:
                status = status_waiting(result.rank)
            elif result.state == ReservationStatus.PENDING:
                status = STATUS_PENDING
            else:
                status = STATUS_ACCEPTED
            outcomes[line.pk] = _outcome(
                line=line,
                child=child,
                session=session,
                state=result.state,
                status=status,
                rank=result.rank,
                reservation=row,
                arrival=line.arrival,
                departure=line.departure,
            )
            changes.append(
                _change(
                    household_id=household_id,
                    child_id=child.pk,
                    session_id=session.pk,
                    reservation=row,
                    kind=CHANGE_OF_STATUS[result.state],
                    origin=ChangeOrigin.BOOKING_REQUEST,
                    rank=result.rank,
                    author=author,
                    now=now,
                )
            )
        if hours:
            ReservationHours.objects.bulk_create(hours)
    changes += _promotions_log(waiting_before, now=now)
    ReservationChange.objects.bulk_create(changes)
    BasketLine.objects.filter(pk__in=[line.pk for line in lines]).delete()
    return Submission.objects.create(
        guardian=guardian,
        submission_key=key,
        outcomes=sorted(
            outcomes.values(), key=lambda item: (item["day"], item["activity"], item["child"])
        ),
    )


def baskets_purge(*, now: datetime) -> int:
    """Lines older than 7 days (BASKET_DAYS) since their basket last changed are deleted."""
    deleted, _rows = BasketLine.objects.filter(
        basket__updated_at__lt=now - timedelta(days=BASKET_DAYS)
    ).delete()
    return deleted


# --- staff ----------------------------------------------------------------------------------


def _request_decide(
    *, reservation: Reservation, status: str, staff_user, reason: str, now: datetime
) -> Reservation:
    sessions = sessions_lock(ids=[reservation.session_id])
    waiting_before = _waiting_snapshot(sessions)
    locked = Reservation.objects.select_for_update(of=("self",)).get(pk=reservation.pk)
    if locked.channel != Channel.FAMILY or locked.status != ReservationStatus.PENDING:
        raise FamilyError(str(_("Cette demande n'est plus en attente de traitement.")))
    child_id = holder_key_child_id(locked.holder_key)
    child = Child.objects.get(pk=child_id)
    locked.status = status
    reservation_update(reservation=locked, now=now)
    changes = [
        _change(
            household_id=child.household_id,
            child_id=child.pk,
            session_id=locked.session_id,
            reservation=locked,
            kind=CHANGE_OF_STATUS[status],
            origin=ChangeOrigin.STAFF,
            reason=reason,
            author=staff_user,
            now=now,
        )
    ]
    changes += _promotions_log(waiting_before, now=now)
    ReservationChange.objects.bulk_create(changes)
    reservation.status = locked.status
    return locked


@transaction.atomic
def request_accept(
    *, reservation: Reservation, staff_user: AbstractBaseUser, now: datetime
) -> Reservation:
    """ "Accepter" a pending request ("En attente de traitement"): it becomes valid (its seat
    was held already). FamilyError when it is no longer pending."""
    return _request_decide(
        reservation=reservation,
        status=ReservationStatus.VALID,
        staff_user=staff_user,
        reason="",
        now=now,
    )


@transaction.atomic
def request_refuse(
    *, reservation: Reservation, staff_user: AbstractBaseUser, reason: str, now: datetime
) -> Reservation:
    """ "Refuser" a pending request with a reason (required, one line): its seat goes back to
    the waiting list. FamilyError when it is no longer pending or the reason is missing."""
    reason = _reason_clean(reason)
    if not reason:
        raise FamilyError(str(_("Indiquez le motif du refus.")))
    return _request_decide(
        reservation=reservation,
        status=ReservationStatus.REFUSED,
        staff_user=staff_user,
        reason=reason,
        now=now,
    )


@transaction.atomic
def staff_book(
    *,
    child: Child,
    sessions: Sequence[Session],
    staff_user: AbstractBaseUser,
    reason: str = "",
    arrival: time | None = None,
    departure: time | None = None,
    now: datetime,
) -> list[str]:
    """Staff book `child` on `sessions`, outside the booking window if need be (then a reason
    is required): seated when a seat is left (valid at once), else on the waiting list. Returns
    one status per session, as `basket_validate` words them."""
    reason = _reason_clean(reason)
    locked_sessions = sessions_lock(ids=[session.pk for session in sessions])
    if any(unit_booking_refusal(session=s, now=now) for s in locked_sessions.values()):
        if not reason:
            raise FamilyError(str(REASON_REQUIRED))
    child = _children_lock([child.pk])[child.pk]
    waiting_before = _waiting_snapshot(locked_sessions)
    ordered = [locked_sessions[pk] for pk in sorted(locked_sessions)]
    statuses, lines, kept = {}, [], []
    spans: dict[date, list] = {}  # the units booked here, which must not overlap either
    for session in ordered:
        refusal = hours_refusal(rules=rules_of(session), arrival=arrival, departure=departure)
        overlap = child_overlaps(
            child_id=child.pk, session=session, arrival=arrival, departure=departure
        )
        if refusal:
            statuses[session.pk] = status_refused(refusal)
            continue
        span = unit_span(session=session, arrival=arrival, departure=departure)
        day_spans = spans.setdefault(session_day(session), [])
        overlap = overlap or any(spans_overlap(span, other) for other in day_spans)
        if not overlap:
            day_spans.append(span)
        lines.append(
            BookingLine(
                session_id=session.pk,
                holder_key=child.holder_key,
                first_name=child.first_name,
                last_name=child.last_name,
                payload=FamilyLine(
                    child=child, arrival=arrival, departure=departure, overlap=overlap
                ),
            )
        )
        kept.append(session)
    changes = []
    if lines:
        group = reservation_group_create(channel=Channel.FAMILY, author=staff_user)
        results = reservations_allocate(
            sessions=locked_sessions,
            lines=lines,
            policy=policy_for(Channel.FAMILY),
            group=group,
            now=now,
            staff=True,
        )
        hours = []
        for session, result in zip(kept, results, strict=True):
            if result.state == ReservationStatus.REFUSED:
                text = _reason_for_family(result.reason)
                statuses[session.pk] = status_refused(text)
                kind = ChangeKind.REFUSED
            else:
                kind = CHANGE_OF_STATUS[result.state]
                text = reason
                statuses[session.pk] = (
                    status_waiting(result.rank)
                    if result.state == ReservationStatus.WAITING
                    else str(STATUS_ACCEPTED)
                )
                if arrival is not None or departure is not None:
                    hours.append(
                        ReservationHours(
                            reservation=result.reservation, arrival=arrival, departure=departure
                        )
                    )
            changes.append(
                _change(
                    household_id=child.household_id,
                    child_id=child.pk,
                    session_id=session.pk,
                    reservation=result.reservation,
                    kind=kind,
                    origin=ChangeOrigin.STAFF,
                    rank=result.rank,
                    reason=text,
                    author=staff_user,
                    now=now,
                )
            )
        ReservationHours.objects.bulk_create(hours)
    changes += _promotions_log(waiting_before, now=now)
    ReservationChange.objects.bulk_create(changes)
    return [statuses[session.pk] for session in sessions]


@transaction.atomic
def staff_cancel(
    *,
    reservations: Sequence[Reservation],
    staff_user: AbstractBaseUser,
    reason: str = "",
    now: datetime,
) -> int:
    """Staff cancel a household's bookings, past `cancel_until` if need be (then a reason is
    required); their seats go to the waiting list. Returns how many were cancelled."""
    reason = _reason_clean(reason)
    rows = [row for row in reservations if row.channel == Channel.FAMILY]
    sessions = sessions_lock(ids={row.session_id for row in rows})
    if not reason and any(
        unit_cancel_refusal(session=sessions[row.session_id], now=now) for row in rows
    ):
        raise FamilyError(str(REASON_REQUIRED))
    waiting_before = _waiting_snapshot(sessions)
    cancelled = reservations_cancel(reservations=rows, now=now)
    child_ids = {holder_key_child_id(row.holder_key) for row in cancelled}
    households = dict(Child.objects.filter(pk__in=child_ids).values_list("pk", "household_id"))
    changes = [
        _change(
            household_id=households[holder_key_child_id(row.holder_key)],
            child_id=holder_key_child_id(row.holder_key),
            session_id=row.session_id,
            reservation=row,
            kind=ChangeKind.CANCELLED,
            origin=ChangeOrigin.STAFF,
            reason=reason,
            author=staff_user,
            now=now,
        )
        for row in cancelled
        if holder_key_child_id(row.holder_key) in households
    ]
    waiting_before = [pk for pk in waiting_before if pk not in {row.pk for row in cancelled}]
    changes += _promotions_log(waiting_before, now=now)
    ReservationChange.objects.bulk_create(changes)
    return len(cancelled)


def not_served_log(*, now: datetime) -> int:
    """The portal's requests the nightly job marked "Non servi" (pending or waiting when their
    session started), logged once for the daily report."""
    logged = ReservationChange.objects.filter(
        kind=ChangeKind.NOT_SERVED, reservation_id=OuterRef("pk")
    )
    rows = list(
        Reservation.objects.filter(
            channel=Channel.FAMILY,
            status=ReservationStatus.NOT_SERVED,
            session__start__gte=now - timedelta(days=7),
        )
        .exclude(Exists(logged))
        .only("pk", "holder_key", "session_id")
    )
    child_ids = {holder_key_child_id(row.holder_key) for row in rows}
    households = dict(Child.objects.filter(pk__in=child_ids).values_list("pk", "household_id"))
    changes = [
        _change(
            household_id=households[holder_key_child_id(row.holder_key)],
            child_id=holder_key_child_id(row.holder_key),
            session_id=row.session_id,
            reservation=row,
            kind=ChangeKind.NOT_SERVED,
            origin=ChangeOrigin.SYSTEM,
            now=now,
        )
        for row in rows
        if holder_key_child_id(row.holder_key) in households
    ]
    ReservationChange.objects.bulk_create(changes)
    return len(changes)


# --- accounts -------------------------------------------------------------------------------

# Letters read aloud and typed by hand: no 0/O, 1/I/L.
ACTIVATION_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_REFUSED = _("Identifiant ou code d'activation incorrect, déjà utilisé ou expiré.")


@transaction.atomic
def guardian_create(
    *,
    household: Household,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    receives_digest: bool = True,
) -> Guardian:
    """A new guardian: an account without a password, then an invitation mail
    (`family_invitation`) when it has an e-mail address; without one, staff print a "Lettre
    d'activation" (`activation_letter_make`)."""
    user = account_create(first_name=first_name, last_name=last_name, email=email, phone=phone)
    guardian = Guardian(household=household, user=user, receives_digest=receives_digest)
    guardian.full_clean()
    guardian.save()
    audit_saved(guardian, before=None)
    if user.email:
        guardian_invitation_send(guardian=guardian)
    return guardian


EMAIL_OF_USED_ACCOUNT = _(
    "L'adresse d'un compte déjà utilisé ne se change que depuis « Profil », par son titulaire."
)


@transaction.atomic
def guardian_update(
    *,
    guardian: Guardian,
    first_name: str,
    last_name: str,
    phone: str,
    receives_digest: bool,
    email: str | None = None,
) -> Guardian:
    """Staff's edit of a guardian: names, phone, "Reçoit le compte rendu"; its e-mail address
    too while the account has never chosen a password (a mistyped address, or one added to an
    account with a letter), and then the invitation goes to it."""
    user = guardian.user
    if email is not None and email_normalise(email) != user.email:
        if user_has_chosen_password(user):
            raise ValidationError({"email": EMAIL_OF_USED_ACCOUNT})
    else:
        email = None
    account_update(user=user, first_name=first_name, last_name=last_name, phone=phone, email=email)
    if guardian.receives_digest != receives_digest:
        before = audit_before(guardian)
        guardian.receives_digest = receives_digest
        guardian.save(update_fields=["receives_digest"])
        audit_saved(guardian, before=before)
    if email:
        guardian_invitation_send(guardian=guardian)
    return guardian


def guardian_invitation_send(*, guardian: Guardian) -> None:
    """(Re)send the invitation link (ACCOUNT_INVITATION_DAYS) to the guardian's address."""
    if not guardian.user.email:
        raise FamilyError(str(_("Ce responsable n'a pas d'adresse e-mail : imprimez sa lettre.")))
    with transaction.atomic():
        notify_account_mail(kind=MessageKind.FAMILY_INVITATION, user=guardian.user)


@transaction.atomic
def activation_code_issue(*, user, now: datetime) -> str:
    """A new code for `user` (the previous one dies); returns it in clear, once."""
    code = "".join(secrets.choice(ACTIVATION_ALPHABET) for _i in range(ACTIVATION_CODE_LENGTH))
    ActivationCode.objects.update_or_create(
        user=user,
        defaults={
            "code_hash": make_password(code),
            "created_at": now,
            "expires_at": now + timedelta(days=ACTIVATION_CODE_DAYS),
            "used_at": None,
        },
    )
    audit_record(action=AuditAction.CHANGE, obj=user, note="activation letter")
    return code


def activation_letter_make(*, guardian: Guardian, now: datetime) -> bytes:
    """A "Lettre d'activation" PDF: the organisation, the guardian's "Identifiant" (its
    username) and a new 8-character code for "Première connexion" (valid 30 days, stored
    hashed, used once; the previous code dies)."""
    user = guardian.user
    if user.has_usable_password():
        raise FamilyError(
            str(_("Ce compte a déjà choisi son mot de passe : il se connecte avec lui."))
        )
    code = activation_code_issue(user=user, now=now)
    organisation = organisation_get()
    return activation_letter_pdf(
        organisation=organisation.name,
        address=guardian.household.address,
        household=guardian.household.number,
        name=f"{user.first_name} {user.last_name}".strip(),
        identifier=user.username,
        code=f"{code[:4]} {code[4:]}",
        expires_at=now + timedelta(days=ACTIVATION_CODE_DAYS),
        url=settings.SITE_URL + reverse("families:first_connection"),
    )


def _code_normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:32]


@transaction.atomic
def activation_code_redeem(
    *, identifier: str, code: str, password: str, now: datetime
) -> AbstractBaseUser:
    """ "Première connexion": the identifier and the letter's code, then the password chosen
    (checked by the form with AUTH_PASSWORD_VALIDATORS). FamilyError (one message whatever is
    wrong) for an unknown identifier, a wrong, used or expired code."""
    user = user_find_by_identifier(identifier=identifier)
    stored = (
        ActivationCode.objects.select_for_update().filter(user=user).first()
        if user is not None
        else None
    )
    code = _code_normalise(code)
    if stored is None:
        make_password(code)  # as long as a known identifier's check
        raise FamilyError(str(CODE_REFUSED))
    valid = check_password(code, stored.code_hash)
    if (
        not valid
        or stored.used_at is not None
        or now >= stored.expires_at
        or not user.is_active
        or guardian_get_for_user(user=user) is None
    ):
        raise FamilyError(str(CODE_REFUSED))
    stored.used_at = now
    stored.save(update_fields=["used_at"])
    account_password_set(user=user, password=password)
    return user


def password_forgot(*, identifier: str) -> None:
    """ "Le retrouver": a reset link (1 hour) to a guardian with an e-mail address (a new
    invitation when it never chose a password); nothing otherwise. The page says the same
    whatever happened, and "adressez-vous au pôle périscolaire" for accounts without e-mail."""
    user = user_find_by_identifier(identifier=identifier)
    if user is None or not user.is_active or not user.email:
        return
    if guardian_get_for_user(user=user) is None:
        return
    account_password_link_send(
        user=user,
        reset_kind=MessageKind.FAMILY_PASSWORD_RESET,
        invitation_kind=MessageKind.FAMILY_INVITATION,
    )


def email_change_request(*, user: AbstractBaseUser, email: str) -> bool:
    """ "Profil" → "Modifier": a link to confirm the new address, mailed to it; effective once
    confirmed. False when the address is the account's own already."""
    return account_email_change_request(
        user=user, email=email, kind=MessageKind.FAMILY_EMAIL_CHANGE, field="email1"
    )


# --- daily report ---------------------------------------------------------------------------


def digest_subject(day: date) -> str:
    return str(_("Compte rendu de vos réservations du %(day)s") % {"day": dates.day_long(day)})


@transaction.atomic
def digest_send_due(*, now: datetime) -> int:
    """Once the day's digest time (FamilySettings.digest_time, Paris) has come: one
    `family_digest` mail per household that had movements the day before, to its guardians who
    receive it and have an address (outbox rows, dedupe key per household and day: safe to run
    twice). Returns how many rows were written."""
    local = now.astimezone(PARIS)
    if local.time() < family_settings_get().digest_time:
        return 0
    not_served_log(now=now)
    day = local.date() - timedelta(days=1)
    start, end = day_bounds(day)
    household_ids = set(
        ReservationChange.objects.filter(at__gte=start, at__lt=end).values_list(
            "household_id", flat=True
        )
    )
    if not household_ids:
        return 0
    recipients: dict[int, list[str]] = defaultdict(list)
    for household_id, email in (
        Guardian.objects.filter(
            household_id__in=household_ids, receives_digest=True, user__is_active=True
        )
        .exclude(user__email="")
        .order_by("pk")
        .values_list("household_id", "user__email")
    ):
        recipients[household_id].append(email)
    messages = [
        OutgoingMessage(
            dedupe_key=f"{MessageKind.FAMILY_DIGEST}:{household_id}:{day.isoformat()}",
            kind=MessageKind.FAMILY_DIGEST,
            subject=digest_subject(day),
            recipients=recipients[household_id],
            details={"household": household_id, "day": day.isoformat()},
            scheduled_for=now,
        )
        for household_id in sorted(household_ids)
        if recipients[household_id]
    ]
    return notify_portal_mails(messages=messages)
