"""The portal's writes: the structure's details, its référents (portal accounts invited by mail)
and the people it follows."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guichet.accounts.models import EMAIL_TAKEN, Profile, email_normalise
from guichet.accounts.selectors import user_find_by_identifier, user_has_chosen_password
from guichet.accounts.services import (
    account_create,
    account_deactivate,
    account_update,
)
from guichet.catalogue.models import Location
from guichet.core.audit import audit_before, audit_saved
from guichet.notifications.models import MessageKind
from guichet.notifications.services import notify_account_mail
from guichet.solidarity.models import (
    Beneficiary,
    BeneficiaryKind,
    EventDetails,
    MemberRole,
    Membership,
    Structure,
    Venue,
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
    return _beneficiary_save(beneficiary, before=before)


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
    kind = (
        MessageKind.SOLIDARITY_PASSWORD_RESET
        if user_has_chosen_password(user)
        else MessageKind.SOLIDARITY_INVITATION
    )
    with transaction.atomic():
        notify_account_mail(kind=kind, user=user)


def email_change_request(*, user, email: str) -> bool:
    """ "Mon profil": a link to confirm the new address, mailed to it. False when the address
    is the account's own already (nothing to confirm)."""
    email = email_normalise(email)
    if email == user.email:
        return False
    if Profile.objects.filter(email=email).exclude(user=user).exists():
        raise ValidationError({"email": EMAIL_TAKEN})
    with transaction.atomic():
        notify_account_mail(kind=MessageKind.SOLIDARITY_EMAIL_CHANGE, user=user, email=email)
    return True


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
