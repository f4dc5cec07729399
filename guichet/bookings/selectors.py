from datetime import datetime

from guichet.bookings.models import Reservation, ReservationStatus
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
