"""How the public pages write dates and prices, in the words of the booking site's guide."""

from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _


def _day(value: datetime) -> str:
    return date_format(timezone.localtime(value), "j F Y")


def _time(value: datetime) -> str:
    return date_format(timezone.localtime(value), "H:i")


def _same_day(start: datetime, end: datetime) -> bool:
    return timezone.localtime(start).date() == timezone.localtime(end).date()


def dates_range(start: datetime, end: datetime | None) -> str:
    """'Du 16 avril 2025 à 10:00 Au 16 avril 2025 à 11:30'; the end left out when there is none."""
    text = _("Du %(day)s à %(time)s") % {"day": _day(start), "time": _time(start)}
    if end:
        text += " " + _("Au %(day)s à %(time)s") % {"day": _day(end), "time": _time(end)}
    return text


def dates_short(start: datetime, end: datetime | None) -> str:
    """'31 mars 2025 10:00 à 11:00' (the new dates of a postponed session)."""
    text = f"{_day(start)} {_time(start)}"
    if not end:
        return text
    if _same_day(start, end):
        return _("%(start)s à %(end)s") % {"start": text, "end": _time(end)}
    return _("%(start)s au %(end)s") % {"start": text, "end": f"{_day(end)} {_time(end)}"}


def _weekday_day(value: datetime) -> str:
    return date_format(timezone.localtime(value), "l j F Y")


def _hour(value: datetime) -> str:
    return date_format(timezone.localtime(value), "H\\hi")


def dates_sentence(start: datetime, end: datetime | None) -> str:
    """'Le mardi 21 octobre 2025 de 10h00 à 11h30' (the session summary)."""
    if not end:
        return _("Le %(day)s à %(time)s") % {"day": _weekday_day(start), "time": _hour(start)}
    if _same_day(start, end):
        return _("Le %(day)s de %(start)s à %(end)s") % {
            "day": _weekday_day(start),
            "start": _hour(start),
            "end": _hour(end),
        }
    return _("Du %(start_day)s à %(start)s au %(end_day)s à %(end)s") % {
        "start_day": _weekday_day(start),
        "start": _hour(start),
        "end_day": _weekday_day(end),
        "end": _hour(end),
    }


def deadline(value: datetime) -> str:
    """'5 MAI 2025 14:00', for the button of a session that closes before it starts."""
    return f"{_day(value)} {_time(value)}".upper()


def amount(value: Decimal) -> str:
    """'12,50 €' (a non-breaking space before the sign)."""
    return f"{number_format(value, decimal_pos=2)}\u00a0€"


def price(value: Decimal) -> str:
    """'GRATUIT' or '12,50 €'."""
    return _("GRATUIT") if not value else amount(value)


def price_range(low: Decimal | None, high: Decimal | None) -> str:
    """The price badge of an activity card from its sessions' cheapest and dearest prices:
    'Gratuit', '12,50 €' or 'De 5,00 € à 12,50 €'; empty when unknown."""
    if low is None or high is None:
        return ""
    if not high:
        return _("Gratuit")
    if low == high:
        return amount(low)
    return _("De %(low)s à %(high)s") % {"low": amount(low), "high": amount(high)}
