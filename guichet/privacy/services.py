"""Personal-data duties: the nightly retention, a person's data on request (export, anonymise)."""

import csv
import io
import json
import logging
import zipfile
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.core.audit import audit_record
from guichet.core.models import AuditAction, AuditEntry
from guichet.core.phones import phone_to_e164
from guichet.privacy.registry import (
    PersonQuery,
    RetentionRule,
    person_sources,
    retention_rule_register,
    retention_rules,
)

logger = logging.getLogger(__name__)

RETENTION_BATCH = 1000


def person_query(text: str) -> PersonQuery:
    """An e-mail address, a phone number (French or international) or names."""
    text = text.strip()[:200]
    if "@" in text:
        return PersonQuery(text=text, email=text)
    try:
        return PersonQuery(text=text, phone=phone_to_e164(text))
    except ValidationError:
        return PersonQuery(text=text)


def person_rows(*, query: PersonQuery) -> dict[str, list]:
    """{source name: its rows concerning the person}, every registered source."""
    return {source.name: list(source.find(query)) for source in person_sources()}


def person_export(*, query: PersonQuery) -> bytes:
    """A ZIP for a right-of-access answer: one JSON of everything, one CSV per source."""
    rows = person_rows(query=query)
    data = {}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in person_sources():
            data[source.name] = [source.export_row(row) for row in rows[source.name]]
            table = io.StringIO()
            writer = csv.DictWriter(table, fieldnames=source.columns, delimiter=";")
            writer.writeheader()
            writer.writerows(data[source.name])
            archive.writestr(f"{source.name}.csv", table.getvalue().encode("utf-8-sig"))
        archive.writestr("donnees.json", json.dumps(data, ensure_ascii=False, indent=2))
    count = sum(len(found) for found in rows.values())
    audit_record(
        action=AuditAction.EXPORT,
        note=_("Données d'une personne : %(count)d lignes") % {"count": count},
    )
    return out.getvalue()


@transaction.atomic
def person_anonymise(*, query: PersonQuery, reason: str) -> int:
    """Anonymise every row concerning the person (the sources in their registered order);
    returns how many rows changed. Seats, counters and statuses are untouched."""
    now = timezone.now()
    changed = 0
    for source in person_sources():
        changed += source.anonymise(source.find(query), now)
    audit_record(
        action=AuditAction.ANONYMISE,
        note=_("%(count)d lignes anonymisées — %(reason)s") % {"count": changed, "reason": reason},
    )
    return changed


def _journal_batch(now: datetime, batch: int) -> int:
    """Journal entries past AUDIT_RETENTION_DAYS, failed sign-ins past their shorter limit."""
    kept = now - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    failed = now - timedelta(days=settings.AUDIT_FAILED_SIGN_IN_RETENTION_DAYS)
    expired = AuditEntry.objects.filter(created_at__lt=kept) | AuditEntry.objects.filter(
        action=AuditAction.SIGN_IN_FAILED, created_at__lt=failed
    )
    ids = list(expired.order_by("pk").values_list("pk", flat=True)[:batch])
    return AuditEntry.objects.filter(pk__in=ids).delete()[0]


retention_rule_register(RetentionRule("journal", transaction.atomic(_journal_batch)))


def retention_apply(*, now: datetime | None = None, batch: int = RETENTION_BATCH) -> dict:
    """Every retention rule, batch after batch (one transaction each) until nothing is left;
    {rule: rows changed}. Running it again at once changes nothing."""
    now = now or timezone.now()
    counts = {}
    for rule in retention_rules():
        total = 0
        while done := rule.apply_batch(now, batch):
            total += done
        counts[rule.name] = total
        logger.info("Retention %s: %d rows", rule.name, total)
    return counts
