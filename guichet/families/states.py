"""The colours of the family calendar: what one activity-day, and one day, looks like to a parent.

Pure functions, no database: the calendar (``guichet.families.calendar``) gathers the facts of
each unit (one activity on one day, for the chosen child) into a ``UnitFacts`` and asks
``unit_state`` how to show it; with no activity chosen, ``day_state`` folds the day's units into
one look. Every look has a colour, an icon and a French text, so that no meaning is carried by
colour alone (the text is written in the cell for screen readers and in the legend).

``unit_state``, first match (issue 14, "Calendar"):

==  =========  ======================================================  ========================
 1  orange     in the basket, to book                                  À réserver
 2  green      in the basket, to cancel                                À annuler
 3  blue       mine (booked or pending), cancellable                   Réservé / En attente de
                                                                       traitement (hourglass)
 4  violet     mine, waiting, cancellable                              En liste d'attente (rang N)
 5  blue+lock  mine (booked or pending), past ``cancel_until``         … hors délai pour annuler
 6  violet+lk  mine, waiting, past ``cancel_until``                    … hors délai pour annuler
 7  grey       not open, past the deadline, not for this child,        Fermé ou hors délai
               cancelled
 8  white      open, seats left (or no limit)                          Ouvert – N places
 9  yellow     open, full, room on the waiting list                    Complet – liste d'attente
                                                                       possible
10  red        open, full, waiting list full or none                   Complet (liste d'attente
                                                                       comprise)
==  =========  ======================================================  ========================

``day_state`` (seed 002's eight rules, D1–D8, after the basket):

- a basket line: orange, green if every basket line of the day cancels;
- one of mine (3–6) and something actionable (3, 4, 8, 9): violet if one of mine waits or a
  unit is 9 (D6), else blue (D5);
- one of mine, nothing actionable: padlocked violet if one of mine waits (D8), else padlocked
  blue (D7);
- none of mine: yellow if a unit is 9 (D4), else white if one is 8 (D3), else red if one is
  10 (D2), else grey (D1).

A basket line changing only the hours of a booking does not change the colour: the unit is still
booked (its hours show in the cell).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class Basket(StrEnum):
    """What the parent's basket asks for this unit."""

    NONE = "none"
    BOOK = "book"
    CANCEL = "cancel"
    HOURS = "hours"


class Mine(StrEnum):
    """The child's live reservation for this unit, if any."""

    NONE = "none"
    BOOKED = "booked"  # valid or archived
    PENDING = "pending"  # waiting for staff ("Par nos services")
    WAITING = "waiting"


class Unit(IntEnum):
    """The ten states of an activity-day, in the order they are tried."""

    TO_BOOK = 1
    TO_CANCEL = 2
    BOOKED = 3
    WAITING = 4
    BOOKED_LOCKED = 5
    WAITING_LOCKED = 6
    CLOSED = 7
    OPEN = 8
    FULL_WAITING_POSSIBLE = 9
    FULL = 10


class Day(StrEnum):
    """The look of a day when no activity is chosen: the basket's two, then seed 002's D1–D8."""

    TO_BOOK = "to_book"
    TO_CANCEL = "to_cancel"
    D1 = "d1"
    D2 = "d2"
    D3 = "d3"
    D4 = "d4"
    D5 = "d5"
    D6 = "d6"
    D7 = "d7"
    D8 = "d8"


@dataclass(frozen=True)
class UnitFacts:
    """What the calendar knows of one activity-day for the chosen child.

    ``open``: the session is not cancelled, its booking window is open now and the activity is
    for this child (age, group). ``cancellable``: now is before the session's ``cancel_until``.
    ``seats_left``: None when the session has no limit. ``waiting_room``: the session's waiting
    list can take one more person.
    """

    basket: Basket = Basket.NONE
    mine: Mine = Mine.NONE
    rank: int | None = None
    cancellable: bool = False
    open: bool = False
    seats_left: int | None = None
    waiting_room: bool = False


@dataclass(frozen=True)
class Look:
    """How a unit or a day is shown: a colour (a CSS modifier), an icon, a padlock, a text."""

    state: Unit | Day
    colour: str
    icon: str
    locked: bool
    text: str

    @property
    def css(self) -> str:
        return f"state--{self.colour}" + (" state--locked" if self.locked else "")


MINE_STATES = frozenset({Unit.BOOKED, Unit.WAITING, Unit.BOOKED_LOCKED, Unit.WAITING_LOCKED})
# A unit a parent can still act on: cancel one of theirs, or book (a seat or the waiting list).
ACTIONABLE_STATES = frozenset({Unit.BOOKED, Unit.WAITING, Unit.OPEN, Unit.FULL_WAITING_POSSIBLE})
BOOKABLE_STATES = frozenset({Unit.OPEN, Unit.FULL_WAITING_POSSIBLE})
CANCELLABLE_STATES = frozenset({Unit.BOOKED, Unit.WAITING})


def _booked_text(mine: Mine) -> str:
    if mine == Mine.PENDING:
        return _("En attente de traitement")
    return _("Réservé")


def _waiting_text(rank: int | None) -> str:
    if rank is None:
        return _("En liste d'attente")
    return _("En liste d'attente (rang %(rank)s)") % {"rank": rank}


def unit_state(facts: UnitFacts) -> Look:
    """The look of one activity-day: the first of the ten states whose condition holds."""
    if facts.basket == Basket.BOOK:
        return Look(Unit.TO_BOOK, "orange", "plus", False, _("À réserver"))
    if facts.basket == Basket.CANCEL:
        return Look(Unit.TO_CANCEL, "green", "minus", False, _("À annuler"))
    icon = "hourglass" if facts.mine == Mine.PENDING else "check"
    if facts.mine in (Mine.BOOKED, Mine.PENDING):
        if facts.cancellable:
            return Look(Unit.BOOKED, "blue", icon, False, _booked_text(facts.mine))
        text = _("%(state)s, hors délai pour annuler") % {"state": _booked_text(facts.mine)}
        return Look(Unit.BOOKED_LOCKED, "blue", icon, True, text)
    if facts.mine == Mine.WAITING:
        if facts.cancellable:
            return Look(Unit.WAITING, "violet", "queue", False, _waiting_text(facts.rank))
        text = _("%(state)s, hors délai pour annuler") % {"state": _waiting_text(facts.rank)}
        return Look(Unit.WAITING_LOCKED, "violet", "queue", True, text)
    if not facts.open:
        return Look(Unit.CLOSED, "grey", "dash", False, _("Fermé ou hors délai"))
    if facts.seats_left is None:
        return Look(Unit.OPEN, "white", "circle", False, _("Ouvert"))
    if facts.seats_left > 0:
        text = ngettext(
            "Ouvert – %(count)s place", "Ouvert – %(count)s places", facts.seats_left
        ) % {"count": facts.seats_left}
        return Look(Unit.OPEN, "white", "circle", False, text)
    if facts.waiting_room:
        return Look(
            Unit.FULL_WAITING_POSSIBLE,
            "yellow",
            "queue-plus",
            False,
            _("Complet – liste d'attente possible"),
        )
    return Look(Unit.FULL, "red", "cross", False, _("Complet (liste d'attente comprise)"))


def day_state(units: Iterable[Look]) -> Look:
    """The look of a day from the looks of its units (at least one)."""
    states = [unit.state for unit in units]
    if not states:
        raise ValueError("day_state needs the day's units")
    present = set(states)
    if Unit.TO_BOOK in present:
        return Look(Day.TO_BOOK, "orange", "plus", False, _("À réserver"))
    if Unit.TO_CANCEL in present:
        return Look(Day.TO_CANCEL, "green", "minus", False, _("À annuler"))
    mine = present & MINE_STATES
    waits = bool(present & {Unit.WAITING, Unit.WAITING_LOCKED})
    if mine:
        if present & ACTIONABLE_STATES:
            if waits or Unit.FULL_WAITING_POSSIBLE in present:
                return Look(
                    Day.D6,
                    "violet",
                    "queue",
                    False,
                    _("Réservé, modifiable, avec liste d'attente"),
                )
            return Look(Day.D5, "blue", "check", False, _("Réservé, modifiable"))
        if waits:
            return Look(
                Day.D8,
                "violet",
                "queue",
                True,
                _("Réservé avec liste d'attente, hors délai pour annuler"),
            )
        return Look(Day.D7, "blue", "check", True, _("Réservé, hors délai pour annuler"))
    if Unit.FULL_WAITING_POSSIBLE in present:
        return Look(Day.D4, "yellow", "queue-plus", False, _("Complet – liste d'attente possible"))
    if Unit.OPEN in present:
        return Look(Day.D3, "white", "circle", False, _("Au moins une activité ouverte"))
    if Unit.FULL in present:
        return Look(Day.D2, "red", "cross", False, _("Complet (liste d'attente comprise)"))
    return Look(Day.D1, "grey", "dash", False, _("Fermé ou hors délai"))


def unit_legend() -> list[Look]:
    """One sample look per unit state, in order, for the calendar's legend."""
    samples = [
        UnitFacts(basket=Basket.BOOK),
        UnitFacts(basket=Basket.CANCEL),
        UnitFacts(mine=Mine.BOOKED, cancellable=True),
        UnitFacts(mine=Mine.WAITING, cancellable=True),
        UnitFacts(mine=Mine.BOOKED),
        UnitFacts(mine=Mine.WAITING),
        UnitFacts(),
        UnitFacts(open=True),
        UnitFacts(open=True, seats_left=0, waiting_room=True),
        UnitFacts(open=True, seats_left=0),
    ]
    looks = [unit_state(facts) for facts in samples]
    pending = unit_state(UnitFacts(mine=Mine.PENDING, cancellable=True))
    return looks[:3] + [pending] + looks[3:]


def day_legend() -> list[Look]:
    """One sample look per day state, for the legend shown with "Toutes les activités"."""
    u = {state: _sample_unit(state) for state in Unit}
    days = [
        [u[Unit.TO_BOOK]],
        [u[Unit.TO_CANCEL]],
        [u[Unit.BOOKED]],
        [u[Unit.WAITING]],
        [u[Unit.BOOKED_LOCKED]],
        [u[Unit.WAITING_LOCKED]],
        [u[Unit.FULL_WAITING_POSSIBLE]],
        [u[Unit.OPEN]],
        [u[Unit.FULL]],
        [u[Unit.CLOSED]],
    ]
    return [day_state(units) for units in days]


def _sample_unit(state: Unit) -> Look:
    return next(look for look in unit_legend() if look.state == state)
