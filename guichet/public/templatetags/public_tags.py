from django import template
from django.utils.safestring import SafeString, mark_safe

from guichet.catalogue.models import Activity
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
def activity_next_session(activity: Activity) -> str:
    """Needs the next_* annotations of activity_list_public."""
    return formats.next_session(activity)


@register.filter
def activity_price(activity: Activity) -> str:
    """Needs the price_min/price_max annotations of activity_list_public."""
    return formats.price_range(activity.price_min, activity.price_max)
