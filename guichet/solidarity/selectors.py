"""The portal's reads. A view finds its structure with `structure_get_for_user` and reads only
through that structure's `StructureScope`: another structure's rows are never in its querysets,
so a forged id answers 404."""

from datetime import datetime, time, timedelta

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from guichet.bookings.models import SEAT_HOLDING_STATUSES
from guichet.catalogue.models import Channel
from guichet.core.search import search_filter
from guichet.solidarity.models import (
    Beneficiary,
    BeneficiaryKind,
    Invitation,
    InvitationRole,
    Membership,
    SolidaritySettings,
    Structure,
)


def solidarity_settings_get() -> SolidaritySettings:
    """The portal's rules (window, quota, last call), made on first use with their defaults and
    kept in the shared cache, which SolidaritySettings.save() clears."""
    row = cache.get(SolidaritySettings.CACHE_KEY)
    if row is None:
        row, _created = SolidaritySettings.objects.get_or_create(pk=SolidaritySettings.SINGLETON_PK)
        cache.set(SolidaritySettings.CACHE_KEY, row, SolidaritySettings.CACHE_SECONDS)
    return row


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


def week_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The ISO week (Monday 00:00 to the next Monday 00:00, Paris time) holding `moment`, as
    aware datetimes: a week across a clock change is 167 or 169 hours long."""
    local = timezone.localtime(moment)
    monday = local.date() - timedelta(days=local.weekday())
    zone = timezone.get_default_timezone()
    start = datetime.combine(monday, time(0, 0), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), time(0, 0), tzinfo=zone)
    return start, end


def invitations_seated_in_week(
    *, beneficiary_id: int, moment: datetime, exclude_reservation_id: int | None = None
) -> int:
    """How many invitations count against the person's weekly quota in the ISO week of
    `moment`: seated ones (valid, pending, archived) as participant or guest, on solidarity
    sessions whose effective start falls in that week; `exclude_reservation_id` left out (the
    line being judged). Never stored: read at each decision, under the person's row lock."""
    start, end = week_bounds(moment)
    rows = Invitation.objects.filter(
        beneficiary_id=beneficiary_id,
        role__in=(InvitationRole.PARTICIPANT, InvitationRole.GUEST),
        reservation__status__in=SEAT_HOLDING_STATUSES,
        reservation__channel=Channel.SOLIDARITY,
        reservation__session__effective_start__gte=start,
        reservation__session__effective_start__lt=end,
    )
    if exclude_reservation_id is not None:
        rows = rows.exclude(reservation_id=exclude_reservation_id)
    return rows.count()
