"""Forty visitors send the booking form for the last ten seats at the same instant, over HTTP to
the threaded live server: ten are booked, the thirty others are told that there are not enough
seats, or that the session is full.

Each visitor has its own cookies, its own one-time key and its own loopback address (127.0.0.x),
so the rate limit, which counts per address, stays on as in production."""

import http.client
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest
from django.urls import reverse

from guichet.bookings.models import Reservation, ReservationStatus
from guichet.catalogue.tests.factories import SessionFactory

pytestmark = pytest.mark.django_db(transaction=True)

VISITORS = 40
SEATS = 10
TIMEOUT = 60  # seconds; a visitor left without an answer fails the test
# A visitor whose request read the session before it filled up loses at the seat lock; one that
# read it full is refused at once. Both answer 409 with the form's page.
REFUSALS = ("Il n&#x27;y a pas assez de places", "Cette session est complète.")
FORM = {
    "first_name": "Camille",
    "last_name": "Exemple",
    "phone": "06 12 34 56 78",
    "city": "Tourcoing",
    "quantity": "1",
}


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name!r} in the form"
    return unescape(match.group(1))


class Visitor:
    """A browser-like client: its own source address and cookies, one connection per request."""

    def __init__(self, base_url: str, number: int):
        url = urlsplit(base_url)
        self.origin = f"http://127.0.0.1:{url.port}"
        self.port = url.port
        self.address = f"127.0.0.{number + 2}"
        self.email = f"visiteur{number}@example.org"
        self.cookies = SimpleCookie()

    def connect(self) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=TIMEOUT, source_address=(self.address, 0)
        )
        connection.connect()
        return connection

    def send(self, connection, method: str, path: str, body: str | None = None):
        headers = {"Cookie": "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())}
        if body is not None:
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
            }
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(cookie)
        html = response.read().decode()
        connection.close()
        return response, html

    def load_form(self, path: str) -> str:
        """GET the form as a browser would: the CSRF cookie and token, and a one-time key."""
        response, html = self.send(self.connect(), "GET", path)
        assert response.status == 200
        return urlencode(
            FORM
            | {
                "email": self.email,
                "csrfmiddlewaretoken": hidden_value(html, "csrfmiddlewaretoken"),
                "submission": hidden_value(html, "submission"),
            }
        )


def test_forty_visitors_for_the_last_ten_seats(live_server):
    session = SessionFactory(seat_limit=SEATS)
    path = reverse("public:session_book", args=[session.pk])
    visitors = [Visitor(live_server.url, n) for n in range(VISITORS)]
    forms = [visitor.load_form(path) for visitor in visitors]
    barrier = threading.Barrier(VISITORS)

    def submit(visitor: Visitor, form: str):
        # Connected before the barrier: the requests leave together, not queued in the backlog.
        connection = visitor.connect()
        barrier.wait(timeout=TIMEOUT)
        try:
            response, html = visitor.send(connection, "POST", path, form)
        except OSError as exc:  # a timeout included
            return ("no answer", repr(exc))
        if response.status == 303:
            return ("booked", response.headers["Location"])
        if response.status == 409 and any(refusal in html for refusal in REFUSALS):
            return ("refused", "")
        return (f"HTTP {response.status}", html[:300])

    with ThreadPoolExecutor(VISITORS) as pool:
        results = list(pool.map(submit, visitors, forms))

    unexpected = [result for result in results if result[0] not in ("booked", "refused")]
    assert unexpected == []
    assert Counter(outcome for outcome, _detail in results) == {
        "booked": SEATS,
        "refused": VISITORS - SEATS,
    }
    reservations = Reservation.objects.filter(session=session, status=ReservationStatus.VALID)
    assert reservations.count() == SEATS
    # Each booked visitor was sent to its own reservation's page.
    assert sorted(location for outcome, location in results if outcome == "booked") == sorted(
        reverse("public:reservation_detail", args=[token]) + "?enregistree=1"
        for token in reservations.values_list("token", flat=True)
    )
    session.refresh_from_db()
    assert session.seats_taken == SEATS
