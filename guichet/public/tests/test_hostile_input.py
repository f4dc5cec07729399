"""Every public page, and the back-office's sign-in, answered with hostile input: NUL bytes, very
long values, invalid tokens and numbers out of range, in the path, the query string and the
posted fields. Each answer may be a refusal (400, 404, 405, 429…), never a server error."""

import re
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from guichet.bookings.services import reservation_create
from guichet.bookings.tests.factories import booking_data
from guichet.catalogue.tests.factories import SessionFactory
from guichet.public.forms import BookingForm, submission_key_new

pytestmark = pytest.mark.django_db

LONG = "é" * 5000
# Raw values: put in a path or query string as they are (already %-encoded where needed).
HOSTILE_RAW = [
    "%00",
    "a%00b",
    quote(LONG),
    "%FF%FE",  # not UTF-8
    "99999999999999999999999",  # beyond any integer column
    "-1",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "..%2F..%2Fetc%2Fpasswd",
]
# Decoded values: sent as form fields.
HOSTILE_VALUES = [
    "\x00",
    "Camille\x00",
    LONG,
    "99999999999999999999999",
    "-1",
    '<meta http-equiv="refresh" content="0;url=/x/">',
    "\r\nBcc: victime@example.org",
    "\u202ecba",
]
QUERY_NAMES = ["page", "name", "location", "audience", "activity_type", "q", "next"]
INVALID_TOKENS = ["A" * 31, "A" * 33, "A" * 31 + "!", "A" * 31 + "%00", quote("é" * 32), "%2E" * 32]
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def public_routes() -> list[str]:
    """The public app's URL patterns, as routes with their converters ('sessions/<int:pk>/…')."""
    [public] = [
        pattern
        for pattern in get_resolver().url_patterns
        if isinstance(pattern, URLResolver) and pattern.namespace == "public"
    ]
    return [str(pattern.pattern) for pattern in public.url_patterns]


def fill(route: str, value: str) -> str:
    return "/" + CONVERTER.sub(value, route)


@pytest.fixture
def valid(organisation):
    """A real value for each converter's argument name: the pages as a visitor finds them."""
    session = SessionFactory()
    reservation = reservation_create(session=session, **booking_data())
    return {"slug": session.activity.slug, "pk": str(session.pk), "token": reservation.token}


@pytest.fixture
def browser(settings):
    settings.BOOKING_RATE_LIMIT = ""  # every request reaches the form, none is throttled
    return Client(raise_request_exception=False)


def requests(valid) -> list[tuple[str, str]]:
    """(method, URL) for every public route and the sign-in page, with each hostile value in
    the path and in the query string."""
    urls = []
    for route in public_routes():
        names = [name for _converter, name in CONVERTER.findall(route)]
        page = "/" + CONVERTER.sub(lambda m: valid[m[2]], route)
        urls.append(page)
        for value in HOSTILE_RAW + (INVALID_TOKENS if "token" in names else []):
            urls.append(fill(route, value))
        for name in QUERY_NAMES:
            urls += [f"{page}?{name}={value}" for value in HOSTILE_RAW]
        urls.append(f"{page}?{'%00' * 3}={quote(LONG)}")
    login = reverse("admin:login")
    urls += [f"{login}?next={value}" for value in HOSTILE_RAW]
    return [(method, url) for url in urls for method in ("GET", "POST")]


def test_the_walk_covers_every_public_route():
    routes = public_routes()
    assert len(routes) >= 6
    assert "reservation/<token:token>/annuler/" in routes


def test_no_hostile_path_or_query_gives_a_server_error(browser, valid):
    errors = []
    for method, url in requests(valid):
        response = browser.generic(method, url)
        if response.status_code >= 500:
            errors.append(f"{method} {url[:120]}: {response.status_code}")
    assert errors == []


def test_no_hostile_form_field_gives_a_server_error(browser, valid):
    session_id = int(valid["pk"])
    typed = {
        "first_name": "Camille",
        "last_name": "Exemple",
        "email": "camille@example.org",
        "phone": "06 12 34 56 78",
        "city": "Tourcoing",
        "quantity": "1",
        "website": "",
    }
    forms = {
        reverse("public:session_book", args=[session_id]): list(BookingForm.base_fields),
        reverse("public:reservation_cancel", args=[valid["token"]]): ["csrfmiddlewaretoken"],
        reverse("public:activity_list"): QUERY_NAMES,
        reverse("admin:login"): ["username", "password", "next"],
    }
    errors = []
    for url, fields in forms.items():
        for field in fields:
            for value in HOSTILE_VALUES + INVALID_TOKENS:
                data = typed | {"submission": submission_key_new(session_id=session_id)}
                response = browser.post(url, data | {field: value})
                if response.status_code >= 500:
                    errors.append(f"POST {url} {field}={value[:40]!r}: {response.status_code}")
    assert errors == []
