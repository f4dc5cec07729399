"""The Content-Security-Policy header, from django-csp, built once for the responses that all get
the same one."""

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as LibraryCSPMiddleware
from csp.utils import build_policy
from django.conf import settings

# Response attributes set by django-csp's decorators to give a view a policy of its own.
_VIEW_POLICY_ATTRIBUTES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)


class CSPMiddleware(LibraryCSPMiddleware):
    """django-csp builds the policy from the settings again for every response, which costs a
    fifth of the CPU of the smallest Django response (docs/benchmarks.md). A response with no
    nonce and no policy of its own always gets the same header: it is built once per settings
    value and copied. Every other response (the admin's nonce, a decorated view, a debug error
    page, excluded URL prefixes) goes through django-csp as usual."""

    def __init__(self, get_response):
        super().__init__(get_response)
        # (the two settings values it was built from, the headers)
        self._plain: tuple[object, object, dict[str, str]] | None = None

    def process_response(self, request, response):
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _VIEW_POLICY_ATTRIBUTES)
            or (settings.DEBUG and response.status_code in (404, 500))
            or any((config or {}).get("EXCLUDE_URL_PREFIXES") for config in (policy, report_only))
        ):
            return super().process_response(request, response)
        plain = self._plain
        if plain is None or plain[0] is not policy or plain[1] is not report_only:
            headers = {HEADER: build_policy(), HEADER_REPORT_ONLY: build_policy(report_only=True)}
            plain = self._plain = (policy, report_only, headers)
        for header, value in plain[2].items():
            if value and header not in response:
                response[header] = value
        # As django-csp does: a nonce asked for after the header was written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
