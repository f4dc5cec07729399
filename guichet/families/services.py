"""The family portal's writes: generating a period's sessions, the parents' basket and its
validation, staff decisions on requests, staff bookings for a household, the log of what happened
(the daily report reads it).

Seats and waiting lists move only through guichet.bookings.services (`sessions_lock`,
`reservations_allocate`, `reservations_cancel`, `reservation_update`), in the lock order of
docs/design/seats.md: sessions by pk, then the children by pk, then reservations.

Every function is keyword-only; `now` is passed by the caller (a view passes `timezone.now()`),
so that deadlines are tested at the boundary minute."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from guichet.bookings.models import Reservation
from guichet.catalogue.models import Activity, Session
from guichet.families.models import (
    BookingPeriod,
    Child,
    Guardian,
    Household,
    Submission,
)

# The per-line statuses of "Valider" (the recap's "Statut" column).
STATUS_ACCEPTED = _("Acceptée")
STATUS_PENDING = _("En attente de traitement par nos services")
STATUS_CANCELLED = _("Annulée")
STATUS_HOURS = _("Horaires modifiés")


def status_waiting(rank: int) -> str:
    return str(_("Mise en liste d'attente (rang %(rank)d)") % {"rank": rank})


def status_refused(reason: str) -> str:
    return str(_("Refusée : %(reason)s") % {"reason": reason})


class FamilyError(Exception):
    """A refusal of the portal's services, its message in French for the page."""


# --- periods --------------------------------------------------------------------------------


@dataclass
class GenerationReport:
    """What "Générer les séances" did: sessions created, changed (dates, limits, price), deleted
    (a day no longer in the period, never booked), kept (such a day already booked: listed for
    staff), and days skipped (their booking deadline falls before the period opens)."""

    created: list[Session] = field(default_factory=list)
    updated: list[Session] = field(default_factory=list)
    deleted: list[tuple[int, date]] = field(default_factory=list)  # (activity id, day)
    kept_booked: list[Session] = field(default_factory=list)
    skipped: list[tuple[Activity, date]] = field(default_factory=list)


def period_generate_sessions(*, period: BookingPeriod, now: datetime) -> GenerationReport:
    """ "Générer les séances" (idempotent): one core session per activity (with rules) and day of
    the period (deadlines.period_days), starting and ending at the rules' default times;
    `opens_at` = the period's opening, `closes_at` = min(period closing, booking deadline),
    `cancel_until` = cancellation deadline, seat and waiting limits and price from the period
    (the waiting limit from the rules when the period has none). Run again, it creates the
    missing days, updates the changed ones and removes days no longer in the period: deleted
    when never booked, kept (`SessionDay.removed_at`) and listed when booked."""
    raise NotImplementedError


# --- basket ---------------------------------------------------------------------------------


@dataclass
class Locked:
    """A unit left as it was, and why (in French): "hors délai", "non accessible à cet
    enfant"…"""

    session: Session
    reason: str


@dataclass
class ToggleResult:
    """`action`: "book" or "cancel" (what the first actionable day decided), None when every
    day was locked; `changed`: the session ids whose basket line was added or removed;
    `locked`: the days skipped and why."""

    action: str | None
    changed: list[int] = field(default_factory=list)
    locked: list[Locked] = field(default_factory=list)


def basket_toggle_days(
    *, guardian: Guardian, child: Child, sessions: Sequence[Session], now: datetime
) -> ToggleResult:
    """A click on a day, a week's arrow, a weekday's arrow or the month: `sessions` are the
    units concerned (the child's activity-days, any order). The first actionable one in date
    order decides: not booked (the basket counted: a "book" line counts as booked, a "cancel"
    line as not) → every bookable unit not booked gets a "book" line (or loses its "cancel"
    line); booked → every booked unit is cancelled (its "book" line removed, or a "cancel" line
    added while it may still be cancelled). Locked units are skipped and listed."""
    raise NotImplementedError


def basket_set_hours(
    *,
    guardian: Guardian,
    child: Child,
    sessions: Sequence[Session],
    arrival: time | None,
    departure: time | None,
    now: datetime,
) -> list[Locked]:
    """One pair of hours for these units ("Arrivée", "Départ", within the activity's windows,
    quarter hours, departure after arrival): on their "book" lines; for a unit already booked,
    an "hours" line (until `cancel_until`); a unit not booked gets a "book" line with them.
    Returns the units left unchanged and why; raises FamilyError when the hours themselves are
    refused (nothing changed)."""
    raise NotImplementedError


def basket_line_remove(*, guardian: Guardian, line_id: int) -> bool:
    """Remove one line of the guardian's basket ("Supprimer" in the hours dialog for a line
    not sent); False when it was not there."""
    raise NotImplementedError


def basket_clear(*, guardian: Guardian) -> int:
    """ "Abandonner": the guardian's basket emptied; returns how many lines went."""
    raise NotImplementedError


@dataclass
class NotImported:
    """A day "Copier" left out, for "Réservations non importées"."""

    day: date
    activity: str
    reason: str


@dataclass
class CopyResult:
    added: int = 0
    not_imported: list[NotImported] = field(default_factory=list)


def basket_copy(
    *,
    guardian: Guardian,
    source_child: Child,
    target_child: Child,
    source_activity: Activity | None,
    target_activity: Activity | None,
    first_day: date,
    last_day: date,
    weeks_later: int = 0,
    now: datetime,
) -> CopyResult:
    """ "Copier": the source child's bookings (live, and "book" lines of the basket) of
    `source_activity` (every activity when None) between `first_day` and `last_day` become
    "book" lines of `target_child` on `target_activity` (the same activity when None), on the
    same dates or `weeks_later` weeks later, with the same hours. Each day left out is listed
    with its reason: "plus de place", "horaires incompatibles", "hors délai", "non accessible à
    cet enfant", "déjà réservé"."""
    raise NotImplementedError


def basket_validate(*, guardian: Guardian, now: datetime, submission_key: str) -> Submission:
    """The recap's final "Valider", in one transaction: `sessions_lock`, the children locked by
    pk, the reservations concerned locked, then the "cancel" lines (`reservations_cancel`),
    the "hours" lines, then the "book" lines (`reservations_allocate`). Each line's status:
    "Acceptée", "Mise en liste d'attente (rang N)", "En attente de traitement par nos
    services", "Refusée : plus de place", "Refusée : hors délai", "Refusée : horaires
    incompatibles" (or "non accessible à cet enfant", "déjà réservé"), "Annulée", "Horaires
    modifiés". The basket is emptied; the result is kept as a `Submission`. Sent twice with
    the same `submission_key`: the first result. A view wraps it in core's `with_retry`."""
    raise NotImplementedError


def baskets_purge(*, now: datetime) -> int:
    """Lines older than 7 days (BASKET_DAYS) since their basket last changed are deleted."""
    raise NotImplementedError


# --- staff ----------------------------------------------------------------------------------


def request_accept(
    *, reservation: Reservation, staff_user: AbstractBaseUser, now: datetime
) -> Reservation:
    """ "Accepter" a pending request ("En attente de traitement"): it becomes valid (its seat
    was held already). FamilyError when it is no longer pending."""
    raise NotImplementedError


def request_refuse(
    *, reservation: Reservation, staff_user: AbstractBaseUser, reason: str, now: datetime
) -> Reservation:
    """ "Refuser" a pending request with a reason (required, one line): its seat goes back to
    the waiting list. FamilyError when it is no longer pending or the reason is missing."""
    raise NotImplementedError


def staff_book(
    *,
    child: Child,
    sessions: Sequence[Session],
    staff_user: AbstractBaseUser,
    reason: str = "",
    arrival: time | None = None,
    departure: time | None = None,
    now: datetime,
) -> list[str]:
    """Staff book `child` on `sessions`, outside the booking window if need be (then a reason
    is required): seated when a seat is left (valid at once), else on the waiting list. Returns
    one status per session, as `basket_validate` words them."""
    raise NotImplementedError


def staff_cancel(
    *,
    reservations: Sequence[Reservation],
    staff_user: AbstractBaseUser,
    reason: str = "",
    now: datetime,
) -> int:
    """Staff cancel a household's bookings, past `cancel_until` if need be (then a reason is
    required); their seats go to the waiting list. Returns how many were cancelled."""
    raise NotImplementedError


# --- accounts -------------------------------------------------------------------------------


def guardian_create(
    *,
    household: Household,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    receives_digest: bool = True,
) -> Guardian:
    """A new guardian: an account without a password, then an invitation mail
    (`family_invitation`) when it has an e-mail address; without one, staff print a "Lettre
    d'activation" (`activation_letter_make`)."""
    raise NotImplementedError


def guardian_invitation_send(*, guardian: Guardian) -> None:
    """(Re)send the invitation link (ACCOUNT_INVITATION_DAYS) to the guardian's address."""
    raise NotImplementedError


def activation_letter_make(*, guardian: Guardian, now: datetime) -> bytes:
    """A "Lettre d'activation" PDF: the organisation, the guardian's "Identifiant" (its
    username) and a new 8-character code for "Première connexion" (valid 30 days, stored
    hashed, used once; the previous code dies)."""
    raise NotImplementedError


def activation_code_redeem(
    *, identifier: str, code: str, password: str, now: datetime
) -> AbstractBaseUser:
    """ "Première connexion": the identifier and the letter's code, then the password chosen
    (checked by the form with AUTH_PASSWORD_VALIDATORS). FamilyError (one message whatever is
    wrong) for an unknown identifier, a wrong, used or expired code."""
    raise NotImplementedError


def password_forgot(*, identifier: str) -> None:
    """ "Le retrouver": a reset link (1 hour) to a guardian with an e-mail address (a new
    invitation when it never chose a password); nothing otherwise. The page says the same
    whatever happened, and "adressez-vous au pôle périscolaire" for accounts without e-mail."""
    raise NotImplementedError


def email_change_request(*, user: AbstractBaseUser, email: str) -> bool:
    """ "Profil" → "Modifier": a link to confirm the new address, mailed to it; effective once
    confirmed. False when the address is the account's own already."""
    raise NotImplementedError


# --- daily report ---------------------------------------------------------------------------


def digest_send_due(*, now: datetime) -> int:
    """Once the day's digest time (FamilySettings.digest_time, Paris) has come: one
    `family_digest` mail per household that had movements the day before, to its guardians who
    receive it and have an address (outbox rows, dedupe key per household and day: safe to run
    twice). Returns how many rows were written."""
    raise NotImplementedError
