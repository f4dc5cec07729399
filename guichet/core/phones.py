"""Phone numbers: stored in E.164 ("+33768845070"), shown as "+33 7 68 84 50 70"."""

from functools import lru_cache

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

DEFAULT_REGION = "FR"


def phone_to_e164(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """Accept the usual French and international forms; raise ValidationError otherwise."""
    e164 = _e164(raw, region)
    if e164 is None:
        raise ValidationError(
            _(
                "Numéro de téléphone invalide : saisissez par exemple 06 12 34 56 78 ou +33 6 12 34 56 78."
            ),
            code="invalid_phone",
        )
    return e164


# A booking checks its number twice, in the form and again in the model (as E.164 then), about
# 40 µs each: the numbers seen last are remembered, each one's E.164 form as valid too.
_e164_seen: dict[tuple[str, str], str | None] = {}
_E164_SEEN_MAX = 1024


def _e164(raw: str, region: str) -> str | None:
    """`raw` in E.164, or None if it is no valid number."""
    try:
        return _e164_seen[raw, region]
    except KeyError:
        pass
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    e164 = None
    if number is not None and phonenumbers.is_valid_number(number):
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if len(_e164_seen) >= _E164_SEEN_MAX:
        _e164_seen.clear()
    _e164_seen[raw, region] = e164
    if e164 is not None:
        _e164_seen[e164, region] = e164
    return e164


# Every public page shows the organisation's number (footer, "Ma réservation"): formatting it
# costs about 40 µs, so the few numbers shown are remembered.
@lru_cache(maxsize=256)
def phone_display(e164: str) -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_national(e164: str) -> str:
    """A French number as dialled in France ("03 20 00 00 00"), any other as phone_display."""
    if not e164.startswith("+33"):
        return phone_display(e164)
    number = phonenumbers.parse(e164, DEFAULT_REGION)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def phone_search_text(e164: str) -> str:
    """A number as the accent-blind search (guichet.core.search) keeps it: dialled in France and
    in E.164, digits only, so that "06 12…", "0612…" and "+33 6 12…" all find it."""
    if not e164:
        return ""
    national = "".join(char for char in phone_national(e164) if char.isdigit())
    return f"{national} {e164}"


def phone_links(text: str) -> SafeString:
    """`text` escaped, each phone number in it a `tel:` link ("au 03 20 00 00 00")."""
    parts, last = [], 0
    for match in phonenumbers.PhoneNumberMatcher(text, DEFAULT_REGION):
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        parts += [
            escape(text[last : match.start]),
            format_html('<a href="tel:{}">{}</a>', e164, match.raw_string),
        ]
        last = match.end
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped above


class PhoneNumberFormField(forms.CharField):
    """A form field that accepts the usual forms of a number and cleans it to E.164, so that a
    mistyped number is reported next to its field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.widget.input_type = "tel"

    def to_python(self, value):
        value = super().to_python(value)
        return phone_to_e164(value) if value else value

    def has_changed(self, initial, data):
        # A number shown in national form ("03 20 00 00 00") is the one stored as E.164.
        if initial:
            try:
                initial = phone_to_e164(initial)
            except ValidationError:
                pass
        return super().has_changed(initial, data)


class PhoneNumberField(models.CharField):
    """A phone number typed in any usual form, stored in E.164 once the model is validated."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return phone_to_e164(value) if value else value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PhoneNumberFormField, **kwargs})
