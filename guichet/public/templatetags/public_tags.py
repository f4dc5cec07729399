from django import template
from django.utils.safestring import SafeString, mark_safe

from guichet.catalogue.models import Activity, Session
from guichet.public import formats

register = template.Library()

# The same nh3 allow-list the model applies when it is cleaned, again at display: rows written
# without full_clean() (imports, scripts) cannot bring markup of their own.
_sanitize = Activity._meta.get_field("description").sanitize


@register.filter
def rich_text(value: str) -> SafeString:
    return mark_safe(_sanitize(value or ""))  # noqa: S308 - sanitised just above


@register.filter
def price(value) -> str:
    return formats.price(value)


@register.filter
def activity_price(activity: Activity) -> str:
    """Needs the price_min/price_max annotations of activity_list_public."""
    return formats.price_range(activity.price_min, activity.price_max)


@register.filter
def session_dates(session: Session) -> str:
    """The session's own dates (a postponed session shows its new ones beside)."""
    return formats.dates_range(session.start, session.end)


@register.filter
def session_new_dates(session: Session) -> str:
    return formats.dates_short(session.new_start, session.new_end)


@register.filter
def session_sentence(session: Session) -> str:
    """'Le mardi 21 octobre 2025 de 10h00 à 11h30', by the dates that count."""
    return formats.dates_sentence(session.starts_at, session.ends_at)


@register.filter
def datetime_short(value) -> str:
    return formats.dates_short(value, None)
