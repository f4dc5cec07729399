"""The portals' account forms: the two-step sign-in, choosing and changing a password, "Mon
profil". Each portal's views use them with its own pages and mails."""

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from guichet.accounts.selectors import IDENTIFIER_MAX_LENGTH
from guichet.core.forms import PersonNameField
from guichet.core.login_limit import WRONG_PAIR, login_failure_count, login_refusal
from guichet.core.phones import PhoneNumberFormField
from guichet.core.validators import validate_single_line

FIRST_NAME_INVALID = _("Saisissez un prénom en lettres (sans chiffres ni adresse web).")
LAST_NAME_INVALID = _("Saisissez un nom en lettres (sans chiffres ni adresse web).")

# A password longer than this is no one's: refused before it is hashed.
PASSWORD_MAX_LENGTH = 1024


IDENTIFIER_LABEL = _("Email ou téléphone")
IDENTIFIER_REQUIRED = _("Saisissez votre adresse e-mail ou votre numéro de téléphone.")


def identifier_field(
    *,
    label=IDENTIFIER_LABEL,
    help_text="",
    required_message=IDENTIFIER_REQUIRED,
    **widget_attrs,
) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=IDENTIFIER_MAX_LENGTH,
        validators=[validate_single_line],
        error_messages={
            "required": required_message,
            "max_length": _("Cet identifiant est trop long (%(limit_value)d caractères au plus)."),
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", **widget_attrs}
        ),
    )


def password_field(
    label, *, autocomplete: str, required: bool = True, **widget_attrs
) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        required=required,
        max_length=PASSWORD_MAX_LENGTH,
        error_messages={"required": _("Saisissez votre mot de passe.")},
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete, **widget_attrs}),
    )


class IdentifierForm(forms.Form):
    """Step 1 of the sign-in, and "Mot de passe oublié": who is asking. Any identifier goes on
    to step 2, known or not."""

    identifier = identifier_field(autofocus=True)


class PasswordSignInForm(forms.Form):
    """The check of a sign-in's `identifier` and `password` fields (each portal's form names
    them): every failure, unknown identifier included, says "Identifiant ou mot de passe
    incorrect."; LOGIN_RATE_LIMIT counts them. `user` is the account once valid."""

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = None

    def clean(self):
        cleaned = super().clean()
        identifier, password = cleaned.get("identifier"), cleaned.get("password")
        if self.errors or not identifier:
            return cleaned
        refusal = login_refusal(self.request, identifier=identifier)
        if refusal:
            raise ValidationError(refusal, code="throttled")
        self.user = authenticate(self.request, identifier=identifier, password=password)
        if self.user is None:
            login_failure_count(self.request, identifier=identifier)
            raise ValidationError(WRONG_PAIR, code="invalid_login")
        return cleaned


class SignInForm(PasswordSignInForm):
    """Step 2: the password for the identifier of step 1."""

    identifier = identifier_field()
    password = password_field(_("Mot de passe"), autocomplete="current-password", autofocus=True)
    remember = forms.BooleanField(label=_("Rester connecté"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["identifier"].widget = forms.HiddenInput()


class _NewPasswordLimit:
    """A new password no longer than what the sign-in accepts."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        for name in ("new_password1", "new_password2"):
            self.fields[name].validators.append(MaxLengthValidator(PASSWORD_MAX_LENGTH))


class PasswordChooseForm(_NewPasswordLimit, SetPasswordForm):
    """ "Choisir mon mot de passe": twice, checked by AUTH_PASSWORD_VALIDATORS."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = _("Mot de passe")
        self.fields["new_password2"].label = _("Confirmation du mot de passe")
        self.fields["new_password1"].widget.attrs["autofocus"] = True


class PasswordUpdateForm(_NewPasswordLimit, PasswordChangeForm):
    """ "Mon profil": the current password, then the new one twice."""


class ProfileForm(forms.Form):
    """ "Mon profil": names and phone are saved at once; a new e-mail address only once
    confirmed from the link sent to it."""

    first_name = PersonNameField(
        label=_("Prénom"),
        invalid=_("Saisissez un prénom en lettres (sans chiffres ni adresse web)."),
    )
    last_name = PersonNameField(
        label=_("Nom"), invalid=_("Saisissez un nom en lettres (sans chiffres ni adresse web).")
    )
    email = forms.EmailField(label=_("Adresse e-mail"), max_length=254)
    phone = PhoneNumberFormField(label=_("Téléphone"), required=False, max_length=30)
