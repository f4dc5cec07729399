"""LDAP / Active Directory sign-in through django-python3-ldap (ldap3): its hooks, set in the
settings, and the directory groups of an entry."""

import ldap3
from django.conf import settings
from django_python3_ldap import ldap as ldap_client
from django_python3_ldap.utils import format_search_filters
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from guichet.staffauth.models import LDAP_ISSUER, StaffIdentity
from guichet.staffauth.services import (
    staff_deactivate,
    staff_groups_apply,
    staff_identity_link,
)


def username_format(model_fields: dict) -> str:
    """The identity to bind with: the service account's DN as it is, a person's username put
    into LDAP_USERNAME_FORMAT (`uid={username},ou=people,dc=…`, or `{username}@ville.example.org`
    for Active Directory)."""
    username = model_fields["username"]
    if username == settings.LDAP_BIND_DN:
        return username
    escaped = escape_rdn(username) if "=" in settings.LDAP_USERNAME_FORMAT else username
    return settings.LDAP_USERNAME_FORMAT.format(username=escaped)


def search_filters_format(ldap_fields: dict) -> list[str]:
    return [settings.LDAP_USER_FILTER, *format_search_filters(ldap_fields)]


def directory_groups(*, connection, dn: str, attributes: dict) -> list[str]:
    """The entry's groups: its memberOf values, or (LDAP_GROUP_SEARCH_BASE set) the groups a
    search with LDAP_GROUP_FILTER finds, e.g. Active Directory's nested membership
    `(member:1.2.840.113556.1.4.1941:={dn})`."""
    if not settings.LDAP_GROUP_SEARCH_BASE:
        return [str(group) for group in attributes.get("memberOf", [])]
    connection.search(
        search_base=settings.LDAP_GROUP_SEARCH_BASE,
        search_filter=settings.LDAP_GROUP_FILTER.format(dn=escape_filter_chars(dn)),
        search_scope=ldap3.SUBTREE,
        attributes=[],
    )
    return [entry["dn"] for entry in connection.response if entry.get("type") == "searchResEntry"]


class DirectoryUnavailable(Exception):
    pass


def user_relations_sync(user, ldap_attributes, *, connection, dn):
    """Called by django-python3-ldap at each sign-in: the account's groups follow the
    directory's (STAFF_GROUP_MAP), and the account is remembered as a directory one."""
    staff_identity_link(user=user, issuer=LDAP_ISSUER, subject=user.username)
    staff_groups_apply(
        user=user,
        directory_groups=directory_groups(connection=connection, dn=dn, attributes=ldap_attributes),
    )


def ldap_accounts_sync() -> tuple[int, int]:
    """The nightly check of the accounts that signed in through LDAP: an account whose entry is
    gone, or that lost every mapped group (STAFF_GROUP_MAP set), is deactivated (its sessions
    end with it); the others get their mapped groups updated. Returns (accounts checked,
    deactivated). Refuses to run, and changes nothing, when the directory cannot be reached."""
    identities = StaffIdentity.objects.filter(
        issuer=LDAP_ISSUER, user__is_active=True
    ).select_related("user")
    checked = deactivated = 0
    with ldap_client.connection() as directory:
        if directory is None:
            raise DirectoryUnavailable(settings.LDAP_URL)
        for identity in identities:
            checked += 1
            entry = (
                directory.has_user(username=identity.subject) and directory._connection.response[0]
            )
            mapped = entry and staff_groups_apply(
                user=identity.user,
                directory_groups=directory_groups(
                    connection=directory._connection, dn=entry["dn"], attributes=entry["attributes"]
                ),
            )
            # Without a map (groups granted in Guichet only), only a vanished entry counts.
            if not entry or (settings.STAFF_GROUP_MAP and not mapped):
                staff_deactivate(user=identity.user)
                deactivated += 1
    return checked, deactivated
