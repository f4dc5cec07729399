from base64 import b32encode

import django_otp
import segno
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from guichet.staffauth.forms import SecondFactorForm
from guichet.staffauth.selectors import second_factor_enrolled, second_factor_missing
from guichet.staffauth.services import (
    second_factor_check,
    second_factor_confirm,
    second_factor_device_start,
)

WRONG_CODE = gettext_lazy("Code incorrect ou déjà utilisé.")


def _next_url(request) -> str:
    url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("admin:index")


@never_cache
@sensitive_post_parameters("token")
def second_factor(request):
    """After a password sign-in: enrol an authenticator app (first time), or give its code or a
    recovery code."""
    if not request.user.is_authenticated:
        return HttpResponseRedirect(reverse("admin:login"))
    if not second_factor_missing(request=request):
        return HttpResponseRedirect(_next_url(request))
    enrolled = second_factor_enrolled(user=request.user)
    form = SecondFactorForm(request.POST or None)
    context = {
        "title": _("Double authentification"),
        "site_header": _("Guichet — administration"),
        "form": form,
        "next": _next_url(request),
        "enrolled": enrolled,
    }
    if enrolled:
        if form.is_valid():
            device = second_factor_check(user=request.user, token=form.cleaned_data["token"])
            if device is not None:
                django_otp.login(request, device)
                return HttpResponseRedirect(_next_url(request))
            form.add_error("token", WRONG_CODE)
        return render(request, "staffauth/second_factor.html", context)
    device = second_factor_device_start(user=request.user)
    if form.is_valid():
        codes = second_factor_confirm(device=device, token=form.cleaned_data["token"])
        if codes is not None:
            django_otp.login(request, device)
            return render(request, "staffauth/recovery_codes.html", {**context, "codes": codes})
        form.add_error("token", WRONG_CODE)
    context["qr_code"] = segno.make(device.config_url, error="m").svg_data_uri(scale=4)
    context["secret"] = b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "staffauth/second_factor.html", context)
