"""Every plural message has its entry in the French catalogue, so that 0 takes the singular."""

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings
from django.utils.translation.template import templatize

GUICHET = Path(settings.BASE_DIR) / "guichet"
PLURAL_FUNCTIONS = {"ngettext", "ngettext_lazy", "npgettext", "npgettext_lazy"}
_QUOTED = r"u('(?:[^'\\]|\\.)*')"
# The singular of the plural calls in templatize()'s output (a context comes first in npgettext).
TEMPLATE_PLURAL = re.compile(rf"\bngettext\({_QUOTED}|\bnpgettext\({_QUOTED}, {_QUOTED}")


def plural_messages_in(code: str) -> set[str]:
    """The singular msgid of each ngettext-like call with literal strings in this Python code."""
    found = set()
    for node in ast.walk(ast.parse(code)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in PLURAL_FUNCTIONS:
            continue
        strings = [arg.value for arg in node.args if isinstance(arg, ast.Constant)]
        if name.startswith("np"):
            strings = strings[1:]  # the context comes first
        if strings:
            found.add(strings[0])
    return found


def project_plural_messages() -> set[str]:
    found = set()
    for path in GUICHET.rglob("*.py"):
        if "tests" not in path.parts and "migrations" not in path.parts:
            found |= plural_messages_in(path.read_text())
    for path in GUICHET.rglob("templates/**/*.html"):
        # Django's own conversion for xgettext turns {% blocktranslate count %} into ngettext().
        for match in TEMPLATE_PLURAL.finditer(templatize(path.read_text(), origin=str(path))):
            found.add(ast.literal_eval(match.group(1) or match.group(3)))
    return found


def test_every_plural_message_is_in_the_french_catalogue():
    catalogue = GUICHET / "locale" / "fr" / "LC_MESSAGES" / "django.mo"
    with catalogue.open("rb") as file:
        translations = gettext.GNUTranslations(file)
    messages = project_plural_messages()
    assert "%(counter)s activité" in messages  # the extraction finds the templates' plurals too
    missing = sorted(m for m in messages if (m, 0) not in translations._catalog)
    assert missing == [], "add them to guichet/locale/fr/LC_MESSAGES/django.po (DEVELOPERS.md)"
    assert translations.ngettext("%(n)d place restante", "%(n)d places restantes", 0) == (
        "%(n)d place restante"
    )
