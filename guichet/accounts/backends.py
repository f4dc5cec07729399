"""The portals' sign-in: one identifier for the e-mail address, the phone number or the
username (guichet.accounts.selectors.user_find_by_identifier)."""

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from guichet.accounts.selectors import user_find_by_identifier
from guichet.core.db import CompiledGet
from guichet.staffauth.backends import StaffPasswordMixin

User = get_user_model()

# What a portal reads of the signed-in account on each of its pages (the référent's membership
# and structure), registered from the portal's AppConfig.ready(): read with the account, in the
# statement that loads the request's user, rather than in one more statement per page.
_page_relations: list[str] = []


def account_page_relation_register(path: str) -> None:
    """`path`: a select_related path from the account (a one-to-one or a foreign key)."""
    if path not in _page_relations:
        _page_relations.append(path)


@functools.cache  # one per set of relations (they are all registered before the first page)
def _account_read(relations: tuple[str, ...]) -> CompiledGet:
    return CompiledGet(lambda: User._default_manager.select_related(*relations))


class _IdentifierModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, identifier=None, **kwargs):
        if identifier is None or password is None:
            return None
        user = user_find_by_identifier(identifier=identifier)
        if user is None or not user.has_usable_password():
            # An invited account without a password yet fails as fast as an unknown one.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


class IdentifierBackend(StaffPasswordMixin, _IdentifierModelBackend):
    """`authenticate(request, identifier=…, password=…)`. Answers only calls that name an
    `identifier`, so that the back-office's sign-in (by username) costs one password hash, not
    two. Staff accounts are refused as on every password path when STAFF_PASSWORD_LOGIN is off;
    inactive accounts are refused. Every failure costs one password hash, so that an unknown
    identifier takes as long as a known one."""

    def get_user(self, user_id):
        """ModelBackend's, with the registered page relations in the same statement."""
        user = _account_read(tuple(_page_relations)).get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
