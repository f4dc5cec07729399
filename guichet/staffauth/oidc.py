"""OpenID Connect sign-in: mozilla-django-oidc, with what it lacks for a city's provider.

- the provider's discovery document (OIDC_ISSUER) is read on first use and cached, never at
  import;
- `iss` and `aud` are checked on every ID token and signed userinfo answer, `exp` on ID tokens;
- accounts are matched on (issuer, sub), never on the e-mail claim;
- groups follow STAFF_GROUP_MAP at each sign-in and each silent renewal (SessionRefresh, so a
  disabled identity loses access within OIDC_RENEW_SECONDS);
- RP-initiated logout; a refusal, or a provider that is down, is a French message on the login
  page, never a server error.
"""

import logging
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import BACKEND_SESSION_KEY
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.middleware import SessionRefresh
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from guichet.staffauth.selectors import OIDC_BACKEND
from guichet.staffauth.services import staff_directory_user, staff_groups_apply

logger = logging.getLogger(__name__)

# Authentication methods (RFC 8176) that are a single factor.
SINGLE_FACTOR_AMR = frozenset({"pwd", "pin", "kba"})


class ProviderUnavailable(Exception):
    """The OpenID provider could not be reached, or answered nonsense."""


class SignInRefused(Exception):
    """The provider vouched for the person, but Guichet does not let them in (message: why)."""


def provider_metadata() -> dict:
    """The provider's discovery document, fetched at first use and kept in the shared cache."""
    issuer = settings.OIDC_ISSUER
    if not issuer:
        raise ProviderUnavailable("OIDC_ISSUER is not set")
    key = f"staffauth:oidc-discovery:{issuer}"
    metadata = cache.get(key)
    if metadata is None:
        try:
            response = requests.get(
                f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
            )
            response.raise_for_status()
            metadata = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ProviderUnavailable(str(exc)) from exc
        if not isinstance(metadata, dict) or metadata.get("issuer", "").rstrip("/") != issuer:
            raise ProviderUnavailable(f"the discovery document is not {issuer}'s")
        cache.set(key, metadata, settings.OIDC_DISCOVERY_CACHE_SECONDS)
    return metadata


def _endpoint(name: str) -> str:
    try:
        return provider_metadata()[name]
    except KeyError as exc:
        raise ProviderUnavailable(f"no {name} in the discovery document") from exc


def _provider_down_message() -> str:
    return _(
        "Le service de connexion de votre organisation ne répond pas : réessayez dans quelques "
        "minutes, ou connectez-vous avec votre identifiant et votre mot de passe."
    )


class StaffOIDCBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs):
        # The parent reads the endpoints from the settings here; they come from discovery.
        self.UserModel = auth.get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: _endpoint("token_endpoint"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: _endpoint("userinfo_endpoint"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: _endpoint("jwks_uri"))

    def authenticate(self, request, **kwargs):
        try:
            return super().authenticate(request, **kwargs)
        except SignInRefused as exc:
            reason = str(exc)
        except (ProviderUnavailable, requests.RequestException):
            logger.warning("OpenID provider unavailable", exc_info=True)
            reason = _provider_down_message()
        except (SuspiciousOperation, jwt.PyJWTError, KeyError, TypeError, ValueError):
            logger.warning("OpenID sign-in refused", exc_info=True)
            reason = _("La connexion n'a pas pu être vérifiée : réessayez.")
        request.staffauth_refusal = reason
        return None

    def get_user(self, user_id):
        user = super().get_user(user_id)
        # An inactive account's session ends with it (the parent lets it through).
        return user if user is not None and self.user_can_authenticate(user) else None

    def _verify_jws(self, payload, key):
        alg = jwt.get_unverified_header(payload).get("alg")
        if alg != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(f"token signed with {alg!r}")
        return jwt.decode(
            payload,
            key,
            algorithms=[alg],
            audience=self.OIDC_RP_CLIENT_ID,
            issuer=settings.OIDC_ISSUER,
            options={"require": ["iss", "aud"]},
            leeway=60,
        )

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        if "nonce" in kwargs and not {"exp", "sub"} <= payload.keys():
            raise SuspiciousOperation("ID token without exp or sub")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload["sub"]:
            raise SuspiciousOperation("userinfo is about another subject")
        # acr and amr are the ID token's: how the person signed in this time.
        claims = {**userinfo, **payload}
        self.claims_check(claims)
        user = staff_directory_user(
            issuer=settings.OIDC_ISSUER,
            subject=str(payload["sub"]),
            username=str(claims.get("preferred_username") or claims.get("email") or claims["sub"]),
            profile={
                "first_name": claims.get("given_name"),
                "last_name": claims.get("family_name") or claims.get("usual_name"),
                "email": claims.get("email"),
            },
        )
        groups = claims.get(settings.OIDC_GROUPS_CLAIM) or []
        staff_groups_apply(
            user=user, directory_groups=[groups] if isinstance(groups, str) else groups
        )
        if not user.is_staff:
            raise SignInRefused(
                _(
                    "Votre compte est reconnu, mais n'a encore accès à aucun espace de gestion : "
                    "demandez à un administrateur de Guichet de vous attribuer un groupe."
                )
            )
        return user

    def claims_check(self, claims: dict) -> None:
        """Refuse the sign-in, with the reason, when the provider's claims do not let in."""
        groups_claim = settings.OIDC_GROUPS_CLAIM
        if groups_claim in (claims.get("_claim_names") or {}) or claims.get("hasgroups"):
            # Entra ID past 200 groups (or 6 in a URL): the claim is a pointer to Graph.
            raise SignInRefused(
                _(
                    "Votre compte appartient à trop de groupes pour que le fournisseur "
                    "d'identité les transmette. Le service informatique doit attribuer des rôles "
                    "d'application à Guichet (voir la documentation)."
                )
            )
        domains = {d.lower().lstrip("@") for d in settings.OIDC_ALLOWED_EMAIL_DOMAINS}
        sirets = set(settings.OIDC_ALLOWED_SIRETS)
        if domains or sirets:
            email = str(claims.get("email") or "").lower()
            domain = email.rpartition("@")[2] if "@" in email else ""
            if domain not in domains and str(claims.get("siret") or "") not in sirets:
                raise SignInRefused(
                    _("Votre organisation n'a pas accès à l'administration de Guichet.")
                )
        acr = claims.get("acr")
        if settings.OIDC_ACR_VALUES and acr is not None and acr not in settings.OIDC_ACR_VALUES:
            raise SignInRefused(self._weak_message())
        amr = claims.get("amr")
        if settings.STAFF_REQUIRE_2FA and isinstance(amr, list) and set(amr) <= SINGLE_FACTOR_AMR:
            raise SignInRefused(self._weak_message())

    @staticmethod
    def _weak_message() -> str:
        return _(
            "Votre connexion n'a pas utilisé de second facteur : reconnectez-vous chez votre "
            "fournisseur d'identité avec la double authentification."
        )


def _login_failure(request, message: str):
    messages.error(request, message)
    return HttpResponseRedirect(reverse("admin:login"))


class StaffAuthenticateView(OIDCAuthenticationRequestView):
    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_OP_AUTH_ENDPOINT = property(lambda self: _endpoint("authorization_endpoint"))

    def get(self, request):
        try:
            return super().get(request)
        except ProviderUnavailable:
            logger.warning("OpenID provider unavailable", exc_info=True)
            return _login_failure(request, _provider_down_message())

    def get_extra_params(self, request):
        if settings.OIDC_ACR_VALUES:
            return {"acr_values": " ".join(settings.OIDC_ACR_VALUES)}
        return {}


class StaffCallbackView(OIDCAuthenticationCallbackView):
    @property
    def success_url(self):
        # The page asked for (checked when the sign-in started), else the back-office.
        return self.request.session.get("oidc_login_next") or reverse("admin:index")

    def get(self, request):
        try:
            return super().get(request)
        except SuspiciousOperation:  # an unknown or replayed state
            logger.warning("OpenID callback refused", exc_info=True)
            return self.login_failure()

    def login_failure(self):
        request = self.request
        if hasattr(request, "staffauth_refusal"):
            message = request.staffauth_refusal
        elif getattr(self, "user", None) is not None and not self.user.is_active:
            message = _("Ce compte est désactivé.")
        else:
            message = _(
                "La connexion avec votre fournisseur d'identité a échoué : reconnectez-vous."
            )
        return _login_failure(request, message)


class StaffSessionRefresh(SessionRefresh):
    """Every OIDC_RENEW_SECONDS, a staff member signed in with OpenID Connect is sent back to the
    provider without a prompt: a disabled identity, or one that lost its groups, loses access."""

    # The parent reads the settings once, when the middleware is built: read at each use here.
    OIDC_EXEMPT_URLS = []
    OIDC_STATE_SIZE = OIDC_NONCE_SIZE = 32
    OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
    OIDC_USE_NONCE = True
    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_SCOPES = property(lambda self: settings.OIDC_RP_SCOPES)
    OIDC_OP_AUTHORIZATION_ENDPOINT = property(lambda self: _endpoint("authorization_endpoint"))

    def __init__(self, get_response):
        MiddlewareMixin.__init__(self, get_response)

    def is_refreshable_url(self, request):
        return (
            # Checked first, so that a request without a session cookie (the public pages, their
            # cache) never reads the session, which would add "Vary: Cookie".
            bool(settings.OIDC_ISSUER)
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and request.session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND
            and super().is_refreshable_url(request)
        )

    def process_request(self, request):
        try:
            return super().process_request(request)
        except ProviderUnavailable:
            # Cannot ask now; the session stays bounded by STAFF_SESSION_MAX_AGE.
            logger.warning("OpenID provider unavailable for a session refresh", exc_info=True)
            return None


def oidc_logout_url(request) -> str | None:
    """Where to send a staff member signing out of an OpenID session: the provider's
    end_session_endpoint, so that its session ends too (RP-initiated logout)."""
    if request.session.get(BACKEND_SESSION_KEY) != OIDC_BACKEND:
        return None
    try:
        endpoint = provider_metadata().get("end_session_endpoint")
    except ProviderUnavailable:
        return None
    if not endpoint:
        return None
    params = {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("admin:login")),
    }
    if request.session.get("oidc_id_token"):
        params["id_token_hint"] = request.session["oidc_id_token"]
    return f"{endpoint}?{urlencode(params)}"
