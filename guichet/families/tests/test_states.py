"""Both colour functions of the family calendar, over every combination of their inputs.

Each test states the issue's rule again as a table of conditions tried in order (the rule as
written, not the code's branches), then walks ``itertools.product`` over every input."""

import itertools

import pytest

from guichet.families.states import (
    ACTIONABLE_STATES,
    MINE_STATES,
    Basket,
    Day,
    Look,
    Mine,
    Unit,
    UnitFacts,
    day_legend,
    day_state,
    unit_legend,
    unit_state,
)

RANKS = (None, 1, 7)
SEATS = (None, 0, 1, 3)
ALL_FACTS = [
    UnitFacts(basket=b, mine=m, rank=r, cancellable=c, open=o, seats_left=s, waiting_room=w)
    for b, m, r, c, o, s, w in itertools.product(
        Basket, Mine, RANKS, (False, True), (False, True), SEATS, (False, True)
    )
    # A rank belongs to a waiting entry (kept after promotion): the other rows may carry one.
]

# The table: (state, condition), first match.
UNIT_RULES = [
    (Unit.TO_BOOK, lambda f: f.basket == Basket.BOOK),
    (Unit.TO_CANCEL, lambda f: f.basket == Basket.CANCEL),
    (Unit.BOOKED, lambda f: f.mine in (Mine.BOOKED, Mine.PENDING) and f.cancellable),
    (Unit.WAITING, lambda f: f.mine == Mine.WAITING and f.cancellable),
    (Unit.BOOKED_LOCKED, lambda f: f.mine in (Mine.BOOKED, Mine.PENDING)),
    (Unit.WAITING_LOCKED, lambda f: f.mine == Mine.WAITING),
    (Unit.CLOSED, lambda f: not f.open),
    (Unit.OPEN, lambda f: f.seats_left is None or f.seats_left > 0),
    (Unit.FULL_WAITING_POSSIBLE, lambda f: f.waiting_room),
    (Unit.FULL, lambda f: True),
]

COLOURS = {
    Unit.TO_BOOK: "orange",
    Unit.TO_CANCEL: "green",
    Unit.BOOKED: "blue",
    Unit.WAITING: "violet",
    Unit.BOOKED_LOCKED: "blue",
    Unit.WAITING_LOCKED: "violet",
    Unit.CLOSED: "grey",
    Unit.OPEN: "white",
    Unit.FULL_WAITING_POSSIBLE: "yellow",
    Unit.FULL: "red",
}


def expected_unit(facts: UnitFacts) -> Unit:
    return next(state for state, holds in UNIT_RULES if holds(facts))


def test_the_walk_covers_every_input():
    assert len(ALL_FACTS) == len(Basket) * len(Mine) * 3 * 2 * 2 * 4 * 2 == 1536


@pytest.mark.parametrize("facts", ALL_FACTS, ids=str)
def test_unit_state_is_the_first_rule_that_holds(facts):
    look = unit_state(facts)
    assert look.state == expected_unit(facts)
    assert look.colour == COLOURS[look.state]
    assert look.locked == (look.state in (Unit.BOOKED_LOCKED, Unit.WAITING_LOCKED))
    assert look.text and look.icon


def test_every_unit_state_is_reached_and_texts_follow_the_facts():
    seen = {}
    for facts in ALL_FACTS:
        look = unit_state(facts)
        seen.setdefault(look.state, set()).add((look.icon, look.locked))
        text = look.text
        if look.state in (Unit.BOOKED_LOCKED, Unit.WAITING_LOCKED):
            assert text.endswith("hors délai pour annuler")
        if look.state in (Unit.WAITING, Unit.WAITING_LOCKED):
            expected = "En liste d'attente" if facts.rank is None else f"(rang {facts.rank})"
            assert expected in text
        if look.state in (Unit.BOOKED, Unit.BOOKED_LOCKED):
            if facts.mine == Mine.PENDING:
                assert look.icon == "hourglass"
                assert text.startswith("En attente de traitement")
            else:
                assert look.icon == "check"
                assert text.startswith("Réservé")
        if look.state == Unit.OPEN:
            if facts.seats_left is None:
                assert text == "Ouvert"
            else:
                plural = "place" if facts.seats_left == 1 else "places"
                assert text == f"Ouvert – {facts.seats_left} {plural}"
        if look.state == Unit.CLOSED:
            assert text == "Fermé ou hors délai"
        if look.state == Unit.FULL_WAITING_POSSIBLE:
            assert text == "Complet – liste d'attente possible"
        if look.state == Unit.FULL:
            assert text == "Complet (liste d'attente comprise)"
    assert set(seen) == set(Unit)


def test_no_two_unit_states_share_colour_and_icon_and_padlock():
    """A colour is never the only sign: icon and padlock tell the states apart too."""
    signs = {}
    for facts in ALL_FACTS:
        look = unit_state(facts)
        signs.setdefault((look.icon, look.locked), set()).add(look.state)
    for states in signs.values():
        # Only a pending and a booked unit share a state (their icons differ, hourglass/check).
        assert len(states) == 1


def test_the_basket_wins_over_everything():
    for facts in ALL_FACTS:
        if facts.basket in (Basket.BOOK, Basket.CANCEL):
            assert unit_state(facts).state in (Unit.TO_BOOK, Unit.TO_CANCEL)


def test_a_basket_line_of_hours_keeps_the_booked_look():
    for facts in ALL_FACTS:
        if facts.basket == Basket.HOURS:
            same = UnitFacts(**{**facts.__dict__, "basket": Basket.NONE})
            assert unit_state(facts) == unit_state(same)


# Every unit look that the calendar can meet: one per distinct output of unit_state.
UNIT_LOOKS = sorted(
    {unit_state(facts) for facts in ALL_FACTS if facts.rank in (None, 2)},
    key=lambda look: (look.state, look.icon, look.text),
)

# Seed 002's rules, as the issue words them, first match.
DAY_RULES = [
    (Day.TO_BOOK, lambda s: Unit.TO_BOOK in s),
    (Day.TO_CANCEL, lambda s: Unit.TO_CANCEL in s),
    (
        Day.D6,
        lambda s: (
            s & MINE_STATES
            and s & ACTIONABLE_STATES
            and s & {Unit.WAITING, Unit.WAITING_LOCKED, Unit.FULL_WAITING_POSSIBLE}
        ),
    ),
    (Day.D5, lambda s: s & MINE_STATES and s & ACTIONABLE_STATES),
    (Day.D8, lambda s: s & {Unit.WAITING, Unit.WAITING_LOCKED}),
    (Day.D7, lambda s: s & MINE_STATES),
    (Day.D4, lambda s: Unit.FULL_WAITING_POSSIBLE in s),
    (Day.D3, lambda s: Unit.OPEN in s),
    (Day.D2, lambda s: Unit.FULL in s),
    (Day.D1, lambda s: True),
]

DAY_COLOURS = {
    Day.TO_BOOK: ("orange", False),
    Day.TO_CANCEL: ("green", False),
    Day.D1: ("grey", False),
    Day.D2: ("red", False),
    Day.D3: ("white", False),
    Day.D4: ("yellow", False),
    Day.D5: ("blue", False),
    Day.D6: ("violet", False),
    Day.D7: ("blue", True),
    Day.D8: ("violet", True),
}

# Every set of distinct unit states a day can hold (2^10 - 1 of them), the order of the units
# being irrelevant; a day of up to three units over every look and order below.
ALL_STATE_SETS = [
    frozenset(combo)
    for size in range(1, len(Unit) + 1)
    for combo in itertools.combinations(list(Unit), size)
]


def look_of(state: Unit) -> Look:
    return next(look for look in UNIT_LOOKS if look.state == state)


@pytest.mark.parametrize(
    "states", ALL_STATE_SETS, ids=lambda s: "-".join(str(int(x)) for x in sorted(s))
)
def test_day_state_over_every_set_of_unit_states(states):
    look = day_state([look_of(state) for state in sorted(states)])
    expected = next(day for day, holds in DAY_RULES if holds(set(states)))
    assert look.state == expected
    assert (look.colour, look.locked) == DAY_COLOURS[expected]
    assert look.text and look.icon


def test_day_state_ignores_the_units_order_and_repetitions():
    for units in itertools.product(UNIT_LOOKS, repeat=3):
        look = day_state(units)
        assert look == day_state(list(reversed(units)))
        assert look == day_state(sorted(set(units), key=lambda u: (u.state, u.text)))


def test_every_day_state_is_reached():
    assert {day_state([look_of(s) for s in states]).state for states in ALL_STATE_SETS} == set(Day)


def test_a_day_needs_units():
    with pytest.raises(ValueError):
        day_state([])


def test_the_legends_show_each_state_once():
    units = unit_legend()
    assert [look.state for look in units] == [1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10]
    assert len({look.text for look in units}) == len(units)
    days = day_legend()
    assert [look.state for look in days] == [
        Day.TO_BOOK,
        Day.TO_CANCEL,
        Day.D5,
        Day.D6,
        Day.D7,
        Day.D8,
        Day.D4,
        Day.D3,
        Day.D2,
        Day.D1,
    ]
    assert len({look.text for look in days}) == len(days)
