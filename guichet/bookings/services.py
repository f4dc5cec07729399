"""Every change that takes or gives back seats: the one place where seats are counted.

Seats are held in `Session.seats_taken` and moved only by `_seats_take` / `_seats_release`, which
also move `Session.waiting_count` (the waiting list's counter). Taking is a guarded UPDATE: one
statement checks the room left and writes, so two bookings for the last seat cannot both succeed
(the second waits on the row lock, then re-checks its WHERE). The `session_seats_within_limit`
constraint backs it up. See docs/design/seats.md and docs/design/waiting-list.md.

Lock order (docs/design/seats.md): a service that changes existing rows locks the sessions it
touches by pk (`sessions_lock`), then the portal's person rows, then the reservations by pk, before
any update, so that two services never wait on each other in a circle. A parks booking inserts its
reservation (locked by nobody else) and takes the session's row last, with the guarded UPDATE.
The per-address advisory lock (a booking or a change online) comes before any row lock.

The portals book through `reservations_allocate` and the waiting lists move through
`waiting_promote`, `reservations_cancel` and `waiting_list_close`, asking the channel's policy
(guichet/bookings/channels.py) what the core cannot know.
"""

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.bookings.channels import (
    REASON_ALREADY_BOOKED,
    REASON_FULL,
    REASON_NO_SEAT,
    BookingLine,
    ChannelPolicy,
    LineOutcome,
    MailEvent,
    Refuse,
    Seat,
    Wait,
    policy_for,
)
from guichet.bookings.models import (
    LIVE_STATUSES,
    SEAT_HOLDING_STATUSES,
    Reservation,
    ReservationGroup,
    ReservationStatus,
    reservation_reference,
)
from guichet.bookings.selectors import (
    SESSION_CHANGE_STATUSES,
    reservation_cancellable_online,
    reservation_changeable_online,
    reservation_for_submission,
    session_booking_refusal,
    session_change_postpone_if_booked,
    session_window_refusal,
)
from guichet.catalogue.models import Activity, Channel, Session, SessionStatus
from guichet.catalogue.selectors import session_over_q
from guichet.core.audit import audit_changes, audit_records, audit_saved, audit_snapshot
from guichet.core.db import (
    ModelRows,
    advisory_lock,
    keys_draw_sent,
    pipeline,
    result_later,
    rows_insert_sent,
    sql_name,
)
from guichet.core.models import AuditAction
from guichet.core.search import search_text_of
from guichet.notifications.selectors import mail_counts_sql, mail_limit_reached
from guichet.notifications.services import (
    group_reminders_sync,
    notify_group_mails,
    notify_reservation_cancelled,
    notify_reservation_created,
    notify_reservation_link,
    notify_reservation_quantity_changed,
    notify_reservation_updated,
    notify_session_changed,
    reminder_sync,
)


class BookingError(Exception):
    """A booking or change refused for a reason the person can act on; str() is the message."""


class NotEnoughSeats(BookingError):
    pass


class SessionNotBookable(BookingError):
    pass


class AlreadyBooked(BookingError):
    """Online, the address already holds the most places one booking may take for the session."""

    def __str__(self) -> str:
        return _(
            "Vous avez déjà une réservation pour cette session : "
            "nous venons de vous renvoyer son lien par e-mail."
        )


OTHER_CHANNEL = _("Cette session relève d'un autre portail.")


_SESSION_ROWS, _ACTIVITY_ROWS = ModelRows(Session), ModelRows(Activity)


@functools.lru_cache(maxsize=64)
def _sessions_lock_sql(vendor: str, count: int) -> str:
    """The statement of `sessions_lock` for `count` ids, built once per database vendor (its
    quoting, its lock clause) and count."""
    session, activity = sql_name(Session), sql_name(Activity)
    lock = f" FOR UPDATE OF {session}" if connection.features.has_select_for_update else ""
    return (
        f"SELECT {_SESSION_ROWS.columns()}, {_ACTIVITY_ROWS.columns()}"
        f" FROM {session} INNER JOIN {activity}"
        f" ON {activity}.{sql_name(Activity, 'id')} = {session}.{sql_name(Session, 'activity')}"
        f" WHERE {session}.{sql_name(Session, 'id')} IN ({', '.join(['%s'] * count)})"
        f" ORDER BY {session}.{sql_name(Session, 'id')}{lock}"
    )


class LockedSessions(dict[int, Session]):
    """What `sessions_lock` returns: the sessions locked, by pk. Given the holder keys of a
    booking's lines, it also carries what `reservations_allocate` reads of them under the lock,
    read in the same round trip (`allocation_reads`, taken by the first allocation)."""

    allocation_reads: "_AllocationReads | None" = None


def sessions_lock(*, ids: Iterable[int], holder_keys: Iterable[str] = ()) -> LockedSessions:
    """Lock these sessions' rows (`SELECT … FOR UPDATE`, in pk order) until the commit, and
    return them as committed, with their activity (not locked): the first step of every service
    that changes existing rows.

    `holder_keys`: those of the lines the caller gives `reservations_allocate` next, writing no
    reservation of these sessions before: what the allocation reads of them under the lock then
    comes in the same round trip as the lock (on PostgreSQL), and the sessions are held one round
    trip less. The transaction's BEGIN goes with them.

    Written by hand: it opens every service, and the ORM spent four times longer compiling this
    statement (with its join) than PostgreSQL running it."""
    ids = sorted(set(ids))
    locked = LockedSessions()
    if not ids:
        return locked
    # As the ORM's select_for_update() refuses: outside a transaction the lock would go at once.
    if connection.features.has_select_for_update and connection.get_autocommit():
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    sql = _sessions_lock_sql(connection.vendor, len(ids))
    holder_keys = list(holder_keys)
    with pipeline():
        cursor = connection.cursor()
        cursor.execute(sql, ids)
        rows_read = result_later(cursor, lambda cursor: cursor.fetchall())
        reads_read = (
            _allocation_reads_sent(session_ids=ids, keys=holder_keys, rows=len(holder_keys))
            if holder_keys
            else None
        )
    width = len(_SESSION_ROWS.fields)
    for row in rows_read():
        locked_session = _SESSION_ROWS.instance(row[:width])
        Session.activity.field.set_cached_value(
            locked_session, _ACTIVITY_ROWS.instance(row[width:])
        )
        locked[locked_session.pk] = locked_session
    if reads_read is not None:
        locked.allocation_reads = reads_read()
    return locked


# The guarded UPDATE, which also returns the session's effective start as committed: the row is
# locked from then on, so what a booking schedules from it (its reminder) cannot be stale.
_SEATS_TAKE_SQL = (
    "UPDATE {table} SET seats_taken = seats_taken + %s, waiting_count = waiting_count + %s "
    "WHERE id = %s AND status <> %s AND (seat_limit IS NULL OR seats_taken <= seat_limit - %s) "
    "RETURNING effective_start"
)
# Giving back needs no guard: it cannot oversell.
_COUNTERS_ADD_SQL = (
    "UPDATE {table} SET seats_taken = seats_taken + %s, waiting_count = waiting_count + %s "
    "WHERE id = %s"
)


def _seats_take(*, session_id: int, seats: int, waiting: int = 0) -> datetime:
    """Take `seats` if there is room (and add `waiting` to the waiting list's counter, which a
    promotion lowers); returns the session's effective start as committed. Written by hand, as
    `_seats_release`: every booking ends with one of them."""
    return _seats_take_sent(session_id=session_id, seats=seats, waiting=waiting)()


def _seats_take_sent(*, session_id: int, seats: int, waiting: int = 0) -> Callable[[], datetime]:
    """`_seats_take`'s UPDATE, sent; the function returned reads its answer (raising when there
    was no room), after the `pipeline` it was sent in."""
    sql = _SEATS_TAKE_SQL.format(table=sql_name(Session))
    params = [seats, waiting, session_id, SessionStatus.CANCELLED.value, seats]
    cursor = connection.cursor()
    cursor.execute(sql, params)
    answer = result_later(cursor, lambda cursor: cursor.fetchone())

    def taken_read() -> datetime:
        taken = answer()
        if taken is None:
            session = Session.objects.get(pk=session_id)
            if session.is_cancelled:
                raise SessionNotBookable(_("Cette session est annulée."))
            raise NotEnoughSeats(
                _("Il n'y a pas assez de places (places restantes : %(left)d).")
                % {"left": session.seats_left}
            )
        [starts_at] = taken
        return _SESSION_ROWS.value("effective_start", starts_at)

    return taken_read


def _seats_release(*, session_id: int, seats: int, waiting: int = 0) -> None:
    """Give back `seats` and take `waiting` off the waiting list's counter. Written by hand, as
    `_seats_take`: an allocation that only puts people on the waiting list ends with it."""
    with connection.cursor() as cursor:
        cursor.execute(
            _COUNTERS_ADD_SQL.format(table=sql_name(Session)), [-seats, -waiting, session_id]
        )


def _counters_move(*, session_id: int, seats: int, waiting: int) -> Callable[[], object]:
    """Add `seats` (may be negative) to the seats taken and `waiting` to the waiting list's
    counter, in one statement: the guarded one when seats are taken. Sent only: call the
    function returned to check the guard (after the `pipeline` it was sent in)."""
    if seats > 0:
        return _seats_take_sent(session_id=session_id, seats=seats, waiting=waiting)
    if seats < 0 or waiting:
        _seats_release(session_id=session_id, seats=-seats, waiting=-waiting)
    return lambda: None


def _counts(reservation: Reservation) -> dict[int, tuple[int, int]]:
    """What the reservation counts for: {session_id: (seats held, waiting entries)}."""
    if reservation.holds_seats:
        return {reservation.session_id: (reservation.quantity, 0)}
    if reservation.status == ReservationStatus.WAITING:
        return {reservation.session_id: (0, 1)}
    return {}


def _seats_move(
    *,
    before: dict[int, tuple[int, int]],
    after: dict[int, tuple[int, int]],
    sessions: Mapping[int, Session] | None = None,
) -> dict[int, int]:
    """Apply the difference between two `_counts` (their sessions already locked by the caller),
    in session pk order, to the database and to the locked rows in `sessions`. Returns the seats
    given back per session (for the promotion)."""
    deltas: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for sign, counts in ((-1, before), (1, after)):
        for session_id, (seats, waiting) in counts.items():
            deltas[session_id][0] += sign * seats
            deltas[session_id][1] += sign * waiting
    for session_id in sorted(deltas):
        seats, waiting = deltas[session_id]
        _counters_move(session_id=session_id, seats=seats, waiting=waiting)()
        if sessions is not None:
            sessions[session_id].seats_taken += seats
            sessions[session_id].waiting_count += waiting
    return {session_id: -seats for session_id, (seats, _w) in deltas.items() if seats < 0}


def _reservations_lock(
    *, pks: Iterable[int], session_ids: Iterable[int], waiting_lists: bool = False
) -> tuple[list[Reservation], dict[int, Session]]:
    """Lock the reservations' sessions (and `session_ids`), then the reservations by pk: the lock
    order. With `waiting_lists`, the waiting entries of those sessions are locked and returned
    too, in the same statement (a cancellation promotes them next). Returns the locked
    reservations, each with its session as committed, and the locked sessions."""
    ids = set(session_ids)
    while True:
        sessions = sessions_lock(ids=ids)
        listed = [pk for pk, session in sessions.items() if session.waiting_count]
        rows = Q(pk__in=set(pks))
        if waiting_lists and listed:
            rows |= Q(session_id__in=listed, status=ReservationStatus.WAITING)
        locked = list(
            Reservation.objects.select_for_update(of=("self",))
            .select_related("group__author")
            .filter(rows)
            .order_by("pk")
        )
        moved = {reservation.session_id for reservation in locked} - set(sessions)
        if not moved:
            for reservation in locked:
                reservation.session = sessions[reservation.session_id]
            return locked, sessions
        # Moved to another session between our read and our lock (rare): lock that one too.
        ids |= moved


def _reservation_lock(*, pk: int, session_ids: Iterable[int]) -> tuple[Reservation, dict]:
    """`_reservations_lock` for one reservation."""
    [locked], sessions = _reservations_lock(pks=[pk], session_ids=session_ids)
    return locked, sessions


def _keeps_core_mails(reservation: Reservation) -> bool:
    """The wave-1 mails, per reservation, go only to the channels that keep them (parks)."""
    return bool(policy_for(reservation.channel).core_mails)


def reservation_create(
    *,
    session: Session,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    city: str,
    quantity: int,
    online: bool,
    submission_key: str | None = None,
    now: datetime | None = None,
) -> Reservation:
    """Book `quantity` seats. Online bookings also obey the activity's online rules
    (bookable online, booking deadline, most places per booking); staff may book past them.
    A `submission_key` already used returns the reservation it made instead of booking again.

    The key is looked up only when the booking fails: a key already used makes the insert clash
    on its unique column, which rolls the seats back, so a booking that goes through never needs
    the lookup."""
    reservation = Reservation(
        session=session,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        city=city,
        quantity=quantity,
        submission_key=submission_key,
    )
    while True:
        try:
            return _reservation_make(
                session=session, reservation=reservation, online=online, now=now
            )
        except (BookingError, IntegrityError) as exc:
            # The same form sent again (or twice at once): it leads to the reservation it made,
            # even if the session has since filled up or closed.
            earlier = reservation_for_submission(key=submission_key)
            if earlier is not None:
                return earlier
            if isinstance(exc, AlreadyBooked):
                _reservation_links_send(session=session, email=email)
            if not (isinstance(exc, IntegrityError) and _reference_redrawn(reservation)):
                raise


def _reference_redrawn(reservation: Reservation) -> bool:
    """After an insert refused by a unique column: when the short reference was the one taken,
    draw another and say so (rare: 40 random bits)."""
    if not Reservation.objects.filter(reference=reservation.reference).exists():
        return False
    reservation.reference = reservation_reference()
    return True


def _reservation_make(
    *, session: Session, reservation: Reservation, online: bool, now: datetime | None
) -> Reservation:
    if session.activity.channel != Channel.PARKS:
        raise SessionNotBookable(OTHER_CHANNEL)  # the portals book through their own pages
    if online:
        refusal = session_booking_refusal(
            session=session, now=now or timezone.now(), quantity=reservation.quantity
        )
        if refusal:
            raise SessionNotBookable(refusal)
    # Fields and rules only: the database checks the constraints, the session and the key's
    # uniqueness again at the insert, and asking it first would cost a query each.
    reservation.full_clean(exclude=["session"], validate_unique=False, validate_constraints=False)
    # Only the writes in the transaction: after a clash on the key, the lookup needs no savepoint.
    with transaction.atomic():
        # Kept on the row: "Ma réservation" and the reminder read it there.
        reservation.confirmation_held = online and _address_check(reservation=reservation)
        reservation.save()
        notify_reservation_created(reservation=reservation)
        # The seats last: the session's row stays locked only until the commit, so that a crowd
        # booking the same session waits on it as little as possible. If they are not there,
        # the reservation and its mails are rolled back with the rest.
        starts_at = _seats_take(session_id=session.pk, seats=reservation.quantity)
        if starts_at != session.starts_at:
            # `session` was read before staff changed its dates: the reminder follows the
            # committed row (staff's change, committed before our lock, did not see this booking).
            session.refresh_from_db()
            reminder_sync(reservation=reservation)
        if not online:  # public bookings are their own record: the hot path writes no entry
            audit_saved(reservation, before=None)
    return reservation


def _address_lock(email: str) -> None:
    """Bookings with one e-mail address, one at a time (until the commit): what one reads of the
    address's reservations and mails stays true until it has written its own."""
    advisory_lock("bookings.address", email.strip().lower())


def _address_reservations(*, session: Session, email: str):
    return Reservation.objects.filter(
        session=session, email__iexact=email.strip(), status__in=SEAT_HOLDING_STATUSES
    )


def _address_check(*, reservation: Reservation) -> bool:
    """Online, the places of all live bookings of one address for one session stay within the
    activity's "places au plus par réservation en ligne": one person cannot hoard the seats by
    booking again and again. Returns whether the address has had CONFIRMATION_MAIL_LIMIT mails,
    read in the same statement (written by hand: it runs for every booking, and the ORM would
    spend more building it than it costs). Before any write, and before the session's row is
    locked, so that a crowd still queues on that row as briefly as before."""
    _address_lock(reservation.email)
    mail_counts, params = mail_counts_sql(email=reservation.email, now=timezone.now())
    statuses = [status.value for status in SEAT_HOLDING_STATUSES]
    places = (
        f"(SELECT COALESCE(SUM({sql_name(Reservation, 'quantity')}), 0)"
        f" FROM {sql_name(Reservation)} WHERE {sql_name(Reservation, 'session')} = %s"
        f" AND UPPER({sql_name(Reservation, 'email')}) = UPPER(%s)"
        f" AND {sql_name(Reservation, 'status')} IN ({', '.join(['%s'] * len(statuses))}))"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join([places, *mail_counts])}",
            [reservation.session_id, reservation.email, *statuses, *params],
        )
        held, *sent = cursor.fetchone()
    if held and held + reservation.quantity > reservation.session.activity.max_places_per_booking:
        raise AlreadyBooked()
    return mail_limit_reached(sent)


@transaction.atomic
def _reservation_links_send(*, session: Session, email: str) -> None:
    """After AlreadyBooked: the link of each live booking of the address for the session, mailed
    to that address only (whoever typed it sees nothing of them)."""
    _address_lock(email)
    for reservation in _address_reservations(session=session, email=email).order_by("pk"):
        notify_reservation_link(reservation=reservation)


@transaction.atomic
def reservation_update(*, reservation: Reservation, now: datetime | None = None) -> Reservation:
    """Save staff edits of an existing reservation (session, quantity, status, person's details):
    seats move with it, under the same rules as a new booking, never to another portal's
    session. Seats given back (fewer places, another session, cancelled, a pending row refused)
    go to the session's waiting list at once."""
    now = now or timezone.now()
    previous_session_id = (
        Reservation.objects.filter(pk=reservation.pk).values_list("session_id", flat=True).get()
    )
    before, sessions = _reservation_lock(
        pk=reservation.pk, session_ids={previous_session_id, reservation.session_id}
    )
    if sessions[reservation.session_id].activity.channel != before.channel:
        raise BookingError(OTHER_CHANNEL)
    reservation.full_clean()
    if (
        reservation.status == ReservationStatus.CANCELLED
        and before.status != ReservationStatus.CANCELLED
    ):
        reservation.cancelled_at = now
    elif reservation.status != ReservationStatus.CANCELLED:
        reservation.cancelled_at = None
    released = _seats_move(before=_counts(before), after=_counts(reservation), sessions=sessions)
    reservation.save()
    reservation.session = sessions[reservation.session_id]  # its dates as committed
    if _keeps_core_mails(reservation):
        notify_reservation_updated(reservation=reservation, before=before)
    audit_saved(reservation, before=audit_snapshot(before))
    for session_id in sorted(released):
        waiting_promote(session=sessions[session_id], now=now)
    return reservation


@transaction.atomic
def reservation_quantity_change(
    *, reservation: Reservation, quantity: int, now: datetime | None = None
) -> Reservation:
    """ "Modifier le nombre de places" from the reservation's page: lower or raise its places
    until the booking deadline, within the activity's most per booking (all the address's
    bookings for the session counted, as for a new booking) and the places left. Mails
    "Réservation modifiée". Raises BookingError with the reason when refused."""
    max_places = reservation.session.activity.max_places_per_booking
    if quantity < 1:
        raise BookingError(_("Gardez au moins une place, ou annulez la réservation."))
    if quantity > max_places:
        raise BookingError(
            _("Vous pouvez réserver au plus %(max)d places en ligne.") % {"max": max_places}
        )
    # The address's places are read below, then written: the per-address lock, before any row
    # lock as for a new booking (see _address_check); then the lock order.
    _address_lock(reservation.email)
    locked, _sessions = _reservation_lock(pk=reservation.pk, session_ids=[reservation.session_id])
    if not reservation_changeable_online(reservation=locked, now=now):
        raise BookingError(
            _(
                "Cette réservation ne peut plus être modifiée en ligne : "
                "appelez-nous pour toute modification."
            )
        )
    previous = locked.quantity
    if quantity == previous:
        return locked
    others = (
        _address_reservations(session=locked.session, email=locked.email)
        .exclude(pk=locked.pk)
        .aggregate(places=Sum("quantity", default=0))["places"]
    )
    if others + quantity > max_places:
        raise BookingError(
            _(
                "Avec vos autres réservations pour cette session, vous pouvez avoir au plus "
                "%(max)d places en ligne."
            )
            % {"max": max_places}
        )
    _seats_move(before=_counts(locked), after={locked.session_id: (quantity, 0)})
    locked.quantity = quantity
    locked.save(update_fields=["quantity"])
    notify_reservation_quantity_changed(reservation=locked, previous=previous)
    reservation.quantity = quantity
    return locked


@transaction.atomic
def reservation_cancel(*, reservation: Reservation) -> bool:
    """Cancel a reservation and give its seats back (to the waiting list first); False when it
    was no longer live (already cancelled, refused, not served)."""
    return bool(reservations_cancel(reservations=[reservation]))


@transaction.atomic
def reservations_cancel(
    *, reservations: Sequence[Reservation], now: datetime | None = None
) -> list[Reservation]:
    """Cancel these reservations (those still live: valid, archived, pending, waiting), with one
    release and one promotion per session; returns the rows cancelled. `reservations` are
    updated in place."""
    pks = {reservation.pk for reservation in reservations}
    locked, sessions = _reservations_lock(
        pks=pks,
        session_ids={reservation.session_id for reservation in reservations},
        waiting_lists=True,
    )
    cancelled = _reservations_cancel_locked(
        locked=[row for row in locked if row.pk in pks],
        sessions=sessions,
        now=now or timezone.now(),
        waiting=[row for row in locked if row.pk not in pks],
    )
    done = {row.pk: row for row in cancelled}
    for reservation in reservations:
        if reservation.pk in done:
            reservation.status = done[reservation.pk].status
            reservation.cancelled_at = done[reservation.pk].cancelled_at
    return cancelled


def _reservations_cancel_locked(
    *,
    locked: list[Reservation],
    sessions: dict[int, Session],
    now: datetime,
    waiting: list[Reservation] | None = None,
) -> list[Reservation]:
    """Cancel the live rows of `locked`, then promote on their sessions: `waiting`, when given,
    are the other waiting entries of those sessions, locked already."""
    cancelled = [row for row in locked if row.status in LIVE_STATUSES]
    if not cancelled:
        return []
    Reservation.objects.filter(pk__in=[row.pk for row in cancelled]).update(
        status=ReservationStatus.CANCELLED, cancelled_at=now
    )
    committed = {session_id: _committed(session) for session_id, session in sessions.items()}
    changes = []
    for row in cancelled:
        session = sessions[row.session_id]
        if row.holds_seats:
            session.seats_taken -= row.quantity
        elif row.status == ReservationStatus.WAITING:
            session.waiting_count -= 1
        before = row.status
        row.status, row.cancelled_at = ReservationStatus.CANCELLED, now
        changes.append((row, _status_change(before, row)))
        if _keeps_core_mails(row):
            notify_reservation_cancelled(reservation=row)
    audit_records(action=AuditAction.CANCEL, changes=changes)
    entries: dict[int, list[Reservation]] = defaultdict(list)
    for entry in waiting or ():
        entries[entry.session_id].append(entry)
    promoted = []
    for session_id in sorted({row.session_id for row in cancelled}):
        session = sessions[session_id]
        listed = entries[session_id] if waiting is not None else None
        promoted += _promote(session=session, now=now, entries=listed)
        _counters_sync(session=session, committed=committed[session_id])
    notify_group_mails(event=MailEvent.PROMOTED, reservations=promoted)
    # A booking left without a seat on the session gets no J-2 reminder.
    group_reminders_sync(reservations=cancelled)
    return cancelled


@transaction.atomic
def reservation_cancel_online(*, reservation: Reservation, now: datetime | None = None) -> None:
    """The person cancels from their reservation page; raises BookingError when no longer allowed.
    Checked on the rows as committed, locked in the lock order (the session first)."""
    locked, sessions = _reservation_lock(pk=reservation.pk, session_ids=[reservation.session_id])
    if not reservation_cancellable_online(reservation=locked, now=now):
        raise BookingError(
            _(
                "Cette réservation ne peut plus être annulée en ligne : appelez-nous pour toute modification."
            )
        )
    _reservations_cancel_locked(locked=[locked], sessions=sessions, now=timezone.now())
    reservation.status, reservation.cancelled_at = locked.status, locked.cancelled_at


@transaction.atomic
def session_save(*, session: Session, now: datetime | None = None) -> Session:
    """Create or change a session. A new one gets its channel's defaults for the fields staff
    left empty. Lowering the limit below the seats already booked, or the waiting list's below
    the people on it, is refused; cancelling the session cancels its valid, pending and waiting
    reservations and gives their seats back; moving the start of a booked session postpones it
    (the original dates stay) and moves its booking window with it; seats added go to the
    waiting list first."""
    now = now or timezone.now()
    policy = policy_for(session.activity.channel)
    if session.pk is None:
        for name, value in policy.session_defaults(session).items():
            if getattr(session, name) is None:
                setattr(session, name, value)
        session.seats_taken = session.waiting_count = 0
        session.full_clean()
        session.save()
        session.refresh_from_db(fields=["effective_start", "effective_end"])
        audit_saved(session, before=None)
        return session
    before = sessions_lock(ids=[session.pk])[session.pk]
    # The counters and the list's closing are the services', the form's copy may be stale.
    session.seats_taken, session.waiting_count = before.seats_taken, before.waiting_count
    session.waiting_closed_at = before.waiting_closed_at
    live = []
    if _dates_and_state(session) != _dates_and_state(before):
        # The lock order: the session, then its live reservations, before any update (the
        # mails below move or withdraw their reminders, a cancellation cancels them). No booking
        # becomes valid meanwhile: a new one waits on the session's row, locked above.
        live = _session_reservations_lock(session_id=session.pk)
        session_change_postpone_if_booked(session=session, before=before)
        _window_shift(session=session, before=before)
    session.full_clean()  # refuses a limit below the seats booked or the people waiting
    session.save()
    # Before the cancellation below: the mails go to the reservations that were live (per
    # reservation or per group, as the channel's policy says: the rule the confirmation page
    # announces).
    notify_session_changed(session=session, before=before)
    if session.is_cancelled and not before.is_cancelled:
        _session_reservations_cancel(session=session, live=live, now=now)
    elif not session.is_cancelled:
        waiting_promote(session=session, now=now)  # a limit raised seats the list first
    session.refresh_from_db(
        fields=["seats_taken", "waiting_count", "effective_start", "effective_end"]
    )
    audit_saved(session, before=audit_snapshot(before))
    return session


def _status_change(before: str, reservation: Reservation) -> dict:
    return audit_changes({"status": before}, {"status": reservation.status})


def _dates_and_state(session: Session) -> tuple:
    return (session.status, session.start, session.end, session.new_start, session.new_end)


_WINDOW_FIELDS = ("opens_at", "closes_at", "cancel_until")


def _window_shift(*, session: Session, before: Session) -> None:
    """A session whose start moves keeps its booking window where it was from its start: the
    window's dates move by the same delta, unless staff changed them in the same save."""
    try:
        delta = session.starts_at - before.starts_at
        for name in _WINDOW_FIELDS:
            value = getattr(session, name)
            if delta and value is not None and value == getattr(before, name):
                setattr(session, name, value + delta)
    except (OverflowError, TypeError):  # a start far out of range: full_clean refuses it
        return


def _session_reservations_lock(*, session_id: int) -> list[Reservation]:
    """Lock the session's valid, pending and waiting reservations by pk. (A
    `select_for_update()` inside an `aggregate()` locks nothing: Django drops it.)"""
    return list(
        Reservation.objects.select_for_update(of=("self",))
        .select_related("group__author")
        .filter(session_id=session_id, status__in=SESSION_CHANGE_STATUSES)
        .order_by("pk")
    )


def _session_reservations_cancel(
    *, session: Session, live: list[Reservation], now: datetime
) -> None:
    """The session is cancelled: its valid, pending and waiting reservations too, in one
    statement (the session's mails replace per-reservation ones), and both counters come back
    to what the rest holds (archived rows, if any)."""
    Reservation.objects.filter(pk__in=[row.pk for row in live]).update(
        status=ReservationStatus.CANCELLED, cancelled_at=now
    )
    _seats_release(
        session_id=session.pk,
        seats=sum(row.quantity for row in live if row.holds_seats),
        waiting=sum(row.status == ReservationStatus.WAITING for row in live),
    )


# --- the portals: allocation, promotion, closing ------------------------------------------------


def _committed(session: Session) -> tuple[int, int]:
    return session.seats_taken, session.waiting_count


def _counters_sync(*, session: Session, committed: tuple[int, int]) -> None:
    """Write what changed in memory on a locked session's counters since `committed`."""
    _counters_sync_sent(session=session, committed=committed)()


def _counters_sync_sent(*, session: Session, committed: tuple[int, int]) -> Callable[[], object]:
    """`_counters_sync`'s statement, sent: see `_counters_move`."""
    return _counters_move(
        session_id=session.pk,
        seats=session.seats_taken - committed[0],
        waiting=session.waiting_count - committed[1],
    )


def _seated_keys(*, session_id: int) -> set[str]:
    return set(
        Reservation.objects.filter(session_id=session_id, status__in=SEAT_HOLDING_STATUSES)
        .exclude(holder_key="")
        .values_list("holder_key", flat=True)
    )


def _waiting_entries_lock(*, session_id: int) -> list[Reservation]:
    """The session's waiting entries, locked by pk (the lock order), with their group's author
    for the group mails."""
    return list(
        Reservation.objects.select_for_update(of=("self",))
        .select_related("group__author")
        .filter(session_id=session_id, status=ReservationStatus.WAITING)
        .order_by("pk")
    )


def _promote(
    *,
    session: Session,
    now: datetime,
    entries: list[Reservation] | None = None,
) -> list[Reservation]:
    """Seat the waiting list of `session` (locked, its counters current in memory) in rank
    order while seats are left and promotion is open; changes the counters in memory only.
    `entries`: its waiting entries, locked, when the caller has read them."""
    policy = policy_for(session.activity.channel)
    left = session.seats_left
    if session.waiting_count == 0 or left == 0 or now >= policy.promotion_closes_at(session):
        return []
    if entries is None:
        entries = _waiting_entries_lock(session_id=session.pk)
    seated = _seated_keys(session_id=session.pk)
    status = ReservationStatus.PENDING if policy.needs_staff(session) else ReservationStatus.VALID
    promoted, changed = [], []
    for entry in sorted(entries, key=lambda entry: entry.waiting_rank):
        if left == 0:
            break
        if left is not None and entry.quantity > left:
            continue  # a smaller entry behind it may fit
        entry.session = session
        verdict = policy.eligible(entry, session=session, seated=seated, now=now)
        if not isinstance(verdict, Seat):
            if entry.waiting_reason != verdict.reason:
                entry.waiting_reason = verdict.reason
                changed.append(entry)
            continue  # keeps its rank
        entry.status, entry.waiting_reason = status, ""
        promoted.append(entry)
        changed.append(entry)
        seated.add(entry.holder_key)
        if left is not None:
            left -= entry.quantity
    if changed:
        Reservation.objects.bulk_update(changed, ["status", "waiting_reason"])
    session.seats_taken += sum(entry.quantity for entry in promoted)
    session.waiting_count -= len(promoted)
    return promoted


def waiting_promote(*, session: Session, now: datetime) -> list[Reservation]:
    """Seat the waiting list of `session` as far as its seats and its policy allow: in rank
    order, skipping an entry wanting more than is left, an entry the policy does not seat yet
    keeping its rank (and the reason, `waiting_reason`). The caller holds the session's lock
    (`session` is the row `sessions_lock` returned). Returns the entries seated (valid, or
    pending when the policy needs staff), whose groups are mailed."""
    committed = _committed(session)
    promoted = _promote(session=session, now=now)
    _counters_sync(session=session, committed=committed)
    notify_group_mails(event=MailEvent.PROMOTED, reservations=promoted)
    return promoted


def _session_refusal(
    *, session: Session, policy: ChannelPolicy, now: datetime, staff: bool
) -> str | None:
    """Why no line may be booked on `session` in this allocation; None when they may."""
    if session.activity.channel != policy.channel:
        return OTHER_CHANNEL
    if session.is_cancelled:
        return _("Cette session est annulée.")
    return None if staff else session_window_refusal(session=session, now=now)


def _waiting_room(*, session: Session, policy: ChannelPolicy) -> bool:
    return (
        policy.waiting_list
        and session.waiting_closed_at is None
        and (session.waiting_limit is None or session.waiting_count < session.waiting_limit)
    )


def reservation_group_create(
    *, channel: str, author=None, submission_key: str | None = None
) -> ReservationGroup:
    """A portal booking's group, written first in its transaction: a submission key used already
    ends the transaction there (IntegrityError), before any lock. On PostgreSQL the
    transaction's BEGIN goes with it, in one round trip. save() does not run: nothing listens."""
    group = ReservationGroup(channel=channel, author=author, submission_key=submission_key)
    with pipeline():
        saved = rows_insert_sent([group])
    saved()
    return group


def reservations_allocate(
    *,
    sessions: Mapping[int, Session],
    lines: Sequence[BookingLine],
    policy: ChannelPolicy,
    group: ReservationGroup,
    now: datetime,
    staff: bool = False,
) -> list[LineOutcome]:
    """Book a portal's lines (docs/design/waiting-list.md). Inside the caller's transaction,
    which has locked the lines' sessions (`sessions`, from `sessions_lock`), then its person
    rows in pk order. Per session, by pk: its waiting list is promoted first; then each line,
    in the order given, is refused (already live there, the policy's refusal, no room even on
    the list), seated (valid, or pending when the policy needs staff and staff are not booking)
    or put on the waiting list at the next rank. One insert for all, one counter update per
    session, the groups' mails. Staff book outside the window, never on a cancelled session.
    Returns one outcome per line, in the lines' order."""
    by_session: dict[int, list[int]] = defaultdict(list)
    for index, line in enumerate(lines):
        if line.session_id not in sessions:
            raise ValueError(f"Session {line.session_id} is not locked: sessions_lock it first.")
        by_session[line.session_id].append(index)
    outcomes: dict[int, LineOutcome] = {}
    open_ids = []
    for session_id in sorted(by_session):
        refusal = _session_refusal(
            session=sessions[session_id], policy=policy, now=now, staff=staff
        )
        if refusal:
            for index in by_session[session_id]:
                outcomes[index] = _refused(lines[index], refusal)
        else:
            open_ids.append(session_id)
    # Read with the sessions' lock when the caller gave sessions_lock these lines; valid until
    # this allocation writes, so taken once.
    keys = {line.holder_key for line in lines}
    for line in lines:
        keys.update(policy.seated_keys_needed(line))
    reads = getattr(sessions, "allocation_reads", None)
    if reads is not None:
        sessions.allocation_reads = None
    if reads is None or not reads.serve(session_ids=open_ids, keys=keys, rows=len(lines)):
        with pipeline():
            reads_read = _allocation_reads_sent(session_ids=open_ids, keys=keys, rows=len(lines))
        reads = reads_read()
    seated, waiting, ranks = reads.seated, reads.waiting, reads.ranks
    row_keys = iter(reads.row_keys or ())
    rows: list[Reservation] = []
    promoted: list[Reservation] = []
    committed = {session_id: _committed(sessions[session_id]) for session_id in open_ids}
    for session_id in open_ids:
        session = sessions[session_id]
        # The list first, judged on every seat held (read when someone may be promoted).
        promoted_here = _promote(session=session, now=now)
        seated[session_id].update(entry.holder_key for entry in promoted_here)
        promoted += promoted_here
        seat_status = (
            ReservationStatus.PENDING
            if policy.needs_staff(session) and not staff
            else ReservationStatus.VALID
        )
        for index in by_session[session_id]:
            line = lines[index]
            if line.holder_key in seated[session_id] or line.holder_key in waiting[session_id]:
                outcomes[index] = _refused(line, REASON_ALREADY_BOOKED)
                continue
            verdict = policy.eligible(line, session=session, seated=seated[session_id], now=now)
            if isinstance(verdict, Refuse):
                outcomes[index] = _refused(line, verdict.reason)
                continue
            left = session.seats_left
            if isinstance(verdict, Seat) and (left is None or line.quantity <= left):
                row = _row(
                    line, session=session, group=group, status=seat_status, key=next(row_keys, None)
                )
                session.seats_taken += line.quantity
                seated[session_id].add(line.holder_key)
            elif _waiting_room(session=session, policy=policy):
                ranks[session_id] += 1
                reason = verdict.reason if isinstance(verdict, Wait) else str(REASON_NO_SEAT)
                row = _row(
                    line,
                    session=session,
                    group=group,
                    status=ReservationStatus.WAITING,
                    key=next(row_keys, None),
                    waiting_rank=ranks[session_id],
                    waiting_reason=reason,
                )
                session.waiting_count += 1
                waiting[session_id].add(line.holder_key)
            else:
                reason = verdict.reason if isinstance(verdict, Wait) else REASON_FULL
                outcomes[index] = _refused(line, reason)
                continue
            rows.append(row)
            outcomes[index] = LineOutcome(
                line=line,
                state=ReservationStatus(row.status),
                reservation=row,
                rank=row.waiting_rank,
                reason=row.waiting_reason,
            )
    # The counters, the rows (their keys drawn beforehand) and their groups' mails in one round
    # trip on PostgreSQL: the sessions stay locked two round trips less. The guard is checked
    # once all are back; if it failed (the counts above come from the locked rows, so it should
    # not), the caller's transaction rolls them all back.
    with pipeline():
        guards = [
            _counters_sync_sent(session=sessions[session_id], committed=committed[session_id])
            for session_id in open_ids
        ]
        rows_insert_sent(rows)()  # keys drawn: waits for nothing
        # Inserts only (a policy's recipients may read, which costs a round trip, never write).
        notify_group_mails(event=MailEvent.BOOKED, reservations=rows)
    for guard in guards:
        guard()
    notify_group_mails(event=MailEvent.PROMOTED, reservations=promoted)
    return [outcomes[index] for index in range(len(lines))]


def _refused(line: BookingLine, reason: str) -> LineOutcome:
    return LineOutcome(line=line, state=ReservationStatus.REFUSED, reason=str(reason))


# What a portal's row takes from its line (the portal's) and its policy (a waiting reason): each
# row checks these fields. The service sets the others itself, valid by construction.
_LINE_FIELDS = ("holder_key", "first_name", "last_name", "quantity", "waiting_reason")
_SET_BY_THE_SERVICE = [f.name for f in Reservation._meta.fields if f.name not in _LINE_FIELDS]


def _row(
    line: BookingLine,
    *,
    session: Session,
    group: ReservationGroup,
    status: str,
    key: int | None,
    **fields,
) -> Reservation:
    """A portal's reservation: the holder's names only (reservation_person_required). `key`:
    its primary key when drawn beforehand."""
    row = Reservation(
        pk=key,
        session=session,
        channel=session.activity.channel,
        group=group,
        holder_key=line.holder_key,
        first_name=line.first_name,
        last_name=line.last_name,
        quantity=line.quantity,
        status=status,
        **fields,
    )
    # The line's fields and the rules of clean(): the database checks the constraints, asking it
    # first would cost queries.
    row.full_clean(exclude=_SET_BY_THE_SERVICE, validate_unique=False, validate_constraints=False)
    row.search_text = search_text_of(row, Reservation.search_sources)  # rows_insert: no save()
    return row


@functools.lru_cache(maxsize=64)
def _holders_and_ranks_sql(vendor: str, sessions: int, keys: int) -> str:
    """The statement of `_allocation_reads_sent` for so many sessions and keys, built once per
    database vendor (its quoting) and counts."""
    reservation, session = sql_name(Reservation), sql_name(Session)
    rank, key = sql_name(Reservation, "waiting_rank"), sql_name(Reservation, "holder_key")
    status, session_id = sql_name(Reservation, "status"), sql_name(Reservation, "session")
    ids, live = ", ".join(["%s"] * sessions), ", ".join(["%s"] * len(LIVE_STATUSES))
    # The live rows' condition is the predicate of their unique index on (session, holder key),
    # which then finds each key; the last rank comes from the index on (session, rank).
    return (
        f"SELECT {session_id}, {key}, {status}, NULL FROM {reservation}"
        f" WHERE {session_id} IN ({ids}) AND {status} IN ({live}) AND {key} <> ''"
        f" AND {key} IN ({', '.join(['%s'] * keys)})"
        f" UNION ALL SELECT s.{sql_name(Session, 'id')}, NULL, NULL,"
        f" (SELECT MAX({rank}) FROM {reservation} WHERE {session_id} = s.{sql_name(Session, 'id')})"
        f" FROM {session} s WHERE s.{sql_name(Session, 'id')} IN ({ids})"
    )


@dataclass
class _AllocationReads:
    """What an allocation reads of the sessions it books, locked, per session: which of `keys`
    (its lines' and those their policy needs, `seated_keys_needed`) hold a seat there or wait
    there, and the highest waiting rank given so far (promoted and cancelled rows keep theirs;
    read under the lock: ranks are gapless, in commit order); on PostgreSQL, the keys of the
    rows it will insert, `rows` of them, drawn beforehand."""

    session_ids: frozenset[int]
    keys: frozenset[str]
    rows: int
    seated: dict[int, set[str]]
    waiting: dict[int, set[str]]
    ranks: dict[int, int]
    row_keys: list[int] | None

    def serve(self, *, session_ids: Iterable[int], keys: set[str], rows: int) -> bool:
        """Were these reads made for (at least) these sessions, keys and rows?"""
        return (
            self.session_ids.issuperset(session_ids)
            and self.keys.issuperset(keys)
            and self.rows >= rows
        )


def _allocation_reads_sent(
    *, session_ids: Sequence[int], keys: Iterable[str], rows: int
) -> Callable[[], _AllocationReads]:
    """What an allocation of `rows` lines reads of `session_ids` (locked) for these holder
    `keys`, sent: the function returned reads the answers (after the `pipeline` they were sent
    in). The holders and ranks are read in one statement written by hand: the ORM took longer
    to compile its two queries than the database to run them."""
    keys = sorted(set(keys))
    holders = None
    if session_ids and keys:
        sql = _holders_and_ranks_sql(connection.vendor, len(session_ids), len(keys))
        params = [*session_ids, *(status.value for status in LIVE_STATUSES), *keys, *session_ids]
        cursor = connection.cursor()
        cursor.execute(sql, params)
        holders = result_later(cursor, lambda cursor: cursor.fetchall())
    row_keys = keys_draw_sent(Reservation, rows)

    def reads() -> _AllocationReads:
        seated: dict[int, set[str]] = defaultdict(set)
        waiting: dict[int, set[str]] = defaultdict(set)
        ranks: dict[int, int] = {}
        for row_session, holder_key, status, last_rank in holders() if holders else ():
            if holder_key is None:
                ranks[row_session] = last_rank or 0
            elif status == ReservationStatus.WAITING:
                waiting[row_session].add(holder_key)
            else:
                seated[row_session].add(holder_key)
        return _AllocationReads(
            session_ids=frozenset(session_ids),
            keys=frozenset(keys),
            rows=rows,
            seated=seated,
            waiting=waiting,
            ranks=ranks,
            row_keys=row_keys(),
        )

    return reads


def waiting_list_close(*, session: Session, now: datetime) -> list[Reservation]:
    """Close the waiting list of `session` (the caller holds its lock): its entries become
    "Non servi", `waiting_closed_at` is set, nobody joins it any more. Returns the entries
    closed (for the groups' mails); closing it again does nothing."""
    if session.waiting_closed_at is not None:
        return []
    entries = _waiting_entries_lock(session_id=session.pk)
    Reservation.objects.filter(pk__in=[entry.pk for entry in entries]).update(
        status=ReservationStatus.NOT_SERVED
    )
    for entry in entries:
        entry.status, entry.session = ReservationStatus.NOT_SERVED, session
    Session.objects.filter(pk=session.pk).update(
        waiting_closed_at=now, waiting_count=F("waiting_count") - len(entries)
    )
    session.waiting_closed_at, session.waiting_count = now, session.waiting_count - len(entries)
    return entries


def reservations_holder_rename(*, holder_key: str, first_name: str, last_name: str) -> int:
    """A portal's person renamed: the names copied on its live rows follow (the search text
    with them). Its caller holds the person's row lock, so no booking of it runs meanwhile.
    Returns how many rows changed."""
    rows = list(
        Reservation.objects.select_for_update(of=("self",))
        .filter(holder_key=holder_key, status__in=LIVE_STATUSES)
        .exclude(first_name=first_name, last_name=last_name)
        .order_by("pk")
    )
    for row in rows:
        row.first_name, row.last_name = first_name, last_name
        row.search_text = search_text_of(row, Reservation.search_sources)
    Reservation.objects.bulk_update(rows, ["first_name", "last_name", "search_text"])
    return len(rows)


# --- nightly job and checks ---------------------------------------------------------------------


def reservations_archive_past(*, now: datetime | None = None) -> int:
    """The nightly job (docs/design/waiting-list.md's table): valid reservations of sessions
    that are over become "Archivé" (they keep their seats); pending and waiting ones of sessions
    that have started become "Non servi" (pending ones give their seats back). Returns how many
    rows changed; running it again does nothing."""
    now = now or timezone.now()
    due = Q(session_over_q(now=now, prefix="session__"), status=ReservationStatus.VALID) | Q(
        session__effective_start__lte=now,
        status__in=(ReservationStatus.PENDING, ReservationStatus.WAITING),
    )
    with transaction.atomic():
        session_ids = set(Reservation.objects.filter(due).values_list("session_id", flat=True))
        if not session_ids:
            return 0
        # The lock order: the sessions whose counters move, then the reservations by pk (one
        # UPDATE over many rows would lock them in whatever order the database scans them).
        sessions = sessions_lock(ids=session_ids)
        rows = list(
            Reservation.objects.select_for_update(of=("self",))  # not the sessions joined
            .filter(due, session_id__in=sessions)
            .order_by("pk")
            .values_list("pk", "session_id", "status", "quantity")
        )
        archived, unserved = [], []
        released: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # {session: [seats, waiting]}
        for pk, session_id, status, quantity in rows:
            if status == ReservationStatus.VALID:
                archived.append(pk)
                continue
            unserved.append(pk)
            if status == ReservationStatus.PENDING:
                released[session_id][0] += quantity
            else:
                released[session_id][1] += 1
        Reservation.objects.filter(pk__in=archived).update(status=ReservationStatus.ARCHIVED)
        Reservation.objects.filter(pk__in=unserved).update(status=ReservationStatus.NOT_SERVED)
        for session_id in sorted(released):
            seats, waiting = released[session_id]
            _seats_release(session_id=session_id, seats=seats, waiting=waiting)
        return len(rows)


def seats_mismatches() -> list[tuple[Session, int]]:
    """Sessions whose seat counter differs from their reservations' quantities, with the right count."""
    sessions = Session.objects.select_related("activity").annotate(
        held=Sum(
            "reservations__quantity",
            filter=Q(reservations__status__in=SEAT_HOLDING_STATUSES),
            default=0,
        )
    )
    return [(s, s.held) for s in sessions.exclude(seats_taken=F("held"))]


def waiting_mismatches() -> list[tuple[Session, int]]:
    """Sessions whose waiting list counter differs from their waiting reservations, with the
    right count."""
    sessions = Session.objects.select_related("activity").annotate(
        waiting=Count("reservations", filter=Q(reservations__status=ReservationStatus.WAITING))
    )
    return [(s, s.waiting) for s in sessions.exclude(waiting_count=F("waiting"))]
