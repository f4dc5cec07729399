import datetime
import time
from unittest import mock
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import pytest
import requests
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from guichet.staffauth.models import StaffIdentity
from guichet.staffauth.oidc import StaffOIDCBackend
from guichet.staffauth.tests.conftest import free_port
from guichet.staffauth.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
GUICHET = "http://testserver"


@pytest.fixture
def provider(settings, oidc_provider):
    settings.OIDC_ISSUER = oidc_provider
    settings.OIDC_PROVIDER_NAME = "Compte Ville"
    settings.OIDC_RP_CLIENT_ID = "guichet"
    settings.OIDC_RP_CLIENT_SECRET = "guichet-test-secret"
    settings.OIDC_RP_SCOPES = "openid email profile groups siret"
    settings.AUTHENTICATION_BACKENDS = [
        "guichet.staffauth.backends.StaffModelBackend",
        "guichet.staffauth.oidc.StaffOIDCBackend",
    ]
    settings.STAFF_GROUP_MAP = {"guichet-gestion": "Gestionnaire"}
    cache.clear()  # the discovery document of another test's provider
    yield oidc_provider
    cache.clear()


def provider_walk(url: str, browser: requests.Session) -> str:
    """Follow the provider's redirects (a person's browser) until they lead back to Guichet."""
    for _step in range(10):
        if url.startswith(GUICHET):
            return url[len(GUICHET) :]
        response = browser.get(url, allow_redirects=False, timeout=10)
        assert response.status_code in (302, 303), response.text
        url = urljoin(url, response.headers["location"])
    raise AssertionError("the provider never sent the browser back")


def oidc_sign_in(client, account, browser=None):
    """Sign in as the provider's `account`; returns the callback's response and the browser."""
    browser = browser or requests.Session()
    start = client.get("/oidc/authenticate/?next=/admin/")
    assert start.status_code == 302
    back = provider_walk(f"{start['Location']}&login_hint={account}", browser)
    return client.get(back), browser


def messages_of(client, response):
    page = client.get(response["Location"])
    return [str(m) for m in page.context["messages"]]


def groups(user):
    return set(user.groups.values_list("name", flat=True))


def test_the_login_page_offers_the_provider(client, provider):
    page = client.get("/admin/login/")

    assert "Se connecter avec Compte Ville" in page.content.decode()


def test_sign_in_matches_issuer_and_sub_never_the_email(client, provider):
    local = UserFactory(username="alice", email="alice.martin@ville.example.org", is_staff=False)

    response, _browser = oidc_sign_in(client, "alice")

    assert response["Location"] == "/admin/", messages_of(client, response)
    assert client.get("/admin/").status_code == 200
    identity = StaffIdentity.objects.get(issuer=provider, subject="sub-alice")
    user = identity.user
    assert user.pk != local.pk and user.username == "amartin"
    assert (user.first_name, user.last_name) == ("Alice", "Martin")
    assert groups(user) == {"Gestionnaire"} and user.is_staff and not user.is_superuser


def test_a_group_no_longer_mapped_is_removed_at_the_next_sign_in(client, provider, settings):
    oidc_sign_in(client, "alice")
    user = StaffIdentity.objects.get(subject="sub-alice").user
    user.groups.add(Group.objects.create(name="Protection des données"))
    client.logout()
    settings.STAFF_GROUP_MAP = {"guichet-gestion": "Gestionnaire famille", "x": "Gestionnaire"}

    oidc_sign_in(client, "alice")

    assert groups(user) == {"Gestionnaire famille", "Protection des données"}


def test_a_person_without_a_mapped_group_is_told_so(client, provider):
    response, _browser = oidc_sign_in(client, "bruno")

    assert "n'a encore accès à aucun espace de gestion" in messages_of(client, response)[0]
    user = StaffIdentity.objects.get(subject="sub-bruno").user
    assert not user.is_staff
    assert client.get("/admin/").status_code == 302


def test_userinfo_as_a_signed_jwt(client, provider, settings):
    settings.OIDC_RP_CLIENT_ID = "guichet-jwt"

    oidc_sign_in(client, "alice")

    # The groups are only in the userinfo answer: it was decoded and checked.
    assert groups(StaffIdentity.objects.get(subject="sub-alice").user) == {"Gestionnaire"}


def test_entra_group_overage_is_refused_with_a_clear_message(client, provider):
    response, _browser = oidc_sign_in(client, "damien")

    assert "trop de groupes" in messages_of(client, response)[0]
    assert not StaffIdentity.objects.filter(subject="sub-damien").exists()


def test_proconnect_allow_list_then_groups_granted_in_guichet(client, provider, settings):
    settings.STAFF_GROUP_MAP = {}
    settings.OIDC_ALLOWED_EMAIL_DOMAINS = ["ville.example.org"]
    response, _browser = oidc_sign_in(client, "emma")
    assert messages_of(client, response) == [
        "Votre organisation n'a pas accès à l'administration de Guichet."
    ]

    settings.OIDC_ALLOWED_SIRETS = ["21000000000001"]
    response, _browser = oidc_sign_in(client, "emma")
    assert "n'a encore accès" in messages_of(client, response)[0]
    user = StaffIdentity.objects.get(subject="sub-emma").user
    user.groups.add(Group.objects.get(name="Gestionnaire"))  # granted by staff in Guichet

    oidc_sign_in(client, "emma")
    assert client.get("/admin/").status_code == 200
    assert groups(user) == {"Gestionnaire"}


def test_acr_and_amr_are_checked_and_no_second_factor_is_asked(client, provider, settings):
    settings.STAFF_REQUIRE_2FA = True
    settings.OIDC_ACR_VALUES = ["urn:example:mfa"]

    response, _browser = oidc_sign_in(client, "chloe")
    assert "n'a pas utilisé de second facteur" in messages_of(client, response)[0]

    settings.OIDC_ACR_VALUES = []
    response, _browser = oidc_sign_in(client, "chloe")  # amr ["pwd"] only
    assert "n'a pas utilisé de second facteur" in messages_of(client, response)[0]

    oidc_sign_in(client, "alice")
    assert client.get("/admin/").status_code == 200


def test_a_provider_that_is_down_gives_a_french_message(client, provider, settings):
    settings.OIDC_ISSUER = f"http://127.0.0.1:{free_port()}"
    settings.OIDC_TIMEOUT = 2

    response = client.get("/oidc/authenticate/")

    assert response.status_code == 302
    assert "ne répond pas" in messages_of(client, response)[0]


def test_discovery_is_read_on_first_use_and_cached(client, provider):
    with mock.patch("guichet.staffauth.oidc.requests.get", wraps=requests.get) as get:
        assert client.get("/admin/login/").status_code == 200  # no discovery for the page
        assert get.call_count == 0
        oidc_sign_in(client, "alice")
        client.logout()
        oidc_sign_in(client, "alice")

    discovery = [c for c in get.call_args_list if "openid-configuration" in c.args[0]]
    assert len(discovery) == 1


def test_a_token_signed_with_another_algorithm_is_refused(client, provider, settings):
    settings.OIDC_RP_SIGN_ALGO = "ES256"

    response, _browser = oidc_sign_in(client, "alice")

    assert "n'a pas pu être vérifiée" in messages_of(client, response)[0]
    assert client.get("/admin/").status_code == 302


def provider_signed(provider, **claims) -> str:
    now = int(time.time())
    body = {"iss": provider, "aud": "guichet", "sub": "sub-alice", "iat": now, "exp": now + 600}
    body.update(claims)
    body = {name: value for name, value in body.items() if value is not None}
    response = requests.post(f"{provider}/test/sign", json=body, timeout=10)
    response.raise_for_status()
    return response.text


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "another-client"},
        {"iss": "https://idp.example.org"},
        {"exp": int(time.time()) - 3600},
        {"exp": None},
    ],
    ids=["wrong-aud", "wrong-iss", "expired", "no-exp"],
)
def test_id_tokens_with_a_wrong_claim_are_refused(provider, claims):
    token = provider_signed(provider, **claims)
    backend = StaffOIDCBackend()

    with pytest.raises((SuspiciousOperation, jwt.InvalidTokenError)):
        backend.verify_token(token, nonce=None)

    assert backend.verify_token(provider_signed(provider), nonce=None)["sub"] == "sub-alice"


def test_a_forged_token_is_refused(provider):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    forged = jwt.encode(
        {"iss": provider, "aud": "guichet", "sub": "sub-alice", "iat": now, "exp": now + 600},
        key,
        algorithm="RS256",
        headers={"kid": "test-key"},
    )

    with pytest.raises(jwt.InvalidSignatureError):
        StaffOIDCBackend().verify_token(forged, nonce=None)


def test_a_disabled_identity_loses_access_at_the_next_renewal(client, provider):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _response, browser = oidc_sign_in(client, "felix")
        assert client.get("/admin/").status_code == 200
    # Past OIDC_RENEW_SECONDS: back to the provider without a prompt, still enabled.
    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        renewal = client.get("/admin/")
        assert "prompt=none" in renewal["Location"]
        assert client.get(provider_walk(renewal["Location"], browser)).status_code == 302
        assert client.get("/admin/").status_code == 200

    requests.post(f"{provider}/test/disable/felix", timeout=10).raise_for_status()
    with time_machine.travel(start + datetime.timedelta(minutes=32), tick=False):
        renewal = client.get("/admin/")
        client.get(provider_walk(renewal["Location"], browser))
        assert client.get("/admin/").status_code == 302
        assert not client.session.get("_auth_user_id")


def test_sign_out_ends_the_providers_session_too(client, provider):
    oidc_sign_in(client, "alice")

    response = client.post("/admin/logout/")

    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{provider}/session/end"
    query = parse_qs(location.query)
    assert query["post_logout_redirect_uri"] == ["http://testserver/admin/login/"]
    assert query["id_token_hint"]
    assert not client.session.get("_auth_user_id")


@pytest.mark.parametrize(
    "query",
    [
        "code=abc&state=" + "x" * 5000,
        "code=%00&state=%3Cscript%3E",
        "error=access_denied&state=unknown",
        "code=\x1b&state=",
    ],
)
def test_hostile_callbacks_lead_back_to_the_login_page(client, provider, query):
    client.get("/oidc/authenticate/")  # a session with a pending state

    response = client.get(f"/oidc/callback/?{query}")

    if "%00" in query:  # NUL bytes are answered 400 before any view (guichet.core.middleware)
        assert response.status_code == 400
    else:
        assert response.status_code == 302 and response["Location"] == "/admin/login/"


def test_the_callback_with_a_state_of_another_session_is_refused(client, provider):
    start = client.get("/oidc/authenticate/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    client.logout()

    response = client.get(f"/oidc/callback/?code=abc&state={state}")

    assert response["Location"] == "/admin/login/"
    assert client.get("/admin/").status_code == 302


def test_a_public_page_without_a_session_cookie_never_reads_the_session(client, provider):
    response = client.get("/")

    assert response.status_code == 200
    assert "Cookie" not in response.get("Vary", "")


def test_a_provider_down_at_the_token_exchange_gives_a_french_message(client, provider, settings):
    start = client.get("/oidc/authenticate/")
    back = provider_walk(f"{start['Location']}&login_hint=alice", requests.Session())
    key = f"staffauth:oidc-discovery:{provider}"
    cache.set(key, {**cache.get(key), "token_endpoint": f"http://127.0.0.1:{free_port()}/token"})

    response = client.get(back)

    assert response["Location"] == "/admin/login/"
    assert "ne répond pas" in messages_of(client, response)[0]
