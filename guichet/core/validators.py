"""Validators shared by the apps' models."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Controls (NUL, tab, CR, LF, DEL…) and the line and paragraph separators.
_LINE_BREAKING = {"Cc", "Zl", "Zp"}


def validate_single_line(value: str) -> None:
    """A one-line text typed by staff: it goes into mail headers (the organisation's name, the
    activity's name in the subject), exports and pages, where a line break or a control
    character makes every mail fail or breaks the layout."""
    if value.isprintable():  # never one of them: no need to look at each character
        return
    if any(unicodedata.category(char) in _LINE_BREAKING for char in value):
        raise ValidationError(
            _("Ce champ tient sur une ligne, sans retour à la ligne ni caractère de contrôle."),
            code="single_line",
        )


# Besides letters (with their accents and marks, in any script): what names are written with.
NAME_PUNCTUATION = frozenset(" -.'’ʼ")
# What a mail reader would turn into a link: "http", "www", or a dot followed by a word ("x.com").
WEB_ADDRESS = re.compile(r"http|www|\.[^\W\d_]{2}")


class PersonNameValidator:
    """A first or last name: letters of any script, spaces, hyphens, dots and apostrophes, at
    least one letter. No digit, nothing shaped like a web address, no control, invisible or
    direction-changing character: what a visitor types is sent in our mails to the address they
    gave, and must not turn them into a message of the sender's choosing."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, value: str) -> None:
        letters = [unicodedata.category(char)[0] == "L" for char in value]
        if (
            not any(letters)
            or not all(
                is_letter or char in NAME_PUNCTUATION or unicodedata.category(char)[0] == "M"
                for char, is_letter in zip(value, letters, strict=True)
            )
            # "ʼ" is a letter for Unicode, an apostrophe here: "J.ʼA" is not a domain.
            or WEB_ADDRESS.search(value.casefold().replace("ʼ", "'"))
        ):
            raise ValidationError(self.message, code="invalid")
