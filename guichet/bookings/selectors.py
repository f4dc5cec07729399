from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.catalogue.models import Session, SessionStatus
from guichet.catalogue.selectors import staff_channels
from guichet.core import dates
from guichet.core.models import Organisation
from guichet.core.selectors import organisation_get

# The staff home lists the sessions of today and of the days after it, up to this many.
STAFF_HOME_DAYS = 7
STAFF_HOME_CANCELLATIONS = 10


# The reservations a session's cancellation cancels and its postponement is told to: those not
# over yet (seated, pending or waiting).
SESSION_CHANGE_STATUSES = (
    ReservationStatus.VALID,
    ReservationStatus.PENDING,
    ReservationStatus.WAITING,
)


def reservation_for_submission(*, key: str | None) -> Reservation | None:
    """The reservation a booking form already made, when the same form is sent again."""
    return Reservation.objects.filter(submission_key=key).first() if key else None


def reservation_cancellable_online(
    *,
    reservation: Reservation,
    now: datetime | None = None,
    organisation: Organisation | None = None,
) -> bool:
    """May the person cancel this reservation from its page? Until the session's `cancel_until`
    when set, else the booking deadline, when the organisation allows it, for a valid reservation of a session that is not cancelled.
    Callers that have already read the organisation pass it."""
    organisation = organisation or organisation_get()
    session = reservation.session
    deadline = session.cancel_until or session.booking_closes_at
    return (
        reservation.status == ReservationStatus.VALID
        and not session.is_cancelled
        and (now or timezone.now()) < deadline
        and organisation.online_cancellation_allowed
    )


def session_booking_refusal(*, session: Session, now: datetime, quantity: int = 1) -> str | None:
    """Why `quantity` places of `session` cannot be booked online at `now`, in French; None when
    they can. The one home of these rules: the booking service refuses with this message and
    the public pages show it. Seats are not counted here: the service's guarded UPDATE decides."""
    activity = session.activity
    if session.is_cancelled:
        return _("Cette session est annulée.")
    if not activity.bookable_online:
        return _("Cette session est en accès libre, sans réservation.")
    window = session_window_refusal(session=session, now=now)
    if window:
        return window
    if quantity > activity.max_places_per_booking:
        return _("Vous pouvez réserver au plus %(max)d places en ligne.") % {
            "max": activity.max_places_per_booking
        }
    return None


def session_window_refusal(*, session: Session, now: datetime) -> str | None:
    """Why `session` cannot be booked at `now` for its booking window, in French; None inside it:
    [`opens_at`, `booking_closes_at`) (an empty `opens_at`: open already). Online bookings and
    the portals' allocation (staff excepted) obey it."""
    if not session.is_booking_open(now):
        return _("Les réservations ouvrent le %(when)s.") % {
            "when": dates.datetime_long(session.opens_at)
        }
    if session.is_booking_closed(now):
        return _("Les réservations sont closes pour cette session.")
    return None


def session_change_postpone_if_booked(*, session: Session, before: Session) -> bool:
    """Moving the start of a session that has valid (pending, waiting) reservations is a
    postponement: the original dates stay, the edited ones become the new dates (an end left as
    it was moves with the start) and the status "Reporté", so that the people get the
    postponement mail. A session nobody booked is corrected freely. Changes `session` in
    place (called on the candidate by the back-office's confirmation and by `session_save`);
    True when it did."""
    moved = (
        session.status == before.status == SessionStatus.NONE
        and session.start != before.start
        and session.pk is not None
    )
    booked = session.reservations.filter(status__in=SESSION_CHANGE_STATUSES)
    if not moved or not booked.exists():
        return False
    session.status = SessionStatus.POSTPONED
    session.new_start, session.new_end = session.start, session.end
    if session.end == before.end and before.end is not None:
        session.new_end = before.end + (session.start - before.start)  # the same duration
    session.start, session.end = before.start, before.end
    return True


def local_midnight(day: date) -> datetime:
    """The start of `day` in local time (TIME_ZONE)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def session_list_for_staff(*, user) -> QuerySet[Session]:
    """The sessions `user` manages in the back-office: those of the channels of their staff
    groups (all for a superuser). Every staff screen that lists sessions or their reservations
    goes through it."""
    return Session.objects.filter(activity__channel__in=staff_channels(user=user))


def staff_home_sessions(*, user, now: datetime) -> QuerySet[Session]:
    """The sessions of today and of the next STAFF_HOME_DAYS days (local days, by their
    effective start), in the order they happen, cancelled ones included (staff are asked about
    them at the desk)."""
    today = timezone.localdate(now)
    return (
        session_list_for_staff(user=user)
        .filter(
            effective_start__gte=local_midnight(today),
            effective_start__lt=local_midnight(today + timedelta(days=STAFF_HOME_DAYS + 1)),
        )
        .select_related("activity__location")
        .order_by("effective_start", "pk")
    )


def reservations_cancelled_latest(*, user) -> QuerySet[Reservation]:
    """The latest cancelled reservations of the sessions `user` manages, newest first."""
    return (
        Reservation.objects.filter(
            status=ReservationStatus.CANCELLED,
            session__in=session_list_for_staff(user=user),
        )
        .select_related("session__activity")
        .order_by("-cancelled_at", "-pk")[:STAFF_HOME_CANCELLATIONS]
    )


def reservation_changeable_online(*, reservation: Reservation, now: datetime | None = None) -> bool:
    """May the person change their number of places from their page? Until the booking
    deadline, for a valid reservation of a session that is not cancelled and is booked online."""
    session = reservation.session
    return (
        reservation.status == ReservationStatus.VALID
        and not session.is_cancelled
        and session.activity.bookable_online
        and not session.is_booking_closed(now)
    )
