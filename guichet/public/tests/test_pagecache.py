"""The page cache serves a page to every visitor only when its rendering touched nothing of
the visitor's own (session, CSRF cookie, messages, CSP nonce, cookies), and keeps its headers."""

import logging

import pytest
from django.test import Client

from guichet.public.tests.pagecache_urls import TOUCHES

pytestmark = [pytest.mark.django_db, pytest.mark.urls("guichet.public.tests.pagecache_urls")]

PERSONAL = sorted(set(TOUCHES) - {"nothing"})


@pytest.fixture(autouse=True)
def cached(settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 5


def two_visitors(url: str):
    return Client().get(url), Client().get(url)


@pytest.mark.parametrize("kind", ["cached", "slotted"])
def test_a_page_touching_nothing_personal_is_shared_with_its_headers(kind, caplog):
    first, second = two_visitors(f"/{kind}/nothing/")
    assert second.content.split(b"|")[0] == first.content.split(b"|")[0]
    assert (second["X-Page"], second["Content-Language"]) == ("kept", "fr")
    assert second["Content-Type"] == "text/html; charset=utf-8"
    assert "not cached" not in caplog.text


@pytest.mark.parametrize("kind", ["cached", "slotted"])
@pytest.mark.parametrize("touch", PERSONAL)
def test_a_page_touching_the_visitor_is_never_shared(kind, touch, caplog):
    with caplog.at_level(logging.WARNING, logger="guichet.public.pagecache"):
        first, second = two_visitors(f"/{kind}/{touch}/")
    assert first.content.split(b"|")[0] != second.content.split(b"|")[0]
    assert "not cached" in caplog.text
    assert second["X-Page"] == "kept"


def test_the_csrf_token_in_its_slot_is_shared():
    first, second = two_visitors("/slotted/nothing/")
    assert first.content.split(b"|")[0] == second.content.split(b"|")[0]
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value


def test_a_cookie_set_by_an_uncached_slotted_page_reaches_its_visitor():
    response = Client().get("/slotted/message-added/")
    assert "messages" in response.cookies
