"""The family portal's account forms. "Authentification" is one page (identifier and password
together, as parents know it), on the same checks as the other portals' sign-in: one message for
every failure, LOGIN_RATE_LIMIT, a password hash whatever the identifier."""

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from guichet.accounts.forms import (
    PASSWORD_MAX_LENGTH,
    PasswordSignInForm,
    identifier_field,
    password_field,
)
from guichet.core.validators import validate_single_line
from guichet.families.models import ACTIVATION_CODE_LENGTH


def _identifier_field(**attrs) -> forms.CharField:
    return identifier_field(
        label=_("Identifiant"),
        help_text=_(
            "Votre adresse e-mail, votre numéro de téléphone ou l'identifiant de votre lettre."
        ),
        required_message=_("Saisissez votre identifiant."),
        **attrs,
    )


class SignInForm(PasswordSignInForm):
    identifier = _identifier_field(autofocus=True)
    password = password_field(_("Mot de passe"), autocomplete="current-password")
    remember = forms.BooleanField(label=_("Se souvenir de moi"), required=False)


class ForgotForm(forms.Form):
    identifier = _identifier_field(autofocus=True)


class _NewPasswordTwice(forms.Form):
    new_password1 = password_field(_("Nouveau mot de passe"), autocomplete="new-password")
    new_password2 = password_field(
        _("Nouveau mot de passe (double saisie pour confirmation)"), autocomplete="new-password"
    )

    def _passwords_check(self, cleaned, user=None) -> None:
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("Les deux mots de passe ne sont pas identiques."))
        elif first:
            try:
                password_validation.validate_password(first, user)
            except ValidationError as error:
                self.add_error("new_password1", error)


class FirstConnectionForm(_NewPasswordTwice):
    """ "Première connexion": the letter's identifier and code, then a password twice."""

    identifier = _identifier_field(autofocus=True)
    code = forms.CharField(
        label=_("Code d'activation"),
        max_length=32,
        validators=[validate_single_line],
        error_messages={"required": _("Saisissez le code de votre lettre d'activation.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
        help_text=_("%(n)d caractères, sur votre lettre d'activation.")
        % {"n": ACTIVATION_CODE_LENGTH},
    )
    field_order = ["identifier", "code", "new_password1", "new_password2"]

    def clean(self):
        cleaned = super().clean()
        self._passwords_check(cleaned)
        return cleaned


class ProfileUpdateForm(_NewPasswordTwice):
    """ "Modifier": "Mot de passe actuel", then a new password and/or a new e-mail address,
    each typed twice ("Double saisie pour confirmation")."""

    old_password = password_field(_("Mot de passe actuel"), autocomplete="current-password")
    email1 = forms.EmailField(
        label=_("Saisissez un nouveau courriel"), required=False, max_length=254
    )
    email2 = forms.EmailField(
        label=_("Nouveau courriel (double saisie pour confirmation)"),
        required=False,
        max_length=254,
    )
    field_order = ["old_password", "new_password1", "new_password2", "email1", "email2"]

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for name in ("new_password1", "new_password2"):
            self.fields[name].required = False
            self.fields[name].validators.append(MaxLengthValidator(PASSWORD_MAX_LENGTH))

    def clean_old_password(self):
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise ValidationError(_("Votre mot de passe actuel n'est pas celui-ci."))
        return value

    def clean(self):
        cleaned = super().clean()
        self._passwords_check(cleaned, self.user)
        first, second = cleaned.get("email1"), cleaned.get("email2")
        if (first or second) and (first or "").lower() != (second or "").lower():
            self.add_error("email2", _("Les deux adresses ne sont pas identiques."))
        if not self.errors and not cleaned.get("new_password1") and not first:
            raise ValidationError(_("Saisissez un nouveau mot de passe ou un nouveau courriel."))
        return cleaned
