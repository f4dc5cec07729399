from datetime import datetime

from django.db.models import Q


def session_over_q(*, now: datetime, prefix: str = "") -> Q:
    """Sessions that are over, by the dates that count: ended before `now`, or without an end
    and started before `now`. The one rule for archiving reservations (negated: the public lists).
    `prefix` reaches the session through a relation, e.g. "session__"."""
    return Q(**{f"{prefix}effective_end__lt": now}) | Q(
        **{f"{prefix}effective_end__isnull": True, f"{prefix}effective_start__lt": now}
    )
