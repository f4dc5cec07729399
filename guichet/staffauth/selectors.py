from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

# Sign-ins that rest on a password (a local one or an LDAP bind): the second factor is ours.
PASSWORD_BACKENDS = frozenset(
    {
        "guichet.staffauth.backends.StaffModelBackend",
        "guichet.staffauth.backends.StaffLDAPBackend",
        "django.contrib.auth.backends.ModelBackend",
    }
)


def second_factor_missing(*, request) -> bool:
    """Whether this staff session still needs its second factor: STAFF_REQUIRE_2FA is on, the
    session was opened with a password, and no device was verified in it. An OpenID Connect
    session relies on the provider's (its acr/amr were checked at sign-in)."""
    user = request.user
    return (
        settings.STAFF_REQUIRE_2FA
        and user.is_authenticated
        and user.is_staff
        and request.session.get(BACKEND_SESSION_KEY) in PASSWORD_BACKENDS
        # A user who has just signed in, in this request, has no verified device yet.
        and not (hasattr(user, "is_verified") and user.is_verified())
    )


def second_factor_enrolled(*, user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
