"""Pages that touch what belongs to one visitor, behind the public page cache."""

import itertools

from django.contrib import messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import path
from django.utils.cache import patch_vary_headers

from guichet.public.pagecache import public_page_cache, slot, slotted_page

renderings = itertools.count()


def _page(request, touch) -> HttpResponse:
    response = HttpResponse(f"rendering {next(renderings)}|")
    response["X-Page"] = "kept"
    response["Content-Language"] = "fr"
    touch(request, response)
    return response


TOUCHES = {
    "nothing": lambda request, response: None,
    "session": lambda request, response: request.session.get("seen"),
    "user": lambda request, response: request.user.is_authenticated,
    "csrf": lambda request, response: get_token(request),
    "messages": lambda request, response: list(messages.get_messages(request)),
    "message-added": lambda request, response: messages.info(request, "Bonjour"),
    "nonce": lambda request, response: str(request.csp_nonce),
    "cookie": lambda request, response: response.set_cookie("own", "1"),
    "vary": lambda request, response: patch_vary_headers(response, ["Accept"]),
}


def cached_view(request, touch):
    return _page(request, TOUCHES[touch])


def slotted_view(request, touch):
    def render():
        response = _page(request, TOUCHES[touch])
        response.content += slot("csrf").encode()
        return response

    return slotted_page(request, render, fill={"csrf": lambda: get_token(request)})


urlpatterns = [
    path("cached/<str:touch>/", public_page_cache(cached_view)),
    path("slotted/<str:touch>/", slotted_view),
]
