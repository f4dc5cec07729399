"""The password backends (local accounts, LDAP bind): refused to staff when
STAFF_PASSWORD_LOGIN is off, on every page that signs in with a password."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django_python3_ldap.auth import LDAPBackend


class StaffPasswordMixin:
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not password:
            return None  # an empty password would be an anonymous LDAP bind
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and user.is_staff and not settings.STAFF_PASSWORD_LOGIN:
            return None
        return user


class StaffModelBackend(StaffPasswordMixin, ModelBackend):
    pass


class StaffLDAPBackend(StaffPasswordMixin, LDAPBackend):
    pass
