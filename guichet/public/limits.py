"""The optional daily cap on the places booked from one client address for one session
(BOOKING_ADDRESS_PLACES_PER_DAY). Counted in the shared cache: it slows down one machine
booking under many e-mail addresses; it is not a rule the seats depend on."""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.catalogue.models import Session
from guichet.core.clients import client_key

DAY_SECONDS = 24 * 3600


def _key(request: HttpRequest, session: Session) -> str:
    day = timezone.localdate().isoformat()
    return f"public.address_places:{day}:{session.pk}:{client_key('public.booking', request)}"


def address_places_refusal(request: HttpRequest, *, session: Session, quantity: int) -> str | None:
    """Why these places cannot be booked from this address today, or None."""
    cap = settings.BOOKING_ADDRESS_PLACES_PER_DAY
    if cap <= 0 or cache.get(_key(request, session), 0) + quantity <= cap:
        return None
    return _(
        "Trop de places ont déjà été réservées pour cette session depuis votre connexion "
        "aujourd'hui : appelez-nous pour réserver davantage."
    )


def address_places_count(request: HttpRequest, *, session: Session, quantity: int) -> None:
    """After a booking went through."""
    if settings.BOOKING_ADDRESS_PLACES_PER_DAY <= 0:
        return
    key = _key(request, session)
    cache.add(key, 0, timeout=DAY_SECONDS)
    try:
        cache.incr(key, quantity)
    except ValueError:  # expired between the two calls
        cache.add(key, quantity, timeout=DAY_SECONDS)
