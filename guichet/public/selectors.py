"""Reads for the public pages: each returns what one page shows in a fixed number of queries.

The public site is the parks': the other channels' activities, sessions and reservations are
not found here (404), whatever their link; their portals have pages of their own."""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import (
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone

from guichet.bookings.models import Reservation
from guichet.catalogue.models import Activity, Channel, Session, SessionStatus
from guichet.catalogue.selectors import session_over_q
from guichet.core.search import search_filter, search_normalise
from guichet.public.pagecache import page_cache_seconds


def session_still_offered_q(now: datetime) -> Q:
    """Sessions to come, not cancelled, whose online booking is not closed (for an activity
    without online booking: that still take place); full ones included."""
    closes_at = ExpressionWrapper(
        Value(now) + F("activity__booking_delay"), output_field=DateTimeField()
    )
    return (
        ~session_over_q(now=now)
        & ~Q(status=SessionStatus.CANCELLED)
        & (Q(activity__bookable_online=False) | Q(effective_start__gt=closes_at))
    )


def session_open_q(now: datetime) -> Q:
    """Sessions that can still be booked online now (the SQL of public.offers' bookable state),
    or, for an activity without online booking, that still take place."""
    room = Q(seat_limit__isnull=True) | Q(seats_taken__lt=F("seat_limit"))
    return session_still_offered_q(now) & (Q(activity__bookable_online=False) | room)


# The date filter of the list: "Aujourd'hui", "Ce week-end", "Cette semaine".
PERIODS = ("today", "weekend", "week")


def period_bounds(*, period: str = "", day: date | None = None, now: datetime) -> tuple:
    """The [start, end) of a date filter, in local days; (None, None) without one."""
    today = timezone.localdate(now)
    if day is not None:
        first, days = day, 1
    elif period == "today":
        first, days = today, 1
    elif period == "weekend":  # the coming weekend, or the rest of this one
        first = max(today, today + timedelta(days=5 - today.weekday()))
        days = (today + timedelta(days=7 - today.weekday()) - first).days
    elif period == "week":  # from today to Sunday
        first, days = today, 7 - today.weekday()
    else:
        return None, None

    def midnight(d: date) -> datetime:
        return timezone.make_aware(datetime.combine(d, time()))

    return midnight(first), midnight(first + timedelta(days=days))


def activity_list_public(
    *,
    now: datetime | None = None,
    name: str = "",
    location_id=None,
    audience_id=None,
    activity_type_id=None,
    category_id=None,
    period: str = "",
    day: date | None = None,
) -> QuerySet[Activity]:
    """Activities that have a session to come, with `price_min`/`price_max` over the sessions
    that can still be booked, and their next session still offered (`next_start`,
    `next_seat_limit`, `next_seats_taken`: not cancelled nor closed, perhaps full), all in the
    one query."""
    now = now or timezone.now()
    upcoming = Session.objects.exclude(session_over_q(now=now)).filter(activity=OuterRef("pk"))
    open_ = upcoming.filter(session_open_q(now))
    next_ = upcoming.filter(session_still_offered_q(now)).order_by("effective_start", "pk")
    start, end = period_bounds(period=period, day=day, now=now)
    within = (
        upcoming.exclude(status=SessionStatus.CANCELLED).filter(
            effective_start__lt=end, effective_start__gte=start
        )
        if start
        else upcoming
    )
    activities = (
        Activity.objects.filter(Exists(within), channel=Channel.PARKS)
        .select_related("location", "category")
        .annotate(
            price_min=Subquery(open_.order_by("price").values("price")[:1]),
            price_max=Subquery(open_.order_by("-price").values("price")[:1]),
            next_start=Subquery(next_.values("effective_start")[:1]),
            next_seat_limit=Subquery(next_.values("seat_limit")[:1]),
            next_seats_taken=Subquery(next_.values("seats_taken")[:1]),
        )
        .order_by("name", "pk")
    )
    if category_id:
        activities = activities.filter(category_id=category_id)
    if name:
        activities = search_filter(activities, name)
    if location_id:
        activities = activities.filter(location_id=location_id)
    if audience_id:
        activities = activities.filter(audience_id=audience_id)
    if activity_type_id:
        activities = activities.filter(activity_type_id=activity_type_id)
    return activities


@dataclass(frozen=True)
class FilterChoices:
    locations: list[tuple[int, str]]
    audiences: list[tuple[int, str]]
    activity_types: list[tuple[int, str]]
    categories: list[tuple[int, str]]


def filter_choices_public(*, now: datetime | None = None) -> FilterChoices:
    """The places, publics, types and categories of the listed activities, in one query."""
    rows = (
        activity_list_public(now=now)
        .order_by()
        .values_list(
            "location_id",
            "location__name",
            "audience_id",
            "audience__name",
            "activity_type_id",
            "activity_type__name",
            "category_id",
            "category__name",
        )
        .distinct()
    )
    found: list[dict[int, str]] = [{}, {}, {}, {}]
    for row in rows:
        for index, choices in enumerate(found):
            pk, label = row[2 * index], row[2 * index + 1]
            if pk is not None:
                choices[pk] = label
    # "Écoles" sorts with the E's, not after Z.
    return FilterChoices(
        *(sorted(choices.items(), key=lambda c: search_normalise(c[1])) for choices in found)
    )


def activity_get_public(*, slug: str) -> Activity:
    return get_object_or_404(
        Activity.objects.select_related("location", "audience", "activity_type", "category"),
        slug=slug,
        channel=Channel.PARKS,
    )


def activity_sessions_upcoming(*, activity: Activity, now: datetime | None = None) -> list[Session]:
    """The activity's sessions to come, by the dates that count; each knows its activity."""
    # The reverse manager hands every session this same `activity` instance: no query per session.
    return list(
        activity.sessions.exclude(session_over_q(now=now or timezone.now())).order_by(
            "effective_start", "pk"
        )
    )


# What a session's summary, map and state show.
_SESSION_RELATED = ("activity__location", "activity__audience", "activity__activity_type")


def session_get_public(*, pk: int) -> Session:
    return get_object_or_404(
        Session.objects.select_related(*_SESSION_RELATED), pk=pk, activity__channel=Channel.PARKS
    )


def session_get_for_display(*, pk: int) -> Session:
    """session_get_public for pages that only show the session: kept in the shared cache as long
    as the cached pages (at most 5 s), so that its seats and state are never staler than theirs.
    Bookings and cancellations read the database."""
    seconds = page_cache_seconds()
    if not seconds:
        return session_get_public(pk=pk)
    key = f"public.session.{pk}"
    session = cache.get(key)
    if session is None:
        session = session_get_public(pk=pk)
        # Names this reading of the session: every process that gets it from the cache may
        # reuse what it rendered of it (views.reservation_detail's summary and directions).
        session.display_stamp = (pk, secrets.token_hex(8))
        cache.set(key, session, seconds)
    return session


def reservation_get_by_token(*, token: str) -> Reservation:
    return get_object_or_404(
        Reservation.objects.select_related(*(f"session__{path}" for path in _SESSION_RELATED)),
        token=token,
        anonymised_at__isnull=True,
        channel=Channel.PARKS,
    )


def reservation_get_for_display(*, token: str) -> Reservation:
    """The reservation read from the database, its session as session_get_for_display has it."""
    reservation = get_object_or_404(
        Reservation,
        token=token,
        anonymised_at__isnull=True,
        channel=Channel.PARKS,
    )
    reservation.session = session_get_for_display(pk=reservation.session_id)
    return reservation
