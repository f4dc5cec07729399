"""Amounts of money as French readers write them."""

from decimal import Decimal

from django.utils.formats import number_format


def amount(value: Decimal) -> str:
    """'12,50 €' (a non-breaking space before the sign)."""
    return f"{number_format(value, decimal_pos=2)}\u00a0€"
