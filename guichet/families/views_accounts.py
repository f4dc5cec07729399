"""The family portal's accounts (/famille/): "Authentification", "Première connexion" (the
printed letter's code), the invitation and reset links, "Profil" → "Modifier", and the
`family_view` decorator every page of the portal uses: it finds the signed-in guardian's
household (`household_get_for_user`) and hands the view its `HouseholdScope` as
`request.family.scope`; nothing else reads a household's rows."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_prose_editor.fields import create_sanitizer

from guichet.accounts import views as account_views
from guichet.accounts.services import account_password_set
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


def _family_of(user) -> Family | None:
    guardian = guardian_get_for_user(user=user)
    if guardian is None:
        return None
    return Family(guardian=guardian, scope=HouseholdScope(guardian.household, guardian=guardian))


ACCOUNT_PAGES = account_views.PortalPages(
    render=family_render,
    templates="families/accounts/",
    namespace="families",
    place=_family_of,
    attribute="family",
    account=lambda request: request.family.guardian.user,
)
# A page of a signed-in guardian (`request.family`: guardian and scope).
family_view = account_views.signed_in_view(ACCOUNT_PAGES)


def _next_url(request) -> str:
    return account_views.next_url(request, reverse("families:home"))


def _perform(form: forms.Form, service, **kwargs):
    return account_views.form_service_call(form, service, refusals=(FamilyError,), **kwargs)


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
            return account_views.welcome(request, user, pages=ACCOUNT_PAGES)
    return family_render(request, "families/accounts/first_connection.html", {"form": form})


password_forgot_view = account_views.password_forgot_view(
    ACCOUNT_PAGES,
    form_class=ForgotForm,
    service=password_forgot,
    answers=lambda identifier: [FORGOT_ANSWER, FORGOT_WITHOUT_EMAIL],
)
invitation, password_reset = account_views.password_link_views(ACCOUNT_PAGES)


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


email_confirm = account_views.email_confirm_view(ACCOUNT_PAGES)
