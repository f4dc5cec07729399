import datetime

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.utils import timezone

from guichet.staffauth.services import staff_deactivate
from guichet.staffauth.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    return client.post("/admin/login/", {"username": user.username, "password": PASSWORD})


def test_a_staff_session_ends_after_staff_session_max_age_even_when_active(client, settings):
    settings.STAFF_SESSION_MAX_AGE = 3600
    user = UserFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client, user)
    with time_machine.travel(start + datetime.timedelta(minutes=50), tick=False):
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + datetime.timedelta(minutes=61), tick=False):
        assert client.get("/admin/").status_code == 302


def test_deactivating_an_account_ends_its_sessions(client):
    user = UserFactory()
    sign_in(client, user)
    assert client.get("/admin/").status_code == 200

    staff_deactivate(user=user)

    assert client.get("/admin/").status_code == 302


def test_staff_password_login_off_refuses_staff_on_every_password_path(client, settings, rf):
    settings.STAFF_PASSWORD_LOGIN = False
    staff = UserFactory()
    member = UserFactory(is_staff=False)

    page = sign_in(client, staff)

    assert page.status_code == 200 and page.context["form"].non_field_errors()
    assert client.get("/admin/").status_code == 302
    # Any other sign-in page calls authenticate() too: staff are refused there, others not.
    assert authenticate(rf.post("/"), username=staff.username, password=PASSWORD) is None
    assert authenticate(rf.post("/"), username=member.username, password=PASSWORD) == member


def test_a_wrong_password_is_refused(client):
    user = UserFactory()

    client.post("/admin/login/", {"username": user.username, "password": "wrong"})

    assert client.get("/admin/").status_code == 302
