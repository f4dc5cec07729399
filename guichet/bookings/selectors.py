from datetime import datetime

from django.utils.translation import gettext as _

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.catalogue.models import Session, SessionStatus
from guichet.core.models import Organisation
from guichet.core.selectors import organisation_get


def reservation_for_submission(*, key: str | None) -> Reservation | None:
    """The reservation a booking form already made, when the same form is sent again."""
    return Reservation.objects.filter(submission_key=key).first() if key else None


def reservation_cancellable_online(
    *,
    reservation: Reservation,
    now: datetime | None = None,
    organisation: Organisation | None = None,
) -> bool:
    """May the person cancel this reservation from its page? Until the booking deadline, when the
    organisation allows it, for a valid reservation of a session that is not cancelled.
    Callers that have already read the organisation pass it."""
    organisation = organisation or organisation_get()
    return (
        reservation.status == ReservationStatus.VALID
        and not reservation.session.is_cancelled
        and not reservation.session.is_booking_closed(now)
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
    if session.is_booking_closed(now):
        return _("Les réservations sont closes pour cette session.")
    if quantity > activity.max_places_per_booking:
        return _("Vous pouvez réserver au plus %(max)d places en ligne.") % {
            "max": activity.max_places_per_booking
        }
    return None


def session_change_postpone_if_booked(*, session: Session, before: Session) -> bool:
    """Moving the start of a session that has valid reservations is a postponement: the original
    dates stay, the edited ones become the new dates (an end left as it was moves with the start)
    and the status "Reporté", so that the people get the postponement mail. A session nobody booked is corrected freely. Changes `session` in
    place (called on the candidate by the back-office's confirmation and by `session_save`);
    True when it did."""
    moved = (
        session.status == before.status == SessionStatus.NONE
        and session.start != before.start
        and session.pk is not None
    )
    if not moved or not session.reservations.filter(status=ReservationStatus.VALID).exists():
        return False
    session.status = SessionStatus.POSTPONED
    session.new_start, session.new_end = session.start, session.end
    if session.end == before.end and before.end is not None:
        session.new_end = before.end + (session.start - before.start)  # the same duration
    session.start, session.end = before.start, before.end
    return True
