from datetime import timedelta

import pytest
from django.utils import timezone

from guichet.catalogue.models import Session, SessionStatus
from guichet.catalogue.selectors import session_over_q
from guichet.catalogue.tests.factories import SessionFactory

pytestmark = pytest.mark.django_db


def test_a_session_is_over_by_its_end_or_without_one_by_its_start():
    now = timezone.now()
    hour = timedelta(hours=1)
    sessions = {
        "ended": SessionFactory(start=now - 2 * hour, end=now - hour),
        "running": SessionFactory(start=now - hour, end=now + hour),
        "started, no end": SessionFactory(start=now - hour, end=None),
        "to come, no end": SessionFactory(start=now + hour, end=None),
        "postponed, no new end": SessionFactory(
            start=now - 2 * hour,
            end=now - hour,
            status=SessionStatus.POSTPONED,
            new_start=now + hour,
        ),
    }
    over = set(Session.objects.filter(session_over_q(now=now)).values_list("pk", flat=True))
    upcoming = set(Session.objects.exclude(session_over_q(now=now)).values_list("pk", flat=True))
    assert over == {sessions["ended"].pk, sessions["started, no end"].pk}
    # The public lists exclude what archiving takes: every session is in exactly one of them.
    assert upcoming == {s.pk for s in sessions.values()} - over
