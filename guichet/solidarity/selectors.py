"""The portal's reads. A view finds its structure with `structure_get_for_user` and reads only
through that structure's `StructureScope`: another structure's rows are never in its querysets,
so a forged id answers 404."""

from django.db.models import QuerySet
from django.http import Http404

from guichet.core.search import search_filter
from guichet.solidarity.models import (
    Beneficiary,
    BeneficiaryKind,
    Membership,
    Structure,
)


def membership_get_for_user(*, user) -> Membership | None:
    """The account's place in its structure (with the structure), or None."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("structure__territory", "user")
        .filter(user_id=user.pk)
        .first()
    )


def structure_get_for_user(*, user) -> Structure | None:
    """The active structure whose portal `user` uses, or None."""
    membership = membership_get_for_user(user=user)
    if membership is None or not membership.structure.is_active:
        return None
    return membership.structure


def _get_or_404(queryset: QuerySet, pk: int):
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


class StructureScope:
    """Every read of the portal about one structure: each method returns a queryset filtered by
    it (or one row of such a queryset, else Http404). Later: its groups and reservations."""

    def __init__(self, structure: Structure):
        self.structure = structure

    def beneficiaries(self) -> QuerySet[Beneficiary]:
        return Beneficiary.objects.filter(structure_id=self.structure.pk)

    def beneficiary(self, pk: int) -> Beneficiary:
        return _get_or_404(self.beneficiaries(), pk)

    def beneficiaries_listed(self, *, query: str = "") -> QuerySet[Beneficiary]:
        """ "Mes participants": found by names, phone or e-mail, accents and case ignored."""
        rows = self.beneficiaries().select_related("guest_of")
        return search_filter(rows, query).order_by("last_name", "first_name", "pk")

    def hosts(self) -> QuerySet[Beneficiary]:
        """The participants a guest may be invited by."""
        return self.beneficiaries().filter(kind=BeneficiaryKind.PARTICIPANT)

    def members(self) -> QuerySet[Membership]:
        """The référents of the structure whose account is active (removed ones are kept,
        deactivated, for what they booked)."""
        return (
            Membership.objects.filter(structure_id=self.structure.pk, user__is_active=True)
            .select_related("user__profile")
            .order_by("user__last_name", "user__first_name", "pk")
        )

    def member(self, pk: int) -> Membership:
        return _get_or_404(self.members(), pk)
