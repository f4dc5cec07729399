"""Guichet settings, read from the environment (see README, "Configuration")."""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env(
        "SECRET_KEY", default="dev-only-secret-key-never-used-in-production-0123456789"
    )
else:
    try:
        SECRET_KEY = env("SECRET_KEY")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.") from exc

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])
CSRF_FAILURE_VIEW = "guichet.public.errors.csrf_failure"
# What the 500 page names when the organisation's row cannot be read (database down).
ORGANISATION_FALLBACK_NAME = env.str("ORGANISATION_FALLBACK_NAME", default="Guichet")
ORGANISATION_FALLBACK_PHONE = env.str("ORGANISATION_FALLBACK_PHONE", default="")

INSTALLED_APPS = [
    "guichet.core",
    "guichet.staffauth",
    "guichet.accounts",
    "guichet.catalogue",
    "guichet.bookings",
    "guichet.notifications",
    "guichet.public",
    "guichet.solidarity",
    "guichet.families",
    "guichet.privacy",
    "guichet.demo",
    # The admin with the staff sign-in checks (second factor) in its permission check.
    "guichet.staffauth.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_prose_editor",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "guichet.core.middleware.refuse_nul_bytes",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # No LocaleMiddleware while French is the only language: every request is in LANGUAGE_CODE,
    # and choosing it from Accept-Language cost a fifth of the smallest response's CPU.
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Re-asks the OpenID provider every OIDC_RENEW_SECONDS (inert for other sign-ins).
    "guichet.staffauth.oidc.StaffSessionRefresh",
    # Who acts, for the journal (guichet.core.audit); reads nothing until an entry is written.
    "guichet.core.audit.AuditRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-csp, with the header built once for the responses that all get the same one.
    "guichet.core.csp.CSPMiddleware",
]

ROOT_URLCONF = "guichet.urls"
WSGI_APPLICATION = "guichet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "guichet" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# Database: an SQLite file by default, PostgreSQL in production.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'guichet.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers queue on the write lock instead of failing with "database is locked":
    # WAL lets readers go on during a write, IMMEDIATE takes the lock at BEGIN (no upgrade
    # deadlock) and the timeout is how long a writer waits for it.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        # PostgreSQL plans a query once per connection instead of at every execution (half its
        # CPU per booking). Off behind PgBouncer in transaction mode without max_prepared_statements.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 5}
        )
# PostgreSQL: the longest a booking or back-office change waits for a row another one holds
# (SET LOCAL lock_timeout), then it is retried and answers "busy" instead of waiting forever.
DATABASE_LOCK_TIMEOUT = env.float("DATABASE_LOCK_TIMEOUT", default=3.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Shared by every worker (rate limits, cached pages): the database by default, Redis in production.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://guichet_cache")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "guichet.core.cache.PooledRedisCache"
    # Sessions read from Redis, written to it and to the database (which stays the reference
    # when Redis loses them): each signed-in page read its session with one more SQL statement.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# E-mail: EMAIL_URL such as smtp+tls://user:password@host:587, smtps://… or consolemail://
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="reservations@example.org")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int(
    "EMAIL_TIMEOUT", default=30
)  # seconds; an SMTP server that hangs must not hold a worker

# Background tasks (django-tasks; Django 6 ships the same API as django.tasks).
TASKS = {
    "default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}
}

# E-mail notifications (docs/notifications.md). A worker's claim on a batch of mails lapses after
# NOTIFICATIONS_CLAIM_TIMEOUT seconds: if it died, another worker sends them then (at least once).
NOTIFICATIONS_CLAIM_TIMEOUT = env.int("NOTIFICATIONS_CLAIM_TIMEOUT", default=300)
NOTIFICATIONS_BATCH_SIZE = env.int("NOTIFICATIONS_BATCH_SIZE", default=200)
# A mail the server did not take (connection error, 4xx answer) is retried after
# NOTIFICATIONS_RETRY_DELAY seconds, the delay doubling after each failure up to
# NOTIFICATIONS_RETRY_MAX_DELAY, until NOTIFICATIONS_RETRY_HOURS have passed since its first failure:
# an SMTP outage of a night loses nothing. A permanent refusal (5xx) is not retried.
NOTIFICATIONS_RETRY_DELAY = env.int("NOTIFICATIONS_RETRY_DELAY", default=60)
NOTIFICATIONS_RETRY_MAX_DELAY = env.int("NOTIFICATIONS_RETRY_MAX_DELAY", default=3600)
NOTIFICATIONS_RETRY_HOURS = env.int("NOTIFICATIONS_RETRY_HOURS", default=24)
# Mails waiting longer than this (worker down, server refusing) are counted on the admin index and
# in the daily summary sent to the organisation's contact address.
MAIL_PENDING_ALERT_MINUTES = env.int("MAIL_PENDING_ALERT_MINUTES", default=10)
NOTIFICATIONS_ATTACHMENT_MAX_SIZE = env.int(
    "NOTIFICATIONS_ATTACHMENT_MAX_SIZE", default=5 * 1024 * 1024
)
# The mails of all the changes committed within this many seconds are handed to the worker by one
# task, which runs when the window ends (0: one task per change, run at once).
NOTIFICATIONS_WAKE_SECONDS = env.int("NOTIFICATIONS_WAKE_SECONDS", default=1)
# Confirmation (and reservation-link) mails one address may receive from online bookings, per
# window: "3/h,10/d". Bookings past it still go through, without their mail; empty: no limit.
CONFIRMATION_MAIL_LIMIT = env.list("CONFIRMATION_MAIL_LIMIT", default=["3/h", "10/d"])

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Failed sign-ins allowed per client address (and per account and address) in a window, e.g.
# "10/15m"; past it the address is refused until the window ends, and an account failing from
# many addresses answers slowly (guichet.core.login_limit). Empty turns it off.
LOGIN_RATE_LIMIT = env.str("LOGIN_RATE_LIMIT", default="10/15m")
# "Mot de passe oublié" links, for every account of the site: one hour (Django's default is 3 days).
PASSWORD_RESET_TIMEOUT = 3600
# --- Portal accounts (guichet.accounts) ---
# Days an invitation link ("Choisir mon mot de passe") stays valid, and a new e-mail address's
# confirmation link ("Mon profil").
ACCOUNT_INVITATION_DAYS = env.int("ACCOUNT_INVITATION_DAYS", default=7)

LANGUAGE_CODE = "fr"
# A second language also needs django.middleware.locale.LocaleMiddleware back (see MIDDLEWARE).
LANGUAGES = [("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "guichet" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
FILE_UPLOAD_PERMISSIONS = 0o644

# Maps: Leaflet is served from our static files; only the tiles come from this server.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env.str(
    "MAP_TILE_ATTRIBUTION",
    default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
)


def _origin(url: str) -> str:
    scheme, _sep, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0].replace('{s}.', '*.')}"


# The city's own site may embed the public pages: FRAME_ANCESTORS lists who may frame them.
FRAME_ANCESTORS = env.list("FRAME_ANCESTORS", default=[SELF])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # NONCE: the rich-text editor's inline import map (see guichet.core.admin).
        "script-src": [SELF, NONCE],
        # The admin and the rich-text editor set inline style attributes.
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", _origin(MAP_TILE_URL)],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": FRAME_ANCESTORS,
    }
}

# Security: with DEBUG off, `manage.py check --deploy` has nothing to report.
X_FRAME_OPTIONS = "DENY"  # pages that may be embedded opt out and rely on frame-ancestors
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Public booking site (guichet.public) ---
# Booking submissions allowed per client address, e.g. "20/m", "100/h"; empty turns the limit off.
BOOKING_RATE_LIMIT = env.str("BOOKING_RATE_LIMIT", default="20/m")
# Reverse proxies (addresses or networks) whose X-Forwarded-For is believed for the client address.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# The activity list and pages may be served from the cache for this many seconds (at most 5,
# so that seat counts are never staler); 0 = not cached. Worth it with a Redis CACHE_URL.
PUBLIC_PAGE_CACHE_SECONDS = env.int("PUBLIC_PAGE_CACHE_SECONDS", default=0)
# Places one client address may book per session and day, whatever the e-mail addresses used;
# 0 (the default) turns the cap off: phones on mobile networks and library computers share
# addresses.
BOOKING_ADDRESS_PLACES_PER_DAY = env.int("BOOKING_ADDRESS_PLACES_PER_DAY", default=0)
# --- end of public booking site ---

# --- Staff sign-in (guichet.staffauth; README, "Connexion du personnel") ---
# Local accounts always; LDAP when LDAP_URL is set; OpenID Connect when OIDC_ISSUER is set.
# The portals sign in with an e-mail address, a phone number or a username (IdentifierBackend).
AUTHENTICATION_BACKENDS = env.list(
    "AUTHENTICATION_BACKENDS",
    default=[
        "guichet.staffauth.backends.StaffModelBackend",
        "guichet.accounts.backends.IdentifierBackend",
    ],
)
# Directory groups, roles or claims (keys) -> Guichet group names (a name or a list), as JSON.
STAFF_GROUP_MAP = env.json("STAFF_GROUP_MAP", default={})
STAFF_SESSION_MAX_AGE = env.int("STAFF_SESSION_MAX_AGE", default=10 * 3600)  # seconds
STAFF_PASSWORD_LOGIN = env.bool("STAFF_PASSWORD_LOGIN", default=True)
STAFF_REQUIRE_2FA = env.bool("STAFF_REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Guichet")

OIDC_ISSUER = env.str("OIDC_ISSUER", default="").rstrip("/")
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="")
OIDC_RP_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_RP_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
OIDC_RP_SIGN_ALGO = env.str("OIDC_SIGN_ALGO", default="RS256")
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
OIDC_ACR_VALUES = env.list("OIDC_ACR_VALUES", default=[])
OIDC_ALLOWED_EMAIL_DOMAINS = env.list("OIDC_ALLOWED_EMAIL_DOMAINS", default=[])
OIDC_ALLOWED_SIRETS = env.list("OIDC_ALLOWED_SIRETS", default=[])
OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=10)  # seconds
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = env.int("OIDC_RENEW_SECONDS", default=15 * 60)
OIDC_DISCOVERY_CACHE_SECONDS = 3600
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # for the id_token_hint of RP-initiated logout
OIDC_CREATE_USER = True
OIDC_CALLBACK_CLASS = "guichet.staffauth.oidc.StaffCallbackView"
OIDC_AUTHENTICATE_CLASS = "guichet.staffauth.oidc.StaffAuthenticateView"
OIDC_OP_LOGOUT_URL_METHOD = "guichet.staffauth.oidc.oidc_logout_url"  # /oidc/logout/ too
if OIDC_ISSUER:
    AUTHENTICATION_BACKENDS.append("guichet.staffauth.oidc.StaffOIDCBackend")

LDAP_URL = env.str("LDAP_URL", default="")
LDAP_AUTH_URL = [LDAP_URL]
LDAP_AUTH_USE_TLS = env.bool("LDAP_USE_TLS", default=False)
LDAP_BIND_DN = env.str("LDAP_BIND_DN", default="")
LDAP_AUTH_CONNECTION_USERNAME = LDAP_BIND_DN or None
LDAP_AUTH_CONNECTION_PASSWORD = env.str("LDAP_BIND_PASSWORD", default="") or None
LDAP_AUTH_SEARCH_BASE = env.str("LDAP_SEARCH_BASE", default="")
LDAP_USER_FILTER = env.str("LDAP_USER_FILTER", default="(objectClass=inetOrgPerson)")
# How a username becomes the identity the user binds with: a DN, or user@domain for AD.
LDAP_USERNAME_FORMAT = env.str("LDAP_USERNAME_FORMAT", default="")
LDAP_AUTH_USER_FIELDS = env.dict(
    "LDAP_USER_ATTRIBUTES",
    default={"username": "uid", "first_name": "givenName", "last_name": "sn", "email": "mail"},
)
LDAP_AUTH_USER_LOOKUP_FIELDS = ("username",)
# Empty: the groups are the user's memberOf values; else a search for the groups holding the user.
LDAP_GROUP_SEARCH_BASE = env.str("LDAP_GROUP_SEARCH_BASE", default="")
LDAP_GROUP_FILTER = env.str("LDAP_GROUP_FILTER", default="(member={dn})")
LDAP_AUTH_FORMAT_USERNAME = "guichet.staffauth.ldap.username_format"
LDAP_AUTH_FORMAT_SEARCH_FILTERS = "guichet.staffauth.ldap.search_filters_format"
LDAP_AUTH_SYNC_USER_RELATIONS = "guichet.staffauth.ldap.user_relations_sync"
LDAP_AUTH_CONNECT_TIMEOUT = env.int("LDAP_TIMEOUT", default=10)
LDAP_AUTH_RECEIVE_TIMEOUT = LDAP_AUTH_CONNECT_TIMEOUT
LDAP_AUTH_POOL_ACTIVE = 1  # one round of the servers, not ldap3's endless retries when down
if LDAP_URL:
    if "{username}" not in LDAP_USERNAME_FORMAT:
        # Else people would bind with an empty name: an unauthenticated bind, which some
        # directories accept whatever the password.
        raise ImproperlyConfigured("LDAP_USERNAME_FORMAT must contain {username} with LDAP_URL.")
    AUTHENTICATION_BACKENDS.insert(0, "guichet.staffauth.backends.StaffLDAPBackend")
# --- end of staff sign-in ---

# --- Personal data (guichet.privacy): retention, in days ---
# Journal entries ("Journal des modifications") are purged after this many days…
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)
# …and failed sign-ins (they name an account, maybe a mistyped password's owner) sooner.
AUDIT_FAILED_SIGN_IN_RETENTION_DAYS = env.int("AUDIT_FAILED_SIGN_IN_RETENTION_DAYS", default=183)
# A reservation's personal fields are anonymised this many days after its session.
RESERVATION_RETENTION_DAYS = env.int("RESERVATION_RETENTION_DAYS", default=365)
# Sent (or given up) e-mails, their text and recipients, are deleted from the outbox after this.
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=92)
# A person followed by a solidarity structure is anonymised this many days after "Désactiver".
SOLIDARITY_BENEFICIARY_RETENTION_DAYS = env.int(
    "SOLIDARITY_BENEFICIARY_RETENTION_DAYS", default=365
)
# A household none of whose children has had a reservation for this long is anonymised.
FAMILY_HOUSEHOLD_RETENTION_DAYS = env.int("FAMILY_HOUSEHOLD_RETENTION_DAYS", default=730)
# --- end of personal data ---
