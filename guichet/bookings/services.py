"""Every change that takes or gives back seats: the one place where seats are counted.

Seats are held in `Session.seats_taken` and moved only by `_seats_take` / `_seats_release`.
Taking is a guarded UPDATE: one statement checks the room left and writes, so two bookings for
the last seat cannot both succeed (the second waits on the row lock, then re-checks its WHERE).
The `session_seats_within_limit` constraint backs it up. See docs/design/seats.md.

Lock order (docs/design/seats.md): a service that changes existing rows locks the sessions it
touches by pk (`sessions_lock`), then the reservations by pk, before any update, so that two
services never wait on each other in a circle. A new booking inserts its reservation (locked by
nobody else) and takes the session's row last, with the guarded UPDATE. The per-address advisory
lock (a booking or a change online) comes before any row lock.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.bookings.models import (
    SEAT_HOLDING_STATUSES,
    Reservation,
    ReservationStatus,
    reservation_reference,
)
from guichet.bookings.selectors import (
    reservation_cancellable_online,
    reservation_changeable_online,
    reservation_for_submission,
    session_booking_refusal,
    session_change_postpone_if_booked,
)
from guichet.catalogue.models import Session, SessionStatus
from guichet.catalogue.selectors import session_over_q
from guichet.core.audit import audit_changes, audit_record, audit_saved, audit_snapshot
from guichet.core.db import advisory_lock
from guichet.core.models import AuditAction
from guichet.notifications.selectors import mail_counts_sql, mail_limit_reached
from guichet.notifications.services import (
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


def sessions_lock(*, ids: Iterable[int]) -> dict[int, Session]:
    """Lock these sessions' rows (`SELECT … FOR UPDATE`, in pk order) until the commit, and
    return them as committed: the first step of every service that changes existing rows."""
    sessions = Session.objects.select_for_update().filter(pk__in=set(ids)).order_by("pk")
    return {session.pk: session for session in sessions}


# The guarded UPDATE, which also returns the session's effective start as committed: the row is
# locked from then on, so what a booking schedules from it (its reminder) cannot be stale.
_SEATS_TAKE_SQL = (
    "UPDATE {table} SET seats_taken = seats_taken + %s "
    "WHERE id = %s AND status <> %s AND (seat_limit IS NULL OR seats_taken <= seat_limit - %s) "
    "RETURNING id, effective_start"
)


def _seats_take(*, session_id: int, seats: int) -> datetime:
    """Take `seats` if there is room; returns the session's effective start as committed."""
    sql = _SEATS_TAKE_SQL.format(table=connection.ops.quote_name(Session._meta.db_table))
    params = [seats, session_id, SessionStatus.CANCELLED.value, seats]
    taken = list(Session.objects.raw(sql, params))
    if not taken:
        session = Session.objects.get(pk=session_id)
        if session.is_cancelled:
            raise SessionNotBookable(_("Cette session est annulée."))
        raise NotEnoughSeats(
            _("Il n'y a pas assez de places (places restantes : %(left)d).")
            % {"left": session.seats_left}
        )
    return taken[0].effective_start


def _seats_release(*, session_id: int, seats: int) -> None:
    # No guard: giving seats back cannot oversell.
    Session.objects.filter(pk=session_id).update(seats_taken=F("seats_taken") - seats)


def _seats_move(*, before: dict[int, int], after: dict[int, int]) -> None:
    """Apply the difference between two {session_id: seats} holdings (their sessions already
    locked by the caller), in session pk order."""
    deltas: dict[int, int] = defaultdict(int)
    for session_id, seats in before.items():
        deltas[session_id] -= seats
    for session_id, seats in after.items():
        deltas[session_id] += seats
    for session_id in sorted(deltas):
        delta = deltas[session_id]
        if delta > 0:
            _seats_take(session_id=session_id, seats=delta)
        elif delta < 0:
            _seats_release(session_id=session_id, seats=-delta)


def _holding(reservation: Reservation) -> dict[int, int]:
    return {reservation.session_id: reservation.quantity} if reservation.holds_seats else {}


def _reservation_lock(*, pk: int, session_ids: Iterable[int]) -> tuple[Reservation, dict]:
    """Lock the reservation's session (and `session_ids`), then the reservation: the lock order.
    Returns the locked reservation, with its session as committed, and the locked sessions."""
    ids = set(session_ids)
    while True:
        sessions = sessions_lock(ids=ids)
        locked = Reservation.objects.select_for_update().get(pk=pk)
        if locked.session_id in sessions:
            locked.session = sessions[locked.session_id]
            return locked, sessions
        # Moved to another session between our read and our lock (rare): lock that one too.
        ids.add(locked.session_id)


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
        confirmation_held = online and _address_check(reservation=reservation)
        reservation.save()
        notify_reservation_created(reservation=reservation, confirmation_held=confirmation_held)
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
        f"(SELECT COALESCE(SUM(quantity), 0) FROM {connection.ops.quote_name(Reservation._meta.db_table)}"
        f" WHERE session_id = %s AND UPPER(email) = UPPER(%s)"
        f" AND status IN ({', '.join(['%s'] * len(statuses))}))"
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
def reservation_update(*, reservation: Reservation) -> Reservation:
    """Save staff edits of an existing reservation (session, quantity, status, person's details):
    seats move with it, under the same rules as a new booking."""
    previous_session_id = (
        Reservation.objects.filter(pk=reservation.pk).values_list("session_id", flat=True).get()
    )
    before, sessions = _reservation_lock(
        pk=reservation.pk, session_ids={previous_session_id, reservation.session_id}
    )
    reservation.full_clean()
    if (
        reservation.status == ReservationStatus.CANCELLED
        and before.status != ReservationStatus.CANCELLED
    ):
        reservation.cancelled_at = timezone.now()
    elif reservation.status != ReservationStatus.CANCELLED:
        reservation.cancelled_at = None
    _seats_move(before=_holding(before), after=_holding(reservation))
    reservation.save()
    reservation.session = sessions[reservation.session_id]  # its dates as committed
    notify_reservation_updated(reservation=reservation, before=before)
    audit_saved(reservation, before=audit_snapshot(before))
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
    _seats_move(before=_holding(locked), after={locked.session_id: quantity})
    locked.quantity = quantity
    locked.save(update_fields=["quantity"])
    notify_reservation_quantity_changed(reservation=locked, previous=previous)
    reservation.quantity = quantity
    return locked


@transaction.atomic
def reservation_cancel(*, reservation: Reservation) -> bool:
    """Cancel a reservation and give its seats back; False when it was already cancelled."""
    locked, _sessions = _reservation_lock(pk=reservation.pk, session_ids=[reservation.session_id])
    cancelled = _reservation_cancel_locked(locked=locked)
    reservation.status, reservation.cancelled_at = locked.status, locked.cancelled_at
    return cancelled


def _reservation_cancel_locked(*, locked: Reservation) -> bool:
    if locked.status == ReservationStatus.CANCELLED:
        return False
    before = locked.status
    _seats_move(before=_holding(locked), after={})
    locked.status = ReservationStatus.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.save(update_fields=["status", "cancelled_at"])
    notify_reservation_cancelled(reservation=locked)
    audit_record(action=AuditAction.CANCEL, obj=locked, changes=_status_change(before, locked))
    return True


@transaction.atomic
def reservation_cancel_online(*, reservation: Reservation, now: datetime | None = None) -> None:
    """The person cancels from their reservation page; raises BookingError when no longer allowed.
    Checked on the rows as committed, locked in the lock order (the session first)."""
    locked, _sessions = _reservation_lock(pk=reservation.pk, session_ids=[reservation.session_id])
    if not reservation_cancellable_online(reservation=locked, now=now):
        raise BookingError(
            _(
                "Cette réservation ne peut plus être annulée en ligne : appelez-nous pour toute modification."
            )
        )
    _reservation_cancel_locked(locked=locked)
    reservation.status, reservation.cancelled_at = locked.status, locked.cancelled_at


@transaction.atomic
def session_save(*, session: Session) -> Session:
    """Create or change a session. Lowering the limit below the seats already booked is refused;
    cancelling the session cancels its valid reservations and gives their seats back; moving the
    start of a booked session postpones it (the original dates stay)."""
    if session.pk is None:
        session.seats_taken = 0
        session.full_clean()
        session.save()
        session.refresh_from_db(fields=["effective_start", "effective_end"])
        audit_saved(session, before=None)
        return session
    before = sessions_lock(ids=[session.pk])[session.pk]
    session.seats_taken = before.seats_taken  # the form's copy may be stale
    valid = {}
    if _dates_and_state(session) != _dates_and_state(before):
        # The lock order: the session, then its valid reservations, before any update (the
        # mails below move or withdraw their reminders, a cancellation cancels them). No booking
        # becomes valid meanwhile: a new one waits on the session's row, locked above.
        valid = _valid_reservations_lock(session_id=session.pk)
        session_change_postpone_if_booked(session=session, before=before)
    session.full_clean()  # refuses a limit below the seats booked
    session.save()
    # Before the cancellation below: the mail goes to the reservations that were valid.
    notify_session_changed(session=session, before=before)
    if session.is_cancelled and not before.is_cancelled:
        # One statement for the whole list: the session-cancelled mail replaces per-reservation ones.
        Reservation.objects.filter(pk__in=valid).update(
            status=ReservationStatus.CANCELLED, cancelled_at=timezone.now()
        )
        _seats_release(session_id=session.pk, seats=sum(valid.values()))
    session.refresh_from_db(fields=["seats_taken", "effective_start", "effective_end"])
    audit_saved(session, before=audit_snapshot(before))
    return session


def _status_change(before: str, reservation: Reservation) -> dict:
    return audit_changes({"status": before}, {"status": reservation.status})


def _dates_and_state(session: Session) -> tuple:
    return (session.status, session.start, session.end, session.new_start, session.new_end)


def _valid_reservations_lock(*, session_id: int) -> dict[int, int]:
    """Lock the session's valid reservations by pk; returns {pk: quantity}. (A `select_for_update()`
    inside an `aggregate()` locks nothing: Django drops it.)"""
    valid = Reservation.objects.select_for_update().filter(
        session_id=session_id, status=ReservationStatus.VALID
    )
    return dict(valid.order_by("pk").values_list("pk", "quantity"))


def reservations_archive_past(*, now: datetime | None = None) -> int:
    """Mark valid reservations of sessions that are over as "Archivé"; returns how many.
    Archived reservations keep their seats, so no seat count changes; running it again does nothing."""
    over = session_over_q(now=now or timezone.now(), prefix="session__")
    with transaction.atomic():
        # Locked in pk order first, as a session's cancellation locks them (the lock order): one
        # UPDATE over many rows would lock them in whatever order the database scans them.
        ids = list(
            Reservation.objects.select_for_update(of=("self",))  # not the sessions joined
            .filter(over, status=ReservationStatus.VALID)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return Reservation.objects.filter(pk__in=ids).update(status=ReservationStatus.ARCHIVED)


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
