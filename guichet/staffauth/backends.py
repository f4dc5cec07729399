"""The password backends (local accounts, LDAP bind): refused to staff when
STAFF_PASSWORD_LOGIN is off, on every page that signs in with a password."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django_python3_ldap.auth import LDAPBackend

from guichet.staffauth.models import LDAP_ISSUER


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
    def authenticate(self, request, username=None, password=None, **kwargs):
        # django-python3-ldap finds accounts by username: a local account of the same name
        # (one that never signed in through LDAP) must not be taken over by the directory's.
        local = (
            get_user_model()
            .objects.filter(username=username)
            .exclude(staff_identities__issuer=LDAP_ISSUER)
        )
        if local.exists():
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
