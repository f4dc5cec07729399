"""The portal's forms. Choices that name rows come from the structure's scope, so that a forged
id is refused as a choice not offered."""

from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.accounts.forms import FIRST_NAME_INVALID, LAST_NAME_INVALID, ProfileForm
from guichet.core.forms import PersonNameField
from guichet.core.phones import PhoneNumberFormField
from guichet.core.search import MAX_QUERY_WORDS
from guichet.core.validators import validate_single_line
from guichet.solidarity.models import BeneficiaryKind, Civility, MemberRole


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
