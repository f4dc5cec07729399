"""A throw-away OpenLDAP (slapd) and a throw-away OpenID provider (Node's oidc-provider), each
started once per test session on a free 127.0.0.1 port, with invented people."""

import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import ldap3
import pytest
from django.conf import settings as django_settings

from guichet.conftest import SLAPD

HERE = Path(__file__).resolve().parent
LDAP_BASE = "dc=ville,dc=example,dc=org"
LDAP_ADMIN = f"cn=admin,{LDAP_BASE}"
LDAP_ADMIN_PASSWORD = "admin-secret"
LDAP_SERVICE = f"cn=guichet,ou=services,{LDAP_BASE}"
LDAP_SERVICE_PASSWORD = "service-secret"
LDAP_PASSWORD = "mot-de-passe-ldap"
LDAP_GESTION = f"cn=guichet-gestion,ou=groups,{LDAP_BASE}"
LDAP_SOLIDARITE = f"cn=guichet-solidarite,ou=groups,{LDAP_BASE}"
# Directory people: uid -> groups. Each test uses its own, since the server lives for the session.
LDAP_PEOPLE = {
    "lbernard": [LDAP_GESTION],
    "mgarnier": [LDAP_GESTION, LDAP_SOLIDARITE],
    "nfaure": [LDAP_GESTION],
    "ogirard": [LDAP_SOLIDARITE],
    "pmorel": [LDAP_GESTION],
    "qsimon": [],
    "tlambert": [LDAP_GESTION],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(command: list[str], *, port: int, log, cwd=None):
    """Run the server `command` while the block runs, once it listens on 127.0.0.1:`port`."""
    process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} stopped (exit status {process.returncode})")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not listen on port {port}") from None
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def ldap_person(uid: str) -> str:
    return f"uid={uid},ou=people,{LDAP_BASE}"


def directory_entries() -> list[tuple[str, dict]]:
    """The invented directory, as (DN, attributes), parents first."""
    entries = [
        (LDAP_BASE, {"objectClass": ["dcObject", "organization"], "o": "Ville", "dc": "ville"}),
        *(
            (f"ou={ou},{LDAP_BASE}", {"objectClass": "organizationalUnit", "ou": ou})
            for ou in ("people", "groups", "services")
        ),
        (
            LDAP_SERVICE,
            {
                "objectClass": ["organizationalRole", "simpleSecurityObject"],
                "cn": "guichet",
                "userPassword": LDAP_SERVICE_PASSWORD,
            },
        ),
    ]
    for uid in LDAP_PEOPLE:
        given, family = uid[0].upper(), uid[1:].capitalize()
        attributes = {"uid": uid, "cn": f"{given} {family}", "givenName": given, "sn": family}
        attributes |= {"mail": f"{uid}@ville.example.org", "userPassword": LDAP_PASSWORD}
        entries.append((ldap_person(uid), {"objectClass": "inetOrgPerson", **attributes}))
    for group in (LDAP_GESTION, LDAP_SOLIDARITE):
        members = [ldap_person(uid) for uid, groups in LDAP_PEOPLE.items() if group in groups]
        cn = group.split(",")[0].removeprefix("cn=")
        entries.append((group, {"objectClass": "groupOfNames", "cn": cn, "member": members}))
    return entries


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    """An OpenLDAP server: the URL of a directory with LDAP_PEOPLE in groups (groupOfNames), and
    the memberOf overlay, so that people carry memberOf as in Active Directory."""
    folder = tmp_path_factory.mktemp("slapd")
    (folder / "db").mkdir()
    config = folder / "slapd.conf"
    config.write_text(
        "\n".join(
            [
                *(
                    f"include /etc/ldap/schema/{s}.schema"
                    for s in ("core", "cosine", "inetorgperson")
                ),
                f"pidfile {folder}/slapd.pid",
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                "moduleload memberof",
                "database mdb",
                f'suffix "{LDAP_BASE}"',
                f'rootdn "{LDAP_ADMIN}"',
                f"rootpw {LDAP_ADMIN_PASSWORD}",
                f"directory {folder}/db",
                "overlay memberof",
                "access to attrs=userPassword by anonymous auth by * none",
                "access to * by * read",
            ]
        )
        + "\n"
    )
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    command = [str(SLAPD), "-f", str(config), "-h", f"{url}/", "-d", "0"]
    with served(command, port=port, log=subprocess.DEVNULL):
        # Added online, not with slapadd: the overlay writes memberOf as groups are added.
        with ldap3.Connection(url, LDAP_ADMIN, LDAP_ADMIN_PASSWORD, auto_bind=True) as admin:
            for dn, attributes in directory_entries():
                assert admin.add(dn, attributes=attributes), admin.result
        yield url


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """An OpenID provider (oidc_provider.mjs): its issuer URL. Its log: oidc-provider.log."""
    port = free_port()
    command = ["node", str(HERE / "oidc_provider.mjs"), str(port), "http://testserver"]
    with (
        (tmp_path_factory.mktemp("oidc") / "oidc-provider.log").open("w") as log,
        served(command, port=port, log=log, cwd=django_settings.BASE_DIR),
    ):
        yield f"http://127.0.0.1:{port}"
