"""The client address for rate limits: X-Forwarded-For is believed only from trusted proxies."""

import pytest
from django.test import RequestFactory

from guichet.core.clients import client_ip, client_key


def request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **extra)


@pytest.fixture(autouse=True)
def _proxies(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8:ffff::1"]


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("203.0.113.5", None, "203.0.113.5"),
        # Not a trusted proxy: whatever it forwards is ignored.
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        # The client wrote the left part; our proxy appended the address it saw, on the right.
        ("10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        # Two trusted proxies in a row.
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.3", "198.51.100.1"),
        ("2001:db8:ffff::1", "2001:db8:1:2::7", "2001:db8:1:2::7"),
        # A proxy with nothing or garbage to forward: the proxy is the client we know.
        ("10.0.0.2", "", "10.0.0.2"),
        ("10.0.0.2", "unknown", "10.0.0.2"),
        ("10.0.0.2", "10.0.0.3", "10.0.0.3"),
    ],
)
def test_client_ip(remote, forwarded, client):
    assert client_ip(request(remote, forwarded)) == client


def test_no_trusted_proxy_by_default(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request("10.0.0.2", "198.51.100.1")) == "10.0.0.2"


def test_ipv6_clients_share_their_64():
    assert client_key("g", request("2001:db8:1:2::7")) == client_key(
        "g", request("2001:db8:1:2:ffff::9")
    )
    assert client_key("g", request("2001:db8:1:2::7")) != client_key(
        "g", request("2001:db8:1:3::7")
    )
    assert client_key("g", request("203.0.113.5")) == "203.0.113.5"
