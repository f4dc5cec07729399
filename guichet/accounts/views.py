"""The account pages both portals share: a password chosen from an invitation or reset link,
"Mot de passe oublié", the confirmation of a new e-mail address. Each portal builds them with its
`PortalPages` (its layout, templates, URL names and who may use it) and mounts them in its urls."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from guichet.accounts.forms import PasswordChooseForm
from guichet.accounts.selectors import user_from_uid
from guichet.accounts.services import account_email_set, account_password_set
from guichet.accounts.tokens import (
    email_change_read,
    invitation_token_generator,
    password_reset_token_generator,
)
from guichet.core.db import ServiceBusy, with_retry

IDENTIFIER_BACKEND = "guichet.accounts.backends.IdentifierBackend"


@dataclass(frozen=True)
class PortalPages:
    """What a portal gives the shared pages: `render(request, template, context, status=…)`
    (its layout's context), the folder of its templates (`templates + "link_invalid.html"`…),
    its URL namespace (`login`, `home`, `profile`), `place(user)`, the account's place in the
    portal (None: the portal is not theirs), kept on the request as `attribute` by its signed-in
    pages, and `account(request)`, the signed-in account of one of those pages."""

    render: Callable[..., HttpResponse]
    templates: str
    namespace: str
    place: Callable[[object], object | None]
    attribute: str
    account: Callable[[HttpRequest], object]


def signed_in_view(pages: PortalPages) -> Callable[[Callable], Callable]:
    """The decorator of a portal's signed-in pages: `request.<attribute>` is the account's
    place; others are sent to the sign-in, or told they have no access (`no_access.html`)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                login_url = reverse(f"{pages.namespace}:login")
                return redirect_to_login(request.get_full_path(), login_url)
            place = pages.place(request.user)
            if place is None:
                return pages.render(request, pages.templates + "no_access.html", {}, status=403)
            setattr(request, pages.attribute, place)
            return view(request, *args, **kwargs)

        return never_cache(wrapped)

    return decorator


def form_service_call(
    form: forms.Form, service, *, refusals: tuple[type[Exception], ...] = (), **kwargs
):
    """Calls `service` (retried on a lock conflict) for a valid form and returns its result;
    a refusal (a ValidationError, one of `refusals`) or the busy message goes on the form
    instead, on its field when it names one (`form.errors` is then set), and None is returned."""
    try:
        return with_retry(service, **kwargs)
    except ServiceBusy as busy:
        form.add_error(None, str(busy))
    except refusals as error:
        form.add_error(None, str(error))
    except ValidationError as error:
        for field, errors in error.update_error_dict({}).items():
            form.add_error(field if field in form.fields else None, errors)
    return None


def next_url(request: HttpRequest, default: str) -> str:
    """The `next` of the sign-in: a path of this site only, never a view name nor another site;
    `default` otherwise."""
    url = request.POST.get("next") or request.GET.get("next")
    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return default


def welcome(request: HttpRequest, user, *, pages: PortalPages) -> HttpResponse:
    """Signs in an account that has just chosen its password, for this browser session."""
    auth_login(request, user, backend=IDENTIFIER_BACKEND)
    request.session.set_expiry(0)
    messages.success(request, _("Votre mot de passe est enregistré. Bienvenue !"))
    return redirect(f"{pages.namespace}:home")


def _password_link_view(pages: PortalPages, *, generator, title) -> Callable:
    """A link's page: a password chosen twice, then signed in (or told the portal is not
    theirs); an expired, used or altered link says so."""

    @never_cache
    @sensitive_post_parameters("new_password1", "new_password2")
    @require_http_methods(["GET", "POST"])
    def password_link(request, uidb64: str, token: str):
        user = user_from_uid(uidb64)
        if user is None or not user.is_active or not generator.check_token(user, token):
            return pages.render(request, pages.templates + "link_invalid.html", {}, status=404)
        form = PasswordChooseForm(user, request.POST or None)
        if request.method == "POST" and form.is_valid():
            account_password_set(user=user, password=form.cleaned_data["new_password1"])
            if pages.place(user) is None:
                return pages.render(request, pages.templates + "password_done.html", {})
            return welcome(request, user, pages=pages)
        context = {"form": form, "title": str(title), "account": user}
        return pages.render(request, pages.templates + "password_choose.html", context)

    return password_link


def password_link_views(pages: PortalPages) -> tuple[Callable, Callable]:
    """The pages of the invitation link ("Choisir mon mot de passe", ACCOUNT_INVITATION_DAYS)
    and of the reset link ("Choisir un nouveau mot de passe", one hour)."""
    return (
        _password_link_view(
            pages, generator=invitation_token_generator, title=_lazy("Choisir mon mot de passe")
        ),
        _password_link_view(
            pages,
            generator=password_reset_token_generator,
            title=_lazy("Choisir un nouveau mot de passe"),
        ),
    )


def password_forgot_view(
    pages: PortalPages,
    *,
    form_class: type[forms.Form],
    service: Callable[..., None],
    answers: Callable[[str], list[str]],
) -> Callable:
    """ "Mot de passe oublié": `form_class` asks the identifier, `service(identifier=…)` mails
    what it may; the page gives `answers(identifier)`, the same whatever exists."""

    @never_cache
    @require_http_methods(["GET", "POST"])
    def password_forgot(request):
        form = form_class(request.POST or None)
        context = {"form": form}
        if form.is_valid():
            identifier = form.cleaned_data["identifier"]
            form_service_call(form, service, identifier=identifier)
            if not form.errors:
                context["answers"] = answers(identifier)
        return pages.render(request, pages.templates + "password_forgot.html", context)

    return password_forgot


def email_confirm_view(pages: PortalPages) -> Callable:
    """The link mailed to a new address, confirmed with a button (a mail scanner opening the
    link changes nothing)."""

    @signed_in_view(pages)
    @require_http_methods(["GET", "POST"])
    def email_confirm(request, token: str):
        user = pages.account(request)
        email = email_change_read(user=user, token=token)
        if email is None:
            return pages.render(request, pages.templates + "link_invalid.html", {}, status=404)
        if request.method == "POST":
            try:
                account_email_set(user=user, email=email)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Votre nouvelle adresse e-mail est enregistrée."))
            return redirect(f"{pages.namespace}:profile")
        context = {"email": email, "tab": "profile"}
        return pages.render(request, pages.templates + "email_confirm.html", context)

    return email_confirm
