"""The portal's forms. Choices that name rows come from the structure's scope, so that a forged
id is refused as a choice not offered."""

from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.accounts.forms import FIRST_NAME_INVALID, LAST_NAME_INVALID, ProfileForm
from guichet.catalogue.models import SESSION_YEARS
from guichet.core.forms import PersonNameField
from guichet.core.phones import PhoneNumberFormField
from guichet.core.search import MAX_QUERY_WORDS
from guichet.core.validators import validate_single_line
from guichet.solidarity.models import BeneficiaryKind, Civility, MemberRole
from guichet.solidarity.selectors import EventFilters, Moment


def _line(label, *, max_length: int, required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, required=required, validators=[validate_single_line]
    )


class SearchForm(forms.Form):
    """ "Recherche rapide": names, phone or e-mail; a query too long is cut, not refused."""

    q = forms.CharField(label=_("Recherche rapide"), required=False)

    def query(self) -> str:
        self.is_valid()
        words = (getattr(self, "cleaned_data", {}).get("q") or "").split()
        return " ".join(words[:MAX_QUERY_WORDS])[:200]


class BeneficiaryForm(forms.Form):
    kind = forms.ChoiceField(label=_("Famille"), choices=BeneficiaryKind.choices)
    guest_of = forms.ModelChoiceField(
        label=_("Invité de"),
        queryset=None,
        required=False,
        empty_label="—",
        help_text=_("Pour un invité : le participant qu'il accompagne."),
        error_messages={"invalid_choice": _("Choisissez un participant de votre structure.")},
    )
    civility = forms.ChoiceField(label=_("Civilité"), choices=Civility.choices, required=False)
    last_name = PersonNameField(label=_("Nom"), invalid=LAST_NAME_INVALID)
    first_name = PersonNameField(label=_("Prénom"), invalid=FIRST_NAME_INVALID)
    address = _line(_("Adresse"), max_length=200)
    phone = PhoneNumberFormField(label=_("Téléphone"), required=False, max_length=30)
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)

    def __init__(self, *args, hosts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guest_of"].queryset = hosts


class StructureForm(forms.Form):
    """What a responsable edits in "Ma structure"."""

    address = _line(_("Adresse"), max_length=200)
    postal_code = _line(_("Code postal"), max_length=10)
    city = _line(_("Ville"), max_length=100, required=True)
    phone = PhoneNumberFormField(label=_("Téléphone"), required=False, max_length=30)
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)


class MemberForm(ProfileForm):
    """A référent, added ("+") or edited (pencil) by a responsable. Its e-mail address may be
    corrected only while the account has never been used (`email_editable`)."""

    role = forms.ChoiceField(
        label=_("Rôle"),
        choices=MemberRole.choices,
        initial=MemberRole.REFERENT,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, email_editable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = _(
            "L'invitation à choisir un mot de passe part à cette adresse."
        )
        if not email_editable:
            self.fields["email"].disabled = True
            self.fields["email"].help_text = _("Son titulaire la change depuis « Mon profil ».")


class EventSearchForm(forms.Form):
    """The catalogue's search: the département menu, "Rechercher" (the title, accents and case
    ignored) and the advanced search (the arrow). Choices come from the events of the chosen
    département; a value not offered (a forged id, an old link) is refused by name, the rest of
    the search kept."""

    departement = forms.ChoiceField(
        label=_("Département"),
        required=False,
        error_messages={"invalid_choice": _("Choisissez un département de la liste.")},
    )
    q = forms.CharField(label=_("Rechercher un événement"), required=False)
    genre = forms.TypedChoiceField(
        label=_("Genre"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("Choisissez un genre de la liste.")},
    )
    public = forms.TypedChoiceField(
        label=_("Type de publics"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("Choisissez un type de publics de la liste.")},
    )
    ville = forms.ChoiceField(
        label=_("Ville"),
        required=False,
        error_messages={"invalid_choice": _("Choisissez une ville de la liste.")},
    )
    horaire = forms.ChoiceField(
        label=_("Horaire"),
        required=False,
        choices=[("", _("Tous"))] + list(Moment.choices),
        error_messages={"invalid_choice": _("Choisissez un horaire de la liste.")},
    )
    du = forms.DateField(
        label=_("Du"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": _("Saisissez une date valide (jj/mm/aaaa).")},
    )
    au = forms.DateField(
        label=_("Au"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": _("Saisissez une date valide (jj/mm/aaaa).")},
    )

    def __init__(self, data, *, territories, choices, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["departement"].choices = [(t.code, str(t)) for t in territories]
        everything = [("", _("Tous"))]
        self.fields["genre"].choices = everything + [
            (str(pk), name) for pk, name in choices.categories
        ]
        self.fields["public"].choices = everything + [
            (str(pk), name) for pk, name in choices.audiences
        ]
        self.fields["ville"].choices = [("", _("Toutes"))] + [
            (city, city) for city in choices.cities
        ]

    def clean_q(self) -> str:
        words = (self.cleaned_data.get("q") or "").split()
        return " ".join(words[:MAX_QUERY_WORDS])[:200]

    def _clean_day(self, name: str):
        day = self.cleaned_data.get(name)
        if day is not None and day.year not in SESSION_YEARS:
            raise forms.ValidationError(
                _("Choisissez une date entre %(first)d et %(last)d.")
                % {"first": SESSION_YEARS.start, "last": SESSION_YEARS.stop - 1}
            )
        return day

    def clean_du(self):
        return self._clean_day("du")

    def clean_au(self):
        return self._clean_day("au")

    def clean(self):
        data = super().clean()
        if data.get("du") and data.get("au") and data["au"] < data["du"]:
            self.add_error("au", _("La date de fin doit être après la date de début."))
        return data

    def filters(self, *, territory_id: int | None) -> EventFilters:
        """The valid part of the search (a refused field filters nothing)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return EventFilters(
            territory_id=territory_id,
            query=data.get("q") or "",
            category_id=data.get("genre"),
            audience_id=data.get("public"),
            city=data.get("ville") or "",
            moment=data.get("horaire") or "",
            first_day=data.get("du"),
            last_day=data.get("au"),
        )


class QuickPersonForm(forms.Form):
    """ "Créer un nouveau participant" (or guest, or accompanier) inside the booking page:
    Civilité, Nom, Prénom. Its fields are never `required` in HTML: the page's other buttons
    post the same form."""

    use_required_attribute = False

    civility = forms.ChoiceField(label=_("Civilité"), choices=Civility.choices, required=False)
    last_name = PersonNameField(label=_("Nom"), invalid=LAST_NAME_INVALID)
    first_name = PersonNameField(label=_("Prénom"), invalid=FIRST_NAME_INVALID)


class ReservationFilterForm(forms.Form):
    """ "Filtrer" in "Mes réservations": a person or an event, among the structure's."""

    personne = forms.TypedChoiceField(label=_("Personne"), required=False, coerce=int)
    evenement = forms.TypedChoiceField(label=_("Événement"), required=False, coerce=int)

    def __init__(self, *args, people, events, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["personne"].choices = [("", _("Toutes"))] + [(p.pk, str(p)) for p in people]
        self.fields["evenement"].choices = [("", _("Tous"))] + [(e.pk, e.name) for e in events]

    def value(self, name: str) -> int | None:
        if not self.is_valid():
            return None
        return self.cleaned_data.get(name) or None
