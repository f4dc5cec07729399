from guichet.core.tests.test_settings import manage

PRINT = (
    "from django.conf import settings as s; print(s.STAFF_REQUIRE_2FA, s.AUTHENTICATION_BACKENDS)"
)


def test_two_factor_is_required_by_default_when_debug_is_off():
    production = manage("shell", "-c", PRINT, DEBUG="off", SECRET_KEY="x" * 50)
    development = manage("shell", "-c", PRINT, DEBUG="on")

    assert production.stdout.splitlines()[-1].startswith("True "), production.stderr
    assert development.stdout.splitlines()[-1].startswith("False "), development.stderr


def test_the_directories_add_their_backends():
    result = manage(
        "shell",
        "-c",
        PRINT,
        DEBUG="on",
        OIDC_ISSUER="https://sso.example.org/realms/ville",
        LDAP_URL="ldap://127.0.0.1:1",
        LDAP_USERNAME_FORMAT="{username}@ville.example.org",
    )

    assert result.stdout.strip().endswith(
        "['guichet.staffauth.backends.StaffLDAPBackend', "
        "'guichet.staffauth.backends.StaffModelBackend', "
        "'guichet.accounts.backends.IdentifierBackend', "
        "'guichet.staffauth.oidc.StaffOIDCBackend']"
    ), result.stderr


def test_ldap_without_a_username_format_refuses_to_start():
    result = manage("check", DEBUG="on", LDAP_URL="ldap://127.0.0.1:1")

    assert result.returncode != 0
    assert "LDAP_USERNAME_FORMAT must contain {username}" in result.stderr
