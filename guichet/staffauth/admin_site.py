from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from guichet.staffauth.oidc import oidc_logout_url
from guichet.staffauth.selectors import second_factor_missing


class StaffAdminSite(admin.AdminSite):
    """The back-office. A staff session opened with a password has no access until its second
    factor is verified (STAFF_REQUIRE_2FA): checked at every request, not only at sign-in."""

    login_template = "staffauth/login.html"

    def has_permission(self, request):
        return super().has_permission(request) and not second_factor_missing(request=request)

    def login(self, request, extra_context=None):
        if second_factor_missing(request=request):
            return self._second_factor_redirect(request)
        extra_context = {
            **(extra_context or {}),
            "oidc_provider_name": (settings.OIDC_PROVIDER_NAME or _("votre compte professionnel"))
            if settings.OIDC_ISSUER
            else "",
        }
        response = super().login(request, extra_context)
        if request.method == "POST" and second_factor_missing(request=request):
            return self._second_factor_redirect(request)
        return response

    def logout(self, request, extra_context=None):
        # RP-initiated logout: the provider's session ends too (read before Django's ends).
        provider_logout = oidc_logout_url(request)
        response = super().logout(request, extra_context)
        return HttpResponseRedirect(provider_logout) if provider_logout else response

    @staticmethod
    def _second_factor_redirect(request):
        next_url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
        query = f"?{urlencode({REDIRECT_FIELD_NAME: next_url})}" if next_url else ""
        return HttpResponseRedirect(reverse("staffauth:second_factor") + query)
