"""'Copier': a property test (hypothesis) over the source's days, the target's bookings, full
days and the week offset: every source day is either copied into the basket or listed under
"Réservations non importées" with the reason the rules give; and the reasons one by one."""

from datetime import date, time, timedelta

import pytest
from django.db import transaction
from django.db.models import F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guichet.catalogue.models import Session
from guichet.families.models import BasketAction, BasketLine, SessionDay
from guichet.families.services import basket_copy, staff_book
from guichet.families.tests.factories import ActivityRulesFactory, ChildFactory

WEEKDAYS = [date(2027, 3, 1) + timedelta(days=n) for n in range(12) if n % 7 < 5]


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user("agent", is_staff=True)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    source_days=st.sets(st.sampled_from(WEEKDAYS), max_size=6),
    booked=st.sets(st.sampled_from(WEEKDAYS + [d + timedelta(weeks=1) for d in WEEKDAYS])),
    full=st.sets(st.sampled_from(WEEKDAYS + [d + timedelta(weeks=1) for d in WEEKDAYS])),
    weeks=st.integers(min_value=0, max_value=3),
)
def test_every_day_is_copied_or_listed_with_its_reason(
    guardian, child, period, session_of, staff_user, now, source_days, booked, full, weeks
):
    with transaction.atomic():
        sibling = ChildFactory(household=guardian.household, first_name="Noé")
        stranger = ChildFactory()
        if source_days:
            staff_book(
                child=child,
                sessions=[session_of(day) for day in sorted(source_days)],
                staff_user=staff_user,
                now=now,
            )
        for day in sorted(booked):
            staff_book(child=sibling, sessions=[session_of(day)], staff_user=staff_user, now=now)
        for day in sorted(full - booked):
            staff_book(child=stranger, sessions=[session_of(day)], staff_user=staff_user, now=now)
            Session.objects.filter(pk=session_of(day).pk).update(
                seat_limit=F("seats_taken"), waiting_limit=0
            )
        result = basket_copy(
            guardian=guardian,
            source_child=child,
            target_child=sibling,
            source_activity=None,
            target_activity=None,
            first_day=date(2027, 3, 1),
            last_day=date(2027, 3, 12),
            weeks_later=weeks,
            now=now,
        )
        generated = set(SessionDay.objects.values_list("day", flat=True))
        expected, copied = {}, set()
        for day in source_days:
            target = day + timedelta(weeks=weeks)
            if target not in generated:
                expected[target] = "hors délai"
            elif target in booked:
                expected[target] = "déjà réservé"
            elif target in full:
                expected[target] = "plus de place"
            else:
                copied.add(target)
        assert {item.day: item.reason for item in result.not_imported} == expected
        assert result.added == len(copied)
        lines = BasketLine.objects.filter(child=sibling).select_related("session__family_day")
        assert {line.session.family_day.day for line in lines} == copied
        assert {line.action for line in lines} <= {BasketAction.BOOK}
        transaction.set_rollback(True)


def test_copy_to_another_activity_keeps_the_hours_or_lists_why_not(
    guardian, child, rules, period, session_of, staff_user, now
):
    rules.arrival_from, rules.arrival_until = time(7, 30), time(8, 0)
    rules.save()
    small = ActivityRulesFactory(activity__name="ALSH 3-6 ans Journée", age_max=6)
    lunch = ActivityRulesFactory(
        activity__name="RESTAURATION",
        starts_at=time(7, 0),
        ends_at=time(9, 0),
        arrival_from=time(7, 0),
        arrival_until=time(8, 0),
    )
    period.activities.add(small.activity, lunch.activity)
    from guichet.families.services import period_generate_sessions

    period_generate_sessions(period=period, now=now)
    staff_book(
        child=child,
        sessions=[session_of(date(2027, 3, 1), rules.activity)],
        staff_user=staff_user,
        arrival=time(7, 45),
        now=now,
    )
    big = ChildFactory(household=guardian.household, birth_date=date(2015, 1, 1))
    result = basket_copy(
        guardian=guardian,
        source_child=child,
        target_child=big,
        source_activity=rules.activity,
        target_activity=small.activity,
        first_day=date(2027, 3, 1),
        last_day=date(2027, 3, 1),
        now=now,
    )
    assert [(item.activity, item.reason) for item in result.not_imported] == [
        ("ALSH 3-6 ans Journée", "non accessible à cet enfant")
    ]
    # The child itself, same activity: already booked; onto the meal: it overlaps its morning.
    result = basket_copy(
        guardian=guardian,
        source_child=child,
        target_child=child,
        source_activity=None,
        target_activity=lunch.activity,
        first_day=date(2027, 3, 1),
        last_day=date(2027, 3, 1),
        now=now,
    )
    assert [item.reason for item in result.not_imported] == ["horaires incompatibles"]
    result = basket_copy(
        guardian=guardian,
        source_child=child,
        target_child=big,
        source_activity=None,
        target_activity=None,
        first_day=date(2027, 3, 1),
        last_day=date(2027, 3, 1),
        weeks_later=1,
        now=now,
    )
    line = BasketLine.objects.get(child=big)
    assert result.added == 1 and line.arrival == time(7, 45)


def test_copy_refuses_dates_out_of_order(guardian, child, now):
    from guichet.families.services import FamilyError

    with pytest.raises(FamilyError):
        basket_copy(
            guardian=guardian,
            source_child=child,
            target_child=child,
            source_activity=None,
            target_activity=None,
            first_day=date(2027, 3, 5),
            last_day=date(2027, 3, 1),
            now=now,
        )


def _copy_to(guardian, source, target, now):
    return basket_copy(
        guardian=guardian,
        source_child=source,
        target_child=target,
        source_activity=None,
        target_activity=None,
        first_day=WEEKDAYS[0],
        last_day=WEEKDAYS[-1],
        now=now,
    )


def test_copy_turns_a_cancel_line_of_the_target_into_a_book_line(
    guardian, child, period, session_of, staff_user, now
):
    """The copy writes its lines in one statement that updates the target's line of a day
    (one line per child and unit), as one write per day did."""
    from guichet.families.services import basket_get

    sibling = ChildFactory(household=guardian.household, first_name="Noé")
    days = WEEKDAYS[:2]
    staff_book(child=child, sessions=[session_of(d) for d in days], staff_user=staff_user, now=now)
    staff_book(child=sibling, sessions=[session_of(days[0])], staff_user=staff_user, now=now)
    cancel = BasketLine.objects.create(
        basket=basket_get(guardian=guardian),
        child=sibling,
        session=session_of(days[0]),
        action=BasketAction.CANCEL,
    )
    result = _copy_to(guardian, child, sibling, now)
    assert result.added == 2 and not result.not_imported
    lines = BasketLine.objects.filter(child=sibling).order_by("session__start")
    assert [(line.session, line.action) for line in lines] == [
        (session_of(days[0]), BasketAction.BOOK),
        (session_of(days[1]), BasketAction.BOOK),
    ]
    assert lines[0].pk == cancel.pk and lines[0].created_at == cancel.created_at


def test_copy_statements_do_not_grow_with_its_days(
    guardian, child, period, session_of, staff_user, now
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from guichet.families.services import basket_get

    basket_get(guardian=guardian)  # made before, not by the first copy
    counts = []
    for days in (WEEKDAYS[:1], WEEKDAYS):
        source, target = ChildFactory.create_batch(2, household=guardian.household)
        staff_book(
            child=source, sessions=[session_of(d) for d in days], staff_user=staff_user, now=now
        )
        with CaptureQueriesContext(connection) as queries:
            result = _copy_to(guardian, source, target, now)
        assert result.added == len(days)
        counts.append(len(queries))
    assert counts[0] == counts[1]
