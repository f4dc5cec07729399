from django import forms
from django.utils.translation import gettext_lazy as _


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("E-mail, téléphone ou nom"),
        max_length=200,
        widget=forms.TextInput(attrs={"autofocus": True}),
    )


class PersonAnonymiseForm(PersonSearchForm):
    reason = forms.CharField(
        label=_("Motif"),
        max_length=300,
        help_text=_("Par exemple : demande d'effacement reçue le 3 mars par courrier."),
    )
    confirm = forms.BooleanField(
        label=_("Je confirme : ces données seront effacées définitivement."), required=True
    )
