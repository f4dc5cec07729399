"""The CSP header built once gives every response the header django-csp itself would give."""

import pytest
from csp.constants import HEADER, NONCE, SELF
from csp.decorators import csp_update
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from guichet.core.csp import CSPMiddleware


def plain_view(request):
    return HttpResponse("ok")


def nonce_view(request):
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")


@csp_update({"img-src": "https://images.example.org"})
def decorated_view(request):
    return HttpResponse("ok")


def respond(middleware_class, view):
    middleware = middleware_class(view)
    request = RequestFactory().get("/")
    middleware.process_request(request)
    response = middleware.process_response(request, view(request))
    return request, response


@pytest.mark.parametrize("view", [plain_view, nonce_view, decorated_view])
def test_same_header_as_django_csp(view):
    _request, ours = respond(CSPMiddleware, view)
    _request, theirs = respond(LibraryCSPMiddleware, view)
    if view is nonce_view:  # a new nonce each time
        assert "'nonce-" in ours[HEADER] and "'nonce-" in theirs[HEADER]
        assert ours[HEADER].split("'nonce-")[0] == theirs[HEADER].split("'nonce-")[0]
    else:
        assert ours[HEADER] == theirs[HEADER]


def test_the_nonce_is_in_the_header_that_the_page_uses():
    _request, response = respond(CSPMiddleware, nonce_view)
    nonce = response.content.decode().split("nonce='")[1].split("'")[0]
    assert f"'nonce-{nonce}'" in response[HEADER]


def test_a_nonce_asked_for_after_the_header_is_an_error():
    request, _response = respond(CSPMiddleware, plain_view)
    with pytest.raises(Exception, match="not available after the CSP header"):
        str(request.csp_nonce)


def test_a_change_of_settings_is_followed(settings):
    middleware = CSPMiddleware(plain_view)
    request = RequestFactory().get("/")
    middleware.process_request(request)
    assert "object-src 'none'" in middleware.process_response(request, plain_view(request))[HEADER]
    directives = {"default-src": [SELF], "script-src": [SELF, NONCE]}
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": directives}
    request = RequestFactory().get("/")
    middleware.process_request(request)
    header = middleware.process_response(request, plain_view(request))[HEADER]
    assert set(header.split("; ")) == {"default-src 'self'", "script-src 'self'"}
