"""The public booking site: thin views over the catalogue reads and the booking services."""

import logging
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.decorators import ratelimit

from guichet.bookings import calendar
from guichet.bookings.models import Reservation, ReservationStatus
from guichet.bookings.selectors import (
    reservation_cancellable_online,
    reservation_changeable_online,
    reservation_for_submission,
)
from guichet.bookings.services import (
    BookingError,
    reservation_cancel_online,
    reservation_create,
    reservation_quantity_change,
)
from guichet.catalogue.models import Location, Session
from guichet.core.clients import client_key, setting_rate
from guichet.core.db import ServiceBusy, with_retry
from guichet.core.models import Organisation
from guichet.core.phones import phone_links
from guichet.core.selectors import organisation_get
from guichet.notifications.services import notify_reservations_list
from guichet.public.errors import too_many_requests
from guichet.public.forms import (
    ActivityFilterForm,
    BookingForm,
    QuantityChangeForm,
    ReservationsFindForm,
    submission_key_new,
)
from guichet.public.limits import address_places_count, address_places_refusal
from guichet.public.offers import session_offer
from guichet.public.pagecache import public_page_cache, slot, slotted_page
from guichet.public.selectors import (
    activity_get_public,
    activity_list_public,
    activity_sessions_upcoming,
    filter_choices_public,
    reservation_get_by_token,
    reservation_get_for_display,
    session_get_public,
)

logger = logging.getLogger(__name__)

ACTIVITIES_PER_PAGE = 12


def noindex(view):
    """Personal pages reached by their secret link: kept out of search engines and caches."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return never_cache(wrapped)


def _render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    context = {"map_tiles": _map_tiles()} | context
    if "organisation" not in context:
        context["organisation"] = organisation_get()
    return render(request, template, context, status=status)


def _session_context(session) -> dict:
    """What the session summary (public/_summary.html) and the map read."""
    return {"session": session, "activity": session.activity, "location": session.activity.location}


# What each process rendered of the sessions that session_get_for_display keeps in the shared
# cache, by their `display_stamp`: a new reading of a session (at most 5 s later) is rendered
# again. Emptied when it grows past _SESSION_PARTS_MAX.
_session_parts_seen: dict[tuple, dict[str, str]] = {}
_SESSION_PARTS_MAX = 512


def _session_parts(session: Session) -> dict[str, str]:
    """ "Ma réservation"'s session summary and directions (the map), which show the session and
    nothing of the reservation: rendered once per process for each reading of the session."""
    stamp = getattr(session, "display_stamp", None)
    parts = _session_parts_seen.get(stamp) if stamp else None
    if parts is None:
        context = _session_context(session) | {"map_tiles": _map_tiles()}
        parts = {
            "summary": render_to_string("public/_summary.html", context),
            "place": render_to_string("public/_place.html", context),
        }
        if stamp:
            if len(_session_parts_seen) >= _SESSION_PARTS_MAX:
                _session_parts_seen.clear()
            _session_parts_seen[stamp] = parts
    return parts


def _map_tiles() -> dict[str, str]:
    return {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION}


def _see_other(url: str) -> HttpResponseRedirect:
    # 303: the browser reloads the result page with GET, never the form.
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@xframe_options_exempt
@public_page_cache
@require_safe
def activity_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    form = ActivityFilterForm(request.GET or None, choices=filter_choices_public(now=now))
    filters = form.filters() if form.is_bound else {}
    activities = activity_list_public(now=now, **filters)
    page = Paginator(activities, ACTIVITIES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "query": query.urlencode(),
        "filtered": any(filters.values()),
    }
    return _render(request, "public/activity_list.html", context)


@xframe_options_exempt
@public_page_cache
@require_safe
def activity_detail(request: HttpRequest, slug: str) -> HttpResponse:
    activity = activity_get_public(slug=slug)
    now = timezone.now()
    sessions = [
        (session, session_offer(session=session, now=now))
        for session in activity_sessions_upcoming(activity=activity, now=now)
    ]
    return _render(
        request,
        "public/activity_detail.html",
        {"activity": activity, "location": activity.location, "sessions": sessions},
    )


# The pages a French city must publish, each one an organisation field (rich text).
LEGAL_PAGES = {
    "accessibility": ("accessibility_statement", gettext_lazy("Déclaration d'accessibilité")),
    "legal_notice": ("legal_notice", gettext_lazy("Mentions légales")),
    "personal_data": ("personal_data", gettext_lazy("Données personnelles")),
}


@xframe_options_exempt
@require_safe
def legal_page(request: HttpRequest, page: str) -> HttpResponse:
    field, title = LEGAL_PAGES[page]
    organisation = organisation_get()
    context = {"page": page, "title": title, "body": organisation.legal_text(field)}
    return _render(request, "public/legal_page.html", context)


def group_contact(location: Location, organisation: Organisation) -> SafeString:
    """Whom groups larger than an online booking call (the place's contact, else ours), its
    phone numbers as links."""
    if location.group_contact:
        return phone_links(location.group_contact)
    if organisation.phone:
        return format_html(
            _("Contactez-nous au {phone} pour convenir d'une date."),
            phone=format_html(
                '<a href="tel:{}">{}</a>', organisation.phone, organisation.phone_display
            ),
        )
    return _("Contactez-nous pour convenir d'une date.")


def _booking_page(request, session, form, status=200, refusal="", **context) -> HttpResponse:
    organisation = organisation_get()
    offer = session_offer(session=session)
    context |= _session_context(session) | {
        "offer": offer,
        "form": form if offer.bookable else None,
        "refusal": refusal or offer.refusal,
        "group_contact": group_contact(session.activity.location, organisation),
        "organisation": organisation,
    }
    return _render(request, "public/session_book.html", context, status=status)


def _blank_booking_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The blank form is the same page for every visitor but its CSRF token and one-time key:
    it is cached with a slot for each (see pagecache.slotted_page)."""

    def render() -> HttpResponse:
        session = session_get_public(pk=pk)
        form = BookingForm(session=session, submission=slot("submission"))
        return _booking_page(request, session, form, csrf_token=slot("csrf"))

    return slotted_page(
        request,
        render,
        fill={
            "csrf": lambda: get_token(request),
            "submission": lambda: submission_key_new(session_id=pk),
        },
    )


def _booking_refused(request, session, form, message: str, status: int) -> HttpResponse:
    """The reason for the refusal and, while the session can still be booked, the form again
    with what was typed and its own errors."""
    if session_offer(session=session).bookable:
        form.is_valid()
        form.add_error(None, message)
    return _booking_page(request, session, form, status=status, refusal=message)


def _earlier_booking(form: BookingForm) -> HttpResponse | None:
    """The same form sent again (double click, reload, back) leads to the reservation it made."""
    earlier = reservation_for_submission(key=form.submission_key())
    if earlier is None:
        return None
    return _see_other(_reservation_path(earlier, just_booked=True))


# What changes on a session while its page is open: its seats, state and dates.
_SESSION_STATE_FIELDS = [
    field.attname for field in Session._meta.concrete_fields if not field.is_relation
]


@xframe_options_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@ratelimit(
    group="public.booking",
    key=client_key,
    rate=setting_rate("BOOKING_RATE_LIMIT"),
    method="POST",
    block=False,
)
def session_book(request: HttpRequest, pk: int) -> HttpResponse:
    """The booking form. Whatever the page showed when it was loaded, the POST decides on the
    database: the session's state is read again here and once more under the seat lock."""
    if request.method != "POST":
        return _blank_booking_page(request, pk)
    session = session_get_public(pk=pk)
    form = BookingForm(request.POST, session=session)
    if getattr(request, "limited", False):
        message = _(
            "Trop de demandes de réservation viennent de votre connexion : "
            "veuillez patienter quelques minutes avant de réessayer."
        )
        return _booking_refused(request, session, form, message, status=429)
    if form.is_bot:
        logger.info("Booking refused: honeypot filled (session %s)", session.pk)
        message = _("Votre demande n'a pas pu être enregistrée.")
        return _booking_refused(request, session, form, message, status=400)
    offer = session_offer(session=session)
    bookable = offer.bookable
    if not (bookable and form.is_valid()):
        # The same form sent again (double click, reload, back) leads to the reservation it
        # made, even if the session has changed since. A form that can book needs no lookup
        # here: the booking service returns that reservation itself (one query less).
        earlier = _earlier_booking(form)
        if earlier is not None:
            return earlier
        if not bookable:
            # The same page for everyone refused for this reason: a crowd that finds the session
            # full shares one rendering (for PUBLIC_PAGE_CACHE_SECONDS, like the blank form).
            return slotted_page(
                request,
                lambda: _booking_page(request, session, None, status=409),
                fill={},
                variant=f"refused.{offer.state}",
            )
        return _booking_page(request, session, form)
    booking = form.booking_data()
    refusal = address_places_refusal(request, session=session, quantity=booking["quantity"])
    if refusal:
        return _earlier_booking(form) or _booking_refused(
            request, session, form, refusal, status=429
        )
    try:
        reservation = with_retry(reservation_create, session=session, online=True, **booking)
    except (BookingError, ServiceBusy) as exc:
        # The seats or the session changed since they were read: show them as they are now.
        session.refresh_from_db(fields=_SESSION_STATE_FIELDS)
        form = BookingForm(request.POST, session=session)
        return _booking_refused(request, session, form, str(exc), status=409)
    except ValidationError as exc:
        # A value the form let through and the model refuses: shown as the form's own errors.
        for name, errors in exc.update_error_dict({}).items():
            form.add_error(name if name in form.fields else None, errors)
        return _booking_page(request, session, form)
    address_places_count(request, session=session, quantity=reservation.quantity)
    return _see_other(_reservation_path(reservation, just_booked=True))


# On the page a booking (or a change) redirects to, and only there, "Ma réservation" announces
# the e-mail.
JUST_BOOKED = "enregistree"
JUST_CHANGED = "modifiee"


def _reservation_path(
    reservation: Reservation, *, just_booked: bool = False, just_changed: bool = False
) -> str:
    path = reverse("public:reservation_detail", args=[reservation.token])
    if just_booked:
        return f"{path}?{JUST_BOOKED}=1"
    return f"{path}?{JUST_CHANGED}=1" if just_changed else path


def _reservation_url(reservation: Reservation) -> str:
    return settings.SITE_URL + reverse("public:reservation_detail", args=[reservation.token])


@xframe_options_exempt
@noindex
@require_safe
def reservation_detail(request: HttpRequest, token: str) -> HttpResponse:
    """'Ma réservation': the confirmation page, and the person's page reached later by its link."""
    reservation = reservation_get_for_display(token=token)
    organisation = organisation_get()
    session = reservation.session
    is_cancelled = reservation.status == ReservationStatus.CANCELLED
    context = _session_context(session) | {
        "organisation": organisation,
        "reservation": reservation,
        "just_booked": JUST_BOOKED in request.GET,
        "just_changed": JUST_CHANGED in request.GET,
        "changeable": reservation_changeable_online(reservation=reservation),
        "is_past": not (is_cancelled or session.is_cancelled)
        and (session.ends_at or session.starts_at) < timezone.now(),
        "is_cancelled": is_cancelled,
        "cancellable": reservation_cancellable_online(
            reservation=reservation, organisation=organisation
        ),
        "google_calendar_url": calendar.google_calendar_url(
            reservation=reservation, page_url=_reservation_url(reservation)
        ),
        "session_parts": _session_parts(session),
    }
    return _render(request, "public/reservation_detail.html", context)


@xframe_options_exempt
@noindex
@require_safe
def reservation_ics(request: HttpRequest, token: str) -> HttpResponse:
    reservation = reservation_get_for_display(token=token)
    body = calendar.reservation_ics(reservation=reservation, page_url=_reservation_url(reservation))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    filename = f"reservation-{reservation.session.activity.slug}.ics"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@xframe_options_exempt
@noindex
@require_http_methods(["GET", "HEAD", "POST"])
def reservation_cancel(request: HttpRequest, token: str) -> HttpResponse:
    """'Annuler ma réservation': a confirmation step (GET), then the cancellation (POST)."""
    reservation = reservation_get_by_token(token=token)
    if reservation.status == ReservationStatus.CANCELLED:
        return redirect("public:reservation_detail", token=token)
    error, status = "", 200
    if request.method == "POST":
        try:
            with_retry(reservation_cancel_online, reservation=reservation)
        except (BookingError, ServiceBusy) as exc:
            error, status = str(exc), 409
        else:
            return _see_other(reverse("public:reservation_detail", args=[token]))
    organisation = organisation_get()
    context = _session_context(reservation.session) | {
        "organisation": organisation,
        "reservation": reservation,
        "cancellable": reservation_cancellable_online(
            reservation=reservation, organisation=organisation
        ),
        "error": error,
    }
    return _render(request, "public/reservation_cancel.html", context, status=status)


@xframe_options_exempt
@noindex
@require_http_methods(["GET", "HEAD", "POST"])
def reservation_change(request: HttpRequest, token: str) -> HttpResponse:
    """'Modifier le nombre de places': the form (GET), then the change through the seat service."""
    reservation = reservation_get_by_token(token=token)
    form = QuantityChangeForm(request.POST or None, reservation=reservation)
    error, status = "", 200
    if request.method == "POST" and form.is_valid():
        try:
            with_retry(
                reservation_quantity_change,
                reservation=reservation,
                quantity=form.cleaned_data["quantity"],
            )
        except (BookingError, ServiceBusy) as exc:
            error, status = str(exc), 409
        else:
            return _see_other(_reservation_path(reservation, just_changed=True))
    context = _session_context(reservation.session) | {
        "reservation": reservation,
        "form": form,
        "changeable": reservation_changeable_online(reservation=reservation),
        "error": error,
    }
    return _render(request, "public/reservation_change.html", context, status=status)


@xframe_options_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@ratelimit(
    group="public.find",
    key=client_key,
    rate=setting_rate("BOOKING_RATE_LIMIT"),
    method="POST",
    block=False,
)
def reservations_find(request: HttpRequest) -> HttpResponse:
    """'Retrouver mes réservations': an address in, one mail with the links of its reservations
    to come out; the same answer whether or not the address is known."""
    form = ReservationsFindForm(request.POST or None)
    if getattr(request, "limited", False):
        return too_many_requests(request)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            notify_reservations_list(email=form.cleaned_data["email"])
        return _see_other(reverse("public:reservations_find") + "?envoye=1")
    context = {"form": form, "sent": "envoye" in request.GET}
    return _render(request, "public/reservations_find.html", context)
