"""The portal's booking pages (/solidaire/): "Réserver" a session for several people, the
booking's page (its result, "Imprimer", "Annuler"), "Mes réservations", the cancellations with
their confirmation step. Thin, as the portal's other views: reads through the référent's
StructureScope, writes through guichet.solidarity.services, retried on lock conflicts."""

import secrets
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from guichet.bookings.models import LIVE_STATUSES, ReservationStatus
from guichet.catalogue.models import Session
from guichet.catalogue.selectors import session_over_q
from guichet.core import dates
from guichet.core.db import ServiceBusy, with_retry
from guichet.solidarity.forms import QuickPersonForm, ReservationFilterForm, SearchForm
from guichet.solidarity.invitations_pdf import invitations_pdf
from guichet.solidarity.models import BeneficiaryKind, InvitationRole
from guichet.solidarity.policy import booking_preview
from guichet.solidarity.selectors import invitation_state_text, session_slot_state
from guichet.solidarity.services import (
    TOO_LATE,
    UNKNOWN_PERSON,
    InvitationError,
    beneficiary_create,
    booking_create,
    invitation_cancellable,
    invitations_cancel,
)
from guichet.solidarity.views import _page_range_text, _render, portal_view

SEARCH_RESULTS = 20
RESERVATIONS_PER_PAGE = 25
CANCELLED = gettext_lazy("Votre annulation est confirmée : les invitations sont remises en ligne.")
# Sent by the "Réserver" dialog's script (portal.js) with each of its requests.
DIALOG_HEADER = "X-Booking-Dialog"
# Ids are posted back by the page: anything else than a short number is a forged one.
_ID_DIGITS = 12


def _ids(values) -> tuple[list[int], bool]:
    """The posted person ids, in order, without repeats; and whether some were not ids."""
    ids, forged = [], False
    for value in values:
        if value.isdigit() and len(value) <= _ID_DIGITS:
            if int(value) not in ids:
                ids.append(int(value))
        else:
            forged = True
    return ids, forged


def _selection(request, scope) -> list:
    """The people chosen so far (posted back as `person`), read through the scope: another
    structure's, an inactive or a forged id is dropped with a message."""
    ids, forged = _ids(request.POST.getlist("person"))
    found = {p.pk: p for p in scope.bookable_people().filter(pk__in=ids)}
    if forged or len(found) != len(ids):
        messages.error(request, UNKNOWN_PERSON)
    return [found[pk] for pk in ids if pk in found]


def _posted_id(request, name: str) -> int | None:
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() and len(value) <= _ID_DIGITS else None


def _venue_and_team_phones(request, session) -> dict:
    details = getattr(session.activity, "event_details", None)
    venue = details.venue if details else None
    return {"venue": venue, "territory": request.portal.structure.territory}


@portal_view
@never_cache
@require_http_methods(["GET", "POST"])
def booking_new(request, session_id: int):
    """ "Réserver": the people of the booking, each line's likely outcome, then "Enregistrer".
    Without JavaScript every button posts the whole page back (the people chosen as hidden
    fields), so nothing typed is lost."""
    scope = request.portal.scope
    now = timezone.now()
    busy = refused = None
    if request.method == "POST" and "save" in request.POST:
        try:
            booked = _save_as_posted(request, session_id, now=now)
        except ServiceBusy as error:
            booked, busy = None, error
        except InvitationError as refusal:
            booked, refused = None, refusal
        if booked is not None:
            return booked
    session = scope.session(session_id, now=now)
    most = session.activity.max_places_per_booking
    people = _selection(request, scope) if request.method == "POST" else []
    key = request.POST.get("submission", "")
    if not (key.isalnum() and len(key) <= 64):
        key = secrets.token_hex(16)
    search = SearchForm(request.POST or None)
    query = search.query() if request.method == "POST" else ""
    forms = {"new": QuickPersonForm(prefix="new"), "acc": QuickPersonForm(prefix="acc")}
    guest_forms = {}

    def add(person):
        if person.pk in {p.pk for p in people}:
            return
        if len(people) >= most:
            messages.error(
                request,
                _("Une réservation compte au plus %(count)d personnes.") % {"count": most},
            )
            return
        people.append(person)

    def create(prefix: str, **fields):
        form = QuickPersonForm(request.POST, prefix=prefix)
        if form.is_valid():
            try:
                person = with_retry(
                    beneficiary_create,
                    structure=request.portal.structure,
                    created_by=request.user,
                    **form.cleaned_data,
                    **fields,
                )
            except (ValidationError, ServiceBusy) as error:
                form.add_error(None, error.messages if hasattr(error, "messages") else str(error))
            else:
                add(person)
                return QuickPersonForm(prefix=prefix)
        return form

    if request.method == "POST":
        if "add" in request.POST:
            pk = _posted_id(request, "add")
            person = scope.bookable_people().filter(pk=pk).first() if pk else None
            if person is None:
                messages.error(request, UNKNOWN_PERSON)
            else:
                add(person)
        elif "remove" in request.POST:
            pk = _posted_id(request, "remove")
            people = [p for p in people if p.pk != pk and p.guest_of_id != pk]
        elif "create" in request.POST:
            forms["new"] = create("new", kind=BeneficiaryKind.PARTICIPANT)
        elif "create_accompanier" in request.POST:
            forms["acc"] = create("acc", kind=BeneficiaryKind.ACCOMPANIER)
        elif "create_guest" in request.POST:
            host = next((p for p in people if p.pk == _posted_id(request, "create_guest")), None)
            if host is None or host.kind != BeneficiaryKind.PARTICIPANT:
                messages.error(request, UNKNOWN_PERSON)
            else:
                guest_forms[host.pk] = create(
                    f"guest{host.pk}", kind=BeneficiaryKind.GUEST, guest_of=host
                )
        elif "save" in request.POST and busy is not None:
            messages.error(request, str(busy))
        elif "save" in request.POST and refused is not None and _as_posted(request, people):
            messages.error(request, str(refused))  # these very lines were refused: not asked again
        elif "save" in request.POST:
            try:
                result = with_retry(
                    booking_create,
                    structure=request.portal.structure,
                    author=request.user,
                    session=session,
                    lines=[p.pk for p in people],
                    submission_key=key,
                    now=timezone.now(),
                )
            except (InvitationError, ServiceBusy) as refusal:
                messages.error(request, str(refusal))
            else:
                return _booked(request, result)
    selected = {p.pk for p in people}
    previews = booking_preview(
        structure=request.portal.structure, session=session, people=people, now=now
    )
    lines = []
    for preview in previews:
        guests = []
        if preview.person.kind == BeneficiaryKind.PARTICIPANT:
            guests = list(
                scope.bookable_people()
                .filter(guest_of_id=preview.person.pk)
                .exclude(pk__in=selected)[:SEARCH_RESULTS]
            )
            guest_forms.setdefault(
                preview.person.pk, QuickPersonForm(prefix=f"guest{preview.person.pk}")
            )
        lines.append(
            {
                "preview": preview,
                "guests": guests,
                "guest_form": guest_forms.get(preview.person.pk),
            }
        )
    found = []
    if query:
        found = list(
            scope.bookable_people(query=query)
            .filter(kind=BeneficiaryKind.PARTICIPANT)
            .exclude(pk__in=selected)[:SEARCH_RESULTS]
        )
    accompaniers = list(
        scope.bookable_people()
        .filter(kind=BeneficiaryKind.ACCOMPANIER)
        .exclude(pk__in=selected)[:SEARCH_RESULTS]
    )
    context = {
        "session": session,
        "event": session.activity,
        "state": session_slot_state(session=session, now=now),
        "people": people,
        "lines": lines,
        "query": query,
        "searched": request.method == "POST" and "search" in request.POST,
        "found": found,
        "accompaniers": accompaniers,
        "new_form": forms["new"],
        "accompanier_form": forms["acc"],
        "submission": key,
        "most": most,
        "full": len(people) >= most,
        "tab": "events",
    }
    return _render(request, "solidarity/booking_form.html", context)


def _save_as_posted(request, session_id: int, *, now) -> HttpResponse | None:
    """ "Enregistrer" without building the page: the session only checked (one of the portal's;
    else 404), the posted people handed to `booking_create` as posted (it reads them locked,
    and refuses the booking if one is not an active person of the structure). None when the
    page must be built for a malformed form; a refusal raises InvitationError: the page is then
    built with its message and the selection as the page reads it. If that selection dropped
    someone (another structure's or an inactive person), the others are booked there; else the
    refusal stands, the service not asked again (`_as_posted`)."""
    ids, forged = _ids(request.POST.getlist("person"))
    key = request.POST.get("submission", "")
    if forged or not ids or not (key.isalnum() and len(key) <= 64):
        return None
    if not request.portal.scope.session_offered(session_id, now=now):
        raise Http404
    result = with_retry(
        booking_create,
        structure=request.portal.structure,
        author=request.user,
        session=Session(pk=session_id),  # the service reads it again, locked
        lines=ids,
        submission_key=key,
        now=timezone.now(),
    )
    return _booked(request, result)


def _as_posted(request, people) -> bool:
    """Are `people` (the selection as the page reads it) the lines `_save_as_posted` handed
    to the service?"""
    return [p.pk for p in people] == _ids(request.POST.getlist("person"))[0]


def _booked(request, result) -> HttpResponse:
    """To the booking's result page, with a warning for each line refused alone."""
    for outcome in result.outcomes:
        if outcome.reservation is None:
            messages.warning(
                request,
                _("%(name)s : %(reason)s")
                % {"name": outcome.line.payload.beneficiary, "reason": outcome.reason},
            )
    return _to_result(request, result.group.pk)


def _to_result(request, booking_id: int) -> HttpResponse:
    """To the booking's result page. The dialog is told where instead of redirected: fetch
    would follow the redirect itself and show the page's messages to no one."""
    url = reverse("solidarity:booking_detail", kwargs={"booking_id": booking_id}) + "?resultat=1"
    if request.headers.get(DIALOG_HEADER):
        return HttpResponse(status=204, headers={"X-Booking-Location": url})
    return redirect(url)


def _booking_lines(request, booking_id: int, *, printed: bool = False) -> list:
    """The structure's lines of a booking, each with the booking: 404 when there is none."""
    lines = request.portal.scope.booking_lines_read(booking_id, printed=printed)
    if not lines:
        raise Http404
    return lines


def _booking_context(request, lines, *, now) -> dict:
    booking = lines[0].group
    session = lines[0].session
    rows = [
        {
            "reservation": line,
            "state": invitation_state_text(line),
            "cancellable": invitation_cancellable(reservation=line, now=now),
        }
        for line in lines
    ]
    return {
        "booking": booking,
        "session": session,
        "event": session.activity,
        "rows": rows,
        "seated": any(line.holds_seats for line in lines),
        "cancellable": any(row["cancellable"] for row in rows),
        "tab": "reservations",
    }


@portal_view
@require_safe
def booking_detail(request, booking_id: int):
    """A booking: its event, its people ("Invitation n° S-…" or "Sur liste d'attente (rang
    N)"), "Imprimer", "Annuler"; the result page after "Enregistrer" (`?resultat=1`), where
    the invitations' download starts by itself."""
    lines = _booking_lines(request, booking_id)
    context = _booking_context(request, lines, now=timezone.now())
    context["result"] = request.GET.get("resultat") == "1"
    return _render(request, "solidarity/booking_detail.html", context)


def _cancel(request, *, lines, back):
    """The confirmation step of a cancellation (GET), the cancellation (POST); too late, the
    page says so with the phones to call."""
    now = timezone.now()
    live = [line for line in lines if line.status in LIVE_STATUSES]
    session = lines[0].session
    late = not any(invitation_cancellable(reservation=line, now=now) for line in live)
    if request.method == "POST" and live and not late:
        try:
            with_retry(
                invitations_cancel,
                structure=request.portal.structure,
                reservation_ids=[line.pk for line in live],
                by=request.user,
                now=now,
            )
        except InvitationError:
            late = True
        except ServiceBusy as busy:
            messages.error(request, str(busy))
        else:
            messages.success(request, CANCELLED)
            return back
    context = {
        "lines": live,
        "session": session,
        "event": session.activity,
        "late": late and bool(live),
        "too_late": TOO_LATE,
        "tab": "reservations",
        **_venue_and_team_phones(request, session),
    }
    return _render(request, "solidarity/booking_cancel.html", context, status=200)


@portal_view
@require_http_methods(["GET", "POST"])
def booking_cancel(request, booking_id: int):
    """ "Annuler" a whole booking."""
    booking = request.portal.scope.booking(booking_id)
    lines = list(request.portal.scope.booking_lines(booking))
    back = redirect("solidarity:booking_detail", booking_id=booking.pk)
    return _cancel(request, lines=lines, back=back)


@portal_view
@require_http_methods(["GET", "POST"])
def invitation_cancel(request, invitation_id: int):
    """ "Annuler l'invitation": one line (with its guests, or a lone accompanier)."""
    line = request.portal.scope.invitation(invitation_id)
    back = redirect("solidarity:booking_detail", booking_id=line.group_id)
    return _cancel(request, lines=[line], back=back)


@portal_view
@require_safe
def reservation_list(request):
    """ "Mes réservations": "Réservations en cours" (live lines of sessions to come) or "Toutes
    les réservations", filtered by person or event, 25 a page."""
    scope = request.portal.scope
    now = timezone.now()
    everything = request.GET.get("vue") == "toutes"
    rows = scope.invitations_listed()
    people = scope.people_booked()
    events = scope.events_booked()
    filters = ReservationFilterForm(request.GET or None, people=people, events=events)
    person, event = filters.value("personne"), filters.value("evenement")
    if person:
        rows = rows.filter(invitation__beneficiary_id=person)
    if event:
        rows = rows.filter(session__activity_id=event)
    if everything:
        rows = rows.order_by("-session__effective_start", "-pk")
    else:
        rows = rows.filter(
            Q(status__in=LIVE_STATUSES) & ~session_over_q(now=now, prefix="session__")
        )
        rows = rows.order_by("session__effective_start", "pk")
    page = Paginator(rows, RESERVATIONS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": _reservation_rows(page, now=now),
        "range_text": _page_range_text(page),
        "page_range": page.paginator.get_elided_page_range(page.number),
        "filters": filters,
        "everything": everything,
        "query": query.urlencode(),
        "tab": "reservations",
    }
    return _render(request, "solidarity/reservation_list.html", context)


@dataclass(frozen=True)
class ReservationRow:
    """A line of "Mes réservations" with its texts worked out here, as "Mes participants"'
    PersonRow: the template's URL tags, date filters, choice labels and translations, cell by
    cell, were most of the page's CPU."""

    booking_url: str
    show: str  # "Musée … Le 03/07/2027 10 h"
    name: str
    role: str
    booked_on: str  # "Réservé le 24/06/2027"
    state: str
    cancel_url: str  # "" when the line can no longer be cancelled
    waiting: bool


def _reservation_rows(page, *, now) -> list[ReservationRow]:
    roles = dict(InvitationRole.choices)
    return [
        ReservationRow(
            booking_url=reverse("solidarity:booking_detail", kwargs={"booking_id": line.group_id}),
            show=f"{line.session.activity.name} "
            + _("Le %(when)s") % {"when": dates.numeric(line.session.starts_at)},
            name=f"{line.last_name.upper()} {line.first_name}",
            role=str(roles.get(line.invitation.role, line.invitation.role)),
            booked_on=_("Réservé le %(day)s") % {"day": dates.day_numeric(line.created_at)},
            state=invitation_state_text(line),
            cancel_url=reverse("solidarity:invitation_cancel", kwargs={"invitation_id": line.pk})
            if invitation_cancellable(reservation=line, now=now)
            else "",
            waiting=line.status == ReservationStatus.WAITING,
        )
        for line in page
    ]


@portal_view
@require_safe
def booking_pdf(request, booking_id: int):
    """ "Imprimer": the seated invitations of a booking, one A4 page each; 404 when none is
    seated. Never kept by a cache (names on it)."""
    lines = _booking_lines(request, booking_id, printed=True)
    lines = [line for line in lines if line.holds_seats]
    if not lines:
        raise Http404
    content = invitations_pdf(
        lines=lines,
        team_phone=request.portal.structure.territory.phone,
        base_url=request.build_absolute_uri("/"),
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="invitations-{booking_id}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
