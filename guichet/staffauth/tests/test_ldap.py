import ldap3
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache

from guichet.core import login_limit
from guichet.staffauth.ldap import (
    DirectoryUnavailable,
    ldap_accounts_sync,
)
from guichet.staffauth.models import StaffIdentity
from guichet.staffauth.tasks import ldap_accounts_sync_task
from guichet.staffauth.tests.conftest import (
    LDAP_ADMIN,
    LDAP_ADMIN_PASSWORD,
    LDAP_BASE,
    LDAP_GESTION,
    LDAP_PASSWORD,
    LDAP_SERVICE,
    LDAP_SERVICE_PASSWORD,
    LDAP_SOLIDARITE,
    free_port,
    ldap_person,
)
from guichet.staffauth.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def directory(settings, slapd):
    settings.LDAP_URL = slapd
    settings.LDAP_AUTH_URL = [slapd]
    settings.LDAP_BIND_DN = settings.LDAP_AUTH_CONNECTION_USERNAME = LDAP_SERVICE
    settings.LDAP_AUTH_CONNECTION_PASSWORD = LDAP_SERVICE_PASSWORD
    settings.LDAP_AUTH_SEARCH_BASE = f"ou=people,{LDAP_BASE}"
    settings.LDAP_USERNAME_FORMAT = f"uid={{username}},ou=people,{LDAP_BASE}"
    settings.LDAP_GROUP_SEARCH_BASE = f"ou=groups,{LDAP_BASE}"
    settings.LDAP_GROUP_FILTER = "(member={dn})"
    settings.STAFF_GROUP_MAP = {
        LDAP_GESTION: "Gestionnaire",
        LDAP_SOLIDARITE: ["Gestionnaire solidaire"],
    }
    settings.AUTHENTICATION_BACKENDS = [
        "guichet.staffauth.backends.StaffLDAPBackend",
        "guichet.staffauth.backends.StaffModelBackend",
    ]
    return slapd


def directory_change(slapd, dn, change=None):
    """As the directory's administrator: modify the entry `dn` (ldap3 changes), or delete it."""
    with ldap3.Connection(slapd, LDAP_ADMIN, LDAP_ADMIN_PASSWORD, auto_bind=True) as admin:
        assert admin.modify(dn, change) if change else admin.delete(dn), admin.result


def sign_in(client, uid, password=LDAP_PASSWORD):
    return client.post("/admin/login/", {"username": uid, "password": password})


def groups(user):
    return set(user.groups.values_list("name", flat=True))


def test_a_directory_person_signs_in_with_mapped_groups(client, directory):
    sign_in(client, "mgarnier")

    assert client.get("/admin/").status_code == 200
    user = User.objects.get(username="mgarnier")
    assert groups(user) == {"Gestionnaire", "Gestionnaire solidaire"}
    assert user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert (user.first_name, user.last_name, user.email) == (
        "M",
        "Garnier",
        "mgarnier@ville.example.org",
    )
    assert StaffIdentity.objects.filter(user=user, issuer="ldap", subject="mgarnier").exists()


def test_an_ldap_sign_in_asks_for_the_second_factor(client, directory, settings):
    settings.STAFF_REQUIRE_2FA = True

    response = sign_in(client, "lbernard")

    assert response["Location"].startswith("/admin/second-factor/")
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("password", ["wrong", " "])
def test_a_wrong_password_is_refused(client, directory, password):
    page = sign_in(client, "lbernard", password)

    assert page.status_code == 200 and page.context["form"].non_field_errors()
    assert client.get("/admin/").status_code == 302


def test_someone_without_a_mapped_group_gets_no_access(client, directory):
    sign_in(client, "qsimon")

    assert client.get("/admin/").status_code == 302
    assert not User.objects.get(username="qsimon").is_staff


def test_a_directory_that_is_down_refuses_without_error(client, directory, settings):
    settings.LDAP_AUTH_URL = [f"ldap://127.0.0.1:{free_port()}"]
    settings.LDAP_AUTH_CONNECT_TIMEOUT = 2

    page = sign_in(client, "lbernard")

    assert page.status_code == 200 and page.context["form"].non_field_errors()


def test_a_group_removed_in_the_directory_is_removed_at_the_next_sign_in(client, directory):
    sign_in(client, "ogirard")
    user = User.objects.get(username="ogirard")
    assert groups(user) == {"Gestionnaire solidaire"}
    directory_change(
        directory,
        LDAP_GESTION,
        {"member": [(ldap3.MODIFY_ADD, [ldap_person("ogirard")])]},
    )
    directory_change(
        directory,
        LDAP_SOLIDARITE,
        {"member": [(ldap3.MODIFY_DELETE, [ldap_person("ogirard")])]},
    )
    client.logout()

    sign_in(client, "ogirard")

    assert groups(user) == {"Gestionnaire"}


def test_the_nightly_sync_deactivates_accounts_gone_or_without_mapped_groups(client, directory):
    for uid in ("nfaure", "pmorel", "tlambert"):
        sign_in(client, uid)
    assert client.get("/admin/").status_code == 200  # tlambert's session
    directory_change(directory, ldap_person("nfaure"))  # left the city
    directory_change(
        directory, LDAP_GESTION, {"member": [(ldap3.MODIFY_DELETE, [ldap_person("tlambert")])]}
    )

    assert ldap_accounts_sync() == (3, 2)

    active = dict(
        User.objects.filter(username__in=["nfaure", "pmorel", "tlambert"]).values_list(
            "username", "is_active"
        )
    )
    assert active == {"nfaure": False, "pmorel": True, "tlambert": False}
    assert client.get("/admin/").status_code == 302  # tlambert's session is over
    assert ldap_accounts_sync() == (1, 0)  # running it again changes nothing


def test_the_nightly_sync_changes_nothing_when_the_directory_is_down(directory, settings):
    StaffIdentity.objects.create(
        user=User.objects.create_user("rdupont", is_staff=True), issuer="ldap", subject="rdupont"
    )
    settings.LDAP_AUTH_URL = [f"ldap://127.0.0.1:{free_port()}"]
    settings.LDAP_AUTH_CONNECT_TIMEOUT = 2

    with pytest.raises(DirectoryUnavailable):
        ldap_accounts_sync()

    assert User.objects.get(username="rdupont").is_active


def test_a_local_account_of_the_same_name_is_not_taken_over(client, directory):
    local = UserFactory(username="pmorel", is_superuser=True)

    sign_in(client, "pmorel")

    assert client.get("/admin/").status_code == 302
    local.refresh_from_db()
    assert local.is_superuser and not local.staff_identities.exists()
    # Its own password still works (the local backend).
    client.post("/admin/login/", {"username": "pmorel", "password": PASSWORD})
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    "username", ["*", "*)(uid=*", "lbernard)(|(uid=*", "x" * 150, "cn=admin,dc=ville", "<b>"]
)
def test_hostile_usernames_are_refused_without_error(client, directory, username):
    page = sign_in(client, username)

    assert page.status_code == 200 and page.context["form"].non_field_errors()


def test_the_nightly_task_runs_the_sync_only_with_a_directory(directory, settings):
    StaffIdentity.objects.create(
        user=User.objects.create_user("sgone", is_staff=True), issuer="ldap", subject="sgone"
    )
    settings.LDAP_URL = ""
    assert ldap_accounts_sync_task.call() == (0, 0)

    settings.LDAP_URL = directory
    assert ldap_accounts_sync_task.call() == (1, 1)  # no such entry
    assert not User.objects.get(username="sgone").is_active


def test_without_a_group_map_the_nightly_sync_keeps_the_accounts_granted_by_hand(
    client, directory, settings
):
    settings.STAFF_GROUP_MAP = {}
    sign_in(client, "qsimon")
    user = User.objects.get(username="qsimon")
    user.groups.add(Group.objects.get(name="Gestionnaire"))

    assert ldap_accounts_sync() == (1, 0)

    user.refresh_from_db()
    assert user.is_active and user.is_staff


def test_groups_from_member_of(client, directory, settings):
    settings.LDAP_GROUP_SEARCH_BASE = ""  # the memberOf of the person's entry

    sign_in(client, "mgarnier")

    user = User.objects.get(username="mgarnier")
    assert groups(user) == {"Gestionnaire", "Gestionnaire solidaire"}


def test_the_login_limit_applies_to_directory_passwords(client, directory, settings, monkeypatch):
    settings.LOGIN_RATE_LIMIT = "3/15m"
    monkeypatch.setattr(login_limit, "_delay", lambda seconds: None)
    cache.clear()  # the counters live in the shared cache
    for n in range(3):
        sign_in(client, "lbernard", f"essai-{n}")

    page = sign_in(client, "lbernard")  # the right password, too late

    assert page.status_code == 200
    assert "Trop de tentatives de connexion : réessayez dans 15 minutes." in page.content.decode()
    assert client.get("/admin/").status_code == 302
    cache.clear()
