"""{% staff_home %}: the staff home ("Tableau de bord") at the top of the admin index, and the
split of the model list into the daily tasks and the configuration."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.bookings.selectors import (
    STAFF_HOME_DAYS,
    reservations_cancelled_latest,
    staff_home_sessions,
)
from guichet.core import dates

register = template.Library()

# The models staff open every day, listed first on the index, in this order; the others are the
# configuration, listed after them.
TASK_MODELS = (
    ("catalogue", "Session"),
    ("bookings", "Reservation"),
    ("notifications", "OutgoingMessage"),
)
# Pages of other parts of Guichet, linked from the home only where they exist (URL name, label).
RECORD_PAGES = (
    ("admin:core_auditentry_changelist", _("Journal des modifications")),
    ("admin:privacy_persondata_changelist", _("Données personnelles")),
)


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _day_label(day, today) -> str:
    if day == today:
        return str(_("Aujourd'hui"))
    return dates.day_long(day, year=False).capitalize()


def _hours(session) -> str:
    """'10 h – 11 h 30' under its day's heading; an end on another day keeps its day."""
    start, end = session.starts_at, session.ends_at
    if end is None:
        return dates.hour(start)
    same_day = timezone.localdate(start) == timezone.localdate(end)
    return (
        dates.hour(start) + dates.RANGE_DASH + (dates.hour(end) if same_day else dates.short(end))
    )


@register.inclusion_tag("admin/bookings/staff_home.html", takes_context=True)
def staff_home(context) -> dict:
    request = context["request"]
    user = request.user
    now = timezone.now()
    today = timezone.localdate(now)
    sees_reservations = user.has_perm("bookings.view_reservation")
    sessions = []
    if user.has_perm("catalogue.view_session"):
        for session in staff_home_sessions(user=user, now=now):
            sessions.append(
                {
                    "day": _day_label(timezone.localdate(session.starts_at), today),
                    "hours": _hours(session),
                    "session": session,
                    "url": reverse("admin:catalogue_session_change", args=[session.pk]),
                    "limit": "∞" if session.is_unlimited else session.seat_limit,
                    "reception": (
                        reverse("admin:catalogue_session_reception", args=[session.pk, "pdf"])
                        if sees_reservations
                        else None
                    ),
                }
            )
    cancellations = (
        [
            {
                "reservation": reservation,
                "url": reverse("admin:bookings_reservation_change", args=[reservation.pk]),
                "when": dates.short(reservation.cancelled_at) if reservation.cancelled_at else "",
            }
            for reservation in reservations_cancelled_latest(user=user)
        ]
        if sees_reservations
        else []
    )
    records = [
        (url, label) for name, label in RECORD_PAGES if (url := _url_or_none(name)) is not None
    ]
    tasks, configuration = app_list_split(context.get("app_list", []))
    return {
        "request": request,
        "sessions": sessions,
        "days": STAFF_HOME_DAYS,
        "show_sessions": user.has_perm("catalogue.view_session"),
        "cancellations": cancellations,
        "show_cancellations": sees_reservations,
        "records": records,
        "tasks": tasks,
        "configuration": configuration,
    }


def app_list_split(app_list: list[dict]) -> tuple[list[dict], list[dict]]:
    """The index's model list as (tasks, configuration): the TASK_MODELS in their order, then
    every other app with what remains of its models."""
    wanted = {key: index for index, key in enumerate(TASK_MODELS)}
    tasks, configuration = [], []
    for app in app_list:
        rest = []
        for model in app["models"]:
            key = (app["app_label"], model["object_name"])
            if key in wanted:
                tasks.append((wanted[key], {**model, "app_label": app["app_label"]}))
            else:
                rest.append(model)
        if rest:
            configuration.append({**app, "models": rest})
    return [model for _index, model in sorted(tasks, key=lambda pair: pair[0])], configuration
