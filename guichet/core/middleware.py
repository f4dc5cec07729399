"""Request checks that hold for every page."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


def _has_nul(params) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in params.getlist(key)) for key in params
    )


def refuse_nul_bytes(get_response):
    """No form, filter or search has a use for a NUL byte, and PostgreSQL refuses one in any
    query: a path or parameter holding one is answered 400 before it reaches a view (admin filters,
    search and autocomplete among them) instead of a server error."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if (
            "\x00" in request.path
            or _has_nul(request.GET)
            or (request.method == "POST" and _has_nul(request.POST))
        ):
            return HttpResponseBadRequest()
        return get_response(request)

    return middleware
