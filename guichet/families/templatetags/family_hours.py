"""`{{ line.arrival|hour_of_day }}`: a time of day written by core's date module ("7 h 45")."""

from django import template

from guichet.families.calendar import hour_text

register = template.Library()
register.filter("hour_of_day", hour_text)
