"""The staff pages of the family portal ("Gestionnaire famille"), in the back-office's layout and
behind its sign-in (second factor included): "Demandes à traiter" (pending requests by activity
and day, "Accepter", "Refuser" with a reason, through fam-core's services), "Réserver pour une
famille" (a household, a child, its days of a month: "Réserver" or "Annuler", with one pair
of hours for the days booked where the activities have windows, past the family's deadlines with
a reason, through `staff_book` and `staff_cancel`) and "Liste du jour" (children,
group, hours; print, CSV, XLSX, formula-safe as guichet.bookings.exports)."""

import csv
import io
from dataclasses import dataclass
from datetime import date, time, timedelta
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from openpyxl import Workbook

from guichet.bookings.exports import csv_value, xlsx_cells
from guichet.bookings.models import SEAT_HOLDING_STATUSES, Reservation, ReservationStatus
from guichet.core import dates
from guichet.core.db import ServiceBusy, with_retry
from guichet.families.calendar import (
    hour_text,
    month_last_day,
    month_parse,
    month_title,
    staff_child_units,
)
from guichet.families.deadlines import PARIS
from guichet.families.forms_portal import (
    DayListForm,
    HouseholdSearchForm,
    RefuseForm,
    StaffBookForm,
    hours_window,
)
from guichet.families.models import Child, holder_key_child_id
from guichet.families.selectors import (
    HouseholdScope,
    family_staff_allowed,
    hours_refusal,
    household_for_staff,
    households_search,
    pending_requests,
    session_day,
    sessions_of_days,
)
from guichet.families.services import (
    FamilyError,
    request_accept,
    request_refuse,
    staff_book,
    staff_cancel,
)

# "Réserver pour une famille": how many households a search lists at most.
HOUSEHOLDS_LISTED = 30


def _staff_only(request) -> None:
    if not family_staff_allowed(request.user):
        raise PermissionDenied


def _children_of(reservations) -> dict[int, Child]:
    ids = {holder_key_child_id(r.holder_key) for r in reservations} - {None}
    return {c.pk: c for c in Child.objects.filter(pk__in=ids).select_related("group")}


@dataclass
class StaffRow:
    reservation: Reservation
    child: Child | None
    arrival: time | None
    departure: time | None

    @property
    def child_label(self) -> str:
        if self.child is not None:
            return f"{self.child.last_name.upper()} {self.child.first_name}"
        return f"{self.reservation.last_name.upper()} {self.reservation.first_name}"

    @property
    def group(self) -> str:
        return self.child.group.name if self.child is not None and self.child.group else ""

    @property
    def hours(self) -> tuple[str, str]:
        return hour_text(self.arrival), hour_text(self.departure)


def _rows(reservations) -> list[StaffRow]:
    reservations = list(reservations)
    children = _children_of(reservations)
    rows = []
    for reservation in reservations:
        hours = getattr(reservation, "family_hours", None)
        rows.append(
            StaffRow(
                reservation=reservation,
                child=children.get(holder_key_child_id(reservation.holder_key)),
                arrival=hours.arrival if hours else None,
                departure=hours.departure if hours else None,
            )
        )
    return rows


def _render(request, template: str, context: dict):
    context = {**admin.site.each_context(request), **context}
    return TemplateResponse(request, template, context)


@require_safe
def _requests_view(request):
    _staff_only(request)
    groups: dict[tuple, list[StaffRow]] = {}
    for row in _rows(pending_requests()):
        session = row.reservation.session
        groups.setdefault((session.activity.name, session_day(session), session.pk), []).append(row)
    context = {
        "title": _("Demandes à traiter"),
        "groups": [
            {"activity": key[0], "day": key[1], "rows": rows} for key, rows in groups.items()
        ],
        "refuse_form": RefuseForm(),
    }
    return _render(request, "families/staff/requests.html", context)


@require_POST
def _request_decide_view(request, reservation_id: int):
    _staff_only(request)
    back = reverse("families:staff_requests")
    reservation = pending_requests().filter(pk=reservation_id).first()
    if reservation is None:
        messages.error(request, _("Cette demande a déjà été traitée."))
        return HttpResponseRedirect(back)
    now = timezone.now()
    try:
        if "accepter" in request.POST:
            with_retry(request_accept, reservation=reservation, staff_user=request.user, now=now)
            messages.success(request, _("Demande acceptée."))
        else:
            form = RefuseForm(request.POST)
            if not form.is_valid():
                for error in form.errors.get("reason", []):
                    messages.error(request, error)
                return HttpResponseRedirect(back)
            with_retry(
                request_refuse,
                reservation=reservation,
                staff_user=request.user,
                reason=form.cleaned_data["reason"],
                now=now,
            )
            messages.success(request, _("Demande refusée."))
    except (FamilyError, ServiceBusy) as refusal:
        messages.error(request, str(refusal))
    return HttpResponseRedirect(back)


def _book_url(**params) -> str:
    return f"{reverse('families:staff_book')}?{urlencode(params)}"


def _staff_act(request, *, child: Child, rows, form: StaffBookForm, now) -> list[str] | None:
    """ "Réserver" or "Annuler" the days ticked, through the services; the messages to show, or
    None when refused (the form then carries the reason, the input kept)."""
    ticked = set(form.cleaned_data["seances"])
    units = [row.unit for row in rows if row.unit.session.pk in ticked]
    reason = form.cleaned_data["motif"]
    arrival, departure = form.cleaned_data["arrival"], form.cleaned_data["departure"]
    try:
        if form.cleaned_data["action"] == "reserver":
            if arrival is not None or departure is not None:
                # The hours the services would refuse, said before anything is booked.
                for unit in units:
                    refusal = hours_refusal(rules=unit.rules, arrival=arrival, departure=departure)
                    if refusal:
                        form.add_error(
                            "arrival",
                            capfirst(
                                f"{dates.day_short(unit.day)}, {unit.activity.name} : {refusal}"
                            ),
                        )
                        return None
            statuses = with_retry(
                staff_book,
                child=child,
                sessions=[unit.session for unit in units],
                staff_user=request.user,
                reason=reason,
                arrival=arrival,
                departure=departure,
                now=now,
            )
            return [
                f"{dates.day_short(unit.day)}, {unit.activity.name} : {status}"
                for unit, status in zip(units, statuses, strict=True)
            ]
        held = [unit.reservation for unit in units if unit.reservation is not None]
        if not held:
            form.add_error("seances", _("Aucun des jours cochés n'est réservé pour cet enfant."))
            return None
        count = with_retry(
            staff_cancel, reservations=held, staff_user=request.user, reason=reason, now=now
        )
    except FamilyError as refusal:
        form.add_error("motif", str(refusal))
        return None
    except ServiceBusy as refusal:
        form.add_error(None, str(refusal))
        return None
    return [_("Réservations annulées : %(count)d.") % {"count": count}]


@require_http_methods(["GET", "HEAD", "POST"])
def _staff_book_view(request):
    """ "Réserver pour une famille": a household (searched by name or number), one of its
    children, the child's days of a month with their state and the deadlines passed; "Réserver"
    or "Annuler" the days ticked; with "Réserver", "Arrivée" and "Départ" for all of them (within
    each activity's windows, "Départ" after "Arrivée", no overlap with the child's other units:
    `hours_refusal`, then `staff_book`, as the parents' basket). Past a deadline staff may still act, giving a reason, which
    the movements' log keeps (the daily report counts it as a decision of our services)."""
    _staff_only(request)
    now = timezone.now()
    search = HouseholdSearchForm(request.GET)
    context = {"title": _("Réserver pour une famille"), "search": search}
    if search.is_valid() and search.cleaned_data["q"]:
        context["found"] = list(households_search(search.cleaned_data["q"])[:HOUSEHOLDS_LISTED])
    if "foyer" not in request.GET:
        return _render(request, "families/staff/book.html", context)
    household = household_for_staff(request.GET["foyer"])
    scope = HouseholdScope(household)
    children = list(scope.children().order_by("first_name", "pk"))
    context.update(household=household, children=children)
    if "enfant" not in request.GET:
        return _render(request, "families/staff/book.html", context)
    child = scope.child(request.GET["enfant"])
    today = now.astimezone(PARIS).date()
    month = month_parse(request.GET.get("mois"), today=today)
    if month is None:
        messages.error(request, _("Choisissez un mois de la liste."))
        month = today.replace(day=1)
    rows = staff_child_units(scope=scope, child=child, month=month, now=now)
    window = hours_window({row.unit.session.activity_id: row.unit.rules for row in rows}.values())
    form = StaffBookForm(
        request.POST if request.method == "POST" else None,
        session_ids=[row.unit.session.pk for row in rows],
        rules=window,
    )
    if form.is_bound and form.is_valid():
        done = _staff_act(request, child=child, rows=rows, form=form, now=now)
        if done is not None:
            for text in done:
                messages.success(request, text)
            return HttpResponseRedirect(
                _book_url(foyer=household.pk, enfant=child.pk, mois=month.strftime("%Y-%m"))
            )
    previous = (month.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = month_last_day(month) + timedelta(days=1)
    context.update(
        child=child,
        month=month,
        month_title=month_title(month),
        previous_url=_book_url(
            foyer=household.pk, enfant=child.pk, mois=previous.strftime("%Y-%m")
        ),
        next_url=_book_url(foyer=household.pk, enfant=child.pk, mois=following.strftime("%Y-%m")),
        rows=rows,
        form=form,
        hours_shown=window is not None,
        ticked={str(value) for value in (form["seances"].value() or [])},
        action=form["action"].value() or "reserver",
    )
    return _render(request, "families/staff/book.html", context)


def day_list_rows(*, day: date) -> list[StaffRow]:
    """ "Liste du jour": the children seated on the portal's sessions of `day` (valid and
    pending), by activity then name."""
    sessions = list(sessions_of_days(activity_ids=None, first_day=day, last_day=day))
    reservations = (
        Reservation.objects.filter(
            session_id__in=[s.pk for s in sessions], status__in=SEAT_HOLDING_STATUSES
        )
        .select_related("session__activity", "family_hours")
        .order_by("session__activity__name", "session__start", "last_name", "first_name", "pk")
    )
    return _rows(reservations)


def _table(rows: list[StaffRow]) -> list[list]:
    table = [
        [
            _("Activité"),
            _("Horaire"),
            _("Enfant"),
            _("Groupe"),
            _("Arrivée"),
            _("Départ"),
            _("Statut"),
        ]
    ]
    for row in rows:
        session = row.reservation.session
        arrival, departure = row.hours
        table.append(
            [
                session.activity.name,
                dates.short(session.starts_at, session.ends_at),
                row.child_label,
                row.group,
                arrival,
                departure,
                _("À traiter")
                if row.reservation.status == ReservationStatus.PENDING
                else _("Acceptée"),
            ]
        )
    return table


def _csv(table: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    for row in table:
        writer.writerow([csv_value(value) for value in row])
    return out.getvalue().encode("utf-8-sig")


def _xlsx(table: list[list]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Liste du jour"))
    for letter, width in zip("ABCDEFG", (30, 26, 30, 16, 10, 10, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in table:
        sheet.append(list(xlsx_cells(sheet, row)))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@require_safe
def _day_list_view(request):
    _staff_only(request)
    form = DayListForm(request.GET or None)
    today = timezone.now().astimezone(PARIS).date()
    day = today
    if form.is_bound and form.is_valid() and form.cleaned_data.get("day"):
        day = form.cleaned_data["day"]
    rows = day_list_rows(day=day)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        table = _table(rows)
        body, content_type = (
            (_csv(table), "text/csv; charset=utf-8")
            if fmt == "csv"
            else (
                _xlsx(table),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        )
        name = f"liste-du-jour-{day.isoformat()}.{fmt}"  # a file name: a machine format
        return HttpResponse(
            body,
            content_type=content_type,
            headers={"Content-Disposition": content_disposition_header(True, name)},
        )
    context = {
        "title": _("Liste du jour"),
        "form": form,
        "day": day,
        "day_iso": day.isoformat(),
        "rows": rows,
    }
    return _render(request, "families/staff/day_list.html", context)


requests_view = admin.site.admin_view(_requests_view)
request_decide_view = admin.site.admin_view(_request_decide_view)
staff_book_view = admin.site.admin_view(_staff_book_view)
day_list_view = admin.site.admin_view(_day_list_view)
