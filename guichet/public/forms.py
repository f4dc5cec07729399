import secrets

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guichet.bookings.models import Reservation
from guichet.catalogue.models import Session
from guichet.core.forms import PersonNameField
from guichet.core.phones import PhoneNumberFormField
from guichet.public.selectors import FilterChoices

SUBMISSION_SALT = "guichet.public.booking"


class ActivityFilterForm(forms.Form):
    """The home page filters; a value that is not offered is ignored, not shown as an error."""

    name = forms.CharField(label=_("Nom contient"), required=False, max_length=100)
    location = forms.TypedChoiceField(
        label=_("Localisation"), required=False, coerce=int, empty_value=None
    )
    audience = forms.TypedChoiceField(
        label=_("Public"), required=False, coerce=int, empty_value=None
    )
    activity_type = forms.TypedChoiceField(
        label=_("Type d'activité"), required=False, coerce=int, empty_value=None
    )
    category = forms.TypedChoiceField(
        label=_("Catégorie"), required=False, coerce=int, empty_value=None
    )
    period = forms.ChoiceField(
        label=_("Quand"),
        required=False,
        choices=[
            ("", _("Toutes les dates")),
            ("today", _("Aujourd'hui")),
            ("weekend", _("Ce week-end")),
            ("week", _("Cette semaine")),
        ],
    )
    day = forms.DateField(
        label=_("Date"),
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, data, *, choices: FilterChoices):
        super().__init__(data)
        self.fields["location"].choices = [("", _("Toutes"))] + choices.locations
        self.fields["audience"].choices = [("", _("Tous"))] + choices.audiences
        self.fields["activity_type"].choices = [("", _("Tous"))] + choices.activity_types
        self.fields["category"].choices = [("", _("Toutes"))] + choices.categories

    def filters(self) -> dict:
        self.is_valid()
        data = self.cleaned_data
        return {
            "name": data.get("name") or "",
            "location_id": data.get("location"),
            "audience_id": data.get("audience"),
            "activity_type_id": data.get("activity_type"),
            "category_id": data.get("category"),
            "period": data.get("period") or "",
            "day": data.get("day"),
        }


def submission_key_new(*, session_id: int) -> str:
    """A one-time key for one loaded booking form, signed: only keys we issued are accepted."""
    return signing.dumps({"s": session_id, "k": secrets.token_urlsafe(24)}, salt=SUBMISSION_SALT)


EXPIRED = _(
    "Ce formulaire n'était plus valable : vérifiez vos informations puis envoyez-le à nouveau."
)


def _required(message):
    return {"required": message}


class BookingForm(forms.Form):
    first_name = PersonNameField(
        label=_("Prénom"),
        invalid=_("Saisissez un prénom sans chiffres ni adresse web."),
        error_messages=_required(_("Saisissez votre prénom.")),
    )
    last_name = PersonNameField(
        label=_("Nom"),
        invalid=_("Saisissez un nom sans chiffres ni adresse web."),
        error_messages=_required(_("Saisissez votre nom.")),
    )
    email = forms.EmailField(
        # The model's limit (254), not the form's default (320): a longer address would pass
        # here and be refused when saved.
        max_length=Reservation._meta.get_field("email").max_length,
        label=pgettext_lazy(
            "champ", "Email"
        ),  # without a context, Django's catalogue says "Courriel"
        help_text=_("Par exemple : camille.martin@example.org"),
        error_messages={
            "required": _("Saisissez votre adresse e-mail."),
            "invalid": _("Adresse e-mail invalide : saisissez-la sous la forme nom@exemple.fr."),
        },
    )
    phone = PhoneNumberFormField(
        label=_("Numéro de téléphone"),
        max_length=30,
        help_text=_("Par exemple : 06 12 34 56 78 ou +33 6 12 34 56 78"),
        error_messages=_required(_("Saisissez votre numéro de téléphone.")),
    )
    city = forms.CharField(
        label=_("Ville"), max_length=100, error_messages=_required(_("Saisissez votre ville."))
    )
    quantity = forms.TypedChoiceField(label=_("Quantité"), coerce=int)
    # Honeypot: hidden from people (CSS and aria-hidden), filled in by bots that fill every field.
    website = forms.CharField(label=_("Ne pas remplir ce champ"), required=False)
    submission = forms.CharField(widget=forms.HiddenInput, error_messages=_required(EXPIRED))

    def __init__(self, data=None, *, session: Session, submission: str | None = None):
        """`submission`: the one-time key to put in a blank form (a new one if not given)."""
        initial = (
            None
            if data is not None
            else {
                "submission": submission or submission_key_new(session_id=session.pk),
                "quantity": 1,
            }
        )
        super().__init__(data, initial=initial)
        self.session = session
        self.max_quantity = session.activity.max_places_per_booking
        if session.seats_left is not None:
            self.max_quantity = min(self.max_quantity, session.seats_left)
        quantity = self.fields["quantity"]
        quantity.choices = [(n, str(n)) for n in range(1, self.max_quantity + 1)]
        quantity.error_messages = {
            "required": _("Choisissez une quantité."),
            "invalid_choice": _("Choisissez une quantité de 1 à %(max)d.")
            % {"max": self.max_quantity}
            if self.max_quantity > 1
            else _("La quantité ne peut être que 1."),
        }
        autocomplete = {
            "first_name": "given-name",
            "last_name": "family-name",
            "email": "email",
            "phone": "tel",
            "city": "address-level2",
        }
        for name, value in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = value
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    def submission_key(self) -> str | None:
        """The one-time key sent with the form, if we issued it for this session."""
        try:
            signed = signing.loads(self.data.get("submission", ""), salt=SUBMISSION_SALT)
        except signing.BadSignature:
            return None
        if (
            not isinstance(signed, dict)
            or signed.get("s") != self.session.pk
            or not signed.get("k")
        ):
            return None
        return str(signed["k"])

    def clean_submission(self) -> str:
        key = self.submission_key()
        if key is None:
            raise forms.ValidationError(EXPIRED)
        return key

    PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "city", "quantity")

    @property
    def person_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.PERSON_FIELDS]

    @property
    def submission_value(self) -> str:
        """The key to embed in the page: the one sent, or a new one when it was refused."""
        if not self.is_bound:
            return self.initial["submission"]
        if self.errors.get("submission"):
            return submission_key_new(session_id=self.session.pk)
        return self.data.get("submission", "")

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def booking_data(self) -> dict:
        """Keyword arguments for reservation_create."""
        data = self.cleaned_data
        return {name: data[name] for name in self.PERSON_FIELDS} | {
            "submission_key": data["submission"]
        }


class QuantityChangeForm(forms.Form):
    """ "Modifier le nombre de places": the choices a page offers; the seat service decides."""

    quantity = forms.TypedChoiceField(label=_("Nombre de places"), coerce=int)

    def __init__(self, data=None, *, reservation: Reservation):
        super().__init__(data, initial={"quantity": reservation.quantity})
        session = reservation.session
        most = session.activity.max_places_per_booking
        if session.seats_left is not None:
            most = min(most, reservation.quantity + session.seats_left)
        self.fields["quantity"].choices = [(n, str(n)) for n in range(1, most + 1)]


class ReservationsFindForm(forms.Form):
    """ "Retrouver mes réservations": the address the links are mailed to."""

    email = forms.EmailField(
        label=pgettext_lazy("champ", "Email"),
        max_length=254,
        help_text=_("L'adresse donnée lors de la réservation."),
        error_messages={
            "required": _("Saisissez votre adresse e-mail."),
            "invalid": _("Adresse e-mail invalide : saisissez-la sous la forme nom@exemple.fr."),
        },
    )
