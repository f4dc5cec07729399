"""A throw-away OpenLDAP (slapd) and a throw-away OpenID provider (Node's oidc-provider), each
started once per test session on a free 127.0.0.1 port, with invented people."""

import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

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


def ldif() -> str:
    entries = [
        f"dn: {LDAP_BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Ville\ndc: ville",
        *(
            f"dn: ou={ou},{LDAP_BASE}\nobjectClass: organizationalUnit\nou: {ou}"
            for ou in ("people", "groups", "services")
        ),
        f"dn: {LDAP_SERVICE}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
        f"cn: guichet\nuserPassword: {LDAP_SERVICE_PASSWORD}",
    ]
    for uid in LDAP_PEOPLE:
        given, family = uid[0].upper(), uid[1:].capitalize()
        entries.append(
            f"dn: {ldap_person(uid)}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {given} {family}\n"
            f"givenName: {given}\nsn: {family}\nmail: {uid}@ville.example.org\n"
            f"userPassword: {LDAP_PASSWORD}"
        )
    for group in (LDAP_GESTION, LDAP_SOLIDARITE):
        members = [ldap_person(uid) for uid, groups in LDAP_PEOPLE.items() if group in groups]
        entries.append(
            f"dn: {group}\nobjectClass: groupOfNames\ncn: {group.split(',')[0][3:]}\n"
            + "\n".join(f"member: {m}" for m in members)
        )
    return "\n\n".join(entries) + "\n"


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    """An OpenLDAP server: the URL of a directory with LDAP_PEOPLE in groups."""
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
                "database mdb",
                f'suffix "{LDAP_BASE}"',
                f'rootdn "{LDAP_ADMIN}"',
                f"rootpw {LDAP_ADMIN_PASSWORD}",
                f"directory {folder}/db",
                "access to attrs=userPassword by anonymous auth by * none",
                "access to * by * read",
            ]
        )
        + "\n"
    )
    (folder / "data.ldif").write_text(ldif())
    subprocess.run(
        [str(SLAPD.with_name("slapadd")), "-f", str(config), "-l", str(folder / "data.ldif")],
        check=True,
        capture_output=True,
    )
    port = free_port()
    command = [str(SLAPD), "-f", str(config), "-h", f"ldap://127.0.0.1:{port}/", "-d", "0"]
    with served(command, port=port, log=subprocess.DEVNULL):
        yield f"ldap://127.0.0.1:{port}"


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
