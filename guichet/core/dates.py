"""How Guichet writes dates and times, in French, in local time: the one place that does it.

Every date a person or staff member reads (pages, mails, calendar texts, exports, admin lists,
``Session.__str__``) goes through these functions, or through the template filters of
``guichet.core.templatetags.dates`` that call them. They take aware datetimes (a ``date`` for the
``day_*`` ones), convert them to the local time zone (``TIME_ZONE``, Europe/Paris) and return text;
they read nothing else. Hours are written the French way: "10 h", "10 h 30", "0 h" (midnight),
"12 h" (noon); the first of a month is "1er".

=================  ====================================================================
``long``           "lundi 7 décembre 2026, de 10 h à 11 h 30", "lundi 7 décembre 2026, 10 h";
                   over two days "du lundi 7 décembre 2026 à 23 h au mardi 8 décembre 2026 à
                   1 h". A heading or a label; ``year=False`` drops the year (buttons).
``when``           The same in a sentence: "le lundi 7 décembre 2026 à 10 h", "le lundi
                   7 décembre 2026 de 10 h à 11 h 30", "du … au …"; ``moved=True`` gives
                   "au lundi …" (reportée au …).
``short``          "lun. 7 déc., 10 h", "lun. 7 déc., 10 h – 11 h 30", "lun. 7 déc., 23 h –
                   mar. 8 déc., 1 h"; ``year=True`` adds it: "lun. 7 déc. 2026, 10 h".
``numeric``        "07/12/2026 10 h", "07/12/2026 10 h – 11 h 30", "07/12/2026 23 h –
                   08/12/2026 1 h".
``datetime_long``  One moment, to follow "le", "jusqu'au", "avant le": "lundi 7 décembre 2026
                   à 10 h".
``day_long``       "lundi 7 décembre 2026" (``year=False``: "lundi 7 décembre").
``day_short``      "lun. 7 déc." (``year=True``: "lun. 7 déc. 2026").
``day_numeric``    "07/12/2026".
``hour``           "10 h 30".
=================  ====================================================================

A missing end (a session without one, a postponed session given only a new start) shows the start
alone. Sentences put the forms inside their own translatable text, and ``capfirst`` (or the
``capfirst`` filter) capitalises a form that begins a line; ``.upper()`` gives a button's
"LUNDI 7 DÉCEMBRE, 10 H". Spaces are plain spaces, so that texts compare as they read.
"""

from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

WEEKDAYS = (
    gettext_lazy("lundi"),
    gettext_lazy("mardi"),
    gettext_lazy("mercredi"),
    gettext_lazy("jeudi"),
    gettext_lazy("vendredi"),
    gettext_lazy("samedi"),
    gettext_lazy("dimanche"),
)
WEEKDAYS_SHORT = (
    pgettext_lazy("jour abrégé", "lun."),
    pgettext_lazy("jour abrégé", "mar."),
    pgettext_lazy("jour abrégé", "mer."),
    pgettext_lazy("jour abrégé", "jeu."),
    pgettext_lazy("jour abrégé", "ven."),
    pgettext_lazy("jour abrégé", "sam."),
    pgettext_lazy("jour abrégé", "dim."),
)
MONTHS = (
    gettext_lazy("janvier"),
    gettext_lazy("février"),
    gettext_lazy("mars"),
    gettext_lazy("avril"),
    gettext_lazy("mai"),
    gettext_lazy("juin"),
    gettext_lazy("juillet"),
    gettext_lazy("août"),
    gettext_lazy("septembre"),
    gettext_lazy("octobre"),
    gettext_lazy("novembre"),
    gettext_lazy("décembre"),
)
MONTHS_SHORT = (
    pgettext_lazy("mois abrégé", "janv."),
    pgettext_lazy("mois abrégé", "févr."),
    pgettext_lazy("mois abrégé", "mars"),
    pgettext_lazy("mois abrégé", "avr."),
    pgettext_lazy("mois abrégé", "mai"),
    pgettext_lazy("mois abrégé", "juin"),
    pgettext_lazy("mois abrégé", "juil."),
    pgettext_lazy("mois abrégé", "août"),
    pgettext_lazy("mois abrégé", "sept."),
    pgettext_lazy("mois abrégé", "oct."),
    pgettext_lazy("mois abrégé", "nov."),
    pgettext_lazy("mois abrégé", "déc."),
)
RANGE_DASH = " – "  # an en dash between the two ends of a short or numeric range


def _local(value: datetime) -> datetime:
    """In the local time zone; a naive datetime is refused (ValueError), never guessed."""
    return timezone.localtime(value)


def _day(value: date | datetime) -> date:
    return _local(value).date() if isinstance(value, datetime) else value


def _day_of_month(day: date) -> str:
    return _("1er") if day.day == 1 else str(day.day)


def _same_day(start: datetime, end: datetime) -> bool:
    return _day(start) == _day(end)


def hour(value: datetime) -> str:
    """'10 h', '10 h 30', '0 h' at midnight, '12 h' at noon; seconds are left out."""
    local = _local(value)
    if local.minute:
        return _("%(hour)d h %(minute)02d") % {"hour": local.hour, "minute": local.minute}
    return _("%(hour)d h") % {"hour": local.hour}


def day_long(value: date | datetime, *, year: bool = True) -> str:
    """'lundi 7 décembre 2026', 'mardi 1er décembre 2026'; 'lundi 7 décembre' without the year."""
    day = _day(value)
    text = f"{WEEKDAYS[day.weekday()]} {_day_of_month(day)} {MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if year else text


def day_short(value: date | datetime, *, year: bool = False) -> str:
    """'lun. 7 déc.'; 'lun. 7 déc. 2026' with the year."""
    day = _day(value)
    text = f"{WEEKDAYS_SHORT[day.weekday()]} {_day_of_month(day)} {MONTHS_SHORT[day.month - 1]}"
    return f"{text} {day.year}" if year else text


def day_numeric(value: date | datetime) -> str:
    """'07/12/2026'."""
    return _day(value).strftime("%d/%m/%Y")


def datetime_long(value: datetime, *, year: bool = True) -> str:
    """'lundi 7 décembre 2026 à 10 h': one moment, after 'le', 'jusqu'au', 'avant le'."""
    return _("%(day)s à %(hour)s") % {"day": day_long(value, year=year), "hour": hour(value)}


def _across_days(start: datetime, end: datetime, *, year: bool) -> str:
    return _("du %(start)s au %(end)s") % {
        "start": datetime_long(start, year=year),
        "end": datetime_long(end, year=year),
    }


def _day_and_hour(day: str, value: datetime) -> str:
    return _("%(day)s, %(hour)s") % {"day": day, "hour": hour(value)}


def long(start: datetime, end: datetime | None = None, *, year: bool = True) -> str:
    """'lundi 7 décembre 2026, de 10 h à 11 h 30'; 'lundi 7 décembre 2026, 10 h' without an end;
    'du lundi 7 décembre 2026 à 23 h au mardi 8 décembre 2026 à 1 h' over two days."""
    if end is None:
        return _day_and_hour(day_long(start, year=year), start)
    if not _same_day(start, end):
        return _across_days(start, end, year=year)
    return _("%(day)s, de %(start)s à %(end)s") % {
        "day": day_long(start, year=year),
        "start": hour(start),
        "end": hour(end),
    }


def when(start: datetime, end: datetime | None = None, *, moved: bool = False) -> str:
    """The dates inside a sentence: 'le lundi 7 décembre 2026 à 10 h', 'le lundi 7 décembre 2026
    de 10 h à 11 h 30', 'du … au …' over two days. `moved` for a new date ('reportée au lundi
    7 décembre 2026 à 10 h')."""
    if end is not None and not _same_day(start, end):
        return _across_days(start, end, year=True)
    if end is None:
        dates = datetime_long(start)
    else:  # no comma: the sentence goes on after the hours
        dates = _("%(day)s de %(start)s à %(end)s") % {
            "day": day_long(start),
            "start": hour(start),
            "end": hour(end),
        }
    return (_("au %(dates)s") if moved else _("le %(dates)s")) % {"dates": dates}


def _range(start: datetime, end: datetime | None, moment) -> str:
    """`moment(start)`, then the end's hour, or `moment(end)` when it falls on another day."""
    if end is None:
        return moment(start)
    return moment(start) + RANGE_DASH + (hour(end) if _same_day(start, end) else moment(end))


def short(start: datetime, end: datetime | None = None, *, year: bool = False) -> str:
    """'lun. 7 déc., 10 h', 'lun. 7 déc., 10 h – 11 h 30', 'lun. 7 déc., 23 h – mar. 8 déc., 1 h';
    'lun. 7 déc. 2026, 10 h' with the year."""
    return _range(start, end, lambda value: _day_and_hour(day_short(value, year=year), value))


def numeric(start: datetime, end: datetime | None = None) -> str:
    """'07/12/2026 10 h', '07/12/2026 10 h – 11 h 30', '07/12/2026 23 h – 08/12/2026 1 h'."""
    return _range(start, end, lambda value: f"{day_numeric(value)} {hour(value)}")
