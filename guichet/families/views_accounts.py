"""The family portal's accounts (/famille/): "Authentification", "Première connexion" (the
printed letter's code), the invitation and reset links, "Profil" → "Modifier", and the
`family_view` decorator every page of the portal uses: it finds the signed-in guardian's
household (`household_get_for_user`) and hands the view its `HouseholdScope` as
`request.family.scope`; nothing else reads a household's rows."""

from dataclasses import dataclass
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_prose_editor.fields import create_sanitizer

from guichet.accounts.forms import PasswordChooseForm
from guichet.accounts.selectors import user_from_uid
from guichet.accounts.services import account_email_set, account_password_set
from guichet.accounts.tokens import (
    email_change_read,
    invitation_token_generator,
    password_reset_token_generator,
)
from guichet.core.db import ServiceBusy, with_retry
from guichet.core.richtext import RICH_TEXT_CONFIG
from guichet.core.selectors import organisation_get
from guichet.families.forms import (
    FirstConnectionForm,
    ForgotForm,
    ProfileUpdateForm,
    SignInForm,
)
from guichet.families.models import Guardian
from guichet.families.selectors import (
    HouseholdScope,
    family_settings_get,
    guardian_get_for_user,
)
from guichet.families.services import (
    FamilyError,
    activation_code_redeem,
    email_change_request,
    password_forgot,
)

_sanitize = create_sanitizer(RICH_TEXT_CONFIG["extensions"])

# "Se souvenir de moi": the identifier kept in a cookie, and a session of 30 days; unchecked,
# the session ends when the browser closes. Never the password.
REMEMBER_SECONDS = 30 * 24 * 3600
REMEMBER_COOKIE = "famille_identifiant"
IDENTIFIER_BACKEND = "guichet.accounts.backends.IdentifierBackend"
PORTAL_NAME = gettext_lazy("Portail famille")
NO_ACCESS = gettext_lazy(
    "Ce compte n'a pas accès au Portail famille. Adressez-vous au pôle périscolaire."
)
FORGOT_ANSWER = gettext_lazy(
    "Si un compte avec une adresse e-mail correspond à cet identifiant, un lien pour choisir un "
    "nouveau mot de passe vient de lui être envoyé (valable une heure)."
)
FORGOT_WITHOUT_EMAIL = gettext_lazy(
    "Votre compte n'a pas d'adresse e-mail ? Adressez-vous au pôle périscolaire."
)


@dataclass(frozen=True)
class Family:
    """The signed-in guardian and the reads of their household."""

    guardian: Guardian
    scope: HouseholdScope

    @property
    def household(self):
        return self.scope.household


def family_render(request: HttpRequest, template: str, context: dict, status: int = 200):
    """Renders a page of the portal with its header's context (the organisation, the guardian's
    name and household)."""
    context = {
        "organisation": organisation_get(),
        "site_name": PORTAL_NAME,
        "site_home": reverse("families:home"),
        "family": getattr(request, "family", None),
    } | context
    return render(request, template, context, status=status)


def family_view(view):
    """A page of a signed-in guardian (`request.family`: guardian and scope). Others are sent
    to "Authentification", or told they have no access."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("families:login"))
        guardian = guardian_get_for_user(user=request.user)
        if guardian is None:
            return family_render(request, "families/accounts/no_access.html", {}, status=403)
        request.family = Family(
            guardian=guardian, scope=HouseholdScope(guardian.household, guardian=guardian)
        )
        return view(request, *args, **kwargs)

    return never_cache(wrapped)


def _next_url(request) -> str:
    url = request.POST.get("next") or request.GET.get("next")
    if (
        url
        and url.startswith("/")
        and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return url
    return reverse("families:home")


def _perform(form: forms.Form, service, **kwargs):
    """Calls `service` (retried on a lock conflict); a refusal or "busy" goes on the form."""
    try:
        return with_retry(service, **kwargs)
    except ServiceBusy as busy:
        form.add_error(None, str(busy))
    except FamilyError as error:
        form.add_error(None, str(error))
    except ValidationError as error:
        for field, errors in error.update_error_dict({}).items():
            form.add_error(field if field in form.fields else None, errors)
    return None


# --- Authentification ---------------------------------------------------------------------------


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login(request):
    """ "Authentification": "Identifiant" (e-mail, phone or username), "Mot de passe",
    "Se souvenir de moi", "Valider"."""
    if request.method == "GET":
        if guardian_get_for_user(user=request.user) is not None:
            return HttpResponseRedirect(_next_url(request))
        remembered = request.COOKIES.get(REMEMBER_COOKIE, "")[:254]
        form = SignInForm(
            initial={"identifier": remembered, "remember": bool(remembered)}, request=request
        )
    else:
        form = SignInForm(request.POST, request=request)
        if form.is_valid():
            user = form.user
            if guardian_get_for_user(user=user) is None:
                form.add_error(None, NO_ACCESS)
            else:
                auth_login(request, user)
                remember = form.cleaned_data["remember"]
                if not user.is_staff:  # a staff session keeps STAFF_SESSION_MAX_AGE
                    request.session.set_expiry(REMEMBER_SECONDS if remember else 0)
                response = HttpResponseRedirect(_next_url(request))
                if remember:
                    response.set_cookie(
                        REMEMBER_COOKIE,
                        form.cleaned_data["identifier"],
                        max_age=REMEMBER_SECONDS,
                        secure=request.is_secure(),
                        httponly=True,
                        samesite="Lax",
                    )
                else:
                    response.delete_cookie(REMEMBER_COOKIE)
                return response
    context = {"form": form, "next": _next_url(request)}
    return family_render(request, "families/accounts/login.html", context)


@require_POST
def logout(request):
    auth_logout(request)
    return redirect("families:login")


@never_cache
@sensitive_post_parameters("code", "new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def first_connection(request):
    """ "Première connexion": the identifier and the code of the "Lettre d'activation", then a
    password chosen twice."""
    form = FirstConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = _perform(
            form,
            activation_code_redeem,
            identifier=data["identifier"],
            code=data["code"],
            password=data["new_password1"],
            now=timezone.now(),
        )
        if user is not None:
            auth_login(request, user, backend=IDENTIFIER_BACKEND)
            request.session.set_expiry(0)
            messages.success(request, _("Votre mot de passe est enregistré. Bienvenue !"))
            return redirect("families:home")
    return family_render(request, "families/accounts/first_connection.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def password_forgot_view(request):
    """ "Le retrouver": one answer whatever exists; the way for accounts without e-mail."""
    form = ForgotForm(request.POST or None)
    context = {"form": form}
    if form.is_valid():
        _perform(form, password_forgot, identifier=form.cleaned_data["identifier"])
        if not form.errors:
            context["answers"] = [FORGOT_ANSWER, FORGOT_WITHOUT_EMAIL]
    return family_render(request, "families/accounts/password_forgot.html", context)


def _password_link(request, uidb64: str, token: str, *, generator, title: str):
    user = user_from_uid(uidb64)
    if user is None or not user.is_active or not generator.check_token(user, token):
        return family_render(request, "families/accounts/link_invalid.html", {}, status=404)
    form = PasswordChooseForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        account_password_set(user=user, password=form.cleaned_data["new_password1"])
        if guardian_get_for_user(user=user) is None:
            return family_render(request, "families/accounts/password_done.html", {})
        auth_login(request, user, backend=IDENTIFIER_BACKEND)
        request.session.set_expiry(0)
        messages.success(request, _("Votre mot de passe est enregistré. Bienvenue !"))
        return redirect("families:home")
    context = {"form": form, "title": title, "account": user}
    return family_render(request, "families/accounts/password_choose.html", context)


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def invitation(request, uidb64: str, token: str):
    """ "Choisir mon mot de passe", from an invitation (ACCOUNT_INVITATION_DAYS)."""
    return _password_link(
        request,
        uidb64,
        token,
        generator=invitation_token_generator,
        title=_("Choisir mon mot de passe"),
    )


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def password_reset(request, uidb64: str, token: str):
    """A new password, from "Le retrouver" (one hour)."""
    return _password_link(
        request,
        uidb64,
        token,
        generator=password_reset_token_generator,
        title=_("Choisir un nouveau mot de passe"),
    )


# --- Accueil, Profil ----------------------------------------------------------------------------


@family_view
@require_safe
def home(request):
    """The portal's home: staff's notices (the organisation's), the household's children."""
    children = request.family.scope.active_children()
    notice = family_settings_get().home_notice
    context = {
        "children": children,
        "notices": mark_safe(_sanitize(notice)) if notice else "",  # noqa: S308 - sanitised
        "tab": "home",
    }
    return family_render(request, "families/accounts/home.html", context)


@family_view
@require_safe
def profile(request):
    """ "Profil": the guardian's names, identifier, e-mail and phone; "Modifier"."""
    context = {"account": request.family.guardian.user, "tab": "profile"}
    return family_render(request, "families/accounts/profile.html", context)


@family_view
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def profile_update(request):
    """ "Modifier": "Mot de passe actuel" always; a new password, twice; "Saisissez un nouveau
    courriel", twice. The password changes at once, the address once confirmed by link."""
    user = request.family.guardian.user
    form = ProfileUpdateForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        asked = False
        if data.get("email1"):
            asked = _perform(form, email_change_request, user=user, email=data["email1"])
        if not form.errors:
            if data.get("new_password1"):
                account_password_set(user=user, password=data["new_password1"])
                update_session_auth_hash(request, user)
                messages.success(request, _("Votre mot de passe est changé."))
            if asked:
                messages.info(
                    request,
                    _(
                        "Un e-mail vient d'être envoyé à %(email)s : votre nouvelle adresse "
                        "remplacera l'ancienne dès que vous l'aurez confirmée."
                    )
                    % {"email": data["email1"]},
                )
            return redirect("families:profile")
    context = {"form": form, "tab": "profile"}
    return family_render(request, "families/accounts/profile_update.html", context)


@family_view
@require_http_methods(["GET", "POST"])
def email_confirm(request, token: str):
    """The link mailed to a new address, confirmed with a button (a mail scanner opening the
    link changes nothing)."""
    user = request.family.guardian.user
    email = email_change_read(user=user, token=token)
    if email is None:
        return family_render(request, "families/accounts/link_invalid.html", {}, status=404)
    if request.method == "POST":
        try:
            account_email_set(user=user, email=email)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Votre nouvelle adresse e-mail est enregistrée."))
        return redirect("families:profile")
    context = {"email": email, "tab": "profile"}
    return family_render(request, "families/accounts/email_confirm.html", context)
