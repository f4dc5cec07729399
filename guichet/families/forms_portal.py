"""The forms of the calendar, the basket, "Copier", "Suivi" and the staff pages. They only parse
what was posted (choices, dates, quarter hours) and say what is wrong in French; the rules are the
services' (guichet.families.services)."""

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guichet.core import dates
from guichet.families.deadlines import PARIS

HOUR_INVALID = _("Choisissez une heure de la liste.")
# "Copier": how far a copy may move, and the longest range copied at once.
COPY_WEEKS_MAX = 52
COPY_DAYS_MAX = 366


def _clean_text(value: str) -> str:
    """No NUL nor control character in a single-line text."""
    return "".join(ch for ch in value if ch >= " " or ch == "\t").strip()


def quarter_hours(start: time | None, end: time | None) -> list[tuple[str, str]]:
    """The quarter hours from `start` to `end`, as (value "HH:MM", label "7 h 45")."""
    if start is None or end is None:
        return []
    day = date(2000, 1, 3)
    moment = datetime.combine(day, start, tzinfo=PARIS)
    last = datetime.combine(day, end, tzinfo=PARIS)
    choices = []
    while moment <= last:
        choices.append((moment.strftime("%H:%M"), dates.hour(moment)))
        moment += timedelta(minutes=15)
    return choices


class HoursForm(forms.Form):
    """ "Arrivée" and "Départ", each from the activity's window (quarter hours)."""

    arrival = forms.TypedChoiceField(
        label=_("Arrivée"),
        required=False,
        coerce=lambda value: time.fromisoformat(value),
        empty_value=None,
        error_messages={"invalid_choice": HOUR_INVALID},
    )
    departure = forms.TypedChoiceField(
        label=_("Départ"),
        required=False,
        coerce=lambda value: time.fromisoformat(value),
        empty_value=None,
        error_messages={"invalid_choice": HOUR_INVALID},
    )

    def __init__(self, *args, rules=None, required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        empty = [("", _("Heure par défaut"))] if not required else [("", "—")]
        if rules is not None:
            self.fields["arrival"].choices = empty + quarter_hours(
                rules.arrival_from, rules.arrival_until
            )
            self.fields["departure"].choices = empty + quarter_hours(
                rules.departure_from, rules.departure_until
            )
        self.fields["arrival"].required = required
        self.fields["departure"].required = required
        self.fields["arrival"].error_messages["required"] = _("Choisissez l'heure d'arrivée.")
        self.fields["departure"].error_messages["required"] = _("Choisissez l'heure de départ.")

    def clean(self):
        data = super().clean()
        arrival, departure = data.get("arrival"), data.get("departure")
        if arrival and departure and departure <= arrival:
            self.add_error("departure", _("Le départ doit être après l'arrivée."))
        return data


class CopyForm(forms.Form):
    """ "Copier": the source child, activity and dates; the same dates or N weeks later."""

    source_child = forms.TypedChoiceField(
        label=_("Enfant dont recopier les réservations"),
        coerce=int,
        error_messages={"invalid_choice": _("Choisissez un enfant de votre compte.")},
    )
    source_activity = forms.ChoiceField(
        label=_("Activité"),
        required=False,
        error_messages={"invalid_choice": _("Choisissez une activité de la liste.")},
    )
    first_day = forms.DateField(
        label=_("Du"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Saisissez une date (JJ/MM/AAAA).")},
    )
    last_day = forms.DateField(
        label=_("Au"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Saisissez une date (JJ/MM/AAAA).")},
    )
    weeks_later = forms.TypedChoiceField(
        label=_("Vers"),
        coerce=int,
        initial=0,
        error_messages={"invalid_choice": _("Choisissez un décalage de la liste.")},
    )

    def __init__(self, *args, children, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_child"].choices = [(child.pk, str(child)) for child in children]
        self.fields["source_activity"].choices = [("", _("Toutes les activités"))] + [
            (str(activity.pk), activity.name) for activity in activities
        ]
        self.fields["weeks_later"].choices = [(0, _("les mêmes dates"))] + [
            (
                n,
                ngettext("%(count)s semaine plus tard", "%(count)s semaines plus tard", n)
                % {"count": n},
            )
            for n in range(1, COPY_WEEKS_MAX + 1)
        ]
        for name in ("first_day", "last_day"):
            self.fields[name].input_formats = ["%Y-%m-%d", "%d/%m/%Y"]

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if last < first:
                self.add_error("last_day", _("La date de fin doit suivre la date de début."))
            elif (last - first).days >= COPY_DAYS_MAX:
                self.add_error("last_day", _("Recopiez au plus un an à la fois."))
            elif not (2000 <= first.year and last.year <= 2100):
                self.add_error("first_day", _("Choisissez des dates entre 2000 et 2100."))
        return data


class RefuseForm(forms.Form):
    """Staff's "Refuser": the reason told to the family (one line)."""

    reason = forms.CharField(
        label=_("Motif du refus"),
        max_length=200,
        error_messages={
            "required": _("Indiquez le motif du refus."),
            "max_length": _("Le motif tient en 200 caractères au plus."),
        },
    )

    def clean_reason(self):
        reason = _clean_text(self.cleaned_data["reason"])
        if not reason:
            raise forms.ValidationError(_("Indiquez le motif du refus."))
        return reason


class DayListForm(forms.Form):
    """ "Liste du jour": the day (today by default) and, optionally, one activity."""

    day = forms.DateField(
        label=_("Jour"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": _("Saisissez une date (JJ/MM/AAAA).")},
    )

    def clean_day(self):
        day = self.cleaned_data.get("day")
        if day and not 2000 <= day.year <= 2100:
            raise forms.ValidationError(_("Choisissez une date entre 2000 et 2100."))
        return day


class HouseholdSearchForm(forms.Form):
    """Staff's "Réserver pour une famille": a household by its name or number."""

    q = forms.CharField(
        label=_("Compte famille (nom ou numéro)"),
        max_length=100,
        required=False,
        error_messages={"max_length": _("Saisissez au plus 100 caractères.")},
    )

    def clean_q(self):
        return _clean_text(self.cleaned_data["q"])


STAFF_ACTIONS = (("reserver", _("Réserver")), ("annuler", _("Annuler")))


class StaffBookForm(HoursForm):
    """Staff's "Réserver" or "Annuler" on the days ticked among the child's units shown, and the
    reason, which the services require past a deadline (checked there, not here). With
    "Réserver", one pair of hours for all the days ticked ("Arrivée", "Départ", as the parents'
    calendar has it): the choices span the windows of the month's activities (`hours_window`),
    each day's own window is the services' (`hours_refusal`)."""

    seances = forms.TypedMultipleChoiceField(
        label=_("Jours"),
        coerce=int,
        error_messages={
            "required": _("Cochez au moins un jour."),
            "invalid_choice": _("Cochez des jours de la liste."),
            "invalid_list": _("Cochez des jours de la liste."),
        },
    )
    action = forms.ChoiceField(
        choices=STAFF_ACTIONS,
        error_messages={
            "required": _("Choisissez « Réserver » ou « Annuler »."),
            "invalid_choice": _("Choisissez « Réserver » ou « Annuler »."),
        },
    )
    motif = forms.CharField(
        label=_("Motif (obligatoire hors délai)"),
        max_length=200,
        required=False,
        error_messages={"max_length": _("Le motif tient en 200 caractères au plus.")},
    )

    def __init__(self, *args, session_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seances"].choices = [(pk, str(pk)) for pk in session_ids]

    def clean_motif(self):
        # Refused rather than cleaned: a reason kept in the log says what staff typed, and a
        # direction override (U+202E) would turn it round on every page that shows it.
        motif = self.cleaned_data["motif"].strip()
        if any(unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") for char in motif):
            raise forms.ValidationError(
                _("Le motif tient sur une ligne, sans retour à la ligne ni caractère de contrôle.")
            )
        return motif

    def clean(self):
        data = super().clean()
        hours = data.get("arrival") or data.get("departure")
        if hours and data.get("action") == "annuler":
            self.add_error("arrival", _("Les horaires se choisissent avec « Réserver »."))
        return data


@dataclass(frozen=True)
class HoursWindow:
    """The quarter hours offered when several activities' windows share one pair of selects."""

    arrival_from: time | None
    arrival_until: time | None
    departure_from: time | None
    departure_until: time | None


def hours_window(rules) -> HoursWindow | None:
    """From the earliest start to the latest end of these activities' windows (None when none
    has any)."""
    rules = [r for r in rules if r is not None and r.has_hours]
    if not rules:
        return None

    def bound(name, pick):
        values = [getattr(r, name) for r in rules if getattr(r, name) is not None]
        return pick(values) if values else None

    return HoursWindow(
        arrival_from=bound("arrival_from", min),
        arrival_until=bound("arrival_until", max),
        departure_from=bound("departure_from", min),
        departure_until=bound("departure_until", max),
    )
