"""What differs between the portals that book through the core: one `ChannelPolicy` per channel.

A policy is data and plain functions, registered once by its app (`policy_register` in its
`AppConfig.ready()`; parks: guichet.bookings.apps) and read with `policy_for(channel)`. The
services of guichet/bookings/services.py stay the only writers of seats and ranks; a policy only
answers their questions (see docs/design/waiting-list.md):

    reservations_allocate(*, sessions, lines, policy, group, now, staff=False) -> list[LineOutcome]
    waiting_promote(*, session, now) -> list[Reservation]
    reservations_cancel(*, reservations, now=None) -> list[Reservation]
    waiting_list_close(*, session, now) -> list[Reservation]

Mail kinds are named by their value (`MessageKind` is in guichet.notifications, a layer above
this module): `core_mails` are the wave-1 per-reservation kinds a channel keeps, `group_mails`
its own kinds, one mail per `ReservationGroup`, for each `MailEvent`.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from guichet.bookings.models import Reservation, ReservationGroup, ReservationStatus
from guichet.catalogue.models import Channel, Session
from guichet.core.permissions import FAMILY_MANAGER_GROUP, MANAGER_GROUP, SOLIDARITY_MANAGER_GROUP

# The wave-1 mails, per reservation (guichet.notifications.models.MessageKind's values).
PARKS_MAIL_KINDS = frozenset(
    {
        "confirmation",
        "reminder",
        "session_cancelled",
        "session_postponed",
        "reservation_cancelled",
        "reservation_link",
        "schedule_changed",
        "reservation_changed",
        "reservation_list",
    }
)

# The refusals and waiting reasons the core itself gives (the policies add their own).
REASON_ALREADY_BOOKED = _("déjà inscrit")
REASON_FULL = _("complet, liste d'attente comprise")
REASON_NO_SEAT = _("complet")
# A line refused for its session (cancelled, another portal's, outside its window) gets the
# session's refusal (guichet.bookings.selectors.session_window_refusal).


class MailEvent(StrEnum):
    """What happened to a group's lines, for `ChannelPolicy.group_mails`."""

    BOOKED = "booked"
    PROMOTED = "promoted"
    SESSION_CANCELLED = "session_cancelled"
    SESSION_POSTPONED = "session_postponed"
    # The portal's own moments, mailed through the same `notify_group_mails`.
    WAITING_CLOSED = "waiting_closed"  # the list closed: its entries not served
    CANCELLED = "cancelled"  # lines cancelled by someone else than the group's author
    # Scheduled at the session's start − 2 days (`reminder_due`) while the group holds a seat
    # there; moved or withdrawn with its lines and its session (notifications.services).
    REMINDER = "reminder"


@dataclass(frozen=True)
class Seat:
    """The line may take a seat (if one is left)."""

    reason: str = ""


SEAT = Seat()


@dataclass(frozen=True)
class Wait:
    """The line goes on the waiting list even if a seat is left; `reason` is kept on the row."""

    reason: str


@dataclass(frozen=True)
class Refuse:
    """The line is refused, no row written."""

    reason: str


Verdict = Seat | Wait | Refuse


@dataclass(frozen=True)
class BookingLine:
    """One person asked for one session, as a portal hands it to `reservations_allocate`.
    `payload` is the portal's own (its person row, role…) for its `eligible`; never stored."""

    session_id: int
    holder_key: str
    first_name: str
    last_name: str
    quantity: int = 1
    payload: Any = None


@dataclass(frozen=True)
class LineOutcome:
    """What `reservations_allocate` did with a line: state valid, pending, waiting (with its rank)
    or refused (no reservation; `reason` says why)."""

    line: BookingLine
    state: ReservationStatus
    reservation: Reservation | None = None
    rank: int | None = None
    reason: str = ""


# A candidate for a seat: a new line, or a waiting entry (the locked row) at promotion.
Candidate = BookingLine | Reservation


def _always_seat(line: Candidate, *, session: Session, seated: set[str], now: datetime) -> Verdict:
    return SEAT


def _no_keys(line: BookingLine) -> Iterable[str]:
    return ()


def _no_defaults(session: Session) -> Mapping[str, Any]:
    return {}


def _booking_closes_at(session: Session) -> datetime:
    return session.booking_closes_at


def _never_needs_staff(session: Session) -> bool:
    return False


def _group_author(group: ReservationGroup) -> list[str]:
    author = group.author
    return [author.email] if author is not None and author.email else []


@dataclass(frozen=True)
class ChannelPolicy:
    """A channel's answers to the core's questions.

    - `staff_group`: the name of the staff group that manages the channel;
    - `core_mails`: the wave-1 kinds (values) the channel keeps; `group_mails`: its own kind
      for each `MailEvent` (absent: no mail);
    - `waiting_list`: may its sessions have one (within `Session.waiting_limit`);
    - `session_defaults(session)`: field values a new session gets when staff left them empty
      (`opens_at`, `closes_at`, `cancel_until`, `waiting_limit`…);
    - `eligible(candidate, *, session, seated, now)`: `SEAT`, `Wait(reason)` or `Refuse(reason)`,
      at booking (a `BookingLine`) and at promotion (the waiting `Reservation`); `seated` holds
      the holder keys holding seats on the session, this allocation's included: at promotion
      all of them, at booking those among the lines' own and their `seated_keys_needed`;
    - `seated_keys_needed(line)`: the holder keys, besides the lines', whose seats on the
      line's session `eligible` looks at (a guest's participant): a booking reads no other;
    - `promotion_closes_at(session)`: from then on nobody is promoted automatically;
    - `needs_staff(session)`: a seat taken is "En attente de traitement" until staff decide;
    - `group_recipients(group)`: the addresses of a group's mails (by default its author's);
    - `staff_cancel_elsewhere`: for a channel whose cancellation does more than give the seat
      back (a portal's cascade, mails or journal), where its staff cancel, in French; the
      reservation list's action then cancels none of its lines and says so (empty: it does).
    """

    channel: Channel
    staff_group: str
    core_mails: frozenset[str] = frozenset()
    group_mails: Mapping[MailEvent, str] = field(default_factory=dict)
    waiting_list: bool = False
    session_defaults: Callable[[Session], Mapping[str, Any]] = _no_defaults
    eligible: Callable[..., Verdict] = _always_seat
    seated_keys_needed: Callable[[BookingLine], Iterable[str]] = _no_keys
    promotion_closes_at: Callable[[Session], datetime] = _booking_closes_at
    needs_staff: Callable[[Session], bool] = _never_needs_staff
    group_recipients: Callable[[ReservationGroup], list[str]] = _group_author
    staff_cancel_elsewhere: str = ""


PARKS_POLICY = ChannelPolicy(
    channel=Channel.PARKS, staff_group=MANAGER_GROUP, core_mails=PARKS_MAIL_KINDS
)

# The portals' channels until their apps register their own policies: their staff, no mail, no
# waiting list (BookingsConfig registers them as defaults, which a portal's policy replaces).
PORTAL_DEFAULT_POLICIES = (
    ChannelPolicy(channel=Channel.SOLIDARITY, staff_group=SOLIDARITY_MANAGER_GROUP),
    ChannelPolicy(channel=Channel.FAMILY, staff_group=FAMILY_MANAGER_GROUP),
)

_POLICIES: dict[str, ChannelPolicy] = {}


def policy_register(policy: ChannelPolicy, *, default: bool = False) -> None:
    """Make `policy` the one of its channel (an app's `ready()`; a test may swap one in). A
    `default` one only when the channel has none yet, whichever app is ready first."""
    if default:
        _POLICIES.setdefault(policy.channel, policy)
    else:
        _POLICIES[policy.channel] = policy


def policy_for(channel: str) -> ChannelPolicy:
    try:
        return _POLICIES[channel]
    except KeyError:
        raise LookupError(
            f"No booking policy registered for the channel {str(channel)!r}."
        ) from None
