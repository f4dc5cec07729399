"""Staff's "Réserver pour une famille": a household, a child, its days of a month; "Réserver" or
"Annuler" through the services, past the family's deadlines only with a reason, which the
movements' log keeps for the daily report; other staff and parents kept out; forged or hostile
input answered in French (or 404), never a 500."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.catalogue.tests.factories import SessionFactory
from guichet.core.permissions import SOLIDARITY_MANAGER_GROUP
from guichet.families.deadlines import PARIS
from guichet.families.digest import digest_of_household, digest_text
from guichet.families.models import ChangeKind, ChangeOrigin, ReservationChange
from guichet.families.tests.factories import ChildFactory, GuardianFactory

URL = reverse("families:staff_book")
MARCH = "2027-03"


def page_of(family_staff, child, month=MARCH):
    return family_staff.get(URL, {"foyer": child.household_id, "enfant": child.pk, "mois": month})


def move_to(family_staff, moment, time_machine):
    """Later on: the staff member signs in again (the back-office's session has expired)."""
    from django.contrib.auth import get_user_model

    time_machine.move_to(moment, tick=False)
    family_staff.force_login(get_user_model().objects.get(username="famille"))


def post(family_staff, child, data, month=MARCH):
    query = f"?foyer={child.household_id}&enfant={child.pk}&mois={month}"
    return family_staff.post(URL + query, data)


def test_staff_find_the_household_then_book_and_cancel(family_staff, child, period, session_of):
    household = child.household
    found = family_staff.get(URL, {"q": household.name}).content.decode()
    assert f'href="?foyer={household.pk}"' in found and household.number in found
    children = family_staff.get(URL, {"foyer": household.pk}).content.decode()
    assert f'href="?foyer={household.pk}&amp;enfant={child.pk}"' in children
    page = page_of(family_staff, child).content.decode()
    assert "Léa Exemple — Mars 2027" in page
    assert "Lundi 1er mars 2027" in page and "Ouvert – 10 places" in page
    monday, tuesday = session_of(date(2027, 3, 1)), session_of(date(2027, 3, 2))
    answer = post(family_staff, child, {"seances": [monday.pk, tuesday.pk], "action": "reserver"})
    assert answer.status_code == 302
    rows = Reservation.objects.filter(holder_key=child.holder_key).order_by("session__start")
    assert [(r.session_id, r.status) for r in rows] == [
        (monday.pk, ReservationStatus.VALID),
        (tuesday.pk, ReservationStatus.VALID),
    ]
    shown = family_staff.get(answer["Location"]).content.decode()
    assert "Lun. 1er mars, APS MATIN : Acceptée" in shown
    assert shown.count("Réservé") >= 2
    answer = post(family_staff, child, {"seances": [tuesday.pk], "action": "annuler"})
    assert answer.status_code == 302
    assert Reservation.objects.get(session=tuesday).status == ReservationStatus.CANCELLED
    assert Reservation.objects.get(session=monday).status == ReservationStatus.VALID
    changes = ReservationChange.objects.order_by("pk")
    assert [(c.kind, c.origin, c.author.username) for c in changes] == [
        (ChangeKind.ACCEPTED, ChangeOrigin.STAFF, "famille"),
        (ChangeKind.ACCEPTED, ChangeOrigin.STAFF, "famille"),
        (ChangeKind.CANCELLED, ChangeOrigin.STAFF, "famille"),
    ]


def test_cancelling_days_not_booked_is_refused(family_staff, child, period, session_of):
    monday = session_of(date(2027, 3, 1))
    page = post(family_staff, child, {"seances": [monday.pk], "action": "annuler"})
    assert page.status_code == 200
    assert "Aucun des jours cochés n&#x27;est réservé pour cet enfant." in page.content.decode()


def test_late_acts_need_a_reason_which_is_logged(
    family_staff, child, period, session_of, time_machine
):
    monday = session_of(date(2027, 3, 1))
    move_to(family_staff, monday.closes_at + timedelta(minutes=1), time_machine)
    assert "réservation close" in page_of(family_staff, child).content.decode()
    # Without a reason: refused in French, the days, the action and the field kept.
    page = post(family_staff, child, {"seances": [monday.pk], "action": "reserver", "motif": " "})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Hors délai : indiquez le motif." in text
    assert f'value="{monday.pk}" id="seance-{monday.pk}" checked' in text
    assert 'value="reserver" id="action-reserver" checked' in text
    assert not Reservation.objects.exists()
    # With one: booked, and the reason kept with the movement.
    answer = post(
        family_staff,
        child,
        {"seances": [monday.pk], "action": "reserver", "motif": "Appel de la famille"},
    )
    assert answer.status_code == 302
    row = Reservation.objects.get()
    assert row.status == ReservationStatus.VALID and row.session_id == monday.pk
    change = ReservationChange.objects.get()
    assert (change.origin, change.reason) == (ChangeOrigin.STAFF, "Appel de la famille")
    # Past the cancellation deadline too: the same rule for "Annuler".
    move_to(family_staff, monday.cancel_until + timedelta(minutes=1), time_machine)
    page = post(family_staff, child, {"seances": [monday.pk], "action": "annuler"})
    text = page.content.decode()
    assert page.status_code == 200 and "Hors délai : indiquez le motif." in text
    assert 'value="annuler" id="action-annuler" checked' in text
    post(family_staff, child, {"seances": [monday.pk], "action": "annuler", "motif": "Malade"})
    assert Reservation.objects.get().status == ReservationStatus.CANCELLED
    cancel = ReservationChange.objects.get(kind=ChangeKind.CANCELLED)
    assert (cancel.origin, cancel.reason) == (ChangeOrigin.STAFF, "Malade")
    # The daily report tells the family of both decisions.
    day = cancel.at.astimezone(PARIS).date()
    report = digest_text(digest_of_household(household_id=child.household_id, day=day))
    assert report.startswith("2 mouvements")
    assert "RESERVATIONS ACCEPTEES" in report and "ANNULEES" in report


def test_other_staff_and_parents_are_kept_out(
    now, manager_client, staff_member, guardian, child, period, session_of
):
    monday = session_of(date(2027, 3, 1))
    query = f"?foyer={child.household_id}&enfant={child.pk}&mois={MARCH}"
    booking = {"seances": [monday.pk], "action": "reserver", "motif": "x"}
    assert manager_client.get(URL + query).status_code == 403
    assert manager_client.post(URL + query, booking).status_code == 403
    solidarity = Client()
    solidarity.force_login(staff_member(SOLIDARITY_MANAGER_GROUP))
    assert solidarity.get(URL + query).status_code == 403
    assert solidarity.post(URL + query, booking).status_code == 403
    parent = Client()
    parent.force_login(guardian.user, backend="guichet.accounts.backends.IdentifierBackend")
    answer = parent.post(URL + query, booking)
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("admin:login"))
    assert not Reservation.objects.exists()


def test_forged_households_children_and_days(family_staff, child, period, session_of, now):
    stranger = ChildFactory(household=GuardianFactory().household, first_name="Zoé")
    for params in (
        {"foyer": child.household_id, "enfant": stranger.pk},
        {"foyer": 999999},
        {"foyer": "1 OR 1=1"},
        {"foyer": child.household_id, "enfant": "x"},
    ):
        assert family_staff.get(URL, params).status_code == 404, params
    # A session of another channel (the parks'), or of another month, is not among the days.
    parks = SessionFactory()
    april = session_of(date(2027, 3, 31)).pk + 1000
    for forged in ([parks.pk], [april], ["<b>1</b>"]):
        page = post(family_staff, child, {"seances": forged, "action": "reserver", "motif": "x"})
        assert page.status_code == 200
        assert "Cochez des jours de la liste." in page.content.decode()
    assert not Reservation.objects.exists()


@pytest.mark.parametrize(
    "hostile", ["<script>alert(1)</script>", "a\x00b", "é" * 100_000, "\u202e\r\nX"]
)
def test_hostile_input_gets_a_french_answer(
    family_staff, child, period, session_of, hostile, time_machine
):
    monday = session_of(date(2027, 3, 1))
    move_to(family_staff, monday.closes_at + timedelta(minutes=1), time_machine)
    for params in ({"q": hostile}, {"foyer": hostile}, {"mois": hostile}):
        params = {**params}
        if "mois" in params:
            params.update(foyer=child.household_id, enfant=child.pk)
        answer = family_staff.get(URL, params)
        assert answer.status_code in (200, 400, 404)  # 400: a NUL (core's middleware)
        assert "<script>alert" not in answer.content.decode()
    for data in (
        {"seances": [monday.pk], "action": "reserver", "motif": hostile},
        {"seances": [monday.pk], "action": hostile, "motif": "x"},
        {"seances": [hostile], "action": "reserver"},
    ):
        page = post(family_staff, child, data)
        text = page.content.decode()
        assert page.status_code in (200, 302, 400)  # 400: a NUL (core's middleware)
        assert "<script>alert" not in text
    # Markup is text, stored and shown escaped; a NUL, a line break, a direction override or
    # 100,000 characters are refused.
    booked = Reservation.objects.filter(session=monday).exists()
    assert booked == (hostile == "<script>alert(1)</script>")
    if booked:
        assert ReservationChange.objects.get().reason == hostile
    elif "\r" in hostile:
        page = post(
            family_staff, child, {"seances": [monday.pk], "action": "reserver", "motif": hostile}
        )
        assert "Le motif tient sur une ligne" in page.content.decode()
    elif len(hostile) > 200:
        page = post(
            family_staff, child, {"seances": [monday.pk], "action": "reserver", "motif": hostile}
        )
        assert "Le motif tient en 200 caractères au plus." in page.content.decode()


@pytest.fixture
def two_windows(rules, period, now):
    """APS MATIN (7:30–8:30): "Arrivée" 7:30–8:00, "Départ" 8:15–8:30; ALSH Matin (8:00–12:00):
    "Arrivée" 8:00–9:00, "Départ" 11:00–12:00; both in March."""
    from datetime import time

    from guichet.families.services import period_generate_sessions
    from guichet.families.tests.factories import ActivityRulesFactory

    rules.arrival_from, rules.arrival_until = time(7, 30), time(8, 0)
    rules.departure_from, rules.departure_until = time(8, 15), time(8, 30)
    rules.save()
    other = ActivityRulesFactory(
        activity__name="ALSH Matin",
        starts_at=time(8, 0),
        ends_at=time(12, 0),
        arrival_from=time(8, 0),
        arrival_until=time(9, 0),
        departure_from=time(11, 0),
        departure_until=time(12, 0),
    )
    period.activities.add(other.activity)
    period_generate_sessions(period=period, now=now)
    return rules.activity, other.activity


def hours_of(child):
    return sorted(
        (r.session.activity.name, r.session_id, r.family_hours.arrival, r.family_hours.departure)
        for r in Reservation.objects.filter(holder_key=child.holder_key).select_related(
            "session__activity", "family_hours"
        )
    )


def test_staff_book_one_pair_of_hours_for_the_days_ticked(
    family_staff, child, two_windows, session_of
):
    from datetime import time

    aps, _alsh = two_windows
    page = page_of(family_staff, child).content.decode()
    assert '<select name="arrival"' in page and '<option value="07:30">7 h 30</option>' in page
    assert '<option value="09:00">9 h</option>' in page  # the windows of both activities
    monday, tuesday = session_of(date(2027, 3, 1), aps), session_of(date(2027, 3, 2), aps)
    answer = post(
        family_staff,
        child,
        {
            "seances": [monday.pk, tuesday.pk],
            "action": "reserver",
            "arrival": "07:45",
            "departure": "08:15",
        },
    )
    assert answer.status_code == 302
    assert hours_of(child) == [
        ("APS MATIN", monday.pk, time(7, 45), time(8, 15)),
        ("APS MATIN", tuesday.pk, time(7, 45), time(8, 15)),
    ]
    shown = family_staff.get(answer["Location"]).content.decode()
    assert "Lun. 1er mars, APS MATIN : Acceptée" in shown


@pytest.mark.parametrize(
    ("arrival", "departure", "action", "message"),
    [
        # Within ALSH Matin's window, not APS MATIN's: the day and the activity are named.
        ("08:30", "", "reserver", "Lun. 1er mars, APS MATIN : L&#x27;arrivée se choisit entre"),
        ("08:45", "08:30", "reserver", "Le départ doit être après l&#x27;arrivée."),
        ("25:00", "", "reserver", "Choisissez une heure de la liste."),
        ("07:40", "", "reserver", "Choisissez une heure de la liste."),
        ("07:45", "", "annuler", "Les horaires se choisissent avec « Réserver »."),
    ],
)
def test_staff_hours_refused_in_french_input_kept(
    family_staff, child, two_windows, session_of, arrival, departure, action, message
):
    aps, alsh = two_windows
    monday, alsh_monday = session_of(date(2027, 3, 1), aps), session_of(date(2027, 3, 1), alsh)
    page = post(
        family_staff,
        child,
        {
            "seances": [monday.pk, alsh_monday.pk],
            "action": action,
            "arrival": arrival,
            "departure": departure,
            "motif": "Appel du père",
        },
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert message in text
    assert not Reservation.objects.exists()
    # What was typed or ticked is shown again.
    assert f'value="{monday.pk}" id="seance-{monday.pk}" checked' in text
    assert f'value="{alsh_monday.pk}" id="seance-{alsh_monday.pk}" checked' in text
    assert 'value="Appel du père"' in text
    if arrival in ("08:30", "08:45"):
        assert f'<option value="{arrival}" selected>' in text
    assert f'id="action-{action}" checked' in text


def test_staff_hours_never_overlap_the_childs_other_units(
    family_staff, child, two_windows, session_of
):
    from datetime import time

    aps, alsh = two_windows
    monday, alsh_monday = session_of(date(2027, 3, 1), aps), session_of(date(2027, 3, 1), alsh)
    tuesday, alsh_tuesday = session_of(date(2027, 3, 2), aps), session_of(date(2027, 3, 2), alsh)
    post(family_staff, child, {"seances": [monday.pk], "action": "reserver"})  # 7:30–8:30
    answer = post(
        family_staff, child, {"seances": [alsh_monday.pk], "action": "reserver", "arrival": "08:15"}
    )
    shown = family_staff.get(answer["Location"]).content.decode()
    assert "Lun. 1er mars, ALSH Matin : Refusée : horaires incompatibles" in shown
    answer = post(
        family_staff, child, {"seances": [alsh_monday.pk], "action": "reserver", "arrival": "08:30"}
    )
    shown = family_staff.get(answer["Location"]).content.decode()
    assert "Lun. 1er mars, ALSH Matin : Acceptée" in shown
    # Two units of one day ticked together, the default hours crossing (8:00 < 8:30).
    answer = post(
        family_staff, child, {"seances": [tuesday.pk, alsh_tuesday.pk], "action": "reserver"}
    )
    shown = family_staff.get(answer["Location"]).content.decode()
    assert "Mar. 2 mars, APS MATIN : Acceptée" in shown
    assert "Mar. 2 mars, ALSH Matin : Refusée : horaires incompatibles" in shown
    booked = Reservation.objects.filter(
        holder_key=child.holder_key, status=ReservationStatus.VALID
    ).values_list("session_id", flat=True)
    assert sorted(booked) == sorted([monday.pk, alsh_monday.pk, tuesday.pk])
    assert Reservation.objects.get(session=alsh_monday).family_hours.arrival == time(8, 30)


def test_staff_hours_posted_where_no_activity_has_windows(family_staff, child, session_of):
    monday = session_of(date(2027, 3, 1))
    page = page_of(family_staff, child).content.decode()
    assert 'name="arrival"' not in page  # no window this month: no hours to choose
    page = post(
        family_staff, child, {"seances": [monday.pk], "action": "reserver", "arrival": "07:45"}
    )
    assert page.status_code == 200
    assert "Choisissez une heure de la liste." in page.content.decode()
    assert not Reservation.objects.exists()
