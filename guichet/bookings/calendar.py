"""'Ajouter à mon calendrier': an .ics file and a Google Calendar link for a reservation."""

from datetime import UTC
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guichet.bookings.models import Reservation, ReservationStatus

PARIS = ZoneInfo("Europe/Paris")


def _one_line(address: str) -> str:
    return ", ".join(line.strip() for line in address.splitlines() if line.strip())


def _details(reservation: Reservation, page_url: str) -> str:
    places = ngettext("%(n)d place réservée", "%(n)d places réservées", reservation.quantity) % {
        "n": reservation.quantity
    }
    return _("%(places)s. Votre réservation : %(url)s") % {"places": places, "url": page_url}


def _is_cancelled(reservation: Reservation) -> bool:
    return reservation.status == ReservationStatus.CANCELLED or reservation.session.is_cancelled


def reservation_ics(*, reservation: Reservation, page_url: str) -> bytes:
    """One VEVENT at the dates that count, in Europe/Paris with its VTIMEZONE."""
    session = reservation.session
    activity = session.activity
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Guichet//Réservations//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add(
        "uid", f"reservation-{reservation.pk}@{urlsplit(settings.SITE_URL).hostname or 'guichet'}"
    )
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("summary", activity.name)
    event.add("dtstart", session.starts_at.astimezone(PARIS))
    if session.ends_at:
        event.add("dtend", session.ends_at.astimezone(PARIS))
    event.add("location", _one_line(activity.location.address))
    event.add("geo", (float(activity.location.latitude), float(activity.location.longitude)))
    event.add("description", _details(reservation, page_url))
    event.add("url", page_url)
    event.add("status", "CANCELLED" if _is_cancelled(reservation) else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _google_time(value) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(*, reservation: Reservation, page_url: str) -> str:
    session = reservation.session
    # Google needs an end: a session without one is shown as a point in time.
    end = session.ends_at or session.starts_at
    query = {
        "action": "TEMPLATE",
        "text": session.activity.name,
        "dates": f"{_google_time(session.starts_at)}/{_google_time(end)}",
        "ctz": "Europe/Paris",
        "details": _details(reservation, page_url),
        "location": _one_line(session.activity.location.address),
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)
