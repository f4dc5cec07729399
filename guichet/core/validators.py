"""Validators shared by the apps' models."""

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
