"""The daily report: one outbox row per household and day, at the digest time, for the day
before, to the guardians who receive it; seed 002's text, mended, in its sections' order; sent
through a real SMTP server (aiosmtpd)."""

from datetime import date, datetime, time, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from guichet.core.selectors import organisation_get
from guichet.families.deadlines import PARIS
from guichet.families.digest import digest_of_household, digest_text
from guichet.families.models import ReservationChange
from guichet.families.services import (
    basket_toggle_days,
    basket_validate,
    digest_send_due,
    period_generate_sessions,
)
from guichet.families.tests.factories import (
    ActivityRulesFactory,
    ChildFactory,
    GuardianFactory,
)
from guichet.notifications.delivery import messages_send_due
from guichet.notifications.models import MessageKind, OutgoingMessage


@pytest.fixture
def movements(guardian, child, rules, period, session_of, now):
    """On Monday 15 February: Léa books 3 mornings and 1 lunch, then cancels a morning; her
    brother Tom waits for a full morning."""
    organisation = organisation_get()
    organisation.name = "Mairie d'Exempleville"
    organisation.save()
    lunch = ActivityRulesFactory(
        activity__name="RESTAURATION", starts_at=time(11, 30), ends_at=time(13, 30)
    )
    period.activities.add(lunch.activity)
    period_generate_sessions(period=period, now=now)
    mornings = [session_of(date(2027, 3, day), rules.activity) for day in (1, 2, 3)]
    basket_toggle_days(guardian=guardian, child=child, sessions=mornings, now=now)
    basket_toggle_days(
        guardian=guardian,
        child=child,
        sessions=[session_of(date(2027, 3, 1), lunch.activity)],
        now=now,
    )
    basket_validate(guardian=guardian, now=now, submission_key="a")
    basket_toggle_days(guardian=guardian, child=child, sessions=mornings[2:], now=now)
    basket_validate(guardian=guardian, now=now, submission_key="b")
    full = session_of(date(2027, 3, 4), rules.activity)
    full.seat_limit = 1
    full.save(update_fields=["seat_limit"])
    other = GuardianFactory()
    basket_toggle_days(
        guardian=other, child=ChildFactory(household=other.household), sessions=[full], now=now
    )
    basket_validate(guardian=other, now=now, submission_key="other")
    tom = ChildFactory(household=guardian.household, first_name="Tom")
    basket_toggle_days(guardian=guardian, child=tom, sessions=[full], now=now)
    basket_validate(guardian=guardian, now=now, submission_key="c")
    # A second guardian who does not receive it, a third without an address.
    GuardianFactory(household=guardian.household, receives_digest=False)
    GuardianFactory(household=guardian.household, user__profile__email="")
    return guardian


EXPECTED = """6 mouvements sur vos demandes de réservations ont été reçus, dont :
       - 5 nouvelles demandes de réservation
       - 1 demande d'annulation

****************     RESERVATIONS MISES EN LISTE D'ATTENTE     ****************
--> Activité : APS MATIN :
         EXEMPLE Tom : jeu. 4 mars

****************     RESERVATIONS ACCEPTEES     ****************
--> Activité : APS MATIN :
         EXEMPLE Léa : lun. 1er mars, mar. 2 mars, mer. 3 mars
--> Activité : RESTAURATION :
         EXEMPLE Léa : lun. 1er mars

****************     RESERVATIONS ANNULEES     ****************
--> Activité : APS MATIN :
         EXEMPLE Léa : mer. 3 mars"""


def test_the_report_text_follows_seed_002(movements):
    digest = digest_of_household(household_id=movements.household_id, day=date(2027, 2, 15))
    assert digest_text(digest) == EXPECTED


def test_one_mail_per_household_and_day_at_the_digest_time(movements, time_machine, smtp):
    morning = datetime(2027, 2, 16, 6, 59, tzinfo=PARIS)
    time_machine.move_to(morning, tick=False)
    assert digest_send_due(now=morning) == 0
    seven = morning + timedelta(minutes=1)
    time_machine.move_to(seven, tick=False)
    assert digest_send_due(now=seven) == 2  # Léa's household and the other one
    assert digest_send_due(now=seven + timedelta(minutes=15)) == 0  # run again: nothing new
    row = OutgoingMessage.objects.get(recipients=[movements.user.email])
    assert row.kind == MessageKind.FAMILY_DIGEST
    assert row.dedupe_key == f"family_digest:{movements.household_id}:2027-02-15"
    messages_send_due()
    row.refresh_from_db()
    assert row.state == "sent", (row.state, row.last_error)
    assert sorted(e.rcpt_tos[0] for e in smtp.envelopes) == sorted(
        [movements.user.email, OutgoingMessage.objects.exclude(pk=row.pk).get().recipients[0]]
    )
    envelope = next(e for e in smtp.envelopes if e.rcpt_tos == [movements.user.email])
    message = message_from_bytes(envelope.original_content, policy=default_policy)
    assert "Compte rendu de vos réservations du lundi 15 février 2027" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(preferencelist=("html",)).get_content()
    intro = (
        "Veuillez trouver ci-dessous un compte rendu des modifications apportées à vos demandes "
        "de réservation sur la structure : Mairie d'Exempleville."
    )
    assert intro in " ".join(text.split())
    assert EXPECTED in text
    assert text.index(intro[:40]) < text.index("6 mouvements")
    assert "RESERVATIONS MISES EN LISTE D&#x27;ATTENTE" in html or "LISTE D'ATTENTE" in html
    assert "EXEMPLE Léa : lun. 1er mars, mar. 2 mars, mer. 3 mars" in html


def test_nothing_moved_nothing_sent(guardian, time_machine):
    seven = datetime(2027, 2, 16, 7, 0, tzinfo=PARIS)
    time_machine.move_to(seven, tick=False)
    assert digest_send_due(now=seven) == 0
    assert not OutgoingMessage.objects.exists()


def test_the_day_is_the_paris_day_before(movements, time_machine):
    # Two days later, the 15th is no longer "the day before".
    later = datetime(2027, 2, 17, 7, 0, tzinfo=PARIS)
    assert digest_send_due(now=later) == 0
    assert ReservationChange.objects.count() == 7  # Léa and Tom's 6, the other family's 1


def test_requests_not_served_are_logged_once(rules, guardian, child, session_of, now):
    from guichet.bookings.services import reservations_archive_past
    from guichet.families.models import ChangeKind
    from guichet.families.services import not_served_log

    rules.acceptance = "staff"
    rules.save()
    monday = session_of(date(2027, 3, 1))
    basket_toggle_days(guardian=guardian, child=child, sessions=[monday], now=now)
    basket_validate(guardian=guardian, now=now, submission_key="pending")
    after = monday.start + timedelta(hours=1)
    reservations_archive_past(now=after)
    assert not_served_log(now=after) == 1
    assert not_served_log(now=after) == 0
    change = ReservationChange.objects.get(kind=ChangeKind.NOT_SERVED)
    assert change.child == child and change.origin == "system"
