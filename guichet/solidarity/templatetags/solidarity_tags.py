from django import template

from guichet.core.phones import phone_national

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored number as dialled in France: "06 12 34 56 78"."""
    return phone_national(value) if value else ""
