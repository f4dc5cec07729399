"""'Générer les séances': sessions per activity and day, their windows from the rules, run again
without duplicates, days removed (deleted, or kept when booked), per school zone; the boundary
minute of the booking and cancellation deadlines on the generated sessions."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.cache import cache

from guichet.bookings.channels import policy_for
from guichet.catalogue.models import Channel, Session
from guichet.families.deadlines import PARIS
from guichet.families.models import FamilySettings, PeriodDayChange, SessionDay
from guichet.families.selectors import REASON_LATE, REASON_LATE_CANCEL
from guichet.families.services import (
    basket_toggle_days,
    basket_validate,
    period_generate_sessions,
)
from guichet.families.tests.factories import BookingPeriodFactory


def days_of(period):
    return sorted(SessionDay.objects.filter(period=period).values_list("day", flat=True))


def test_one_session_per_activity_and_day_with_its_window(period, rules, session_of):
    days = days_of(period)
    assert len(days) == 22  # March 2027 weekdays without Easter Monday
    assert date(2027, 3, 29) not in days
    monday = session_of(date(2027, 3, 1))
    assert monday.start == datetime(2027, 3, 1, 7, 30, tzinfo=PARIS)
    assert monday.end == datetime(2027, 3, 1, 8, 30, tzinfo=PARIS)
    assert monday.opens_at == period.opens_at
    # The rules' defaults: "J-2 à 12:00" for both deadlines.
    assert monday.closes_at == datetime(2027, 2, 27, 12, 0, tzinfo=PARIS)
    assert monday.cancel_until == datetime(2027, 2, 27, 12, 0, tzinfo=PARIS)
    assert monday.seat_limit == 10 and monday.waiting_limit is None
    assert monday.activity.channel == Channel.FAMILY


def test_generating_again_changes_nothing_then_follows_the_rules(period, rules, now):
    before = set(Session.objects.values_list("pk", flat=True))
    report = period_generate_sessions(period=period, now=now)
    assert report.created == [] and report.updated == [] and report.deleted == []
    assert set(Session.objects.values_list("pk", flat=True)) == before
    rules.booking_kind, rules.booking_count, rules.booking_at = "hours", 72, None
    rules.save()
    report = period_generate_sessions(period=period, now=now)
    assert len(report.updated) == 22
    monday = SessionDay.objects.get(day=date(2027, 3, 1)).session
    assert monday.closes_at == datetime(2027, 2, 26, 7, 30, tzinfo=PARIS)


def test_a_period_closing_earlier_closes_the_days(period, now, session_of):
    period.closes_at = datetime(2027, 2, 20, 18, 0, tzinfo=PARIS)
    period.save()
    period_generate_sessions(period=period, now=now)
    assert session_of(date(2027, 3, 31)).closes_at == period.closes_at


def test_a_closure_deletes_a_day_never_booked_and_keeps_a_booked_one(
    period, guardian, child, session_of, now
):
    booked = session_of(date(2027, 3, 2))
    basket_toggle_days(guardian=guardian, child=child, sessions=[booked], now=now)
    basket_validate(guardian=guardian, now=now, submission_key="closure")
    PeriodDayChange.objects.create(period=period, day=date(2027, 3, 1), reason="Grève")
    PeriodDayChange.objects.create(period=period, day=date(2027, 3, 2), reason="Grève")
    report = period_generate_sessions(period=period, now=now)
    assert report.deleted == [(booked.activity_id, date(2027, 3, 1))]
    assert [session.pk for session in report.kept_booked] == [booked.pk]
    kept = SessionDay.objects.get(day=date(2027, 3, 2))
    assert kept.removed_at == now
    assert not SessionDay.objects.filter(day=date(2027, 3, 1)).exists()
    # Opened again: the booked day comes back, the other is made anew.
    PeriodDayChange.objects.filter(period=period).delete()
    report = period_generate_sessions(period=period, now=now)
    assert [session.start.date() for session in report.created] == [date(2027, 3, 1)]
    kept.refresh_from_db()
    assert kept.removed_at is None


def test_a_day_whose_deadline_is_before_the_opening_is_not_generated(rules, now):
    period = BookingPeriodFactory(
        first_day=date(2027, 3, 1),
        last_day=date(2027, 3, 5),
        opens_at=datetime(2027, 2, 28, 9, 0, tzinfo=PARIS),
        activities=[rules.activity],
    )
    report = period_generate_sessions(period=period, now=now)
    # J-2 à 12:00: Monday and Tuesday close on 27 and 28 February at noon… Tuesday's after 9:00.
    assert [day for _activity, day in report.skipped] == [date(2027, 3, 1)]
    assert days_of(period) == [date(2027, 3, day) for day in (2, 3, 4, 5)]


@pytest.mark.parametrize(
    ("zone", "first"),
    [("A", date(2027, 2, 15)), ("B", date(2027, 2, 22)), ("C", date(2027, 2, 8))],
)
def test_a_holiday_period_follows_the_school_zone(rules, now, zone, first):
    FamilySettings.objects.update_or_create(pk=1, defaults={"school_zone": zone})
    cache.clear()
    period = BookingPeriodFactory(
        first_day=date(2027, 2, 1),
        last_day=date(2027, 3, 31),
        days="holidays",
        opens_at=datetime(2027, 1, 15, tzinfo=PARIS),
        activities=[rules.activity],
    )
    period_generate_sessions(period=period, now=now)
    days = days_of(period)
    # Two weeks of holidays, Monday to Friday.
    assert days == [first + timedelta(days=n) for n in range(12) if n % 7 < 5]


def test_two_periods_never_make_two_sessions_of_an_activity_on_a_day(period, rules, now):
    other = BookingPeriodFactory(
        first_day=date(2027, 3, 1),
        last_day=date(2027, 3, 2),
        opens_at=datetime(2027, 2, 1, tzinfo=PARIS),
        activities=[rules.activity],
    )
    report = period_generate_sessions(period=other, now=now)
    assert report.created == [] and len(report.skipped) == 2


def test_booking_closes_at_the_boundary_minute(guardian, child, session_of, time_machine):
    monday = session_of(date(2027, 3, 1))
    just_before = monday.closes_at - timedelta(minutes=1)
    result = basket_toggle_days(guardian=guardian, child=child, sessions=[monday], now=just_before)
    assert result.action == "book"
    submission = basket_validate(guardian=guardian, now=monday.closes_at, submission_key="late")
    assert submission.outcomes[0]["status"] == f"Refusée : {REASON_LATE}"
    result = basket_toggle_days(
        guardian=guardian, child=child, sessions=[monday], now=monday.closes_at
    )
    assert result.action is None
    assert [locked.reason for locked in result.locked] == [str(REASON_LATE)]


def test_cancelling_ends_at_the_boundary_minute(rules, guardian, child, now):
    rules.cancel_kind, rules.cancel_count, rules.cancel_at = "working_days", 1, time(18, 0)
    rules.save()
    from guichet.families.models import BookingPeriod

    period = BookingPeriod.objects.create(
        name="Mars",
        first_day=date(2027, 3, 1),
        last_day=date(2027, 3, 5),
        weekdays=[0, 1, 2, 3, 4],
        days="all",
        opens_at=datetime(2027, 2, 1, tzinfo=PARIS),
        seat_limit=10,
    )
    period.activities.set([rules.activity])
    period_generate_sessions(period=period, now=now)
    monday = SessionDay.objects.get(day=date(2027, 3, 1)).session
    assert monday.cancel_until == datetime(2027, 2, 26, 18, 0, tzinfo=PARIS)  # Friday 18:00
    basket_toggle_days(guardian=guardian, child=child, sessions=[monday], now=now)
    basket_validate(guardian=guardian, now=now, submission_key="book")
    minute = monday.cancel_until - timedelta(minutes=1)
    result = basket_toggle_days(guardian=guardian, child=child, sessions=[monday], now=minute)
    assert result.action == "cancel"
    submission = basket_validate(guardian=guardian, now=monday.cancel_until, submission_key="c")
    assert submission.outcomes[0]["status"] == f"Refusée : {REASON_LATE}"
    result = basket_toggle_days(
        guardian=guardian, child=child, sessions=[monday], now=monday.cancel_until
    )
    assert result.locked[0].reason == str(REASON_LATE_CANCEL)


def test_promotion_stops_a_notice_before_the_cancellation_deadline(period, session_of):
    monday = session_of(date(2027, 3, 1))
    policy = policy_for(Channel.FAMILY)
    assert policy.promotion_closes_at(monday) == monday.cancel_until - timedelta(hours=24)
    FamilySettings.objects.filter(pk=1).update(notice_hours=48)
    cache.clear()
    assert policy.promotion_closes_at(monday) == monday.cancel_until - timedelta(hours=48)
