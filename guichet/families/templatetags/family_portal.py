"""The portal's own forms of core's dates: `{{ line.arrival|hour_of_day }}` ("7 h 45", a time of
day) and `{{ day|day_in_month }}` ("lundi 7 décembre", the calendar's cells, the year being the
page's)."""

from functools import lru_cache
from types import SimpleNamespace

from django import template
from django.template.loader import get_template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from guichet.core import dates
from guichet.families.calendar import hour_text

register = template.Library()
register.filter("hour_of_day", hour_text)


@register.filter
def day_in_month(value) -> str:
    return dates.day_long(value, year=False) if value else ""


# --- The calendar's cells and icons, rendered once per look ---------------------------------------
# A month's grid is 35–42 cells, each the same template over a few values (its day, its look, its
# hours); rendering each through the template engine was most of the calendar's CPU. Each cell is
# rendered once per distinct set of those values and kept per process (the same for every parent
# in the activity view; the child's number enters the key in "Toutes les activités", whose cells
# link to the day): the HTML is the template's, byte for byte.

CELLS_KEPT = 8192


@lru_cache(maxsize=CELLS_KEPT)
def _cell(language, child_pk, day, in_month, look, units, hours_text) -> str:
    unit = SimpleNamespace(hours_text=hours_text)
    context = {
        "day": SimpleNamespace(day=day, in_month=in_month, look=look, units=[unit] * units),
        "choice": SimpleNamespace(activity=child_pk is None, child=SimpleNamespace(pk=child_pk)),
    }
    # An editor's newline at the end of the file must not add one to every cell.
    return get_template("families/portal/_calendar_cell.html").render(context).rstrip("\n")


@register.simple_tag
def calendar_cell(day, choice) -> str:
    """The inside of a calendar's `<td>` (families/portal/_calendar_cell.html) for `day`."""
    activity = choice.activity is not None
    units = len(day.units)
    hours = day.units[0].hours_text if activity and day.units and day.in_month else ""
    html = _cell(
        get_language(),
        None if activity else choice.child.pk,
        day.day,
        day.in_month,
        day.look if day.in_month else None,
        units if not activity else min(units, 1),
        hours,
    )
    return mark_safe(html)  # noqa: S308 (rendered by the template engine, escaped there)


@lru_cache(maxsize=256)
def _icon(language, look) -> str:
    return get_template("families/_state_icon.html").render({"look": look})


@register.simple_tag
def state_icon(look) -> str:
    """families/_state_icon.html for `look`, rendered once per look."""
    return mark_safe(_icon(get_language(), look))  # noqa: S308 (as calendar_cell)
