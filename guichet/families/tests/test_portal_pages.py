"""The portal's booking pages through the test client: the calendar and its toggles, a day's
activities, a unit's hours, "Copier", the recap and its result, "Suivi", "Compte rendu"; and the
calendar's statement count with 1 and 30 activities."""

import re
from datetime import datetime, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.families.deadlines import PARIS
from guichet.families.models import BasketAction, BasketLine, Submission
from guichet.families.services import period_generate_sessions
from guichet.families.tests.factories import (
    ActivityRulesFactory,
    BookingPeriodFactory,
    ChildFactory,
)

BACKEND = "guichet.accounts.backends.IdentifierBackend"
MARCH = "2027-03"


@pytest.fixture
def parent(client, guardian, now):
    client.force_login(guardian.user, backend=BACKEND)
    return client


def lines(guardian):
    return sorted(
        (line.session.start.astimezone(PARIS).date().day, line.action)
        for line in BasketLine.objects.filter(basket__guardian=guardian).select_related("session")
    )


def calendar(parent, child, activity="toutes", month=MARCH):
    url = reverse("families:calendar")
    return parent.get(url, {"enfant": child.pk, "activite": activity, "mois": month})


def toggle(parent, child, activity, **what):
    data = {"enfant": child.pk, "activite": activity, "mois": MARCH, **what}
    return parent.post(reverse("families:calendar_toggle"), data)


def cell_texts(page: str) -> list[str]:
    """The screen-reader text of every day cell: "lundi 1 mars : Ouvert – 10 places"."""
    return re.findall(r'<span class="visually-hidden">([^<]+ : [^<]+)</span>', page)


def test_the_calendar_shows_each_day_with_its_state(parent, child, rules, period, now):
    page = calendar(parent, child, rules.activity_id).content.decode()
    texts = cell_texts(page)
    assert "lundi 1er mars : Ouvert – 10 places" in texts
    assert "samedi 6 mars : pas d'activité" in texts
    assert "Mars 2027" in page and "Légende" in page
    assert 'aria-label="Mois précédent"' in page and 'aria-label="Mois suivant"' in page
    # A weekday's arrow and a week's arrow, named for screen readers.
    assert 'aria-label="Tous les lundis du mois"' in page
    assert 'aria-label="Semaine du lundi 1er mars"' in page


def test_week_weekday_and_month_toggles_fill_the_basket(parent, guardian, child, rules, period):
    activity = rules.activity_id
    assert toggle(parent, child, activity, semaine="2027-03-01").status_code == 302
    assert lines(guardian) == [(d, "book") for d in (1, 2, 3, 4, 5)]
    toggle(parent, child, activity, jour_semaine="0")  # Mondays: the 1st is in the basket
    assert [d for d, _a in lines(guardian)] == [2, 3, 4, 5]
    toggle(parent, child, activity, jour="2027-03-09")
    assert (9, "book") in lines(guardian)
    page = calendar(parent, child, activity).content.decode()
    assert "mardi 9 mars : À réserver" in cell_texts(page)
    assert "Valider (5 demandes)" in page
    toggle(parent, child, activity, mois_entier="1")  # the 1st bookable day is not booked
    assert len(lines(guardian)) == 22  # the weekdays of March 2027 but Easter Monday
    toggle(parent, child, activity, mois_entier="1")
    assert lines(guardian) == []


def test_a_locked_day_is_listed_not_changed(parent, guardian, child, rules, period, time_machine):
    time_machine.move_to(datetime(2027, 3, 2, 13, tzinfo=PARIS))  # 1-4 March: past J-2 12:00
    parent.force_login(guardian.user, backend=BACKEND)
    answer = toggle(parent, child, rules.activity_id, semaine="2027-03-01")
    follow = parent.get(answer["Location"]).content.decode()
    assert "jours laissés tels quels" in follow and "hors délai" in follow
    assert [d for d, _a in lines(guardian)] == [5]


def test_all_activities_a_day_lists_them_to_pick_several(parent, guardian, child, rules, now):
    other = ActivityRulesFactory(
        activity__name="RESTAURATION",
        starts_at=time(11, 30),
        ends_at=time(13, 30),
        arrival_from=time(11, 30),
        arrival_until=time(12, 0),
        departure_from=time(13, 0),
        departure_until=time(13, 30),
    )
    period = BookingPeriodFactory(
        opens_at=now.replace(day=1), activities=[rules.activity, other.activity]
    )
    period_generate_sessions(period=period, now=now)
    page = calendar(parent, child).content.decode()
    assert "lundi 1er mars : Au moins une activité ouverte (2 activités)" in cell_texts(page)
    answer = toggle(parent, child, "toutes", jour="2027-03-01")
    assert answer.status_code == 302 and "/reservations/jour/" in answer["Location"]
    day = parent.get(answer["Location"]).content.decode()
    assert "APS MATIN" in day and "RESTAURATION" in day
    ids = re.findall(r'name="seance" value="(\d+)"', day)
    assert len(ids) == 2
    restaurant = [i for i in ids if f'id="id_s{i}-arrival"' in day]
    assert len(restaurant) == 1
    data = {
        "enfant": child.pk,
        "jour": "2027-03-01",
        "seance": ids,
        f"s{restaurant[0]}-arrival": "11:45",
        f"s{restaurant[0]}-departure": "13:15",
    }
    assert parent.post(reverse("families:calendar_day"), data).status_code == 302
    rows = BasketLine.objects.order_by("session__activity__name")
    assert [(r.action, r.arrival, r.departure) for r in rows] == [
        ("book", None, None),
        ("book", time(11, 45), time(13, 15)),
    ]
    # Unchecking one cancels its line; a forged hour is refused in French.
    data["seance"] = [restaurant[0]]
    data[f"s{restaurant[0]}-arrival"] = "03:00"
    page = parent.post(reverse("families:calendar_day"), data).content.decode()
    assert "Choisissez une heure de la liste." in page
    assert BasketLine.objects.count() == 2


def test_the_hours_dialog_books_changes_and_removes(parent, guardian, child, rules, period):
    rules.arrival_from, rules.arrival_until = time(7, 30), time(8, 30)
    rules.departure_from, rules.departure_until = time(8, 0), time(9, 0)
    rules.save()
    activity = rules.activity_id
    # With hours to choose and no pair given, a day's click opens its dialog.
    answer = toggle(parent, child, activity, jour="2027-03-02", arrival="", departure="")
    assert "/reservations/horaires/" in answer["Location"]
    dialog = parent.get(answer["Location"]).content.decode()
    assert "Valider" in dialog and "Fermer" in dialog and "Supprimer" not in dialog
    url = reverse("families:calendar_hours")
    base = {"enfant": child.pk, "activite": activity, "jour": "2027-03-02"}
    page = parent.post(url, base | {"arrival": "08:30", "departure": "08:00"})
    assert "Le départ doit être après l&#x27;arrivée." in page.content.decode()
    parent.post(url, base | {"arrival": "07:45", "departure": "08:45"})
    line = BasketLine.objects.get()
    assert (line.action, line.arrival, line.departure) == ("book", time(7, 45), time(8, 45))
    assert "Supprimer" in parent.get(url, base).content.decode()
    parent.post(url, base | {"supprimer": "1"})
    assert not BasketLine.objects.exists()
    # One pair for every day a toggle books.
    toggle(parent, child, activity, semaine="2027-03-08", arrival="08:00", departure="09:00")
    pairs = {(line.arrival, line.departure) for line in BasketLine.objects.all()}
    assert pairs == {(time(8), time(9))}


def test_copy_to_a_second_child_lists_what_was_not_imported(parent, guardian, child, rules, period):
    second = ChildFactory(household=guardian.household, first_name="Noé")
    activity = rules.activity_id
    toggle(parent, child, activity, semaine="2027-03-01")
    BasketLine.objects.filter(session__start__day=3).update()  # kept
    url = reverse("families:calendar_copy")
    query = {"enfant": second.pk, "activite": activity, "mois": MARCH}
    page = parent.get(url, query).content.decode()
    assert "Copier des réservations" in page
    data = query | {
        "source_child": child.pk,
        "source_activity": str(activity),
        "first_day": "2027-03-01",
        "last_day": "2027-03-31",
        "weeks_later": "0",
    }
    answer = parent.post(url, data)
    assert answer.status_code == 302
    assert BasketLine.objects.filter(child=second).count() == 5
    answer = parent.post(url, data)  # again: every day is in the basket already
    page = answer.content.decode()
    assert "Réservations non importées" in page and "déjà réservé" in page
    data["last_day"] = "2027-02-01"
    page = parent.post(url, data).content.decode()
    assert "La date de fin doit suivre la date de début." in page


def test_recap_confirm_result_suivi_and_report(parent, guardian, child, rules, period, now):
    activity = rules.activity_id
    toggle(parent, child, activity, semaine="2027-03-01")
    recap = parent.get(reverse("families:basket")).content.decode()
    for text in ("Réservations", "Date", "Activité", "Arrivée", "Départ", "Retour", "Abandonner"):
        assert text in recap
    assert "Annulations" not in recap
    key = re.search(r'name="submission_key" value="([^"]+)"', recap).group(1)
    answer = parent.post(reverse("families:basket_validate"), {"submission_key": key})
    assert answer.status_code == 302
    again = parent.post(reverse("families:basket_validate"), {"submission_key": key})
    assert again["Location"] == answer["Location"]  # sent twice: the first result
    assert Submission.objects.count() == 1
    result = parent.get(answer["Location"]).content.decode()
    assert result.count("Acceptée") == 5 and "Statut" in result
    assert Reservation.objects.filter(status=ReservationStatus.VALID).count() == 5

    follow = parent.get(reverse("families:follow"), {"enfant": child.pk}).content.decode()
    assert follow.count("<td>Réservé</td>") == 5
    assert 'class="button button--secondary js-print"' in follow
    reservation = Reservation.objects.order_by("session__start").first()
    answer = parent.post(reverse("families:follow_cancel"), {"reservation": reservation.pk})
    assert answer.status_code == 302
    assert lines(guardian) == [(1, BasketAction.CANCEL)]
    recap = parent.get(reverse("families:basket")).content.decode()
    assert "Annulations" in recap
    filtered = parent.get(reverse("families:follow"), {"etat": "liste"}).content.decode()
    assert "Aucune réservation ne correspond." in filtered

    report = parent.get(reverse("families:report")).content.decode()
    assert "RESERVATIONS ACCEPTEES" in report and "APS MATIN" in report


def test_follow_queries(parent, guardian, child, rules, period, now):
    """ "Suivi" reads the household's children once (its filter, its rows' children and keys):
    eight statements (one the test settings' cache), with or without a child chosen."""
    toggle(parent, child, rules.activity_id, semaine="2027-03-01")
    recap = parent.get(reverse("families:basket")).content.decode()
    key = re.search(r'name="submission_key" value="([^"]+)"', recap).group(1)
    parent.post(reverse("families:basket_validate"), {"submission_key": key})
    ChildFactory(household=guardian.household, first_name="Noé")
    parent.get(reverse("families:follow"))  # the organisation's row cached, as on a site in use
    for query in ({"enfant": child.pk}, {}):
        with CaptureQueriesContext(connection) as queries:
            page = parent.get(reverse("families:follow"), query).content.decode()
        assert page.count("<td>Réservé</td>") == 5 and page.count("Noé") == 1
        assert len(queries) == 8, "\n".join(q["sql"][:150] for q in queries.captured_queries)
    assert parent.get(reverse("families:follow"), {"enfant": "x"}).status_code == 404


def test_abandon_empties_the_basket(parent, guardian, child, rules, period):
    toggle(parent, child, rules.activity_id, semaine="2027-03-01")
    answer = parent.post(reverse("families:basket_clear"))
    assert answer.status_code == 302 and lines(guardian) == []
    page = parent.get(reverse("families:basket")).content.decode()
    assert "Votre panier est vide" in page


def test_calendar_parts_kept_per_process_are_those_of_its_activity(
    parent, child, rules, period, now
):
    """The hours' fieldset, the weekdays and the legend are rendered once per process
    (`{% layout_part %}`): each activity's page shows its own windows, arrows and legend."""
    from guichet.core.templatetags import layout

    rules.arrival_from, rules.arrival_until = time(7, 30), time(8, 0)
    rules.save()
    late = ActivityRulesFactory(
        activity__name="RESTAURATION", arrival_from=time(11, 0), arrival_until=time(11, 30)
    )
    plain = ActivityRulesFactory(activity__name="ALSH")
    period.activities.add(late.activity, plain.activity)
    period_generate_sessions(period=period, now=now)
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    pages = {}
    for activity in (rules.activity_id, late.activity_id, plain.activity_id, "toutes"):
        page = token.sub("", calendar(parent, child, activity).content.decode())
        layout._parts.clear()  # the same page with every part rendered again
        assert token.sub("", calendar(parent, child, activity).content.decode()) == page
        pages[activity] = page
    assert 'value="07:45"' in pages[rules.activity_id]
    assert 'value="11:15"' in pages[late.activity_id]
    assert 'value="07:45"' not in pages[late.activity_id]
    assert "Horaires des jours choisis" not in pages[plain.activity_id] + pages["toutes"]
    assert 'name="jour_semaine"' in pages[plain.activity_id]
    assert 'name="jour_semaine"' not in pages["toutes"]
    legend = re.compile(r'<ul class="legend">.*?</ul>', re.S)
    assert legend.search(pages["toutes"]).group() != legend.search(pages[plain.activity_id]).group()
    calendar(parent, child, rules.activity_id)
    kept = {key[0] for key in layout._parts}
    assert {
        "calendar-hours",
        "calendar-weekdays",
        "calendar-weekday-arrows",
        "calendar-legend",
    } <= kept


@pytest.mark.parametrize("activities", [1, 30])
def test_calendar_queries(parent, guardian, child, rules, now, activities):
    """≤ 11 statements for a month, with one activity or 30 (every page of the portal reads the
    session and the account too)."""
    extra = [ActivityRulesFactory(activity__name=f"ACTIVITÉ {n}") for n in range(activities - 1)]
    period = BookingPeriodFactory(
        opens_at=now.replace(day=1), activities=[rules.activity, *(r.activity for r in extra)]
    )
    period_generate_sessions(period=period, now=now)
    toggle(parent, child, rules.activity_id, semaine="2027-03-01")
    calendar(parent, child)  # the organisation's row cached, as on a site in use
    for activity in (rules.activity_id, "toutes"):
        with CaptureQueriesContext(connection) as queries:
            page = calendar(parent, child, activity)
        assert page.status_code == 200
        assert len(queries) <= 11, "\n".join(q["sql"][:150] for q in queries.captured_queries)
    page = calendar(parent, child).content.decode()
    plural = "activité" if activities == 1 else "activités"
    assert f"lundi 1er mars : À réserver ({activities} {plural})" in cell_texts(page)
