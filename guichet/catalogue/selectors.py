from datetime import datetime

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan


def session_over_q(*, now: datetime, prefix: str = "") -> Q:
    """Sessions that are over, by the dates that count: their end, or their start when they have
    none, is before `now`. The one rule for archiving reservations and, excluded, the public
    lists. Never NULL (the start always is set), so that its negation is right too. `prefix`
    reaches the session through a relation, e.g. "session__"."""
    ends = Coalesce(F(f"{prefix}effective_end"), F(f"{prefix}effective_start"))
    return Q(LessThan(ends, now))
