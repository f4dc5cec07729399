"""The solidarity portal (/solidaire/): sign-in, "Mon profil", "Mes participants", "Ma
structure". Views are thin: every read goes through the signed-in référent's StructureScope
(guichet.solidarity.selectors), every write through a service."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from guichet.accounts import views as account_views
from guichet.accounts.forms import (
    IdentifierForm,
    PasswordUpdateForm,
    ProfileForm,
    SignInForm,
)
from guichet.accounts.selectors import identifier_is_email
from guichet.accounts.services import (
    account_password_set,
    account_profile,
    account_update,
)
from guichet.core.db import ServiceBusy, with_retry
from guichet.core.phones import phone_national
from guichet.core.selectors import organisation_get
from guichet.solidarity.forms import (
    BeneficiaryForm,
    EventSearchForm,
    MemberForm,
    SearchForm,
    StructureForm,
)
from guichet.solidarity.models import BeneficiaryKind, Civility, Membership
from guichet.solidarity.selectors import (
    StructureScope,
    event_choices_for_portal,
    event_get_for_portal,
    event_list_for_portal,
    event_slots,
    membership_get_for_user,
    structure_get_for_user,
    territory_list,
)
from guichet.solidarity.services import (
    beneficiary_active_set,
    beneficiary_create,
    beneficiary_deactivate,
    beneficiary_update,
    email_change_request,
    member_create,
    member_invitation_send,
    member_remove,
    member_update,
    password_forgot,
    structure_update,
)

# "Rester connecté" keeps the session this long; unchecked, it ends when the browser closes.
REMEMBER_SECONDS = 30 * 24 * 3600
BENEFICIARIES_PER_PAGE = 25
EVENTS_PER_PAGE = 10
# The landing page of the catalogue shows this many events of each section.
EVENTS_PER_SECTION = 4
PORTAL_NAME = gettext_lazy("Billetterie solidaire")
NO_ACCESS = gettext_lazy(
    "Votre compte n'a pas accès à la Billetterie solidaire : votre structure n'y est pas "
    "(ou plus) active. Contactez l'équipe de votre département."
)
FORGOT_ANSWER = gettext_lazy(
    "Si un compte correspond à cet identifiant, un e-mail vient d'être envoyé."
)
FORGOT_WITHOUT_EMAIL = gettext_lazy(
    "Si votre compte n'a pas d'adresse e-mail, demandez au responsable de votre structure de "
    "vous inviter de nouveau."
)


@dataclass(frozen=True)
class Portal:
    """The signed-in référent's place: its membership, and the reads of its structure."""

    membership: Membership
    scope: StructureScope

    @property
    def structure(self):
        return self.scope.structure


def _render(request: HttpRequest, template: str, context: dict, status: int = 200):
    portal = getattr(request, "portal", None)
    context = {
        "organisation": organisation_get(),
        "site_name": PORTAL_NAME,
        "site_home": reverse("solidarity:home"),
        "portal": portal,
    } | context
    return render(request, template, context, status=status)


def _portal_of(user) -> Portal | None:
    membership = membership_get_for_user(user=user)
    if membership is None or not membership.structure.is_active:
        return None
    return Portal(membership=membership, scope=StructureScope(membership.structure))


ACCOUNT_PAGES = account_views.PortalPages(
    render=_render,
    templates="solidarity/",
    namespace="solidarity",
    place=_portal_of,
    attribute="portal",
    account=lambda request: request.portal.membership.user,
)
# A page of a signed-in référent of an active structure (`request.portal`). Pages for
# responsables only also call `_manager_only`, after reading their object (another structure's
# id answers 404 first).
portal_view = account_views.signed_in_view(ACCOUNT_PAGES)


def _manager_only(request) -> None:
    if not request.portal.membership.is_manager:
        raise PermissionDenied


def _next_url(request) -> str:
    return account_views.next_url(request, reverse("solidarity:home"))


_perform = account_views.form_service_call


# --- Sign-in, sign-out, passwords ---


def _sign_in_page(request, form, *, step: int):
    context = {"form": form, "step": step, "next": _next_url(request)}
    return _render(request, "solidarity/login.html", context)


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login(request):
    """ "Connexion à votre espace": step 1 the identifier, step 2 the password, whatever the
    identifier (nobody learns whether an account exists)."""
    if request.method == "GET":
        if structure_get_for_user(user=request.user) is not None:
            return HttpResponseRedirect(_next_url(request))
        return _sign_in_page(request, IdentifierForm(), step=1)
    if "edit" in request.POST:  # "Modifier": back to step 1, the identifier kept
        initial = {"identifier": request.POST.get("identifier", "")[:254]}
        return _sign_in_page(request, IdentifierForm(initial=initial), step=1)
    if "password" not in request.POST:
        form = IdentifierForm(request.POST)
        if not form.is_valid():
            return _sign_in_page(request, form, step=1)
        initial = {"identifier": form.cleaned_data["identifier"], "remember": True}
        return _sign_in_page(request, SignInForm(initial=initial, request=request), step=2)
    form = SignInForm(request.POST, request=request)
    if form.has_error("identifier"):
        return _sign_in_page(request, IdentifierForm(request.POST), step=1)
    if form.is_valid():
        user = form.user
        if structure_get_for_user(user=user) is None:
            form.add_error(None, NO_ACCESS)
        else:
            auth_login(request, user)
            if not user.is_staff:  # a staff session keeps STAFF_SESSION_MAX_AGE
                remember = form.cleaned_data["remember"]
                request.session.set_expiry(REMEMBER_SECONDS if remember else 0)
            return HttpResponseRedirect(_next_url(request))
    return _sign_in_page(request, form, step=2)


@require_POST
def logout(request):
    auth_logout(request)
    return redirect("solidarity:login")


def _forgot_answers(identifier: str) -> list:
    if identifier_is_email(identifier):
        return [FORGOT_ANSWER]
    return [FORGOT_ANSWER, FORGOT_WITHOUT_EMAIL]


# One answer whatever exists: a reset link, a new invitation for an account that never chose its
# password, or nothing.
password_forgot_view = account_views.password_forgot_view(
    ACCOUNT_PAGES, form_class=IdentifierForm, service=password_forgot, answers=_forgot_answers
)
invitation, password_reset = account_views.password_link_views(ACCOUNT_PAGES)


# --- The portal ---


@portal_view
@require_safe
def home(request):
    return _render(request, "solidarity/home.html", {"tab": "home"})


# --- Billetterie Solidaire ---

SECTIONS = {
    "new": gettext_lazy("Nouveaux événements"),
    "closing": gettext_lazy("Réservation bientôt close"),
    "all": gettext_lazy("Tous les événements"),
}


def catalogue_cache_seconds() -> int:
    """The catalogue is the same for every structure of a département: with
    PUBLIC_PAGE_CACHE_SECONDS set (at most 5), its search and results are served from the shared
    cache for that long. Nothing personal is in them (a GET form, no CSRF token, no name)."""
    return max(0, min(settings.PUBLIC_PAGE_CACHE_SECONDS, 5))


@portal_view
@require_safe
def event_list(request):
    """The catalogue: the département menu (the structure's by default), "Rechercher", the
    advanced search; without a search, the three sections, each with "voir la liste"; with one,
    or a section's list, the events found, page by page."""
    seconds = catalogue_cache_seconds()
    # The structure's département is the default: it is part of what the page depends on.
    territory_id = request.portal.structure.territory_id
    key = (
        "solidarity.catalogue."
        + hashlib.sha256(f"{territory_id}?{request.GET.urlencode()}".encode()).hexdigest()
    )
    entry = cache.get(key) if seconds else None
    if entry is None:
        entry = _catalogue(request, default_territory_id=territory_id)
        if seconds:
            cache.set(key, entry, seconds)
    # Rendered by _catalogue from our templates (escaped there), kept as text in the cache.
    context = {"tab": "events"} | entry | {"catalogue": mark_safe(entry["catalogue"])}  # noqa: S308
    return _render(request, "solidarity/event_list.html", context)


def _catalogue(request, *, default_territory_id: int) -> dict:
    """The rendered search and results (`catalogue`), with what the page's title says."""
    territories = territory_list()
    code = request.GET.get("departement", "")
    territory = next((t for t in territories if t.code == code), None) or next(
        (t for t in territories if t.pk == default_territory_id), None
    )
    territory_id = territory.pk if territory else None
    choices = event_choices_for_portal(territory_id=territory_id)
    form = EventSearchForm(
        request.GET or None,
        territories=territories,
        choices=choices,
        initial={"departement": territory.code if territory else ""},
    )
    filters = form.filters(territory_id=territory_id)
    section = request.GET.get("section", "")
    section = section if section in SECTIONS else ""
    now = timezone.now()
    context = {
        "form": form,
        "filters": filters,
        "list_query": _list_query(request, section=section),
    }
    if section or filters.query or filters.advanced:
        rows = event_list_for_portal(
            filters=filters, now=now, section="" if section == "all" else section
        )
        page = Paginator(rows, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
        context |= {
            "listing": True,
            "section": section,
            "section_title": SECTIONS.get(section) or _("Résultats de la recherche"),
            "page": page,
            "page_range": page.paginator.get_elided_page_range(
                page.number, on_each_side=2, on_ends=1
            ),
            "range_text": _page_range_text(page),
        }
    else:
        context["sections"] = [
            _section(name, filters=filters, now=now) for name in ("new", "closing", "all")
        ]
    return {
        "catalogue": render_to_string("solidarity/_event_catalogue.html", context),
        "section_title": str(context.get("section_title", "")),
        "page_number": context["page"].number if "page" in context else 1,
    }


def _section(name: str, *, filters, now) -> dict:
    events = list(
        event_list_for_portal(filters=filters, now=now, section="" if name == "all" else name)[
            : EVENTS_PER_SECTION + 1
        ]
    )
    return {
        "name": name,
        "title": SECTIONS[name],
        "events": events[:EVENTS_PER_SECTION],
        "more": len(events) > EVENTS_PER_SECTION,
    }


def _list_query(request, *, section: str) -> str:
    """The search in a link of the page (pages, "voir la liste"), without page nor section."""
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("section", None)
    return query.urlencode()


@portal_view
@require_safe
def event_detail(request, event_id: int):
    """An event's sheet, and its "Créneaux disponibles". The same for every structure: served
    from the shared cache like the catalogue (catalogue_cache_seconds), so its seats are at most
    that old; the booking decides on the database."""
    seconds = catalogue_cache_seconds()
    key = f"solidarity.event_sheet.{event_id}"
    entry = cache.get(key) if seconds else None
    if entry is None:
        entry = _event_sheet(event_id)
        if seconds:
            cache.set(key, entry, seconds)
    # Rendered by _event_sheet from our templates (escaped there), kept as text in the cache.
    context = {
        "event_name": entry["event_name"],
        "sheet": mark_safe(entry["sheet"]),  # noqa: S308
        "tab": "events",
    }
    return _render(request, "solidarity/event_detail.html", context)


def _event_sheet(event_id: int) -> dict:
    """The rendered sheet (`sheet`) and the event's name; Http404 for an event not online."""
    now = timezone.now()
    event = event_get_for_portal(activity_id=event_id, now=now)
    slots = event_slots(activity=event, now=now)
    days = [timezone.localdate(slot.session.starts_at) for slot in slots]
    context = {
        "event": event,
        "details": event.event_details,
        "slots": slots,
        "first_day": min(days, default=None),
        "last_day": max(days, default=None),
        "map_tiles": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION},
    }
    return {
        "event_name": event.name,
        "sheet": render_to_string("solidarity/_event_sheet.html", context),
    }


@portal_view
@require_http_methods(["GET", "POST"])
def profile(request):
    """ "Mon profil": names and phone saved at once; a new address once confirmed."""
    user = request.portal.membership.user
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": account_profile(user).phone,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _perform(
            form,
            account_update,
            user=user,
            first_name=data["first_name"],
            last_name=data["last_name"],
            phone=data["phone"],
        )
        asked = not form.errors and _perform(
            form, email_change_request, user=user, email=data["email"]
        )
        if not form.errors:
            messages.success(request, _("Votre profil est enregistré."))
            if asked:
                messages.info(
                    request,
                    _(
                        "Un e-mail vient d'être envoyé à %(email)s : votre nouvelle adresse "
                        "remplacera l'ancienne dès que vous l'aurez confirmée."
                    )
                    % {"email": data["email"]},
                )
            return redirect("solidarity:profile")
    return _render(request, "solidarity/profile.html", {"form": form, "tab": "profile"})


@portal_view
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def password_change(request):
    user = request.portal.membership.user
    form = PasswordUpdateForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        account_password_set(user=user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, _("Votre mot de passe est changé."))
        return redirect("solidarity:profile")
    return _render(request, "solidarity/password_change.html", {"form": form, "tab": "profile"})


email_confirm = account_views.email_confirm_view(ACCOUNT_PAGES)


# --- Mes participants ---


@portal_view
@require_safe
def beneficiary_list(request):
    form = SearchForm(request.GET or None)
    query = form.query()
    rows = request.portal.scope.beneficiaries_listed(query=query)
    page = Paginator(rows, BENEFICIARIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "query": query,
        "page": page,
        "people": _person_rows(page),
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "range_text": _page_range_text(page),
        "tab": "beneficiaries",
    }
    return _render(request, "solidarity/beneficiary_list.html", context)


@dataclass(frozen=True)
class PersonRow:
    """A line of "Mes participants" with its texts worked out here: the template's lookups,
    choice labels, filters and translations, cell by cell, were most of the page's CPU."""

    url: str
    is_active: bool
    kind: str
    host: str  # "de …" for a guest, else ""
    name: str
    address: str
    phone: str
    email: str
    civility: str


def _person_rows(page) -> list[PersonRow]:
    kinds = dict(BeneficiaryKind.choices)
    civilities = dict(Civility.choices)
    # One reverse() for the page rather than one per row (44 µs each, a sixth of the page's CPU).
    before, _zero, after = reverse(
        "solidarity:beneficiary_update", kwargs={"beneficiary_id": 0}
    ).rpartition("/0/")
    return [
        PersonRow(
            url=f"{before}/{person.pk}/{after}",
            is_active=person.is_active,
            kind=str(kinds.get(person.kind, person.kind)),
            host=_("de %(host)s") % {"host": person.guest_of} if person.guest_of else "",
            name=f"{person.last_name.upper()} {person.first_name}",
            address=person.address or "-",
            phone=phone_national(person.phone) if person.phone else "",
            email=person.email,
            civility=str(civilities.get(person.civility, person.civility)),
        )
        for person in page
    ]


def _page_range_text(page) -> str:
    """ "1 à 25 sur 36 éléments"."""
    count = page.paginator.count
    return ngettext(
        "%(first)d à %(last)d sur %(count)d élément",
        "%(first)d à %(last)d sur %(count)d éléments",
        count,
    ) % {"first": page.start_index(), "last": page.end_index(), "count": count}


def _beneficiary_form_page(request, form, *, beneficiary=None, status=200):
    context = {"form": form, "beneficiary": beneficiary, "tab": "beneficiaries"}
    return _render(request, "solidarity/beneficiary_form.html", context, status=status)


@portal_view
@require_http_methods(["GET", "POST"])
def beneficiary_create_view(request):
    scope = request.portal.scope
    form = BeneficiaryForm(request.POST or None, hosts=scope.hosts())
    if request.method == "POST" and form.is_valid():
        beneficiary = _perform(
            form,
            beneficiary_create,
            structure=scope.structure,
            created_by=request.portal.membership.user,
            **form.cleaned_data,
        )
        if not form.errors:
            messages.success(request, _("%(name)s est ajouté.") % {"name": beneficiary})
            return redirect("solidarity:beneficiary_list")
    return _beneficiary_form_page(request, form)


@portal_view
@require_http_methods(["GET", "POST"])
def beneficiary_update_view(request, beneficiary_id: int):
    scope = request.portal.scope
    beneficiary = scope.beneficiary(beneficiary_id)
    initial = {
        name: getattr(beneficiary, name)
        for name in ("kind", "civility", "last_name", "first_name", "address", "phone", "email")
    } | {"guest_of": beneficiary.guest_of_id}
    form = BeneficiaryForm(request.POST or None, initial=initial, hosts=scope.hosts())
    if request.method == "POST" and form.is_valid():
        _perform(form, beneficiary_update, beneficiary=beneficiary, **form.cleaned_data)
        if not form.errors:
            messages.success(request, _("%(name)s est enregistré.") % {"name": beneficiary})
            return redirect("solidarity:beneficiary_list")
    return _beneficiary_form_page(request, form, beneficiary=beneficiary)


@portal_view
@require_POST
def beneficiary_state(request, beneficiary_id: int):
    """ "Désactiver" / "Réactiver". A person with invitations to come is deactivated only once
    those are listed and the cancellation confirmed (`confirm`)."""
    beneficiary = request.portal.scope.beneficiary(beneficiary_id)
    active = request.POST.get("active") == "1"
    now = timezone.now()
    future = []
    if not active and beneficiary.is_active:
        future = list(request.portal.scope.future_invitations(beneficiary, now=now))
    if future and request.POST.get("confirm") != "1":
        context = {"beneficiary": beneficiary, "future": future, "tab": "beneficiaries"}
        return _render(request, "solidarity/beneficiary_deactivate.html", context)
    try:
        if future:
            beneficiary = with_retry(
                beneficiary_deactivate, beneficiary=beneficiary, by=request.user, now=now
            )
        else:
            beneficiary = with_retry(beneficiary_active_set, beneficiary=beneficiary, active=active)
    except ServiceBusy as busy:
        messages.error(request, str(busy))
    else:
        told = _("%(name)s est réactivé.") if active else _("%(name)s est désactivé.")
        messages.success(request, told % {"name": beneficiary})
    return redirect("solidarity:beneficiary_update", beneficiary_id=beneficiary.pk)


# --- Ma structure ---


@portal_view
@require_safe
def structure_detail(request):
    context = {"members": request.portal.scope.members(), "tab": "structure"}
    return _render(request, "solidarity/structure_detail.html", context)


@portal_view
@require_http_methods(["GET", "POST"])
def structure_update_view(request):
    _manager_only(request)
    structure = request.portal.structure
    initial = {name: getattr(structure, name) for name in StructureForm.base_fields}
    form = StructureForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        _perform(form, structure_update, structure=structure, **form.cleaned_data)
        if not form.errors:
            messages.success(request, _("Les informations de la structure sont enregistrées."))
            return redirect("solidarity:structure_detail")
    return _render(request, "solidarity/structure_form.html", {"form": form, "tab": "structure"})


def _member_page(request, form, *, member=None):
    context = {"form": form, "member": member, "tab": "structure"}
    return _render(request, "solidarity/member_form.html", context)


@portal_view
@require_http_methods(["GET", "POST"])
def member_create_view(request):
    """ "+": a new référent, invited by mail to choose a password."""
    _manager_only(request)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        member = _perform(
            form, member_create, structure=request.portal.structure, **form.cleaned_data
        )
        if not form.errors:
            messages.success(
                request,
                _("%(name)s est ajouté : une invitation part à %(email)s.")
                % {"name": member, "email": member.user.email},
            )
            return redirect("solidarity:structure_detail")
    return _member_page(request, form)


@portal_view
@require_http_methods(["GET", "POST"])
def member_update_view(request, member_id: int):
    """A référent's page; its form (the pencil) for a responsable."""
    member = request.portal.scope.member(member_id)
    if request.method == "POST":
        _manager_only(request)
    user = member.user
    pending = not user.has_usable_password()
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": account_profile(user).phone,
        "role": member.role,
    }
    form = MemberForm(request.POST or None, initial=initial, email_editable=pending)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if not pending:
            data.pop("email")
        _perform(form, member_update, membership=member, **data)
        if not form.errors:
            messages.success(request, _("%(name)s est enregistré.") % {"name": member})
            return redirect("solidarity:structure_detail")
    return _member_page(request, form, member=member)


@portal_view
@require_POST
def member_invite(request, member_id: int):
    """Sends a new invitation to a référent who has not chosen a password yet."""
    member = request.portal.scope.member(member_id)
    _manager_only(request)
    if member.user.has_usable_password():
        messages.error(request, _("%(name)s a déjà choisi son mot de passe.") % {"name": member})
    else:
        try:
            with_retry(member_invitation_send, membership=member)
        except ServiceBusy as busy:
            messages.error(request, str(busy))
        else:
            messages.success(
                request,
                _("Une nouvelle invitation part à %(email)s.") % {"email": member.user.email},
            )
    return redirect("solidarity:member_update", member_id=member.pk)


@portal_view
@require_http_methods(["GET", "POST"])
def member_remove_view(request, member_id: int):
    """The bin, with a confirmation: the account is deactivated."""
    member = request.portal.scope.member(member_id)
    _manager_only(request)
    error = ""
    if request.method == "POST":
        try:
            with_retry(member_remove, membership=member)
        except ServiceBusy as busy:
            error = str(busy)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            messages.success(request, _("%(name)s est retiré de la structure.") % {"name": member})
            if member.user_id == request.user.pk:
                return redirect("solidarity:login")
            return redirect("solidarity:structure_detail")
    context = {"member": member, "error": error, "tab": "structure"}
    return _render(request, "solidarity/member_remove.html", context, status=400 if error else 200)
