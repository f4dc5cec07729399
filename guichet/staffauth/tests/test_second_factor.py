import re
import time

import pytest
import time_machine
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.models import Permission
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from guichet.staffauth.services import recovery_codes_renew, second_factor_device_start
from guichet.staffauth.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ENROL = "/admin/second-factor/"


@pytest.fixture(autouse=True)
def require_2fa(settings):
    settings.STAFF_REQUIRE_2FA = True


def code(device, at_offset=0):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + at_offset
    return f"{totp.token():06d}"


def password_sign_in(client, user):
    return client.post(
        "/admin/login/?next=/admin/bookings/", {"username": user.username, "password": PASSWORD}
    )


def enrolled(user):
    device = second_factor_device_start(user=user)
    device.confirmed = True
    device.save()
    return device


def test_a_password_sign_in_leads_to_enrolment_and_the_admin_stays_closed_until_then(client):
    user = UserFactory()

    response = password_sign_in(client, user)

    assert response.status_code == 302 and response["Location"].startswith(ENROL)
    # Every admin page checks the second factor, not only the login page.
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/core/organisation/").status_code == 302
    page = client.get(response["Location"])
    assert (
        "data:image/svg+xml" in page.content.decode() and "scannez ce code" in page.content.decode()
    )


def test_enrolment_with_the_first_code_shows_recovery_codes_and_opens_the_admin(client):
    user = UserFactory()
    password_sign_in(client, user)
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user)

    wrong = client.post(ENROL, {"token": "000000" if code(device) != "000000" else "111111"})
    assert "Code incorrect ou déjà utilisé." in wrong.content.decode()

    with time_machine.travel(time.time() + 2, tick=False):  # past the wrong code's throttle
        page = client.post(ENROL, {"token": code(device), "next": "/admin/bookings/"})

    shown = re.findall(r"<li><code>([^<]+)</code></li>", page.content.decode())
    assert len(shown) == 10
    assert set(shown) == set(StaticToken.objects.values_list("token", flat=True))
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_sign_in_with_a_code_and_a_reused_code_is_refused(client):
    user = UserFactory()
    device = enrolled(user)
    used = code(device)

    assert password_sign_in(client, user)["Location"].startswith(ENROL)
    ok = client.post(ENROL, {"token": used, "next": "/admin/bookings/"})
    assert ok.status_code == 302 and ok["Location"] == "/admin/bookings/"
    assert client.get("/admin/").status_code == 200

    client.logout()
    password_sign_in(client, UserFactory.build(username=user.username))
    again = client.post(ENROL, {"token": used})
    assert "Code incorrect ou déjà utilisé." in again.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_recovery_code_works_once(client):
    user = UserFactory()
    enrolled(user)
    recovery = recovery_codes_renew(user=user)[0]
    password_sign_in(client, user)
    assert client.post(ENROL, {"token": recovery.upper()}).status_code == 302
    assert client.get("/admin/").status_code == 200

    client.logout()
    password_sign_in(client, user)
    page = client.post(ENROL, {"token": recovery})
    assert "Code incorrect ou déjà utilisé." in page.content.decode()


def verified_sign_in(client, user):
    device = enrolled(user)
    password_sign_in(client, user)
    assert client.post(ENROL, {"token": code(device)}).status_code == 302


def test_a_superuser_resets_a_colleagues_second_factor_who_enrols_again(client):
    colleague = UserFactory()
    enrolled(colleague)
    verified_sign_in(client, UserFactory(is_superuser=True))

    client.post(
        "/admin/auth/user/",
        {"action": "second_factor_reset_action", "_selected_action": [colleague.pk]},
    )

    assert not TOTPDevice.objects.filter(user=colleague).exists()
    client.logout()
    password_sign_in(client, colleague)
    assert "scannez ce code" in client.get(ENROL).content.decode()


def test_a_colleague_who_is_not_superuser_cannot_reset(client):
    colleague = UserFactory()
    enrolled(colleague)
    staff = UserFactory(is_superuser=False)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    verified_sign_in(client, staff)

    client.post(
        "/admin/auth/user/",
        {"action": "second_factor_reset_action", "_selected_action": [colleague.pk]},
    )

    assert TOTPDevice.objects.filter(user=colleague).exists()


def test_an_openid_session_is_not_asked_for_a_second_factor(client, settings):
    backend = "guichet.staffauth.oidc.StaffOIDCBackend"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, backend]
    client.force_login(UserFactory(), backend=backend)
    session = client.session
    session["oidc_id_token_expiration"] = time.time() + 900  # not due for a renewal
    session.save()
    assert client.session[BACKEND_SESSION_KEY] == backend

    assert client.get("/admin/").status_code == 200


def test_without_the_setting_a_password_is_enough(client, settings):
    settings.STAFF_REQUIRE_2FA = False
    password_sign_in(client, UserFactory())

    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("token", ["", "x" * 10_000, "<script>", "12\x0034", "\x1b[31m"])
def test_hostile_codes_are_form_errors(client, token):
    user = UserFactory()
    enrolled(user)
    password_sign_in(client, user)

    response = client.post(ENROL, {"token": token})

    # NUL bytes are answered 400 before any view (guichet.core.middleware); the rest re-renders.
    assert response.status_code == (400 if "\x00" in token else 200)
    assert client.get("/admin/").status_code == 302
