"""Rates written as in django-ratelimit: "10/15m" is 10 per 15 minutes (units s, m, h, d)."""

import re

from django.core.exceptions import ImproperlyConfigured

_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    """(count, seconds) of a rate such as "3/h" or "10/15m"."""
    match = _RATE.fullmatch(rate)
    if match is None:
        raise ImproperlyConfigured(f"Not a rate such as 10/15m: {rate!r}")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _SECONDS[unit]
