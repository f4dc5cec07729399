"""Session and reservation admin, as a superuser: seats move only through the services."""

import threading
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import IntegrityError, connection, transaction
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from guichet.bookings import admin as admin_module
from guichet.bookings import forms
from guichet.bookings.admin import SessionAdmin
from guichet.bookings.models import Reservation, ReservationStatus
from guichet.bookings.services import reservation_create
from guichet.bookings.tests.factories import ReservationFactory, booking_data
from guichet.catalogue.models import Session, SessionStatus
from guichet.catalogue.tests.factories import ActivityFactory, SessionFactory
from guichet.core.tests.locks import always_locked

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
SESSION_CHANGELIST = reverse("admin:catalogue_session_changelist")
RESERVATION_CHANGELIST = reverse("admin:bookings_reservation_changelist")
RESERVATION_ADD = reverse("admin:bookings_reservation_add")


def book(session, **overrides):
    return reservation_create(session=session, **booking_data(online=False, **overrides))


def seats(session) -> int:
    session.refresh_from_db(fields=["seats_taken"])
    return session.seats_taken


def split(name: str, value: datetime | None) -> dict:
    """The admin's two inputs (date, time) for one datetime field, in local time."""
    if value is None:
        return {f"{name}_0": "", f"{name}_1": ""}
    local = timezone.localtime(value)
    return {f"{name}_0": local.strftime("%d/%m/%Y"), f"{name}_1": local.strftime("%H:%M:%S")}


def session_post(session, **changes) -> dict:
    """The session's change form as posted after the confirmation step of a status change."""
    fields = [
        "activity",
        "start",
        "end",
        "seat_limit",
        "price",
        "status",
        "reason",
        "new_start",
        "new_end",
    ]
    data = {SessionAdmin.CONFIRM_FIELD: "1"}
    for name, value in (model_to_dict(session, fields=fields) | changes).items():
        if name in {"start", "end", "new_start", "new_end"}:
            data |= split(name, value)
        else:
            data[name] = "" if value is None else value
    return data


def reservation_post(reservation, **changes) -> dict:
    fields = ["session", "status", "quantity", "first_name", "last_name", "email", "phone", "city"]
    return model_to_dict(reservation, fields=fields) | changes


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def form_errors(response) -> str:
    """Every error of the admin form (fields and non-field) as one text."""
    form = response.context["adminform"].form
    return " ".join(message for messages in form.errors.values() for message in messages)


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# Changelists


def test_session_changelist_shows_seats_from_the_counter(admin_client):
    limited = SessionFactory(seat_limit=10)
    book(limited, quantity=3)
    SessionFactory(seat_limit=None)
    response = admin_client.get(SESSION_CHANGELIST)
    assert response.status_code == 200
    rows = {
        row[0]: row for row in response.context["cl"].result_list.values_list("pk", "seats_taken")
    }
    assert rows[limited.pk] == (limited.pk, 3)
    content = response.content.decode()
    assert f'?session__id__exact={limited.pk}">3</a>' in content
    assert '<td class="field-left">7</td>' in content
    assert '<td class="field-left">illimité</td>' in content


def test_changelists_write_dates_in_the_short_form(admin_client):
    # 23 h to 1 h the next day; then a session postponed with no new end.
    night = SessionFactory(
        start=datetime(2030, 4, 16, 23, 0, tzinfo=PARIS),
        end=datetime(2030, 4, 17, 1, 0, tzinfo=PARIS),
        activity__name="Nuit des chouettes",
    )
    SessionFactory(
        start=datetime(2030, 4, 1, 10, 0, tzinfo=PARIS),
        end=datetime(2030, 4, 1, 11, 0, tzinfo=PARIS),
        status=SessionStatus.POSTPONED,
        new_start=datetime(2030, 5, 1, 0, 0, tzinfo=PARIS),
    )
    page = admin_client.get(SESSION_CHANGELIST).content.decode()
    link = f'<a href="{change_url(night)}">'
    assert link + "mar. 16 avr. 2030, 23 h – mer. 17 avr. 2030, 1 h</a>" in page
    assert ">mer. 1er mai 2030, 0 h – 1 h</a>" in page  # postponed with no new end: same length
    book(night)
    page = admin_client.get(RESERVATION_CHANGELIST).content.decode()
    assert "Nuit des chouettes (mar. 16 avr. 2030, 23 h – mer. 17 avr. 2030, 1 h)" in page


def test_the_reservation_page_writes_its_dates_in_the_long_form(admin_client):
    with time_machine.travel(datetime(2030, 3, 1, 9, 15, 42, tzinfo=PARIS), tick=False):
        reservation = book(SessionFactory())
    url = reverse("admin:bookings_reservation_change", args=[reservation.pk])
    page = admin_client.get(url).content.decode()
    assert '<div class="readonly">vendredi 1er mars 2030, 9 h 15</div>' in page
    assert '<div class="readonly">-</div>' in page  # not cancelled


@pytest.mark.parametrize("url", [SESSION_CHANGELIST, RESERVATION_CHANGELIST])
@pytest.mark.parametrize("count", [1, 30])
def test_changelist_queries_are_bounded(admin_client, django_assert_max_num_queries, url, count):
    for _ in range(count):
        book(SessionFactory(), quantity=2)
    with django_assert_max_num_queries(10):
        response = admin_client.get(url)
    assert len(response.context["cl"].result_list) == count


def test_session_date_filter_splits_future_and_past(admin_client):
    future = SessionFactory()
    past = SessionFactory(start=timezone.now() - timedelta(days=3), end=None)
    listed = {
        when: set(admin_client.get(SESSION_CHANGELIST, {"quand": when}).context["cl"].result_list)
        for when in ("future", "past", "week")
    }
    assert listed == {"future": {future}, "past": {past}, "week": {future}}


def test_reservations_found_by_phone_typed_in_national_form(admin_client):
    wanted = book(SessionFactory(), phone="07 68 84 50 70")
    book(SessionFactory())
    response = admin_client.get(RESERVATION_CHANGELIST, {"q": "07 68 84 50 70"})
    assert list(response.context["cl"].result_list) == [wanted]
    assert '<td class="field-phone_number">07 68 84 50 70</td>' in response.content.decode()


def test_reservation_filters_by_activity_and_session_date(admin_client):
    today = book(SessionFactory(start=timezone.now() + timedelta(minutes=5), end=None))
    later = book(SessionFactory())
    by_date = admin_client.get(RESERVATION_CHANGELIST, {"quand": "today"}).context["cl"].result_list
    by_activity = (
        admin_client.get(
            RESERVATION_CHANGELIST, {"session__activity__id__exact": later.session.activity_id}
        )
        .context["cl"]
        .result_list
    )
    assert (list(by_date), list(by_activity)) == ([today], [later])


# Reservations: add and change through the services


def test_forms_show(admin_client):
    reservation = book(SessionFactory())
    urls = [
        reverse("admin:catalogue_session_add"),
        change_url(reservation.session),
        RESERVATION_ADD,
        change_url(reservation),
    ]
    assert [admin_client.get(url).status_code for url in urls] == [200] * 4


def test_hand_added_reservation_skips_online_rules(admin_client):
    session = SessionFactory(seat_limit=10, activity=ActivityFactory(max_places_per_booking=2))
    response = admin_client.post(
        RESERVATION_ADD,
        reservation_post(
            ReservationFactory.build(session=session), quantity=5, phone="06 11 22 33 44"
        ),
    )
    assert response.status_code == 302
    reservation = Reservation.objects.get()
    assert (reservation.quantity, reservation.phone, reservation.status) == (
        5,
        "+33611223344",
        "valid",
    )
    assert seats(session) == 5


def test_hand_added_reservation_over_the_limit_is_refused(admin_client):
    session = SessionFactory(seat_limit=2)
    book(session, quantity=2)
    response = admin_client.post(
        RESERVATION_ADD, reservation_post(ReservationFactory.build(session=session))
    )
    assert response.status_code == 200
    assert "Il n'y a pas assez de places" in form_errors(response)
    assert Reservation.objects.count() == 1
    assert seats(session) == 2


def test_hand_added_reservation_with_a_bad_phone_shows_a_field_error(admin_client):
    session = SessionFactory()
    response = admin_client.post(
        RESERVATION_ADD, reservation_post(ReservationFactory.build(session=session), phone="12")
    )
    assert "Numéro de téléphone invalide" in " ".join(
        response.context["adminform"].form.errors["phone"]
    )
    assert (Reservation.objects.count(), seats(session)) == (0, 0)


def test_cancelled_session_cannot_be_picked_for_a_new_reservation(admin_client):
    open_session = SessionFactory()
    cancelled = SessionFactory(status=SessionStatus.CANCELLED)
    response = admin_client.post(
        RESERVATION_ADD, reservation_post(ReservationFactory.build(session=cancelled))
    )
    assert "session" in response.context["adminform"].form.errors
    autocomplete = admin_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "bookings", "model_name": "reservation", "field_name": "session", "term": ""},
    )
    assert [item["id"] for item in autocomplete.json()["results"]] == [str(open_session.pk)]
    assert Reservation.objects.count() == 0


def test_changing_quantity_respects_the_limit(admin_client):
    session = SessionFactory(seat_limit=4)
    reservation = book(session, quantity=1)
    book(session, quantity=2)
    response = admin_client.post(change_url(reservation), reservation_post(reservation, quantity=3))
    assert "places restantes : 1" in form_errors(response)
    assert seats(session) == 3
    response = admin_client.post(change_url(reservation), reservation_post(reservation, quantity=2))
    assert response.status_code == 302
    reservation.refresh_from_db()
    assert (reservation.quantity, seats(session)) == (2, 4)


def test_changing_session_moves_the_seats(admin_client):
    first, second, full = SessionFactory(), SessionFactory(), SessionFactory(seat_limit=1)
    reservation = book(first, quantity=2)
    book(full, quantity=1)
    response = admin_client.post(
        change_url(reservation), reservation_post(reservation, session=full.pk)
    )
    assert "Il n'y a pas assez de places" in form_errors(response)
    assert (seats(first), seats(full)) == (2, 1)
    response = admin_client.post(
        change_url(reservation), reservation_post(reservation, session=second.pk)
    )
    assert response.status_code == 302
    assert (seats(first), seats(second)) == (0, 2)


def test_status_cancelled_in_change_form_gives_seats_back(admin_client):
    session = SessionFactory()
    reservation = book(session, quantity=3)
    response = admin_client.post(
        change_url(reservation), reservation_post(reservation, status=ReservationStatus.CANCELLED)
    )
    assert response.status_code == 302
    reservation.refresh_from_db()
    assert reservation.status == ReservationStatus.CANCELLED
    assert reservation.cancelled_at is not None
    assert seats(session) == 0


def test_cancel_action_gives_seats_back_and_keeps_the_rows(admin_client):
    session = SessionFactory()
    reservations = [book(session, quantity=2), book(session, quantity=1)]
    untouched = book(session, quantity=4)
    response = admin_client.post(
        RESERVATION_CHANGELIST,
        {"action": "cancel_selected", "_selected_action": [r.pk for r in reservations]},
        follow=True,
    )
    assert "2 réservations annulées." in message_texts(response)
    statuses = dict(Reservation.objects.values_list("pk", "status"))
    assert statuses == {
        reservations[0].pk: ReservationStatus.CANCELLED,
        reservations[1].pk: ReservationStatus.CANCELLED,
        untouched.pk: ReservationStatus.VALID,
    }
    assert seats(session) == 4


def test_reservations_cannot_be_deleted(admin_client):
    reservation = book(SessionFactory())
    actions = (
        admin_client.get(RESERVATION_CHANGELIST).context["action_form"].fields["action"].choices
    )
    assert "delete_selected" not in dict(actions)
    assert "cancel_selected" in dict(actions)
    delete_url = reverse("admin:bookings_reservation_delete", args=[reservation.pk])
    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    admin_client.post(
        RESERVATION_CHANGELIST, {"action": "delete_selected", "_selected_action": [reservation.pk]}
    )
    assert Reservation.objects.filter(pk=reservation.pk).exists()
    assert delete_url not in admin_client.get(change_url(reservation)).content.decode()


# Sessions: written by session_save


def test_session_is_created_through_the_admin(admin_client):
    activity = ActivityFactory()
    start = datetime(2030, 4, 16, 10, 0, tzinfo=PARIS)
    data = session_post(
        Session(
            activity=activity,
            start=start,
            end=start + timedelta(minutes=90),
            seat_limit=20,
            price=0,
        )
    )
    response = admin_client.post(reverse("admin:catalogue_session_add"), data)
    assert response.status_code == 302
    session = Session.objects.get()
    assert (session.start, session.seat_limit, session.seats_taken) == (start, 20, 0)


def test_prices_are_typed_and_shown_the_french_way(admin_client):
    session = SessionFactory(price=0)
    response = admin_client.post(change_url(session), session_post(session, price="5,50"))
    assert response.status_code == 302, form_errors(response)
    session.refresh_from_db()
    assert session.price == Decimal("5.50")
    form = admin_client.get(change_url(session)).content.decode()
    assert 'name="price" value="5,50"' in form and "&nbsp;€" in form
    # The dates keep their input formats (session_post types them dd/mm/yyyy).
    assert 'name="start_0" value="{}"'.format(split("start", session.start)["start_0"]) in form
    assert "5,50\u00a0€" in admin_client.get(SESSION_CHANGELIST).content.decode()


def test_session_limit_below_booked_seats_is_refused(admin_client):
    session = SessionFactory(seat_limit=10)
    book(session, quantity=4)
    response = admin_client.post(change_url(session), session_post(session, seat_limit=3))
    assert response.status_code == 200
    assert "4 places sont déjà réservées" in form_errors(response)
    session.refresh_from_db()
    assert (session.seat_limit, session.seats_taken) == (10, 4)


def test_postponing_without_new_start_is_refused(admin_client):
    session = SessionFactory()
    response = admin_client.post(
        change_url(session), session_post(session, status=SessionStatus.POSTPONED)
    )
    assert "Une session reportée a besoin d'une nouvelle date de début." in form_errors(response)
    session.refresh_from_db()
    assert session.status == SessionStatus.NONE


def test_postponing_moves_the_effective_dates(admin_client):
    session = SessionFactory()
    book(session, quantity=2)
    new_start = datetime(2030, 5, 2, 14, 0, tzinfo=PARIS)
    response = admin_client.post(
        change_url(session),
        session_post(session, status=SessionStatus.POSTPONED, new_start=new_start),
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.effective_start, session.seats_taken) == (new_start, 2)
    assert Reservation.objects.get().status == ReservationStatus.VALID


def test_cancelling_a_session_cancels_its_reservations(admin_client):
    session = SessionFactory()
    book(session, quantity=2)
    book(session, quantity=3)
    other = book(SessionFactory())
    response = admin_client.post(
        change_url(session), session_post(session, status=SessionStatus.CANCELLED)
    )
    assert response.status_code == 302
    assert set(session.reservations.values_list("status", flat=True)) == {
        ReservationStatus.CANCELLED
    }
    assert seats(session) == 0
    other.refresh_from_db()
    assert other.status == ReservationStatus.VALID


@pytest.mark.parametrize("day", ["01/01/0001", "31/12/1999", "01/01/2101", "31/12/9999"])
@pytest.mark.parametrize("field", ["start", "end", "new_start"])
def test_session_dates_outside_2000_to_2100_are_form_errors(admin_client, day, field):
    session = SessionFactory(start=datetime(2030, 4, 16, 10, 0, tzinfo=PARIS))
    data = session_post(
        session, status=SessionStatus.POSTPONED, new_start=session.start + timedelta(days=7)
    )
    data |= {f"{field}_0": day, f"{field}_1": "23:30:00"}
    response = admin_client.post(change_url(session), data)
    assert response.status_code == 200
    assert "Choisissez une date entre 2000 et 2100." in form_errors(response)
    session.refresh_from_db()
    assert session.status == SessionStatus.NONE


def test_session_dates_are_bounded_in_the_database():
    with pytest.raises(IntegrityError):
        SessionFactory(start=datetime(1999, 12, 30, tzinfo=PARIS))


# Copying sessions


def copy(admin_client, sessions, **data):
    return admin_client.post(
        SESSION_CHANGELIST,
        {"action": "copy_to_dates", "_selected_action": [s.pk for s in sessions], "copy": "1"}
        | data,
        follow=True,
    )


def test_copy_action_first_shows_the_form(admin_client):
    session = SessionFactory()
    response = admin_client.post(
        SESSION_CHANGELIST, {"action": "copy_to_dates", "_selected_action": [session.pk]}
    )
    assert response.templates[0].name == "admin/bookings/session_copy.html"
    assert not response.context["form"].is_bound
    assert Session.objects.count() == 1


def test_copy_every_week(admin_client):
    # 25 March 2030 is a Monday; the clocks change on the 31st and copies stay at 10:00 local time.
    start = datetime(2030, 3, 25, 10, 0, tzinfo=PARIS)
    session = SessionFactory(start=start, end=start + timedelta(hours=1), seat_limit=12)
    book(session, quantity=3)
    response = copy(admin_client, [session], mode="weekly", weeks="3")
    assert "3 sessions créées." in message_texts(response)
    copies = Session.objects.exclude(pk=session.pk).order_by("start")
    assert [timezone.localtime(c.start).replace(tzinfo=None) for c in copies] == [
        datetime(2030, 4, 1, 10, 0),
        datetime(2030, 4, 8, 10, 0),
        datetime(2030, 4, 15, 10, 0),
    ]
    assert {(c.end - c.start, c.seat_limit, c.seats_taken, c.status) for c in copies} == {
        (timedelta(hours=1), 12, 0, SessionStatus.NONE)
    }


def test_copy_to_listed_dates(admin_client):
    start = datetime(2030, 4, 16, 10, 30, tzinfo=PARIS)
    session = SessionFactory(start=start, end=start + timedelta(minutes=90))
    response = copy(
        admin_client, [session], mode="dates", dates="20/05/2030 14:00\n\n 21/05/2030 \n"
    )
    assert "2 sessions créées." in message_texts(response)
    assert list(
        Session.objects.exclude(pk=session.pk).order_by("start").values_list("start", flat=True)
    ) == [
        datetime(2030, 5, 20, 14, 0, tzinfo=PARIS),
        datetime(2030, 5, 21, 10, 30, tzinfo=PARIS),  # no time given: the copied session's time
    ]


def test_copy_with_a_bad_date_shows_the_error_and_keeps_the_input(admin_client):
    session = SessionFactory()
    typed = "20/05/2030 14:00\n31/02/2030 10:00"
    response = copy(admin_client, [session], mode="dates", dates=typed)
    assert response.templates[0].name == "admin/bookings/session_copy.html"
    errors = response.context["form"].errors["dates"]
    assert errors == [
        "Ces lignes ne sont pas des dates au format jj/mm/aaaa HH:MM, entre 2000 et 2100 : "
        "ligne 2 : « 31/02/2030 10:00 »."
    ]
    assert typed in response.content.decode()
    assert Session.objects.count() == 1


@pytest.mark.parametrize("day", ["01/01/0001", "31/12/9999 23:30", "01/01/2101"])
def test_copy_to_dates_outside_2000_to_2100_is_refused(admin_client, day):
    session = SessionFactory()
    response = copy(admin_client, [session], mode="dates", dates=day)
    assert response.context["form"].errors["dates"] == [
        "Ces lignes ne sont pas des dates au format jj/mm/aaaa HH:MM, entre 2000 et 2100 : "
        f"ligne 1 : « {day} »."
    ]
    assert Session.objects.count() == 1


def test_weekly_copies_past_2100_are_refused(admin_client):
    start = datetime(2100, 12, 20, 10, 0, tzinfo=PARIS)
    session = SessionFactory(start=start, end=start + timedelta(hours=1))
    response = copy(admin_client, [session], mode="weekly", weeks="3")
    assert response.templates[0].name == "admin/bookings/session_copy.html"
    assert response.context["form"].non_field_errors() == [
        "Choisissez une date entre 2000 et 2100."
    ]
    assert Session.objects.count() == 1


def test_copy_every_week_needs_a_number_of_weeks(admin_client):
    session = SessionFactory()
    response = copy(admin_client, [session], mode="weekly", weeks="")
    assert response.context["form"].errors["weeks"] == ["Indiquez le nombre de semaines."]
    assert Session.objects.count() == 1


def test_a_status_change_is_confirmed_before_it_is_saved(admin_client):
    session = SessionFactory(seat_limit=10)
    reservation_create(session=session, **booking_data(quantity=2))
    data = session_post(session, status=SessionStatus.CANCELLED, reason="Orage")
    del data[SessionAdmin.CONFIRM_FIELD]
    response = admin_client.post(change_url(session), data)
    assert response.status_code == 200
    assert "pour 1 réservation valide" in response.content.decode()
    session.refresh_from_db()
    assert session.status == SessionStatus.NONE


@pytest.mark.parametrize("typed", ["7K3MQ9Z0", "7k3m-q9zo", "7K3M Q9Z0"])
def test_reservations_found_by_their_reference_as_people_say_it(admin_client, typed):
    wanted = book(SessionFactory())
    Reservation.objects.filter(pk=wanted.pk).update(reference="7K3MQ9Z0")
    book(SessionFactory())
    response = admin_client.get(RESERVATION_CHANGELIST, {"q": typed})
    assert list(response.context["cl"].result_list) == [wanted]
    assert "7K3MQ9Z0" in response.content.decode()


# Lock conflicts that outlast the retries: a French message, what staff typed, never a 500


def test_a_session_save_stuck_on_a_lock_says_busy_and_keeps_the_form(admin_client, monkeypatch):
    session = SessionFactory(seat_limit=10, price=0)
    calls = []
    monkeypatch.setattr(forms, "session_save", always_locked(calls))
    response = admin_client.post(change_url(session), session_post(session, price="7"))
    assert response.status_code == 200
    assert len(calls) == 3
    assert "Le service est très sollicité" in form_errors(response)
    assert response.context["adminform"].form["price"].value() == "7"
    session.refresh_from_db()
    assert session.price == 0


def test_a_reservation_change_stuck_on_a_lock_says_busy(admin_client, monkeypatch):
    reservation = book(SessionFactory(), quantity=1)
    monkeypatch.setattr(forms, "reservation_update", always_locked([]))
    response = admin_client.post(change_url(reservation), reservation_post(reservation, quantity=2))
    assert response.status_code == 200
    assert "Le service est très sollicité" in form_errors(response)


def test_the_cancel_action_stuck_on_a_lock_cancels_none_and_says_so(admin_client, monkeypatch):
    session = SessionFactory()
    reservation = book(session, quantity=2, first_name="Alix", last_name="Exemple")
    monkeypatch.setattr(admin_module, "reservations_cancel", always_locked([]))
    response = admin_client.post(
        RESERVATION_CHANGELIST,
        {"action": "cancel_selected", "_selected_action": [reservation.pk]},
        follow=True,
    )
    assert response.status_code == 200
    (text,) = message_texts(response)
    assert text.startswith("Aucune réservation n'a été annulée. Le service est très sollicité")
    assert seats(session) == 2


def test_the_copy_action_stuck_on_a_lock_says_busy_and_copies_nothing(admin_client, monkeypatch):
    session = SessionFactory()
    monkeypatch.setattr(admin_module, "session_copy", always_locked([]))
    response = copy(admin_client, [session], mode="weekly", weeks="3")
    assert response.status_code == 200
    assert any("très sollicité" in text for text in message_texts(response))
    assert Session.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_session_row_held_past_the_lock_timeout_gives_staff_a_message(admin_client, settings):
    """For real on PostgreSQL: another transaction holds the session's row; staff's save waits
    DATABASE_LOCK_TIMEOUT per attempt, then says busy instead of waiting forever."""
    settings.DATABASE_LOCK_TIMEOUT = 0.2
    connection.close()  # the time-out is set on each new connection
    session = SessionFactory(seat_limit=10, price=0)
    holding, release = threading.Event(), threading.Event()

    def hold_the_row():
        try:
            with transaction.atomic():
                Session.objects.select_for_update().get(pk=session.pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        response = admin_client.post(change_url(session), session_post(session, price="7"))
    finally:
        release.set()
        holder.join()
    assert response.status_code == 200
    assert "Le service est très sollicité" in form_errors(response)
    session.refresh_from_db()
    assert session.price == 0
