"""Admin forms: each write goes through a service, so its refusals come back as form errors."""

from datetime import date, datetime, time

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.bookings.models import Reservation
from guichet.bookings.services import (
    BookingError,
    reservation_create,
    reservation_update,
    session_save,
)
from guichet.catalogue.models import SESSION_YEARS, Channel, Session, SessionStatus
from guichet.catalogue.services import weekly_starts
from guichet.core.forms import ServiceModelForm
from guichet.core.phones import phone_national

PERSON_FIELDS = ["first_name", "last_name", "email", "phone", "city"]


class SessionAdminForm(ServiceModelForm):
    service_errors = (BookingError,)

    class Meta:
        model = Session
        fields = [
            "activity",
            "start",
            "end",
            "seat_limit",
            "price",
            "status",
            "reason",
            "new_start",
            "new_end",
            "opens_at",
            "closes_at",
            "cancel_until",
            "waiting_limit",
        ]
        # The price is typed "5,50": SessionAdmin.formfield_overrides localises it, so that the
        # confirmation step's form (built by the same admin) reads it too.

    def perform(self, instance):
        return session_save(session=instance)


class ReservationFormBase(ServiceModelForm):
    """What the add and change forms share; no Meta, so not a form on its own."""

    service_errors = (BookingError,)
    quantity = forms.IntegerField(label=_("Quantité"), min_value=1, initial=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Booking a cancelled session is refused; a reservation already on one may still be
        # edited. These forms are the parks': the portals book through their own pages.
        session = self.fields["session"]
        session.queryset = Session.objects.filter(
            ~Q(status=SessionStatus.CANCELLED) | Q(pk=self.instance.session_id),
            activity__channel=Channel.PARKS,
        ).select_related("activity")
        session.error_messages["invalid_choice"] = _(
            "Choisissez une session des parcs et jardins qui n'est pas annulée : les autres "
            "portails réservent par leurs propres pages."
        )
        # Parks reservations keep the visitor's details (the model leaves them blank for the
        # portals' reservations, which keep none).
        for name in PERSON_FIELDS:
            self.fields[name].required = True
        if self.instance.phone:
            # As staff dial it ("03 20 00 00 00"); cleaned back to +33320000000 when saved.
            self.initial["phone"] = phone_national(self.instance.phone)


class ReservationAddForm(ReservationFormBase):
    class Meta:
        model = Reservation
        fields = ["session", "quantity", *PERSON_FIELDS]

    def perform(self, instance):
        # The fields are reservation_create's arguments. Staff bookings skip the online rules
        # (deadline, most places per booking), not the seat limit.
        return reservation_create(**self.cleaned_data, online=False)


class ReservationChangeForm(ReservationFormBase):
    class Meta:
        model = Reservation
        fields = ["session", "status", "quantity", *PERSON_FIELDS]

    def perform(self, instance):
        return reservation_update(reservation=instance)


DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"


def _parse_line(line: str) -> tuple[date, time | None]:
    """'16/04/2025 10:00' → (day, time); '16/04/2025' → (day, None). ValueError otherwise, and
    for a year sessions may not take place in."""
    try:
        moment = datetime.strptime(line, DATETIME_FORMAT)
    except ValueError:
        day, at = datetime.strptime(line, DATE_FORMAT).date(), None
    else:
        day, at = moment.date(), moment.time()
    if day.year not in SESSION_YEARS:
        raise ValueError(line)
    return day, at


class SessionCopyForm(forms.Form):
    WEEKLY, DATES = "weekly", "dates"
    MAX_DATES = 100

    mode = forms.ChoiceField(
        label=_("Copier"),
        choices=[(WEEKLY, _("Chaque semaine, à la même heure")), (DATES, _("Aux dates listées"))],
        widget=forms.RadioSelect,
        initial=WEEKLY,
    )
    weeks = forms.IntegerField(
        label=_("Nombre de semaines"),
        min_value=1,
        max_value=52,
        required=False,
        help_text=_("Une copie pour chacune des semaines qui suivent la session."),
    )
    dates = forms.CharField(
        label=_("Dates"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 30, "placeholder": "16/04/2025 10:00"}),
        help_text=_(
            "Une date par ligne, au format jj/mm/aaaa HH:MM, par exemple 16/04/2025 10:00. "
            "Sans heure (16/04/2025), la copie commence à l'heure de la session copiée."
        ),
    )

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        if mode == self.WEEKLY and not data.get("weeks") and "weeks" not in self.errors:
            self.add_error("weeks", _("Indiquez le nombre de semaines."))
        elif mode == self.DATES:
            data["days"] = self._days(data.get("dates", ""))
        return data

    def _days(self, text: str) -> list[tuple[date, time | None]]:
        lines = [line.strip() for line in text.splitlines()]
        days, wrong = [], []
        for number, line in enumerate(lines, start=1):
            if not line:
                continue
            try:
                days.append(_parse_line(line))
            except ValueError:
                wrong.append(
                    _("ligne %(number)d : « %(text)s »") % {"number": number, "text": line}
                )
        if wrong:
            self.add_error(
                "dates",
                _(
                    "Ces lignes ne sont pas des dates au format jj/mm/aaaa HH:MM, "
                    "entre %(first)d et %(last)d : %(lines)s."
                )
                % {
                    "first": SESSION_YEARS.start,
                    "last": SESSION_YEARS.stop - 1,
                    "lines": " ; ".join(wrong),
                },
            )
        elif not days:
            self.add_error("dates", _("Indiquez au moins une date."))
        elif len(days) > self.MAX_DATES:
            self.add_error("dates", _("Au plus %(max)d dates à la fois.") % {"max": self.MAX_DATES})
        return days

    def starts_for(self, session: Session) -> list[datetime]:
        """The start of each copy of `session`, counted from its effective (possibly postponed) start."""
        if self.cleaned_data["mode"] == self.WEEKLY:
            return weekly_starts(start=session.starts_at, weeks=self.cleaned_data["weeks"])
        default_time = timezone.localtime(session.starts_at).time()
        days = self.cleaned_data["days"]
        return [timezone.make_aware(datetime.combine(day, at or default_time)) for day, at in days]
