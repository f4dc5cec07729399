"""The portal's own forms of core's dates: `{{ line.arrival|hour_of_day }}` ("7 h 45", a time of
day) and `{{ day|day_in_month }}` ("lundi 7 décembre", the calendar's cells, the year being the
page's)."""

from django import template

from guichet.core import dates
from guichet.families.calendar import hour_text

register = template.Library()
register.filter("hour_of_day", hour_text)


@register.filter
def day_in_month(value) -> str:
    return dates.day_long(value, year=False) if value else ""
