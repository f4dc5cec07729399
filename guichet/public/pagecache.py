"""The public pages that are (almost) the same for every visitor, served from the shared cache for
settings.PUBLIC_PAGE_CACHE_SECONDS, at most 5 seconds, so that the seat counts they show are
never staler than that. Bookings never read this cache: they are decided on the database.

Two kinds of page:
- `public_page_cache`: pages that vary on nothing but their URL (the activity list and pages);
- `slotted_page`: pages that are the same for everyone but a few per-visitor values, the booking
  form's CSRF token and one-time key. The page is rendered with a slot (a marker) for each value
  and cached that way; every visitor gets it with the slots filled in for them. The refusal sent
  to everyone who books a session that can no longer be booked is one too, with no slot.
"""

import hashlib
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_response_headers

# Seat counts shown on a cached page must never be staler than this.
MAX_CACHE_SECONDS = 5


def page_cache_seconds() -> int:
    return max(0, min(settings.PUBLIC_PAGE_CACHE_SECONDS, MAX_CACHE_SECONDS))


def _page_key(request: HttpRequest, kind: str) -> str:
    return f"public.{kind}." + hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()


def public_page_cache(view):
    """Cache a page that is the same for every visitor; 0 seconds turns the cache off.

    Such a page is found in one cache read, where Django's cache_page needs two (the page's Vary
    headers, then the page): under load the activity list is served mostly from here."""

    @wraps(view)
    def cached(request, *args, **kwargs):
        seconds = page_cache_seconds()
        if not seconds or request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        key = _page_key(request, "page")
        entry = cache.get(key)
        if entry is not None:
            stored_at, response = entry
            response["Age"] = str(max(0, int(time.time() - stored_at)))
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            patch_response_headers(response, seconds)  # Expires and max-age for browsers too
            cache.set(key, (time.time(), response), seconds)
        return response

    return cached


def slot(name: str) -> str:
    """The marker rendered in place of a per-visitor value: letters and dashes only, so that
    HTML escaping leaves it as it is."""
    return f"guichet-slot-{name}-3f9c1e"


def slotted_page(
    request: HttpRequest,
    render: Callable[[], HttpResponse],
    fill: dict[str, Callable[[], str]],
    variant: str = "",
) -> HttpResponse:
    """`render()` makes the page with `slot(name)` for each value in `fill`; each visitor gets
    that page, cached as rendered, with every slot replaced by its own `fill[name]()`.
    The page must depend on nothing but its URL, its slots and `variant`, which names anything
    else it depends on (as the reason a booking was refused)."""
    seconds = page_cache_seconds()
    key = _page_key(request, f"slotted.{variant}") if seconds else None
    entry = cache.get(key) if key else None
    if entry is None:
        response = render()
        entry = (response.status_code, response["Content-Type"], response.content.decode())
        if key:
            cache.set(key, entry, seconds)
    status, content_type, html = entry
    for name, value in fill.items():
        if slot(name) in html:  # a page without the form sets no CSRF cookie
            html = html.replace(slot(name), value())
    return HttpResponse(html, status=status, content_type=content_type)
