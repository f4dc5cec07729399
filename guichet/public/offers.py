"""What the public is offered for one session: the one state it shows, first that applies."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guichet.bookings.selectors import session_booking_refusal
from guichet.catalogue.models import Session
from guichet.core import dates


class OfferState(StrEnum):
    CANCELLED = "cancelled"
    WALK_IN = "walk-in"  # the activity is not bookable online
    CLOSED = "closed"
    FULL = "full"
    BOOKABLE = "bookable"


@dataclass(frozen=True)
class SessionOffer:
    state: OfferState
    notice: str  # beside the dates: "Cette session est complète", "12 places restantes"…
    action: str  # the button: "RÉSERVER", "COMPLET"…
    refusal: str  # why a booking is refused, for the booking page; empty when bookable

    @property
    def bookable(self) -> bool:
        return self.state == OfferState.BOOKABLE


def seats_left_text(seats_left: int) -> str:
    return ngettext("%(n)d place restante", "%(n)d places restantes", seats_left) % {
        "n": seats_left
    }


def session_offer(*, session: Session, now: datetime | None = None) -> SessionOffer:
    """The state of a session for the public, in the guide's order of precedence:
    cancelled, not bookable online, booking closed, full, bookable (with or without a deadline).
    The booking service applies the same rules again under the seat lock."""
    now = now or timezone.now()
    activity = session.activity
    # The refusal's words come from the booking rules themselves (one home for both).
    refusal = session_booking_refusal(session=session, now=now) or ""
    if session.is_cancelled:
        return SessionOffer(OfferState.CANCELLED, _("Annulée"), _("ANNULÉE"), refusal)
    if not activity.bookable_online:
        text = _("Cette session est en accès libre")
        return SessionOffer(OfferState.WALK_IN, text, _("SANS RÉSERVATION"), refusal)
    if refusal:  # the booking is closed
        return SessionOffer(OfferState.CLOSED, "", _("Réservations closes"), refusal)
    seats_left = session.seats_left
    if seats_left == 0:
        text = _("Cette session est complète")
        return SessionOffer(OfferState.FULL, text, _("COMPLET"), text + ".")
    notice = "" if seats_left is None else seats_left_text(seats_left)
    if activity.booking_delay:
        action = _("RÉSERVER AVANT LE %(deadline)s") % {
            "deadline": dates.long(session.booking_closes_at, year=False).upper()
        }
    else:
        action = _("RÉSERVER")
    return SessionOffer(OfferState.BOOKABLE, notice, action, "")
