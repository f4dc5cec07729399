"""The forms of guichet.core.dates as template filters, each taking the start and, for ranges,
the end as its argument: ``{% load dates %}{{ session.starts_at|dates_long:session.ends_at }}``.
An empty value (a reservation never cancelled has no ``cancelled_at``) gives an empty text."""

from django import template

from guichet.core import dates

register = template.Library()


def _range_filter(form):
    def format_range(start, end=None) -> str:
        return form(start, end or None) if start else ""

    return format_range


def _moment_filter(form):
    def format_moment(value) -> str:
        return form(value) if value else ""

    return format_moment


register.filter("dates_long", _range_filter(dates.long))
register.filter("dates_when", _range_filter(dates.when))
register.filter("dates_short", _range_filter(dates.short))
register.filter("dates_numeric", _range_filter(dates.numeric))
register.filter("datetime_long", _moment_filter(dates.datetime_long))
register.filter("day_long", _moment_filter(dates.day_long))
register.filter("day_short", _moment_filter(dates.day_short))
register.filter("day_numeric", _moment_filter(dates.day_numeric))
register.filter("hour", _moment_filter(dates.hour))
