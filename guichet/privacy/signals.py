"""Sign-ins and failed sign-ins in the journal: Django's authentication has no service of ours,
its signals are the one place every sign-in page passes."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed

from guichet.core.audit import audit_record
from guichet.core.models import AuditAction


def _signed_in(sender, request, user, **kwargs):
    audit_record(action=AuditAction.SIGN_IN, obj=user, user=user)


def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # The back-office signs in with a username, the portals with an identifier (e-mail, phone…).
    typed = credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("identifier", "")
    username = str(typed)[:150]
    audit_record(action=AuditAction.SIGN_IN_FAILED, note=username)


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="privacy.signed_in")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="privacy.sign_in_failed")
