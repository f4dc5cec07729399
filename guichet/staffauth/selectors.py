from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

# The one sign-in whose second factor is the provider's; every other (a local password, an
# LDAP bind, any backend added to AUTHENTICATION_BACKENDS) needs ours.
OIDC_BACKEND = "guichet.staffauth.oidc.StaffOIDCBackend"


def second_factor_missing(*, request) -> bool:
    """Whether this staff session still needs its second factor: STAFF_REQUIRE_2FA is on, the
    session was not opened with OpenID Connect, and no device was verified in it. An OpenID
    Connect session relies on the provider's (its acr/amr were checked at sign-in)."""
    user = request.user
    return (
        settings.STAFF_REQUIRE_2FA
        and user.is_authenticated
        and user.is_staff
        and request.session.get(BACKEND_SESSION_KEY) != OIDC_BACKEND
        # A user who has just signed in, in this request, has no verified device yet.
        and not (hasattr(user, "is_verified") and user.is_verified())
    )


def second_factor_enrolled(*, user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
