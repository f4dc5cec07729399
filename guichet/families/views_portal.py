"""The family portal's booking pages: "Réservations" (the month calendar, its toggles, a day's
activities, a unit's hours, "Copier"), the basket's recap and its result, "Suivi" and "Compte
rendu".

Every page works without JavaScript: a click is a plain form posted to a view that calls a basket
service (guichet.families.services) and redirects back to the calendar. Views read only through
the signed-in guardian's `HouseholdScope` (`request.family.scope`, set by `family_view` from
`household_get_for_user`) and the calendar's reads (guichet.families.calendar); another
household's child, line, booking or submission answers 404."""

import secrets
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from guichet.core import dates
from guichet.core.db import ServiceBusy, with_retry
from guichet.families.calendar import (
    CalendarUnit,
    child_units,
    days_sessions,
    follow_rows,
    month_calendar,
    month_last_day,
    month_parse,
    report_days,
    submission_rows,
)
from guichet.families.deadlines import PARIS
from guichet.families.forms_portal import CopyForm, HoursForm
from guichet.families.selectors import session_day
from guichet.families.services import (
    FamilyError,
    basket_clear,
    basket_copy,
    basket_line_remove,
    basket_set_hours,
    basket_toggle_days,
    basket_validate,
)
from guichet.families.views_accounts import family_render, family_view

ALL_ACTIVITIES = "toutes"
# "Suivi": the states a parent may filter on, in the words of the page.
FOLLOW_STATES = {
    "reserve": (("valid", "archived"), "Réservé"),
    "attente": (("pending",), "En attente de traitement"),
    "liste": (("waiting",), "En liste d'attente"),
    "annule": (("cancelled",), "Annulé"),
    "refuse": (("refused", "not_served"), "Refusé ou non servi"),
}


def _today() -> date:
    return timezone.now().astimezone(PARIS).date()


def _day_parse(value: str | None) -> date | None:
    """ "2026-12-07" → that day; None for anything else (a forged or mistyped value)."""
    if not value or len(value) != 10 or not value.isascii():
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


class Choice:
    """The child, activity and month a calendar page is about, read from GET or POST."""

    def __init__(self, request, data):
        scope = request.family.scope
        self.children = list(scope.children().order_by("first_name", "pk"))
        self.activities = list(scope.activities())
        child_id = data.get("enfant")
        if child_id:
            # Among the household's children only: another household's child answers 404.
            found = [child for child in self.children if str(child.pk) == child_id]
            if not found:
                raise Http404
            self.child = found[0]
        else:
            active = [child for child in self.children if child.is_active]
            self.child = (active or self.children or [None])[0]
        activity_id = data.get("activite") or ALL_ACTIVITIES
        self.activity = None
        if activity_id != ALL_ACTIVITIES:
            found = [a for a in self.activities if str(a.pk) == activity_id]
            if not found:
                raise Http404
            self.activity = found[0]
        self.month = month_parse(data.get("mois"), today=_today())
        self.month_error = self.month is None
        if self.month is None:
            self.month = _today().replace(day=1)

    def query(self, **changes) -> dict:
        values = {
            "enfant": self.child.pk if self.child else "",
            "activite": self.activity.pk if self.activity else ALL_ACTIVITIES,
            "mois": f"{self.month:%Y-%m}",
        }
        return values | changes

    def calendar_url(self, **changes) -> str:
        return reverse("families:calendar") + "?" + urlencode(self.query(**changes))


def _locked_message(request, locked) -> None:
    if not locked:
        return
    days = ", ".join(
        f"{dates.day_short(unit.session.starts_at)} {unit.session.activity.name} ({unit.reason})"
        for unit in locked
    )
    messages.warning(
        request,
        ngettext(
            "%(count)s jour laissé tel quel : %(days)s.",
            "%(count)s jours laissés tels quels : %(days)s.",
            len(locked),
        )
        % {"count": len(locked), "days": days},
    )


def _service(request, service, **kwargs):
    """Calls a basket service, retried on a lock conflict; a refusal or "busy" becomes an error
    message (the page then shows the basket as it is)."""
    try:
        return with_retry(service, **kwargs)
    except (FamilyError, ServiceBusy) as refusal:
        messages.error(request, str(refusal))
    return None


def _basket_count(scope) -> int:
    return scope.basket_lines().count()


# --- "Réservations" -----------------------------------------------------------------------------


@family_view
@require_safe
def calendar_view(request):
    """The month grid of one child, for one activity or "Toutes les activités"."""
    choice = Choice(request, request.GET)
    if choice.month_error:
        messages.error(request, _("Ce mois n'existe pas : voici le mois en cours."))
    context = {"choice": choice, "tab": "calendar"}
    if choice.child is not None:
        calendar = month_calendar(
            scope=request.family.scope,
            child=choice.child,
            activity=choice.activity,
            month=choice.month,
            now=timezone.now(),
        )
        rules = rules_of_activity(choice.activity)
        context |= {
            "calendar": calendar,
            "hours_form": HoursForm(rules=rules) if rules and rules.has_hours else None,
            "weekdays": [(n, dates.WEEKDAYS[n]) for n in range(7)],
            "previous_url": calendar.previous_month
            and choice.calendar_url(mois=f"{calendar.previous_month:%Y-%m}"),
            "next_url": calendar.next_month
            and choice.calendar_url(mois=f"{calendar.next_month:%Y-%m}"),
            "basket_count": _basket_count(request.family.scope),
        }
    return family_render(request, "families/portal/calendar.html", context)


def rules_of_activity(activity):
    if activity is None:
        return None
    return getattr(activity, "family_rules", None)


def _toggle_days(choice: Choice, data) -> list[date] | None:
    """The days a toggle is about: a day, the week of a Monday, a weekday of the month, or
    the month; None when the post names none of them (or a forged one)."""
    first, last = choice.month, month_last_day(choice.month)
    month_days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    if "jour" in data:
        day = _day_parse(data.get("jour"))
        return [day] if day and first <= day <= last else None
    if "semaine" in data:
        monday = _day_parse(data.get("semaine"))
        if monday is None or monday.weekday() != 0:
            return None
        week = [monday + timedelta(days=n) for n in range(7)]
        days = [day for day in week if first <= day <= last]
        return days or None
    if "jour_semaine" in data:
        weekday = data.get("jour_semaine")
        if weekday not in {str(n) for n in range(7)}:
            return None
        return [day for day in month_days if day.weekday() == int(weekday)]
    if "mois_entier" in data:
        return month_days
    return None


@family_view
@require_POST
def toggle_view(request):
    """A click on a day, a week's arrow, a weekday's arrow or the month: the basket service
    decides book or cancel (the first actionable day) and skips locked days, listed after."""
    choice = Choice(request, request.POST)
    back = choice.calendar_url()
    days = _toggle_days(choice, request.POST)
    if choice.child is None or days is None or choice.month_error:
        messages.error(request, _("Choisissez un jour du mois affiché."))
        return HttpResponseRedirect(back)
    if choice.activity is None:
        if len(days) == 1:  # "Toutes les activités": the day's activities, to pick
            return HttpResponseRedirect(_day_url(choice, days[0]))
        messages.error(request, _("Choisissez d'abord une activité."))
        return HttpResponseRedirect(back)
    rules = rules_of_activity(choice.activity)
    hours = None
    if rules is not None and rules.has_hours:
        hours = HoursForm(request.POST, rules=rules)
        if not hours.is_valid():
            for errors in hours.errors.values():
                for error in errors:
                    messages.error(request, error)
            return HttpResponseRedirect(back)
        pair = (hours.cleaned_data["arrival"], hours.cleaned_data["departure"])
        if len(days) == 1 and pair == (None, None):  # hours asked for this day
            return HttpResponseRedirect(_hours_url(choice, days[0]))
    # The month's sessions the calendar has just read (shared): the service reads the child's
    # reservations and lines itself, and decides on them.
    month_sessions = days_sessions(
        activity_ids=[choice.activity.pk],
        first_day=choice.month,
        last_day=month_last_day(choice.month),
        shared=True,
    )
    wanted = set(days)
    sessions = [session for session in month_sessions if session_day(session) in wanted]
    if not sessions:
        messages.info(request, _("Pas d'activité ces jours-là."))
        return HttpResponseRedirect(back)
    result = _service(
        request,
        basket_toggle_days,
        guardian=request.family.guardian,
        child=choice.child,
        sessions=sessions,
        now=timezone.now(),
    )
    if result is None:
        return HttpResponseRedirect(back)
    locked = list(result.locked)
    if result.action == "book" and hours is not None and result.changed:
        arrival, departure = hours.cleaned_data["arrival"], hours.cleaned_data["departure"]
        if arrival or departure:
            changed = set(result.changed)
            more = _service(
                request,
                basket_set_hours,
                guardian=request.family.guardian,
                child=choice.child,
                sessions=[s for s in sessions if s.pk in changed],
                arrival=arrival,
                departure=departure,
                now=timezone.now(),
            )
            locked += more or []
    _locked_message(request, locked)
    return HttpResponseRedirect(back)


def _day_url(choice: Choice, day: date) -> str:
    query = {"enfant": choice.child.pk, "jour": day.isoformat()}
    return reverse("families:calendar_day") + "?" + urlencode(query)


def _hours_url(choice: Choice, day: date) -> str:
    query = choice.query(jour=day.isoformat())
    return reverse("families:calendar_hours") + "?" + urlencode(query)


def _day_units(request, choice: Choice, day: date, activity_ids=None) -> list[CalendarUnit]:
    return child_units(
        scope=request.family.scope,
        child=choice.child,
        activity_ids=activity_ids,
        first_day=day,
        last_day=day,
        now=timezone.now(),
    )


@family_view
@require_http_methods(["GET", "POST"])
def day_view(request):
    """ "Toutes les activités", a day clicked: its activities with their state, to pick several
    (a checked box is booked once the basket is sent), each with its hours when it has some."""
    data = request.POST if request.method == "POST" else request.GET
    choice = Choice(request, data)
    day = _day_parse(data.get("jour"))
    if choice.child is None or day is None:
        raise Http404
    choice.month = day.replace(day=1)
    units = _day_units(request, choice, day)
    forms = {
        unit.session.pk: HoursForm(
            data if request.method == "POST" else None,
            rules=unit.rules,
            prefix=f"s{unit.session.pk}",
            initial={"arrival": unit.arrival, "departure": unit.departure},
        )
        for unit in units
        if unit.has_hours
    }
    if request.method == "POST":
        chosen = set(data.getlist("seance"))
        if all(form.is_valid() for form in forms.values()):
            _day_apply(request, choice, units, chosen, forms)
            return HttpResponseRedirect(choice.calendar_url(activite=ALL_ACTIVITIES))
    rows = [(unit, forms.get(unit.session.pk)) for unit in units]
    context = {"choice": choice, "day": day, "rows": rows, "tab": "calendar"}
    return family_render(request, "families/portal/day.html", context)


def _day_apply(request, choice, units, chosen: set[str], forms) -> None:
    guardian, now = request.family.guardian, timezone.now()
    locked = []
    for unit in units:
        if not unit.actionable:
            continue
        wanted = str(unit.session.pk) in chosen
        if wanted != unit.wanted:
            result = _service(
                request,
                basket_toggle_days,
                guardian=guardian,
                child=choice.child,
                sessions=[unit.session],
                now=now,
            )
            locked += result.locked if result else []
        form = forms.get(unit.session.pk)
        if wanted and form is not None:
            arrival, departure = form.cleaned_data["arrival"], form.cleaned_data["departure"]
            if (arrival, departure) != (unit.arrival, unit.departure):
                locked += (
                    _service(
                        request,
                        basket_set_hours,
                        guardian=guardian,
                        child=choice.child,
                        sessions=[unit.session],
                        arrival=arrival,
                        departure=departure,
                        now=now,
                    )
                    or []
                )
    _locked_message(request, locked)


@family_view
@require_http_methods(["GET", "POST"])
def hours_view(request):
    """One unit's hours ("Arrivée", "Départ"): "Valider" puts them in the basket (booking the
    day if it was not), "Supprimer" (when booked or in the basket) cancels it, "Fermer" goes
    back."""
    data = request.POST if request.method == "POST" else request.GET
    choice = Choice(request, data)
    day = _day_parse(data.get("jour"))
    if choice.child is None or day is None or choice.activity is None:
        raise Http404
    units = _day_units(request, choice, day, activity_ids=[choice.activity.pk])
    if not units:
        raise Http404
    unit = units[0]
    back = choice.calendar_url(mois=f"{day:%Y-%m}")
    form = HoursForm(
        data if request.method == "POST" else None,
        rules=unit.rules,
        required=unit.has_hours,
        initial={"arrival": unit.arrival, "departure": unit.departure},
    )
    guardian, now = request.family.guardian, timezone.now()
    if request.method == "POST" and "supprimer" in data:
        if unit.line is not None and unit.line.action == "book":
            basket_line_remove(guardian=guardian, line_id=unit.line.pk)
        elif unit.reservation is not None and (unit.line is None or unit.line.action == "hours"):
            # The booking is cancelled (the cancellation replaces an hours line).
            result = _service(
                request,
                basket_toggle_days,
                guardian=guardian,
                child=choice.child,
                sessions=[unit.session],
                now=now,
            )
            _locked_message(request, result.locked if result else [])
        return HttpResponseRedirect(back)
    if request.method == "POST" and form.is_valid():
        try:
            locked = with_retry(
                basket_set_hours,
                guardian=guardian,
                child=choice.child,
                sessions=[unit.session],
                arrival=form.cleaned_data["arrival"],
                departure=form.cleaned_data["departure"],
                now=now,
            )
        except (FamilyError, ServiceBusy) as refusal:
            form.add_error(None, str(refusal))
        else:
            if not locked:
                return HttpResponseRedirect(back)
            form.add_error(None, "; ".join(item.reason for item in locked))
    context = {
        "choice": choice,
        "unit": unit,
        "form": form,
        "back": back,
        "can_remove": (unit.line is not None and unit.line.action == "book")
        or (unit.reservation is not None and (unit.line is None or unit.line.action == "hours")),
        "tab": "calendar",
    }
    return family_render(request, "families/portal/hours.html", context)


@family_view
@require_http_methods(["GET", "POST"])
def copy_view(request):
    """ "Copier": another child's (or this child's) bookings of an activity and dates, into the
    basket for the shown child and activity, the same dates or N weeks later; the days left out
    are listed ("Réservations non importées") with their reason."""
    data = request.POST if request.method == "POST" else request.GET
    choice = Choice(request, data)
    if choice.child is None:
        raise Http404
    form = CopyForm(
        request.POST if request.method == "POST" else None,
        children=choice.children,
        activities=choice.activities,
        initial={
            "source_child": choice.child.pk,
            "source_activity": choice.activity.pk if choice.activity else "",
            "first_day": choice.month,
            "last_day": month_last_day(choice.month),
        },
    )
    result = None
    if request.method == "POST" and form.is_valid():
        scope = request.family.scope
        source_child = scope.child(form.cleaned_data["source_child"])
        activity_id = form.cleaned_data["source_activity"]
        source_activity = next((a for a in choice.activities if str(a.pk) == activity_id), None)
        try:
            result = with_retry(
                basket_copy,
                guardian=request.family.guardian,
                source_child=source_child,
                target_child=choice.child,
                source_activity=source_activity,
                target_activity=choice.activity,
                first_day=form.cleaned_data["first_day"],
                last_day=form.cleaned_data["last_day"],
                weeks_later=form.cleaned_data["weeks_later"],
                now=timezone.now(),
            )
        except (FamilyError, ServiceBusy) as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s jour ajouté au panier.",
                    "%(count)s jours ajoutés au panier.",
                    result.added,
                )
                % {"count": result.added},
            )
            if not result.not_imported:
                return HttpResponseRedirect(choice.calendar_url())
    context = {"choice": choice, "form": form, "result": result, "tab": "calendar"}
    return family_render(request, "families/portal/copy.html", context)


# --- The basket ---------------------------------------------------------------------------------


@family_view
@require_safe
def basket_view(request):
    """The recap: "Réservations" then "Annulations" ("Date", "Activité", "Arrivée", "Départ"),
    then "Valider", "Retour", "Abandonner"."""
    lines = list(request.family.scope.basket_lines().order_by("session__start", "child_id", "pk"))
    context = {
        "bookings": [line for line in lines if line.action != "cancel"],
        "cancellations": [line for line in lines if line.action == "cancel"],
        "submission_key": secrets.token_urlsafe(24),
        "back": request.GET.get("retour", "") if _safe_back(request.GET.get("retour")) else "",
        "tab": "basket",
    }
    return family_render(request, "families/portal/basket.html", context)


def _safe_back(url: str | None) -> bool:
    return bool(url) and url.startswith("/famille/") and "//" not in url and len(url) < 300


@family_view
@require_POST
def basket_validate_view(request):
    """The final "Valider": one transaction in the service; sent twice, the first result."""
    key = request.POST.get("submission_key", "")
    if not (
        16 <= len(key) <= 64 and key.isascii() and key.replace("-", "").replace("_", "").isalnum()
    ):
        messages.error(request, _("Ce formulaire a expiré : validez de nouveau votre panier."))
        return HttpResponseRedirect(reverse("families:basket"))
    try:
        submission = with_retry(
            basket_validate,
            guardian=request.family.guardian,
            now=timezone.now(),
            submission_key=key,
        )
    except (FamilyError, ServiceBusy) as refusal:
        messages.error(request, str(refusal))
        return HttpResponseRedirect(reverse("families:basket"))
    return HttpResponseRedirect(
        reverse("families:submission", kwargs={"submission_id": submission.pk})
    )


@family_view
@require_POST
def basket_clear_view(request):
    """ "Abandonner": the basket emptied, nothing sent."""
    count = basket_clear(guardian=request.family.guardian)
    messages.info(
        request,
        ngettext("%(count)s demande abandonnée.", "%(count)s demandes abandonnées.", count)
        % {"count": count},
    )
    return HttpResponseRedirect(reverse("families:calendar"))


@family_view
@require_safe
def submission_view(request, submission_id: int):
    """The result of a "Valider": each line with its "Statut"."""
    submission = request.family.scope.submission(submission_id)
    context = {
        "submission": submission,
        "rows": submission_rows(submission=submission),
        "tab": "basket",
    }
    return family_render(request, "families/portal/submission.html", context)


# --- "Suivi" and "Compte rendu" -----------------------------------------------------------------


@family_view
@require_safe
def follow_view(request):
    """ "Suivi": the household's bookings by child, activity, month and state, with their rank
    on a waiting list; "Annuler" puts a line in the basket. Printable."""
    scope = request.family.scope
    children = list(scope.children().order_by("first_name", "pk"))
    activities = list(scope.activities())
    child = (
        scope.child_among(children, request.GET["enfant"]) if request.GET.get("enfant") else None
    )
    activity_id = request.GET.get("activite", "")
    activity = next((a for a in activities if str(a.pk) == activity_id), None)
    if activity_id and activity is None:
        raise Http404
    month = (
        month_parse(request.GET.get("mois"), today=_today()) if request.GET.get("mois") else None
    )
    if request.GET.get("mois") and month is None:
        messages.error(request, _("Ce mois n'existe pas : tous les mois sont affichés."))
    state = request.GET.get("etat", "")
    if state and state not in FOLLOW_STATES:
        messages.error(request, _("Cet état n'existe pas : tous les états sont affichés."))
        state = ""
    rows = follow_rows(
        scope=scope,
        children=children,
        child=child,
        activity=activity,
        month=month,
        statuses=FOLLOW_STATES[state][0] if state else None,
        now=timezone.now(),
    )
    context = {
        "children": children,
        "activities": activities,
        "states": [(key, _(label)) for key, (_statuses, label) in FOLLOW_STATES.items()],
        "selected": {
            "enfant": str(child.pk) if child else "",
            "activite": activity_id if activity else "",
            "mois": f"{month:%Y-%m}" if month else "",
            "etat": state,
        },
        "rows": rows,
        "tab": "follow",
    }
    return family_render(request, "families/portal/follow.html", context)


@family_view
@require_POST
def follow_cancel_view(request):
    """ "Annuler" on a line of "Suivi": a cancellation in the basket (sent with "Valider")."""
    scope = request.family.scope
    reservation = scope.reservation(request.POST.get("reservation"))
    child_id = reservation.holder_key.partition(":")[2]
    child = scope.child(child_id)
    if reservation.status not in ("valid", "pending", "waiting"):
        messages.error(request, _("Cette réservation ne peut plus être annulée."))
    else:
        result = _service(
            request,
            basket_toggle_days,
            guardian=request.family.guardian,
            child=child,
            sessions=[reservation.session],
            now=timezone.now(),
        )
        if result is not None:
            if result.action == "cancel":
                messages.success(
                    request,
                    _("Annulation ajoutée au panier : validez votre panier pour l'envoyer."),
                )
            elif result.action == "book":
                messages.info(request, _("L'annulation est retirée du panier."))
            _locked_message(request, result.locked)
    back = request.POST.get("retour", "")
    return HttpResponseRedirect(back if _safe_back(back) else reverse("families:follow"))


@family_view
@require_safe
def report_view(request):
    """ "Compte rendu": the daily reports of the last 30 days, as they were (or would be)
    mailed, newest first."""
    context = {"days": report_days(scope=request.family.scope, now=timezone.now()), "tab": "report"}
    return family_render(request, "families/portal/report.html", context)
