from django import template
from django.utils.safestring import mark_safe

from guichet.core.phones import phone_national
from guichet.solidarity.models import EventDetails

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored number as dialled in France: "06 12 34 56 78"."""
    return phone_national(value) if value else ""


# The nh3 allow-list the model applies when it is cleaned, again at display (as the public
# site's `rich_text`): rows written without cleaning stay safe.
_sanitize = EventDetails._meta.get_field("practical_info").sanitize


@register.filter
def rich_text(value: str) -> str:
    return mark_safe(_sanitize(value or ""))  # noqa: S308 - sanitised just above


@register.filter
def minutes(value: int | None) -> str:
    """A duration in minutes as read in French: "45 min", "1 h", "1 h 30"."""
    if not value:
        return ""
    hours, rest = divmod(value, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"
