"""Every form of guichet.core.dates, table by table, and its template filters."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from hypothesis import given, settings
from hypothesis import strategies as st

from guichet.core import dates

PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


START = paris(2026, 12, 7, 10, 0)  # a Monday
END = paris(2026, 12, 7, 11, 30)
LATE, NEXT_DAY = paris(2026, 12, 7, 23, 0), paris(2026, 12, 8, 1, 0)  # 23 h → 1 h the next day


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (paris(2026, 12, 7, 0, 0), "0 h"),  # midnight
        (paris(2026, 12, 7, 12, 0), "12 h"),  # noon
        (paris(2026, 12, 7, 11, 30), "11 h 30"),
        (paris(2026, 12, 7, 9, 5), "9 h 05"),
        (paris(2026, 12, 7, 23, 59, 59), "23 h 59"),  # seconds left out
        (utc(2026, 12, 7, 9, 0), "10 h"),  # UTC, winter: Paris is UTC+1
        (utc(2026, 7, 7, 9, 0), "11 h"),  # UTC, summer: UTC+2
    ],
)
def test_hour(value, expected):
    assert dates.hour(value) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (START, END, "lundi 7 décembre 2026, de 10 h à 11 h 30"),
        (START, None, "lundi 7 décembre 2026, 10 h"),
        (
            paris(2026, 12, 7, 0, 0),
            paris(2026, 12, 7, 12, 0),
            "lundi 7 décembre 2026, de 0 h à 12 h",
        ),
        (
            LATE,
            NEXT_DAY,
            "du lundi 7 décembre 2026 à 23 h au mardi 8 décembre 2026 à 1 h",
        ),
        (paris(2026, 12, 1, 14, 0), None, "mardi 1er décembre 2026, 14 h"),
        # UTC instants shown in Paris time: 23:30 UTC on the 7th is 0 h 30 on the 8th.
        (
            utc(2026, 12, 7, 23, 30),
            utc(2026, 12, 8, 1, 0),
            "mardi 8 décembre 2026, de 0 h 30 à 2 h",
        ),
    ],
)
def test_long(start, end, expected):
    assert dates.long(start, end) == expected


def test_long_without_the_year_for_a_button():
    assert dates.long(START, year=False).upper() == "LUNDI 7 DÉCEMBRE, 10 H"


@pytest.mark.parametrize(
    ("start", "end", "moved", "expected"),
    [
        (START, None, False, "le lundi 7 décembre 2026 à 10 h"),
        (START, END, False, "le lundi 7 décembre 2026 de 10 h à 11 h 30"),
        (LATE, NEXT_DAY, False, "du lundi 7 décembre 2026 à 23 h au mardi 8 décembre 2026 à 1 h"),
        # A postponed session with no new end: "reportée au …".
        (START, None, True, "au lundi 7 décembre 2026 à 10 h"),
        (START, END, True, "au lundi 7 décembre 2026 de 10 h à 11 h 30"),
        (LATE, NEXT_DAY, True, "du lundi 7 décembre 2026 à 23 h au mardi 8 décembre 2026 à 1 h"),
    ],
)
def test_when_in_a_sentence(start, end, moved, expected):
    assert dates.when(start, end, moved=moved) == expected


@pytest.mark.parametrize(
    ("start", "end", "year", "expected"),
    [
        (START, None, False, "lun. 7 déc., 10 h"),
        (START, END, False, "lun. 7 déc., 10 h – 11 h 30"),
        (LATE, NEXT_DAY, False, "lun. 7 déc., 23 h – mar. 8 déc., 1 h"),
        (START, None, True, "lun. 7 déc. 2026, 10 h"),
        (paris(2027, 1, 1, 0, 0), None, True, "ven. 1er janv. 2027, 0 h"),
        (paris(2026, 7, 4, 12, 0), None, False, "sam. 4 juil., 12 h"),
        (paris(2026, 6, 3, 12, 0), None, False, "mer. 3 juin, 12 h"),
    ],
)
def test_short(start, end, year, expected):
    assert dates.short(start, end, year=year) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (START, None, "07/12/2026 10 h"),
        (START, END, "07/12/2026 10 h – 11 h 30"),
        (LATE, NEXT_DAY, "07/12/2026 23 h – 08/12/2026 1 h"),
        (paris(2026, 12, 7, 0, 0), None, "07/12/2026 0 h"),
    ],
)
def test_numeric(start, end, expected):
    assert dates.numeric(start, end) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (START, ("lundi 7 décembre 2026", "lun. 7 déc.", "07/12/2026")),
        (date(2026, 12, 5), ("samedi 5 décembre 2026", "sam. 5 déc.", "05/12/2026")),
        (date(2026, 2, 1), ("dimanche 1er février 2026", "dim. 1er févr.", "01/02/2026")),
        # Late evening in UTC is already the next day in Paris.
        (utc(2026, 12, 31, 23, 30), ("vendredi 1er janvier 2027", "ven. 1er janv.", "01/01/2027")),
    ],
)
def test_days(value, expected):
    assert (dates.day_long(value), dates.day_short(value), dates.day_numeric(value)) == expected


def test_a_day_with_and_without_its_year():
    assert dates.day_long(START, year=False) == "lundi 7 décembre"
    assert dates.day_short(START, year=True) == "lun. 7 déc. 2026"
    # "Reportée — initialement le samedi 5 décembre 2026"
    assert f"initialement le {dates.day_long(paris(2026, 12, 5, 10, 0))}" == (
        "initialement le samedi 5 décembre 2026"
    )


@pytest.mark.parametrize(
    ("start", "end", "expected_long", "expected_short"),
    [
        # 29 March 2026: clocks go from 2 h to 3 h. 00:30 UTC is 1 h 30, 01:30 UTC is 3 h 30.
        (
            utc(2026, 3, 29, 0, 30),
            utc(2026, 3, 29, 1, 30),
            "dimanche 29 mars 2026, de 1 h 30 à 3 h 30",
            "dim. 29 mars, 1 h 30 – 3 h 30",
        ),
        # 25 October 2026: clocks go from 3 h back to 2 h; 2 h 30 happens twice, an hour apart.
        (
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 25, 1, 30),
            "dimanche 25 octobre 2026, de 2 h 30 à 2 h 30",
            "dim. 25 oct., 2 h 30 – 2 h 30",
        ),
        # The same wall-clock time on both sides of a change.
        (
            paris(2026, 3, 28, 10, 0),
            paris(2026, 3, 30, 10, 0),
            "du samedi 28 mars 2026 à 10 h au lundi 30 mars 2026 à 10 h",
            "sam. 28 mars, 10 h – lun. 30 mars, 10 h",
        ),
    ],
)
def test_daylight_saving_days(start, end, expected_long, expected_short):
    assert dates.long(start, end) == expected_long
    assert dates.short(start, end) == expected_short


def test_a_naive_datetime_is_refused_not_guessed():
    with pytest.raises(ValueError, match="naive"):
        dates.long(datetime(2026, 12, 7, 10, 0))


instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@settings(deadline=None)  # a busy machine must not fail a pure function
@given(start=instants, length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)))
def test_utc_and_paris_give_the_same_text(start, length):
    end = start + length
    local_start, local_end = start.astimezone(PARIS), end.astimezone(PARIS)
    for form in (dates.long, dates.when, dates.short, dates.numeric):
        assert form(start, end) == form(local_start, local_end)
        assert form(start) == form(local_start)


@settings(deadline=None)  # a busy machine must not fail a pure function
@given(start=instants, length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)))
def test_the_range_names_the_second_day_exactly_when_it_differs(start, length):
    end = start + length
    same_day = start.astimezone(PARIS).date() == end.astimezone(PARIS).date()
    long, short = dates.long(start, end), dates.short(start, end)
    if same_day:
        assert long.startswith(dates.day_long(start) + ", de ")
        assert short.count(",") == 1
    else:
        assert long == f"du {dates.datetime_long(start)} au {dates.datetime_long(end)}"
        assert short.endswith(f" – {dates.day_short(end)}, {dates.hour(end)}")


@settings(deadline=None)  # a busy machine must not fail a pure function
@given(value=instants)
def test_the_hour_is_the_paris_wall_clock(value):
    local = value.astimezone(PARIS)
    match = re.fullmatch(r"(\d{1,2}) h(?: (\d{2}))?", dates.hour(value))
    assert match, dates.hour(value)
    assert int(match[1]) == local.hour
    assert int(match[2] or 0) == local.minute
    assert match[2] != "00"


TEMPLATE = (
    "{% load dates %}"
    "{{ start|dates_long:end }}|{{ start|dates_when:end }}|{{ start|dates_short:end }}|"
    "{{ start|dates_numeric:end }}|{{ start|datetime_long }}|{{ start|day_long }}|"
    "{{ start|day_short }}|{{ start|day_numeric }}|{{ start|hour }}|{{ start|dates_long|capfirst }}"
)


def test_template_filters():
    text = Template(TEMPLATE).render(Context({"start": START, "end": END}))
    assert text.split("|") == [
        "lundi 7 décembre 2026, de 10 h à 11 h 30",
        "le lundi 7 décembre 2026 de 10 h à 11 h 30",
        "lun. 7 déc., 10 h – 11 h 30",
        "07/12/2026 10 h – 11 h 30",
        "lundi 7 décembre 2026 à 10 h",
        "lundi 7 décembre 2026",
        "lun. 7 déc.",
        "07/12/2026",
        "10 h",
        "Lundi 7 décembre 2026, 10 h",
    ]


def test_template_filters_leave_an_empty_value_empty():
    # A reservation never cancelled (no cancelled_at), a session without an end.
    text = Template(TEMPLATE).render(Context({"start": None, "end": None}))
    assert text == "|" * 9
    assert Template("{% load dates %}{{ start|dates_long:end }}").render(
        Context({"start": START, "end": None})
    ) == ("lundi 7 décembre 2026, 10 h")
