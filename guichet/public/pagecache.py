"""The public pages that are (almost) the same for every visitor, served from the shared cache for
settings.PUBLIC_PAGE_CACHE_SECONDS, at most 5 seconds, so that the seat counts they show are
never staler than that. Bookings never read this cache: they are decided on the database.

Two kinds of page:
- `public_page_cache`: pages that vary on nothing but their URL (the activity list and pages);
- `slotted_page`: pages that are the same for everyone but a few per-visitor values, the booking
  form's CSRF token and one-time key. The page is rendered with a slot (a marker) for each value
  and cached that way; every visitor gets it with the slots filled in for them. The refusal sent
  to everyone who books a session that can no longer be booked is one too, with no slot.

That a page is the same for everyone is checked, not assumed: the cookies and `Vary` headers
that make a response personal are added by the middleware after the view has returned, so
`_render_shared` looks at what rendering touched instead (the session, the CSRF cookie, the
messages, the CSP nonce, a cookie or `Vary` of its own). A page that touched one is served to
its visitor as rendered and never cached (and a warning is logged: it is a bug in the page).
A cached page keeps every header of its first response.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_response_headers

logger = logging.getLogger(__name__)

# Seat counts shown on a cached page must never be staler than this.
MAX_CACHE_SECONDS = 5


def page_cache_seconds() -> int:
    return max(0, min(settings.PUBLIC_PAGE_CACHE_SECONDS, MAX_CACHE_SECONDS))


def _page_key(request: HttpRequest, kind: str) -> str:
    return f"public.{kind}." + hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()


def _personal_traces(request: HttpRequest, response: HttpResponse) -> list[str]:
    """What rendering did that makes `response` (or the response the middleware will make of
    it) belong to this visitor alone."""
    traces = []
    session = getattr(request, "session", None)
    if session is not None and session.accessed:
        traces.append("session")  # SessionMiddleware would add Vary: Cookie, maybe a cookie
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        traces.append("CSRF token")  # the CSRF cookie would be set, Vary: Cookie added
    messages = getattr(request, "_messages", None)
    if messages is not None and (messages.used or messages._queued_messages):
        traces.append("messages")  # their cookie would be updated
    if getattr(request, "_csp_nonce", None) is not None:
        traces.append("CSP nonce")  # the page may hold this visitor's nonce
    if response.cookies or response.has_header("Vary"):
        traces.append("cookie or Vary")
    return traces


def _render_shared(request: HttpRequest, render: Callable[[], HttpResponse]):
    """`render()`, and whether the page it made may be served to every visitor. The session's
    and the CSRF cookie's marks are cleared while it runs (and put back after), so that what
    rendering itself touched shows."""
    session = getattr(request, "session", None)
    accessed_before = session is not None and session.accessed
    if session is not None:
        session.accessed = False
    csrf_before = request.META.pop("CSRF_COOKIE_NEEDS_UPDATE", False)
    response = render()
    traces = _personal_traces(request, response)
    if session is not None:
        session.accessed = session.accessed or accessed_before
    if csrf_before:
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    if traces:
        logger.warning(
            "Page %s not cached: rendering used the visitor's %s",
            request.path,
            ", ".join(traces),
        )
    return response, not traces


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
        response, shared = _render_shared(request, lambda: view(request, *args, **kwargs))
        if response.status_code == 200 and shared:
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
    cookies = None
    if entry is None:
        response, shared = _render_shared(request, render)
        cookies = response.cookies
        headers = [(name, value) for name, value in response.items() if name != "Content-Length"]
        entry = (response.status_code, headers, response.content.decode())
        if key and shared:
            cache.set(key, entry, seconds)
    status, headers, html = entry
    for name, value in fill.items():
        if slot(name) in html:  # a page without the form sets no CSRF cookie
            html = html.replace(slot(name), value())
    response = HttpResponse(html, status=status)
    for name, value in headers:
        response[name] = value
    if cookies:  # set while rendering: the page was not cached, its cookies are this visitor's
        response.cookies.update(cookies)
    return response
