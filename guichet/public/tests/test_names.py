"""The booking form's first and last names: what a person may be called, and nothing a mail
reader would show as a link or that would hide or reorder text."""

import string
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from guichet.public.forms import BookingForm

FIRST_NAME = BookingForm.base_fields["first_name"]
LAST_NAME = BookingForm.base_fields["last_name"]
REFUSED = {
    FIRST_NAME: "Saisissez un prénom sans chiffres ni adresse web.",
    LAST_NAME: "Saisissez un nom sans chiffres ni adresse web.",
}

letters = st.characters(categories=["Lu", "Ll", "Lt", "Lm", "Lo"])
word = st.text(letters, min_size=1, max_size=12).flatmap(
    lambda text: st.sampled_from([text, text + "."])  # an initial: "J."
)
separator = st.sampled_from([" ", "-", "'", "’", "ʼ", " - ", ". "])


@st.composite
def names(draw) -> str:
    words = draw(st.lists(word, min_size=1, max_size=4))
    name = words[0]
    for following in words[1:]:
        name += draw(separator) + following
    assume("http" not in name.casefold() and "www" not in name.casefold())
    assume(len(unicodedata.normalize("NFC", name)) <= 100)
    return name


def refused(field, value: str) -> bool:
    try:
        field.clean(value)
    except ValidationError as error:
        assert REFUSED[field] in error.messages
        return True
    return False


@pytest.mark.parametrize(
    "name",
    [
        "Zoé",
        "Jean-Pierre",
        "J.-P.",
        "José María",
        "O’Brien",
        "d'Artagnan",
        "Łukasz",
        "Nguyễn",
        "अनिल",  # Devanagari: letters with vowel signs (marks)
        "สมชาย",
        "محمد",
        "王小明",
        "Ngũgĩ wa Thiongʼo",
    ],
)
def test_names_of_every_script_are_accepted(name):
    assert FIRST_NAME.clean(name) == unicodedata.normalize("NFC", name)
    assert LAST_NAME.clean(f"  {name} ") == unicodedata.normalize("NFC", name)


@settings(deadline=None)  # a busy machine is no failure
@given(names())
@example("Zoe\u0301")  # "Zoé" typed with a combining accent
def test_letters_and_name_punctuation_are_accepted_in_nfc(name):
    assert FIRST_NAME.clean(name) == unicodedata.normalize("NFC", name).strip()


@settings(deadline=None)
@given(names(), st.characters(categories=["Nd", "Nl", "No"]), st.data())
def test_a_digit_anywhere_is_refused(name, digit, data):
    at = data.draw(st.integers(0, len(name)))
    assert refused(FIRST_NAME, name[:at] + digit + name[at:])


@settings(deadline=None)
@given(
    names(),
    # Controls (CR, LF, NUL…), format characters (zero-width spaces and joiners, bidirectional
    # overrides and isolates), symbols and other punctuation ("<", ":", "/", "@").
    st.characters(categories=["Cc", "Cf", "Co", "Sm", "Sc", "Sk", "So", "Po", "Ps", "Pe"]),
)
@example("Camille", "\u202e")
@example("Camille", "\u200b")
@example("Camille", "\n")
@example("Camille", "<")
def test_other_characters_are_refused(name, char):
    assume(char not in "'.")
    assert refused(LAST_NAME, f"{name}{char}{name}")


@settings(deadline=None)
@given(
    st.text(string.ascii_letters, min_size=1, max_size=10),
    st.text(string.ascii_lowercase, min_size=2, max_size=6),
    st.sampled_from(["", "www.", "http://", "https://", "Votre compte : "]),
)
def test_anything_shaped_like_a_web_address_is_refused(host, tld, prefix):
    assert refused(FIRST_NAME, f"{prefix}{host}.{tld}")


@pytest.mark.parametrize(
    "value", ["www.x.fr", "x.com", "http", "HTTPS", "Wwwanda", "Camille .fr", "...", "- '"]
)
def test_web_addresses_and_names_without_letters_are_refused(value):
    assert refused(FIRST_NAME, value)


def test_at_most_100_characters():
    assert FIRST_NAME.clean("a" * 100) == "a" * 100
    with pytest.raises(ValidationError):
        FIRST_NAME.clean("a" * 101)
