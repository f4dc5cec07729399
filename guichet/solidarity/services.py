"""The portal's writes: the structure's details, its référents (portal accounts invited by mail)
and the people it follows."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from guichet.accounts.models import email_normalise
from guichet.accounts.selectors import user_find_by_identifier, user_has_chosen_password
from guichet.accounts.services import (
    account_create,
    account_deactivate,
    account_update,
)
from guichet.bookings.channels import (
    REASON_ALREADY_BOOKED,
    BookingLine,
    LineOutcome,
    MailEvent,
    policy_for,
)
from guichet.bookings.models import (
    LIVE_STATUSES,
    Reservation,
    ReservationGroup,
    ReservationStatus,
)
from guichet.bookings.services import (
    BookingError,
    reservation_group_create,
    reservations_allocate,
    reservations_cancel,
    reservations_holder_rename,
    sessions_lock,
    waiting_list_close,
    waiting_promote,
)
from guichet.catalogue.models import Channel, Location, Session, SessionStatus
from guichet.core.audit import audit_before, audit_saved
from guichet.notifications.models import MessageKind
from guichet.notifications.services import (
    account_email_change_request,
    account_password_link_send,
    notify_account_mail,
    notify_group_mails,
)
from guichet.solidarity.models import (
    Beneficiary,
    BeneficiaryKind,
    EventDetails,
    Invitation,
    InvitationRole,
    MemberRole,
    Membership,
    Structure,
    Venue,
)
from guichet.solidarity.policy import InvitationLine, holder_key, quota_applies
from guichet.solidarity.selectors import (
    invitations_seated_in_week_of,
    lines_ordered,
    solidarity_settings_get,
    week_bounds,
)

LAST_MANAGER = _("La structure doit garder au moins un responsable.")
HOST_REQUIRED = _("Choisissez le participant qui invite cette personne.")
HOST_INVALID = _("Choisissez un participant de votre structure.")
HOST_HAS_GUESTS = _("Cette personne a des invités : elle reste participant.")
EMAIL_OF_USED_ACCOUNT = _(
    "L'adresse d'un compte déjà utilisé ne se change que depuis « Mon profil », par son titulaire."
)

# What a responsable may change in "Ma structure"; name, category, département, state and the
# directory are staff's.
STRUCTURE_PORTAL_FIELDS = ("address", "postal_code", "city", "phone", "email")


@transaction.atomic
def structure_update(*, structure: Structure, **fields) -> Structure:
    before = audit_before(structure)
    for name, value in fields.items():
        if name not in STRUCTURE_PORTAL_FIELDS:
            raise ValueError(f"{name} is not changed from the portal")
        setattr(structure, name, value)
    structure.full_clean()
    structure.save()
    audit_saved(structure, before=before)
    return structure


def _host_check(beneficiary: Beneficiary) -> None:
    """A guest's host is a participant of the same structure, read locked (it may not stop
    being a participant meanwhile); nobody else has one."""
    if beneficiary.kind != BeneficiaryKind.GUEST:
        beneficiary.guest_of = None
        return
    if beneficiary.guest_of_id is None:
        raise ValidationError({"guest_of": HOST_REQUIRED})
    host = (
        Beneficiary.objects.select_for_update()
        .filter(
            pk=beneficiary.guest_of_id,
            structure_id=beneficiary.structure_id,
            kind=BeneficiaryKind.PARTICIPANT,
        )
        .first()
    )
    if host is None or host.pk == beneficiary.pk:
        raise ValidationError({"guest_of": HOST_INVALID})


def _beneficiary_save(beneficiary: Beneficiary, *, before: dict | None) -> Beneficiary:
    _host_check(beneficiary)
    if (
        beneficiary.pk is not None
        and beneficiary.kind != BeneficiaryKind.PARTICIPANT
        and Beneficiary.objects.filter(guest_of_id=beneficiary.pk).exists()
    ):
        raise ValidationError({"kind": HOST_HAS_GUESTS})
    beneficiary.full_clean()
    beneficiary.save()
    audit_saved(beneficiary, before=before)
    return beneficiary


@transaction.atomic
def beneficiary_create(*, structure: Structure, created_by, **fields) -> Beneficiary:
    beneficiary = Beneficiary(structure=structure, created_by=created_by, **fields)
    return _beneficiary_save(beneficiary, before=None)


@transaction.atomic
def beneficiary_update(*, beneficiary: Beneficiary, **fields) -> Beneficiary:
    # The row locked first (the lock order's person rows), then its host.
    Beneficiary.objects.select_for_update().filter(pk=beneficiary.pk).first()
    before = audit_before(beneficiary)
    for name, value in fields.items():
        setattr(beneficiary, name, value)
    saved = _beneficiary_save(beneficiary, before=before)
    # The names copied on its live invitations follow (the lists and the PDF read them there).
    reservations_holder_rename(
        holder_key=holder_key(saved.pk), first_name=saved.first_name, last_name=saved.last_name
    )
    return saved


@transaction.atomic
def beneficiary_active_set(*, beneficiary: Beneficiary, active: bool) -> Beneficiary:
    """ "Désactiver" / "Réactiver": the person stays, with their history; an inactive person
    cannot be booked."""
    locked = Beneficiary.objects.select_for_update().get(pk=beneficiary.pk)
    if locked.is_active != active:
        before = audit_before(locked)
        locked.is_active = active
        locked.deactivated_at = None if active else timezone.now()
        locked.save(update_fields=["is_active", "deactivated_at"])
        audit_saved(locked, before=before)
    return locked


def _structure_lock(structure_id: int) -> None:
    # One structure's référents change one at a time: "at least one responsable" holds.
    Structure.objects.select_for_update().filter(pk=structure_id).first()


def _other_managers(membership: Membership) -> bool:
    return (
        Membership.objects.filter(
            structure_id=membership.structure_id, role=MemberRole.MANAGER, user__is_active=True
        )
        .exclude(pk=membership.pk)
        .exists()
    )


def member_invitation_send(*, membership: Membership) -> None:
    """A mail with a link to choose a password (ACCOUNT_INVITATION_DAYS), instead of CPT's
    mailed temporary password."""
    notify_account_mail(kind=MessageKind.SOLIDARITY_INVITATION, user=membership.user)


@transaction.atomic
def member_create(
    *,
    structure: Structure,
    role: str,
    first_name: str,
    last_name: str,
    email: str,
    phone: str = "",
) -> Membership:
    """A new référent: an account without a password, its membership, and its invitation."""
    if not email:
        raise ValidationError({"email": _("L'invitation part à cette adresse : saisissez-la.")})
    user = account_create(first_name=first_name, last_name=last_name, email=email, phone=phone)
    membership = Membership(user=user, structure=structure, role=role)
    membership.full_clean()
    membership.save()
    audit_saved(membership, before=None)
    member_invitation_send(membership=membership)
    return membership


@transaction.atomic
def member_update(
    *,
    membership: Membership,
    role: str,
    first_name: str,
    last_name: str,
    phone: str,
    email: str | None = None,
) -> Membership:
    """A référent's names, phone and role; its e-mail address too while it has never chosen a
    password (a mistyped invitation). The last responsable stays one."""
    _structure_lock(membership.structure_id)
    # As stored: an admin form has already set the new role on `membership`.
    stored = Membership.objects.select_related("user").get(pk=membership.pk)
    user = stored.user
    if email is not None and email_normalise(email) != user.email:
        if user_has_chosen_password(user):
            raise ValidationError({"email": EMAIL_OF_USED_ACCOUNT})
    else:
        email = None
    if stored.is_manager and role != MemberRole.MANAGER and not _other_managers(stored):
        raise ValidationError({"role": LAST_MANAGER})
    account_update(user=user, first_name=first_name, last_name=last_name, phone=phone, email=email)
    membership.user = user  # as just saved: the invitation goes to the corrected address
    if stored.role != role:
        before = audit_before(stored)
        membership.role = role
        membership.full_clean()
        membership.save(update_fields=["role"])
        audit_saved(membership, before=before)
    if email is not None:
        member_invitation_send(membership=membership)  # to the corrected address
    return membership


@transaction.atomic
def member_remove(*, membership: Membership) -> None:
    """The bin: the account is deactivated (its sessions end), its membership kept so that its
    bookings keep their author's name."""
    _structure_lock(membership.structure_id)
    if membership.is_manager and not _other_managers(membership):
        raise ValidationError(LAST_MANAGER)
    account_deactivate(user=membership.user)


def password_forgot(*, identifier: str) -> None:
    """ "Mot de passe oublié": a reset link for a référent of an active structure who has a
    password, a new invitation for one who never chose it; nothing for anyone else. The page
    says the same whatever happened."""
    user = user_find_by_identifier(identifier=identifier)
    if user is None or not user.is_active or not user.email:
        return
    membership = Membership.objects.select_related("structure").filter(user=user).first()
    if membership is None or not membership.structure.is_active:
        return
    account_password_link_send(
        user=user,
        reset_kind=MessageKind.SOLIDARITY_PASSWORD_RESET,
        invitation_kind=MessageKind.SOLIDARITY_INVITATION,
    )


def email_change_request(*, user, email: str) -> bool:
    """ "Mon profil": a link to confirm the new address, mailed to it. False when the address
    is the account's own already (nothing to confirm)."""
    return account_email_change_request(
        user=user, email=email, kind=MessageKind.SOLIDARITY_EMAIL_CHANGE, field="email"
    )


# --- bookings: invitations ------------------------------------------------------------------


class InvitationError(BookingError):
    """A booking or cancellation refused for a reason the référent can act on (str: French)."""


TOO_LATE = _(
    "Le délai d'annulation est expiré : la liste des personnes invitées a déjà été transmise au "
    "partenaire culturel ou sportif."
)
UNKNOWN_PERSON = _("Une des personnes choisies n'est pas suivie par votre structure.")
NOBODY = _("Ajoutez au moins un participant.")


@dataclass(frozen=True)
class BookingResult:
    """What `booking_create` did: the booking (its group) and one outcome per line, in the
    order booked; a submission key used already gives its booking with `replayed` set and no
    outcome (the result page reads the rows)."""

    group: ReservationGroup
    outcomes: list[LineOutcome]
    replayed: bool = False


def _booking_check(*, session: Session, people: list[Beneficiary], live_keys: set[str]) -> None:
    """The rules on the whole booking, read on the locked rows: the activity's most per
    booking, active people only, a guest with its participant (in the booking or booked on the
    session already), an accompanier with at least one participant."""
    most = session.activity.max_places_per_booking
    if len(people) > most:
        raise InvitationError(
            ngettext(
                "Une réservation compte au plus %(count)d personne.",
                "Une réservation compte au plus %(count)d personnes.",
                most,
            )
            % {"count": most}
        )
    inactive = [p for p in people if not p.is_active]
    if inactive:
        raise InvitationError(
            _("%(name)s est inactif(ve) : réactivez sa fiche pour l'inscrire.")
            % {"name": inactive[0]}
        )
    pks = {p.pk for p in people}
    for person in people:
        if person.kind == BeneficiaryKind.GUEST and not (
            person.guest_of_id in pks or holder_key(person.guest_of_id) in live_keys
        ):
            raise InvitationError(
                _("%(name)s vient en invité(e) : ajoutez aussi son participant.") % {"name": person}
            )
    kinds = {p.kind for p in people}
    if BeneficiaryKind.ACCOMPANIER in kinds and BeneficiaryKind.PARTICIPANT not in kinds:
        raise InvitationError(
            _("Un accompagnateur vient avec au moins un participant : ajoutez-en un.")
        )


def _live_keys(*, session_id: int) -> set[str]:
    return set(
        Reservation.objects.filter(session_id=session_id, status__in=LIVE_STATUSES)
        .exclude(holder_key="")
        .values_list("holder_key", flat=True)
    )


def booking_create(
    *,
    structure: Structure,
    author,
    session: Session,
    lines: Sequence[int],
    submission_key: str | None,
    now: datetime | None = None,
) -> BookingResult:
    """ "Réserver": the people `lines` (beneficiary ids of `structure`) invited to `session`,
    in one transaction, as docs/design/waiting-list.md's pseudo-code says: the session locked,
    then the people (pk order), then `reservations_allocate` on the lines in booking order
    (`_lines_ordered`), an `Invitation` per row written. Refusals of the whole booking raise
    `InvitationError`; a line refused alone (already booked) is in the outcomes. A submission
    key used already returns its booking."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return _booking_make(
                structure=structure,
                author=author,
                session=session,
                lines=lines,
                submission_key=submission_key or None,
                now=now,
            )
    except IntegrityError:
        # The key used already (the booking's group is its first row written): the form sent
        # again, or twice at once, where the loser waits for the winner's commit; either way
        # its booking is found.
        earlier = _booking_for_key(structure=structure, key=submission_key)
        if earlier is None:
            raise
        return earlier


def _booking_for_key(*, structure: Structure, key: str | None) -> BookingResult | None:
    if not key:
        return None
    group = ReservationGroup.objects.filter(submission_key=key).first()
    if group is None:
        return None
    if not Invitation.objects.filter(
        reservation__group_id=group.pk, structure_id=structure.pk
    ).exists():
        raise InvitationError(_("Ce formulaire a expiré : rechargez la page."))
    return BookingResult(group=group, outcomes=[], replayed=True)


def _booking_make(
    *,
    structure: Structure,
    author,
    session: Session,
    lines: Sequence[int],
    submission_key: str | None,
    now: datetime,
) -> BookingResult:
    ids = list(dict.fromkeys(lines))
    if not ids:
        raise InvitationError(NOBODY)
    if len(ids) != len(lines):
        raise InvitationError(_("Une personne figure deux fois dans la réservation."))
    # First, so that a submission key used already ends the transaction before any lock.
    group = reservation_group_create(
        channel=Channel.SOLIDARITY, author=author, submission_key=submission_key
    )
    # The lock order: the session, then the people by pk. What the allocation reads of the
    # session comes with its lock: nothing below writes a line before it.
    sessions = sessions_lock(ids=[session.pk], holder_keys=[holder_key(pk) for pk in ids])
    locked = sessions.get(session.pk)
    if locked is None or locked.activity.channel != Channel.SOLIDARITY:
        raise InvitationError(_("Cette séance ne relève pas de la billetterie solidaire."))
    people = list(
        Beneficiary.objects.select_for_update()
        .filter(pk__in=ids, structure_id=structure.pk)
        .order_by("pk")
    )
    if len(people) != len(ids):
        raise InvitationError(UNKNOWN_PERSON)
    people.sort(key=lambda person: ids.index(person.pk))  # the référent's order
    # The session's live lines matter only to a guest whose participant is not in the booking,
    # and to accompaniers: they come with this booking's participants, and a participant booked
    # on the session already is refused here ("déjà inscrit"), so it leaves no row in this group.
    lone_guest = any(p.kind == BeneficiaryKind.GUEST and p.guest_of_id not in ids for p in people)
    accompanied = any(p.kind == BeneficiaryKind.ACCOMPANIER for p in people)
    live = _live_keys(session_id=locked.pk) if lone_guest or accompanied else set()
    _booking_check(session=locked, people=people, live_keys=live)
    ordered = lines_ordered(people)
    participant_keys = (
        frozenset(holder_key(p.pk) for p in ordered if p.kind == BeneficiaryKind.PARTICIPANT) - live
    )
    # The quota's counts for the whole booking in one statement, under the people's locks (a
    # booking names each person once: its own lines change no other line's count).
    counted = [p.pk for p in ordered if p.kind != BeneficiaryKind.ACCOMPANIER]
    rules = solidarity_settings_get()  # once for the booking, not once a line
    week_held = (
        invitations_seated_in_week_of(beneficiary_ids=counted, moment=locked.starts_at)
        if counted and quota_applies(locked, now=now, rules=rules)
        else {}
    )
    booking_lines = [
        BookingLine(
            session_id=locked.pk,
            holder_key=holder_key(person.pk),
            first_name=person.first_name,
            last_name=person.last_name,
            payload=InvitationLine(
                beneficiary=person,
                structure_id=structure.pk,
                role=person.kind,
                guest_of_id=person.guest_of_id,
                group_participant_keys=participant_keys,
                week_held=week_held.get(person.pk),
                rules=rules,
            ),
        )
        for person in ordered
    ]
    outcomes = reservations_allocate(
        sessions=sessions,
        lines=booking_lines,
        policy=policy_for(Channel.SOLIDARITY),
        group=group,
        now=now,
    )
    written = [o for o in outcomes if o.reservation is not None]
    if not written:
        # Nothing booked: the group goes with the transaction, the reason is the first line's.
        raise InvitationError(_line_refusal(outcomes[0]))
    Invitation.objects.bulk_create(
        [
            Invitation(
                reservation=o.reservation,
                structure=structure,
                beneficiary=o.line.payload.beneficiary,
                role=o.line.payload.role,
                guest_of_id=o.line.payload.guest_of_id,
                author=author,
            )
            for o in written
        ]
    )
    return BookingResult(group=group, outcomes=outcomes)


def _line_refusal(outcome: LineOutcome) -> str:
    if outcome.reason == str(REASON_ALREADY_BOOKED):
        return _("%(name)s est déjà inscrit(e) à cette séance.") % {
            "name": outcome.line.payload.beneficiary
        }
    return outcome.reason


def _cancellation_deadline(session: Session) -> datetime:
    return session.cancel_until or session.booking_closes_at


def invitation_cancellable(*, reservation: Reservation, now: datetime) -> bool:
    """May the structure still cancel this line (live, before `cancel_until`)?"""
    return reservation.status in LIVE_STATUSES and now < _cancellation_deadline(reservation.session)


def _cascade(*, rows: list[Reservation]) -> list[Reservation]:
    """`rows` and what goes with them on their sessions: a participant's guests, and the
    accompaniers of a booking left without a live participant."""
    chosen = {row.pk: row for row in rows}
    session_ids = {row.session_id for row in rows}
    others = list(
        Reservation.objects.select_related("invitation")
        .filter(session_id__in=session_ids, status__in=LIVE_STATUSES, invitation__isnull=False)
        .order_by("pk")
    )
    cancelled_people = {
        (row.session_id, row.invitation.beneficiary_id)
        for row in rows
        if row.invitation.role == InvitationRole.PARTICIPANT
    }
    for row in others:
        invitation = row.invitation
        if (
            invitation.role == InvitationRole.GUEST
            and (row.session_id, invitation.guest_of_id) in cancelled_people
        ):
            chosen[row.pk] = row
    for row in others:
        if row.invitation.role != InvitationRole.ACCOMPANIER or row.pk in chosen:
            continue
        participants_left = [
            other
            for other in others
            if other.group_id == row.group_id
            and other.invitation.role == InvitationRole.PARTICIPANT
            and other.pk not in chosen
        ]
        if not participants_left:
            chosen[row.pk] = row
    return sorted(chosen.values(), key=lambda row: row.pk)


def _week_waiting_sessions(*, beneficiary_ids: set[int], sessions: Iterable[Session]) -> set[int]:
    """The solidarity sessions of the ISO weeks of `sessions` where one of these people waits:
    a seat given back in a week may lift their quota there."""
    found = set()
    for session in sessions:
        start, end = week_bounds(session.starts_at)
        found |= set(
            Reservation.objects.filter(
                invitation__beneficiary_id__in=beneficiary_ids,
                status=ReservationStatus.WAITING,
                session__effective_start__gte=start,
                session__effective_start__lt=end,
            ).values_list("session_id", flat=True)
        )
    return found


@transaction.atomic
def invitations_cancel(
    *,
    structure: Structure,
    reservation_ids: Iterable[int],
    by=None,
    now: datetime | None = None,
    staff: bool = False,
    reason: str = "",
) -> list[Reservation]:
    """ "Annuler": these lines of `structure` (one, or a whole booking), with the guests of a
    participant cancelled and the accompaniers of a booking left without participant, until
    the session's `cancel_until` (staff: any time). The seats go back at once and are offered
    to the waiting lists: of these sessions, and of the same ISO week's sessions where the
    people cancelled wait (their quota may now allow them). The bookings of another author
    than `by` are mailed "Annulation enregistrée" (with staff's `reason`, recorded on each
    line cancelled). Returns the rows cancelled."""
    now = now or timezone.now()
    rows = list(
        Reservation.objects.select_related("invitation", "session")
        .filter(pk__in=set(reservation_ids), invitation__structure_id=structure.pk)
        .order_by("pk")
    )
    rows = [row for row in rows if row.status in LIVE_STATUSES]
    if not rows:
        return []
    people = {row.invitation.beneficiary_id for row in rows}
    week_ids = _week_waiting_sessions(
        beneficiary_ids=people, sessions={row.session_id: row.session for row in rows}.values()
    )
    # The lock order: every session first (pk order), then the people, then the rows (by the
    # core's cancellation).
    sessions = sessions_lock(ids={row.session_id for row in rows} | week_ids)
    if not staff:
        for row in rows:
            if now >= _cancellation_deadline(sessions[row.session_id]):
                raise InvitationError(TOO_LATE)
    rows = _cascade(rows=rows)
    waiting_people = set(
        Reservation.objects.filter(
            session_id__in=sessions, status=ReservationStatus.WAITING, invitation__isnull=False
        ).values_list("invitation__beneficiary_id", flat=True)
    )
    list(
        Beneficiary.objects.select_for_update()
        .filter(pk__in={row.invitation.beneficiary_id for row in rows} | waiting_people)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    cancelled = reservations_cancel(reservations=rows, now=now)
    cancelled_sessions = {row.session_id for row in cancelled}
    promoted = []
    for session_id in sorted(week_ids - cancelled_sessions):
        promoted += waiting_promote(session=sessions[session_id], now=now)
    if reason:
        Invitation.objects.filter(reservation_id__in=[row.pk for row in cancelled]).update(
            cancel_reason=reason
        )
    if by is not None:
        notify_group_mails(
            event=MailEvent.CANCELLED,
            reservations=[row for row in cancelled if row.group.author_id != by.pk],
            details={"reason": reason, "by_staff": staff and by.is_staff, "by": _by_name(by)},
        )
    return cancelled


def _by_name(user) -> str:
    return user.get_full_name() or user.get_username()


CANCEL_REASON_REQUIRED = _("Indiquez le motif de l'annulation : il est envoyé à la structure.")


def invitation_cancel_by_staff(
    *, invitation: Invitation, reason: str, by, now: datetime | None = None
) -> list[Reservation]:
    """The back-office's "Annuler l'invitation", with a reason, at any time (after
    `cancel_until` too): `invitations_cancel` as staff, its guests and lone accompaniers with
    it; the booking's author is mailed "Annulation enregistrée" with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"cancel_reason": CANCEL_REASON_REQUIRED})
    if invitation.reservation.status not in LIVE_STATUSES:
        raise ValidationError(_("Cette invitation est déjà annulée ou n'a pas été servie."))
    return invitations_cancel(
        structure=invitation.structure,
        reservation_ids=[invitation.pk],
        by=by,
        now=now,
        staff=True,
        reason=reason,
    )


@transaction.atomic
def beneficiary_deactivate(*, beneficiary: Beneficiary, by=None, now: datetime | None = None):
    """ "Désactiver", confirmed: the person's invitations to come are cancelled (with their
    guests and lone accompaniers, whatever the cancellation deadline: the person will not come),
    then the person is made inactive."""
    now = now or timezone.now()
    future = list(
        Reservation.objects.filter(
            invitation__beneficiary_id=beneficiary.pk,
            status__in=LIVE_STATUSES,
            session__effective_start__gt=now,
        ).values_list("pk", flat=True)
    )
    if future:
        invitations_cancel(
            structure=beneficiary.structure,
            reservation_ids=future,
            by=by,
            now=now,
            staff=True,
        )
    return beneficiary_active_set(beneficiary=beneficiary, active=False)


def invitations_close(*, now: datetime | None = None) -> int:
    """The minute task: each solidarity session past its `closes_at` whose waiting list is still
    open gets it closed (its entries not served, each booking mailed "Liste d'attente close");
    each open session with people waiting and seats free gets a promotion pass (the "dernier
    appel" lets people over quota in). One transaction per session; safe to run twice or late. Returns the sessions
    handled."""
    now = now or timezone.now()
    due = list(
        Session.objects.filter(
            activity__channel=Channel.SOLIDARITY,
            closes_at__lte=now,
            waiting_closed_at__isnull=True,
        )
        .exclude(status=SessionStatus.CANCELLED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for session_id in due:
        with transaction.atomic():
            session = sessions_lock(ids=[session_id])[session_id]
            if session.waiting_closed_at is not None or session.closes_at > now:
                continue  # another worker was first, or staff moved the closing
            closed = waiting_list_close(session=session, now=now)
            notify_group_mails(event=MailEvent.WAITING_CLOSED, reservations=closed)
    # Every open session with people waiting behind a free seat gets a pass: those entering
    # their "dernier appel" (people over quota become eligible), and any whose waiting people a
    # change elsewhere made eligible (a seated session postponed to another week).
    calling = list(
        Session.objects.filter(
            activity__channel=Channel.SOLIDARITY,
            closes_at__gt=now,
            waiting_count__gt=0,
            waiting_closed_at__isnull=True,
        )
        .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
        .filter(Q(seat_limit__isnull=True) | Q(seats_taken__lt=F("seat_limit")))
        .exclude(status=SessionStatus.CANCELLED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for session_id in calling:
        with transaction.atomic():
            session = sessions_lock(ids=[session_id])[session_id]
            _waiting_people_lock(session_id=session_id)
            waiting_promote(session=session, now=now)
    return len(due) + len(calling)


def _waiting_people_lock(*, session_id: int) -> None:
    """The people waiting on a locked session, by pk, before a promotion reads their quota."""
    list(
        Beneficiary.objects.select_for_update()
        .filter(
            invitations__reservation__session_id=session_id,
            invitations__reservation__status=ReservationStatus.WAITING,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- Venues and events (staff) ---

PLACE_IN_USE = _(
    "Ces lieux accueillent des événements de la structure culturelle : %(places)s. "
    "Changez d'abord le lieu de ces événements."
)


@transaction.atomic
def venue_save(*, venue: Venue, places) -> Venue:
    """A venue and its places. A place where one of its events takes place stays."""
    venue.full_clean()
    chosen = {place.pk for place in places}
    if venue.pk is not None:
        used = (
            Location.objects.filter(activities__event_details__venue=venue)
            .exclude(pk__in=chosen)
            .distinct()
        )
        names = sorted(place.name for place in used)
        if names:
            raise ValidationError({"places": PLACE_IN_USE % {"places": ", ".join(names)}})
    before = audit_before(venue)
    venue.save()
    venue.places.set(list(places))
    audit_saved(venue, before=before)
    return venue


@transaction.atomic
def event_details_save(*, details: EventDetails) -> EventDetails:
    """An event's details: its activity must be of the solidarity channel and take place at
    one of the venue's places (EventDetails.clean: "Ce lieu n'appartient pas à la structure
    culturelle choisie.")."""
    details.full_clean()
    before = audit_before(details)
    details.save()
    audit_saved(details, before=before)
    return details
