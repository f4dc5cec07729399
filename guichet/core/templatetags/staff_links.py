"""{% staff_links %}: the registered staff pages (guichet.core.staff_links) the signed-in user
may open, each section a navigation module."""

from django import template

from guichet.core.staff_links import staff_links_for

register = template.Library()


@register.inclusion_tag("core/staff_links.html", takes_context=True)
def staff_links(context) -> dict:
    return {"sections": staff_links_for(user=context["request"].user)}
