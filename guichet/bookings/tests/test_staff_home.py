"""The staff home ("Tableau de bord"): the admin index, for the "Gestionnaire" group and a
superuser."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from guichet.bookings.selectors import session_list_for_staff, staff_home_sessions
from guichet.bookings.services import reservation_cancel, reservation_create
from guichet.bookings.templatetags import staff_home as staff_home_tags
from guichet.bookings.templatetags.staff_home import app_list_split
from guichet.bookings.tests.factories import PortalReservationFactory, booking_data
from guichet.catalogue.models import Session, SessionStatus
from guichet.catalogue.tests.factories import ActivityFactory, SessionFactory
from guichet.notifications.tests.factories import OutgoingMessageFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2030, 4, 16, 9, 0, tzinfo=PARIS)  # a Tuesday
INDEX = reverse("admin:index")


def at(days: int, hour: int, minute: int = 0) -> datetime:
    return (NOW + timedelta(days=days)).replace(hour=hour, minute=minute)


@pytest.fixture
def week():
    """Sessions before, within and after the home's eight days."""
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        sessions = {
            "yesterday": SessionFactory(start=at(-1, 10), activity=ActivityFactory(name="Hier")),
            "today": SessionFactory(
                start=at(0, 10),
                end=at(0, 11, 30),
                seat_limit=12,
                activity=ActivityFactory(name="Visite des serres"),
            ),
            "last_day": SessionFactory(start=at(7, 22), activity=ActivityFactory(name="Nuit")),
            "too_late": SessionFactory(start=at(8, 0), activity=ActivityFactory(name="Trop tard")),
        }
        for _i in range(3):
            reservation_create(session=sessions["today"], **booking_data(quantity=2))
        gone = reservation_create(
            session=sessions["today"], **booking_data(last_name="Lefebvre", first_name="Inès")
        )
        reservation_cancel(reservation=gone)
    return sessions


def test_staff_home_sessions_cover_today_and_the_next_seven_days(week, manager):
    found = list(staff_home_sessions(user=manager, now=NOW))

    assert found == [week["today"], week["last_day"]]


def test_session_list_for_staff_is_the_sessions_of_the_users_channels(
    week, manager, staff_member, admin_user
):
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        family = SessionFactory(start=at(1, 15), activity=ActivityFactory(channel="famille"))
    assert set(session_list_for_staff(user=manager)) == set(week.values())
    assert set(session_list_for_staff(user=staff_member("Gestionnaire famille"))) == {family}
    assert set(session_list_for_staff(user=admin_user)) == {*week.values(), family}


def test_home_shows_only_the_users_channels(week, client, staff_member):
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        family = SessionFactory(
            start=at(1, 15), activity=ActivityFactory(channel="famille", name="Goûter")
        )
        reservation = PortalReservationFactory(
            session=family, channel="famille", last_name="Durand", first_name="Noé"
        )
        Session.objects.filter(pk=family.pk).update(seats_taken=1)
        reservation_cancel(reservation=reservation)
    with time_machine.travel(NOW, tick=False):
        client.force_login(staff_member("Gestionnaire famille"))
        page = client.get(INDEX).content.decode()
    assert "Goûter" in page and "Durand Noé" in page
    assert "Visite des serres" not in page and "Lefebvre Inès" not in page


@pytest.mark.parametrize("who", ["manager_client", "admin_client"])
def test_home_shows_sessions_with_seats_reception_sheets_and_cancellations(week, who, request):
    with time_machine.travel(NOW, tick=False):  # signed in then: the session cookie is fresh
        response = request.getfixturevalue(who).get(INDEX)

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Tableau de bord</h1>" in page
    assert "Aujourd&#x27;hui" in page and "Mardi 23 avril" in page
    assert "10 h – 11 h 30" in page
    assert "6 / 12" in page
    assert reverse("admin:catalogue_session_reception", args=[week["today"].pk, "pdf"]) in page
    assert "Hier" not in page and "Trop tard" not in page
    assert "Dernières annulations" in page and "Lefebvre Inès" in page


def test_home_lists_tasks_before_configuration(manager_client):
    page = manager_client.get(INDEX).content.decode()

    tasks = page.index("Au quotidien")
    assert tasks < page.index(">Sessions<") < page.index(">Réservations<")
    assert page.index(">Réservations<") < page.index(">Configuration<")
    assert page.index(">Configuration<") < page.index(">Activités<")


def test_app_list_split_keeps_task_order_and_drops_emptied_apps():
    app_list = [
        {"app_label": "bookings", "models": [{"object_name": "Reservation"}]},
        {
            "app_label": "catalogue",
            "models": [{"object_name": "Activity"}, {"object_name": "Session"}],
        },
    ]

    tasks, configuration = app_list_split(app_list)

    assert [m["object_name"] for m in tasks] == ["Session", "Reservation"]
    assert configuration == [{"app_label": "catalogue", "models": [{"object_name": "Activity"}]}]


def test_home_links_only_pages_that_exist(manager_client, monkeypatch):
    monkeypatch.setattr(
        staff_home_tags,
        "RECORD_PAGES",
        (
            ("admin:bookings_reservation_changelist", "Page installée"),
            ("admin:nowhere_page", "Page absente"),
        ),
    )

    page = manager_client.get(INDEX).content.decode()

    assert (
        f'<a href="{reverse("admin:bookings_reservation_changelist")}">Page installée</a>' in page
    )
    assert "Page absente" not in page


def test_a_cancelled_session_says_so_on_the_home(week, client, manager):
    session = week["today"]
    session.status = SessionStatus.CANCELLED
    session.save()

    with time_machine.travel(NOW, tick=False):
        client.force_login(manager)
        page = client.get(INDEX).content.decode()

    assert "<strong>Annulé</strong>" in page


def test_home_takes_over_the_mail_alerts(manager_client, settings):
    """The counts of failed and late mails (guichet.notifications.selectors.message_alerts) are
    shown in the staff home, with the one threshold MAIL_PENDING_ALERT_MINUTES."""
    settings.MAIL_PENDING_ALERT_MINUTES = 10
    OutgoingMessageFactory(scheduled_for=timezone.now() - timedelta(minutes=30))

    page = manager_client.get(INDEX).content.decode()
    home = page.split('class="staff-home"')[1]

    assert "1 e-mail attend d&#x27;être envoyé depuis plus de 10 minutes." in home
    assert page.count("attend d&#x27;être envoyé") == 1
