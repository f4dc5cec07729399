"""The family portal's personal data, registered with guichet.privacy (from
FamiliesConfig.ready()): households, their guardians' accounts and their children can be found,
exported and anonymised from "Données d'une personne"; a household none of whose children has had
a reservation for FAMILY_HOUSEHOLD_RETENTION_DAYS is anonymised by the nightly retention, with
its children, their reservations' names and its guardians' accounts.

A row is anonymised once its names are the REDACTED mark (no extra column): the finders skip it,
so that a second run changes nothing. Seats, statuses and the rows themselves stay."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy as _

from guichet.bookings.models import Reservation
from guichet.core.search import search_filter
from guichet.families.models import Child, Guardian, Household, child_holder_key
from guichet.privacy.anonymise import (
    REDACTED,
    account_rows_find,
    accounts_anonymise,
    rows_anonymise,
)
from guichet.privacy.parks import reservations_anonymise
from guichet.privacy.registry import (
    PersonQuery,
    PersonSource,
    RetentionRule,
    person_source_register,
    retention_rule_register,
)

HOUSEHOLD_FIELDS = ("name", "address", "notes")
CHILD_FIELDS = ("first_name", "last_name", "birth_date")
HOUSEHOLD_COLUMNS = ("number", "name", "address", "notes", "created_at")
GUARDIAN_COLUMNS = (
    "household",
    "first_name",
    "last_name",
    "username",
    "email",
    "phone",
    "receives_digest",
    "is_active",
    "date_joined",
    "last_login",
)
CHILD_COLUMNS = ("household", "first_name", "last_name", "birth_date", "group", "is_active")


def _guardians_matching(query: PersonQuery) -> QuerySet[Guardian] | None:
    """The guardians of an e-mail or phone query (None for a query by names)."""
    if query.email:
        return Guardian.objects.filter(user__profile__email__iexact=query.email)
    if query.phone:
        return Guardian.objects.filter(user__profile__phone=query.phone)
    return None


# --- households ------------------------------------------------------------------------------


def households_find(query: PersonQuery) -> QuerySet[Household]:
    rows = Household.objects.exclude(name=REDACTED)
    guardians = _guardians_matching(query)
    if guardians is not None:
        return rows.filter(pk__in=guardians.values("household_id"))
    if not query.text.strip():
        return rows.none()
    return search_filter(rows, query.text)


def _household_export(household: Household) -> dict:
    return {
        "number": household.number,
        "name": household.name,
        "address": household.address,
        "notes": household.notes,
        "created_at": household.created_at.isoformat(),
    }


def _household_blank(household: Household) -> None:
    household.name = REDACTED
    household.address = household.notes = ""


def households_anonymise(rows: QuerySet[Household], now: datetime) -> int:
    """The name becomes the mark, the address and notes are blanked; the number stays (the
    file's reference), and so do the guardians and children (their own sources)."""
    batch = rows_anonymise(
        rows,
        pending=~Q(name=REDACTED),
        blank=_household_blank,
        fields=HOUSEHOLD_FIELDS,
        personal=HOUSEHOLD_FIELDS,
    )
    return len(batch)


# --- guardians -------------------------------------------------------------------------------


def guardians_find(query: PersonQuery) -> QuerySet[Guardian]:
    rows = Guardian.objects.select_related("user__profile", "household").exclude(
        user__last_name=REDACTED, user__is_active=False
    )
    return account_rows_find(rows, query)


def _guardian_export(guardian: Guardian) -> dict:
    user = guardian.user
    profile = getattr(user, "profile", None)
    return {
        "household": guardian.household.number,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "username": user.username,
        "email": profile.email if profile else user.email,
        "phone": profile.phone if profile else "",
        "receives_digest": guardian.receives_digest,
        "is_active": user.is_active,
        "date_joined": user.date_joined.isoformat(),
        "last_login": user.last_login.isoformat() if user.last_login else None,
    }


def guardians_anonymise(rows: QuerySet[Guardian], now: datetime) -> int:
    """The account is anonymised (it can no longer sign in) and receives no more report; the
    guardian row stays, so that the household's bookings keep their author."""
    user_ids = list(rows.values_list("user_id", flat=True))
    Guardian.objects.filter(user_id__in=user_ids).update(receives_digest=False)
    return accounts_anonymise(user_ids)


# --- children --------------------------------------------------------------------------------


def children_find(query: PersonQuery) -> QuerySet[Child]:
    rows = Child.objects.select_related("household", "group").exclude(last_name=REDACTED)
    guardians = _guardians_matching(query)
    if guardians is not None:
        return rows.filter(household__in=guardians.values("household_id"))
    if not query.text.strip():
        return rows.none()
    return search_filter(rows, query.text)


def _child_export(child: Child) -> dict:
    return {
        "household": child.household.number,
        "first_name": child.first_name,
        "last_name": child.last_name,
        "birth_date": child.birth_date.isoformat(),
        "group": child.group.name,
        "is_active": child.is_active,
    }


def _child_blank(child: Child) -> None:
    child.first_name = child.last_name = REDACTED
    child.birth_date = date(child.birth_date.year, 1, 1)
    child.is_active = False


def children_anonymise(rows: QuerySet[Child], now: datetime) -> int:
    """Names become the mark, the birth date its year's 1 January (the age groups' statistics
    stay), the child is deactivated; its reservations lose the names they copied
    (guichet.privacy.parks), keeping their session, status and seats."""
    batch = rows_anonymise(
        rows,
        pending=~Q(last_name=REDACTED),
        blank=_child_blank,
        fields=(*CHILD_FIELDS, "is_active"),
        personal=CHILD_FIELDS,
    )
    reservations_anonymise(
        Reservation.objects.filter(holder_key__in=[child_holder_key(c.pk) for c in batch]), now
    )
    return len(batch)


# --- retention -------------------------------------------------------------------------------


def households_expired(now: datetime) -> QuerySet[Household]:
    """Households created before the cutoff none of whose children has a reservation made or
    held on a session since the cutoff."""
    cutoff = now - timedelta(days=settings.FAMILY_HOUSEHOLD_RETENTION_DAYS)
    recent = Reservation.objects.filter(
        Q(session__start__gte=cutoff) | Q(created_at__gte=cutoff),
        holder_key=Concat(Value("child:"), Cast(OuterRef("pk"), CharField())),
    )
    active_children = Child.objects.filter(Exists(recent)).values("household_id")
    return (
        Household.objects.filter(created_at__lt=cutoff)
        .exclude(name=REDACTED)
        .exclude(pk__in=active_children)
    )


@transaction.atomic
def _households_retention_batch(now: datetime, batch: int) -> int:
    ids = list(households_expired(now).order_by("pk").values_list("pk", flat=True)[:batch])
    children_anonymise(Child.objects.filter(household_id__in=ids), now)
    guardians_anonymise(Guardian.objects.filter(household_id__in=ids), now)
    return households_anonymise(Household.objects.filter(pk__in=ids), now)


def register() -> None:
    person_source_register(
        PersonSource(
            name="family_households",
            label=_("Comptes famille (Portail famille)"),
            find=households_find,
            columns=HOUSEHOLD_COLUMNS,
            export_row=_household_export,
            anonymise=households_anonymise,
        )
    )
    # Guardians last: the households and children are found through their e-mail and phone.
    person_source_register(
        PersonSource(
            name="family_children",
            label=_("Enfants (Portail famille)"),
            find=children_find,
            columns=CHILD_COLUMNS,
            export_row=_child_export,
            anonymise=children_anonymise,
        )
    )
    person_source_register(
        PersonSource(
            name="family_guardians",
            label=_("Responsables (Portail famille)"),
            find=guardians_find,
            columns=GUARDIAN_COLUMNS,
            export_row=_guardian_export,
            anonymise=guardians_anonymise,
        )
    )
    retention_rule_register(RetentionRule("family_households", _households_retention_batch))
