"""The calendar's cells and icons rendered once per look (`calendar_cell`, `state_icon`, kept per
process) are the template's own HTML for every cell, byte for byte: a booked day with hours, a
day in the basket, a waiting day, full days, days without activity, other months' days, in the
activity view and in "Toutes les activités" (whose cells link to the child's day); and the
sessions the calendar shares between parents for a few seconds are read again after that."""

from datetime import date, time
from types import SimpleNamespace

from django.template.loader import get_template

from guichet.families.calendar import days_sessions, month_calendar
from guichet.families.selectors import HouseholdScope
from guichet.families.services import basket_set_hours, basket_toggle_days, basket_validate
from guichet.families.templatetags.family_portal import calendar_cell, state_icon
from guichet.families.tests.factories import ActivityRulesFactory, ChildFactory


def cells_equal_the_template(calendar, choice) -> int:
    template = get_template("families/portal/_calendar_cell.html")
    compared = 0
    for week in calendar.weeks:
        for day in week:
            expected = template.render({"day": day, "choice": choice})
            assert calendar_cell(day, choice) == expected, day
            compared += 1
    for look in calendar.legend:
        assert state_icon(look) == get_template("families/_state_icon.html").render({"look": look})
    return compared


def test_cells_are_the_templates_html(guardian, child, rules, period, session_of, now):
    rules.arrival_from, rules.arrival_until = time(7, 30), time(8, 0)
    rules.save()
    other = ActivityRulesFactory(
        activity__name="RESTAURATION", starts_at=time(11, 30), ends_at=time(13, 30)
    )
    period.activities.add(other.activity)
    from guichet.families.services import period_generate_sessions

    period_generate_sessions(period=period, now=now)
    monday, tuesday = (
        session_of(date(2027, 3, 1), rules.activity),
        session_of(date(2027, 3, 2), rules.activity),
    )
    basket_toggle_days(guardian=guardian, child=child, sessions=[monday, tuesday], now=now)
    basket_set_hours(
        guardian=guardian,
        child=child,
        sessions=[monday],
        arrival=time(7, 45),
        departure=None,
        now=now,
    )
    basket_validate(guardian=guardian, now=now, submission_key="k")
    wednesday = session_of(date(2027, 3, 3), rules.activity)
    basket_toggle_days(guardian=guardian, child=child, sessions=[wednesday], now=now)
    full = session_of(date(2027, 3, 4), rules.activity)
    full.seats_taken = full.seat_limit
    full.save(update_fields=["seats_taken"])
    scope = HouseholdScope(guardian.household, guardian=guardian)
    other_child = ChildFactory(household=guardian.household, first_name="Noé")
    compared = 0
    for month in (date(2027, 3, 1), date(2027, 2, 1)):
        for shown, activity in ((child, rules.activity), (child, None), (other_child, None)):
            calendar = month_calendar(
                scope=scope, child=shown, activity=activity, month=month, now=now
            )
            choice = SimpleNamespace(activity=activity, child=shown)
            compared += cells_equal_the_template(calendar, choice)
    assert compared == 3 * 35 + 3 * 28  # March 2027: five weeks; February: four


def test_shared_sessions_are_read_again_after_their_seconds(
    settings, period, session_of, now, monkeypatch
):
    from guichet.families import calendar

    settings.PUBLIC_PAGE_CACHE_SECONDS = 5
    clock = [1000.0]
    monkeypatch.setattr(calendar.time_module, "monotonic", lambda: clock[0])
    monkeypatch.setattr(calendar, "_shared", {})
    monday = session_of(date(2027, 3, 1))
    args = {"activity_ids": [monday.activity_id], "first_day": monday.start.date()}
    args["last_day"] = args["first_day"] = date(2027, 3, 1)
    first = days_sessions(**args, shared=True)
    monday.seats_taken = 3
    monday.save(update_fields=["seats_taken"])
    clock[0] += 4.9
    assert days_sessions(**args, shared=True) is first  # the same list, no statement
    assert days_sessions(**args)[0].seats_taken == 3  # not shared: the database's
    clock[0] += 0.2
    assert days_sessions(**args, shared=True)[0].seats_taken == 3
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0  # the tests' and development's setting: never shared
    monday.seats_taken = 4
    monday.save(update_fields=["seats_taken"])
    assert days_sessions(**args, shared=True)[0].seats_taken == 4
