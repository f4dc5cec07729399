"""How the public pages write prices, in the words of the booking site's guide.
Dates are written by guichet.core.dates."""

from decimal import Decimal

from django.utils.translation import gettext as _

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
