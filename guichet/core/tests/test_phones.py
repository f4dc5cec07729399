"""Phone numbers checked once per form: what is remembered never changes an answer."""

import pytest
from django.core.exceptions import ValidationError

from guichet.core import phones
from guichet.core.phones import phone_display, phone_to_e164


@pytest.fixture(autouse=True)
def _forget():
    phones._e164_seen.clear()


def test_the_same_answers_the_first_time_and_after():
    for _ in range(2):
        assert phone_to_e164("06 12 34 56 78") == "+33612345678"
        assert phone_to_e164("+33612345678") == "+33612345678"
        assert phone_to_e164("+32 2 555 12 12") == "+3225551212"
        for wrong in ("06 12 34", "pas un numéro", "+33612345678" + "9" * 30, "\x00"):
            with pytest.raises(ValidationError) as refused:
                phone_to_e164(wrong)
            assert refused.value.code == "invalid_phone"
    assert phone_display("+33612345678") == "+33 6 12 34 56 78"
    assert phone_display("") == ""


def test_what_is_remembered_stays_bounded():
    for n in range(phones._E164_SEEN_MAX + 10):
        with pytest.raises(ValidationError):
            phone_to_e164(f"12{n}")
    assert len(phones._e164_seen) <= phones._E164_SEEN_MAX
    assert phone_to_e164("06 12 34 56 78") == "+33612345678"
