"""How the public pages write prices, in the words of the booking site's guide.
Dates are written by guichet.core.dates."""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guichet.core import dates
from guichet.core.money import amount


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


def next_session(activity) -> str:
    """An activity card's next date and its availability, from the annotations of
    activity_list_public: 'Prochaine date : sam. 5 déc., 10 h · 12 places', '… · Complet',
    '… · Accès libre'; empty when no session to come can still be booked."""
    if activity.next_start is None:
        return ""
    text = _("Prochaine date : %(date)s") % {"date": dates.short(activity.next_start)}
    if not activity.bookable_online:
        return _("%(text)s · Accès libre") % {"text": text}
    if activity.next_seat_limit is None:
        return text
    left = max(activity.next_seat_limit - activity.next_seats_taken, 0)
    if not left:
        return _("%(text)s · Complet") % {"text": text}
    places = ngettext("%(n)d place", "%(n)d places", left) % {"n": left}
    return f"{text} · {places}"
