from guichet.bookings.models import Reservation


def reservation_for_submission(*, key: str | None) -> Reservation | None:
    """The reservation a booking form already made, when the same form is sent again."""
    return Reservation.objects.filter(submission_key=key).first() if key else None
