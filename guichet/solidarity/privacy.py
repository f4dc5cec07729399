"""The solidarity portal's personal data, registered with guichet.privacy (from
SolidarityConfig.ready()): the people followed and the référents' accounts can be found, exported
and anonymised from "Données d'une personne"; a person deactivated for
SOLIDARITY_BENEFICIARY_RETENTION_DAYS is anonymised by the nightly retention."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from guichet.privacy.anonymise import (
    REDACTED,
    account_rows_find,
    accounts_anonymise,
    person_rows_find,
    rows_anonymise,
)
from guichet.privacy.registry import (
    PersonQuery,
    PersonSource,
    RetentionRule,
    person_source_register,
    retention_rule_register,
)
from guichet.solidarity.models import Beneficiary, Membership

BENEFICIARY_COLUMNS = (
    "structure",
    "kind",
    "guest_of",
    "civility",
    "last_name",
    "first_name",
    "address",
    "phone",
    "email",
    "is_active",
    "created_at",
    "deactivated_at",
)


PERSON_FIELDS = ("last_name", "first_name", "civility", "address", "phone", "email")


def beneficiaries_find(query: PersonQuery) -> QuerySet[Beneficiary]:
    rows = Beneficiary.objects.filter(anonymised_at__isnull=True).select_related(
        "structure", "guest_of"
    )
    return person_rows_find(rows, query)


def _beneficiary_export(person: Beneficiary) -> dict:
    return {
        "structure": person.structure.name,
        "kind": person.get_kind_display(),
        "guest_of": str(person.guest_of) if person.guest_of else "",
        "civility": person.get_civility_display(),
        "last_name": person.last_name,
        "first_name": person.first_name,
        "address": person.address,
        "phone": person.phone,
        "email": person.email,
        "is_active": person.is_active,
        "created_at": person.created_at.isoformat(),
        "deactivated_at": person.deactivated_at.isoformat() if person.deactivated_at else None,
    }


def _beneficiary_blank(person: Beneficiary, now: datetime) -> None:
    person.last_name = person.first_name = REDACTED
    person.civility = person.address = person.phone = person.email = ""
    person.is_active = False
    person.deactivated_at = person.deactivated_at or now
    person.anonymised_at = now


def beneficiaries_anonymise(rows: QuerySet[Beneficiary], now: datetime) -> int:
    """Blanks the person's fields; the row stays (deactivated) for what was booked for them."""
    batch = rows_anonymise(
        rows,
        pending=Q(anonymised_at__isnull=True),
        blank=lambda person: _beneficiary_blank(person, now),
        fields=(*PERSON_FIELDS, "is_active", "deactivated_at", "anonymised_at"),
        personal=PERSON_FIELDS,
    )
    return len(batch)


def referents_find(query: PersonQuery) -> QuerySet[Membership]:
    """The référents' accounts (a portal account is always a référent's here)."""
    rows = Membership.objects.select_related("user__profile", "structure")
    return account_rows_find(rows, query)


def _referent_export(membership: Membership) -> dict:
    user = membership.user
    return {
        "structure": membership.structure.name,
        "role": membership.get_role_display(),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": user.profile.phone,
        "is_active": user.is_active,
        "created_at": membership.created_at.isoformat(),
        "last_login": user.last_login.isoformat() if user.last_login else None,
    }


def referents_anonymise(rows: QuerySet[Membership], now: datetime) -> int:
    """The account is anonymised (guichet.privacy.anonymise); the membership stays, so that its
    bookings keep a (now anonymous) author."""
    return accounts_anonymise(list(rows.values_list("user_id", flat=True)))


def beneficiaries_expired(now: datetime) -> QuerySet[Beneficiary]:
    cutoff = now - timedelta(days=settings.SOLIDARITY_BENEFICIARY_RETENTION_DAYS)
    return Beneficiary.objects.filter(
        is_active=False, deactivated_at__lt=cutoff, anonymised_at__isnull=True
    )


@transaction.atomic
def _beneficiaries_retention_batch(now: datetime, batch: int) -> int:
    ids = list(beneficiaries_expired(now).order_by("pk").values_list("pk", flat=True)[:batch])
    return beneficiaries_anonymise(Beneficiary.objects.filter(pk__in=ids), now)


def register() -> None:
    person_source_register(
        PersonSource(
            name="solidarity_beneficiaries",
            label=_("Personnes suivies (Billetterie solidaire)"),
            find=beneficiaries_find,
            columns=BENEFICIARY_COLUMNS,
            export_row=_beneficiary_export,
            anonymise=beneficiaries_anonymise,
        )
    )
    person_source_register(
        PersonSource(
            name="solidarity_referents",
            label=_("Référents (Billetterie solidaire)"),
            find=referents_find,
            columns=(
                "structure",
                "role",
                "first_name",
                "last_name",
                "email",
                "phone",
                "is_active",
                "created_at",
                "last_login",
            ),
            export_row=_referent_export,
            anonymise=referents_anonymise,
        )
    )
    retention_rule_register(
        RetentionRule("solidarity_beneficiaries", _beneficiaries_retention_batch)
    )
