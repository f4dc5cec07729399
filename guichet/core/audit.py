"""The journal's write side ("Journal des modifications"): services call `audit_record` at the end
of each write they make. Core holds it so that every app, core included, can write to it without
importing guichet.privacy, which sits above them (see docs/design/audit.md).

Who acted comes from the request being served, kept by `AuditRequestMiddleware` in a context
variable: a signed-in user is "staff"; no user is a "visiteur" (a person acting through their
reservation link); no request at all (tasks, commands) is the "système". Nothing is read from
the request until an entry is written, so pages that write none (a public booking) pay nothing.
"""

import ipaddress
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from guichet.core.clients import client_ip
from guichet.core.models import AuditAction, AuditActor, AuditEntry

# Never written to the journal, whatever the model: secrets and what changes at each sign-in.
SECRET_FIELDS = frozenset(
    {"password", "last_login", "token", "submission_key", "search_text", "claim_token"}
)

_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


class AuditRequestMiddleware:
    """Keeps the request being served for `audit_record` (after AuthenticationMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple | set):  # many-to-many ids, choices (a file is iterable)
        return ", ".join(str(item) for item in value)
    return str(value)


def _comparable(field: models.Field, value):
    """One text per value whatever its origin: a form's Decimal("5") and the database's
    Decimal("5.00"), a Paris time and the same instant read back in UTC."""
    if isinstance(value, Decimal) and getattr(field, "decimal_places", None) is not None:
        return value.quantize(Decimal(1).scaleb(-field.decimal_places))
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value).isoformat()
    return value


def audit_snapshot(obj: models.Model, *, many: bool = False) -> dict[str, str | None]:
    """The journalled fields of `obj` as text, to compare before and after a change; with
    `many`, its many-to-many fields too (one query each: only for a saved object)."""
    values = {}
    for field in obj._meta.concrete_fields:
        if field.name in SECRET_FIELDS or field.primary_key:
            continue
        values[field.name] = _text(_comparable(field, field.value_from_object(obj)))
    if many and obj.pk is not None:
        for field in obj._meta.many_to_many:
            values[field.name] = _text(sorted(str(row) for row in getattr(obj, field.name).all()))
    return values


def audit_changes(before: dict, after: dict) -> dict[str, list]:
    """{field: [before, after]} for each field whose text differs (snapshots or form data)."""
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if name not in SECRET_FIELDS and before.get(name) != value
    }


def _audit_entry(
    *, action: AuditAction, obj: models.Model | None, changes: dict | None, note: str, user
) -> AuditEntry:
    request = _request.get()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        actor_kind, actor, actor_name = AuditActor.STAFF, user, user.get_username()
    elif request is not None:
        actor_kind, actor, actor_name = AuditActor.VISITOR, None, ""
    else:
        actor_kind, actor, actor_name = AuditActor.SYSTEM, None, ""
    entry = AuditEntry(
        actor_kind=actor_kind,
        actor=actor,
        actor_name=actor_name,
        client_ip=_ip(request),
        action=action,
        changes={name: pair for name, pair in (changes or {}).items() if name not in SECRET_FIELDS},
        note=note[:500],
    )
    if obj is not None:
        entry.content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
        entry.object_id = str(obj.pk)
        entry.object_repr = str(obj)[:200]
    return entry


def audit_record(
    *,
    action: AuditAction,
    obj: models.Model | None = None,
    changes: dict | None = None,
    note: str = "",
    user=None,
) -> AuditEntry:
    """Write one journal entry about `obj` (or about no object: an export of a list)."""
    entry = _audit_entry(action=action, obj=obj, changes=changes, note=note, user=user)
    entry.save()
    return entry


def audit_records(
    *, action: AuditAction, changes: list[tuple[models.Model, dict]], user=None
) -> list[AuditEntry]:
    """`audit_record` for several objects at once, one entry each, in one statement:
    `changes` pairs each object with its changes."""
    entries = [
        _audit_entry(action=action, obj=obj, changes=change, note="", user=user)
        for obj, change in changes
    ]
    return AuditEntry.objects.bulk_create(entries)


def _ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:  # a broken REMOTE_ADDR: no address rather than a 500
        return None


def audit_before(obj: models.Model) -> dict | None:
    """The stored row's snapshot before a service changes `obj`; None for a new object."""
    if obj.pk is None:
        return None
    stored = type(obj)._default_manager.filter(pk=obj.pk).first()
    return None if stored is None else audit_snapshot(stored, many=True)


def audit_saved(obj: models.Model, *, before: dict | None) -> AuditEntry:
    """Journal the creation (`before` None) or the change of `obj`, with its changed fields."""
    action = AuditAction.CREATE if before is None else AuditAction.CHANGE
    changes = audit_changes(before or {}, audit_snapshot(obj, many=True))
    return audit_record(action=action, obj=obj, changes=changes)
