"""Short references (guichet.core.references): read over the phone, typed back loosely."""

import pytest

from guichet.core.references import ALPHABET, LENGTH, reference_new, reference_parse


def test_new_references_are_eight_crockford_characters():
    references = {reference_new() for _ in range(200)}
    assert len(references) == 200
    for reference in references:
        assert len(reference) == LENGTH == 8
        assert set(reference) <= set(ALPHABET)
        assert not set(reference) & set("ILOU")


@pytest.mark.parametrize(
    ("typed", "reference"),
    [
        ("7K3MQ9Z0", "7K3MQ9Z0"),
        ("7k3mq9z0", "7K3MQ9Z0"),
        ("7K3M-Q9ZO", "7K3MQ9Z0"),  # O for 0
        (" 7k3m q9zo ", "7K3MQ9Z0"),
        ("AB1L-IO00", "AB111000"),  # I and L for 1
        ("ab–cd–ef–gh", "ABCDEFGH"),  # typographic dashes
    ],
)
def test_typed_references_are_mended(typed, reference):
    assert reference_parse(typed) == reference


@pytest.mark.parametrize(
    "typed", ["", "7K3MQ9Z", "7K3MQ9Z00", "7K3MQ9ZU", "7K3M Q9Z!", "é" * 8, "\x00" * 8, "A" * 10000]
)
def test_what_cannot_be_a_reference_gives_none(typed):
    assert reference_parse(typed) is None


@pytest.mark.parametrize("typed", ["S-7K3M-Q9Z0", "s7k3mq9zo", "7K3MQ9Z0", "S 7K3M Q9Z0"])
def test_a_prefix_shown_before_the_reference_may_be_typed_or_not(typed):
    assert reference_parse(typed, prefix="S") == "7K3MQ9Z0"
