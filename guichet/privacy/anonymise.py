"""Helpers shared by the apps that register personal data (the portals): the mark that replaces
a required name, finding a person's rows, the anonymisation of a batch of rows and the redaction
of the journal's entries about them, and the anonymisation of portal accounts
(guichet.accounts)."""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from guichet.accounts.models import Profile
from guichet.core.models import AuditEntry
from guichet.core.search import search_filter, search_text_of
from guichet.privacy.registry import PersonQuery

# Names stay non-empty (database constraints): they become this mark.
REDACTED = "—"
ACCOUNT_FIELDS = ("first_name", "last_name", "email", "username")


def person_rows_find(
    rows: QuerySet,
    query: PersonQuery,
    *,
    email: str = "email",
    phone: str = "phone",
    fields: tuple[str, ...] = ("search_text",),
) -> QuerySet:
    """The `rows` of the person queried: by the `email` column (any case), else the `phone`
    one, else the names' words in the search columns `fields`."""
    if query.email:
        return rows.filter(**{f"{email}__iexact": query.email})
    if query.phone:
        return rows.filter(**{phone: query.phone})
    if not query.text.strip():
        return rows.none()
    return search_filter(rows, query.text, fields=fields)


def account_rows_find(rows: QuerySet, query: PersonQuery) -> QuerySet:
    """The `rows` whose portal account (their `user`) is the person queried."""
    return person_rows_find(
        rows,
        query,
        email="user__profile__email",
        phone="user__profile__phone",
        fields=("user__profile__search_text",),
    )


def rows_anonymise(
    rows: QuerySet,
    *,
    pending: Q,
    blank: Callable[[object], None],
    fields: tuple[str, ...],
    personal: tuple[str, ...],
) -> list:
    """Locks the `rows` still `pending` (not anonymised yet), has `blank` change each, refreshes
    its search column and saves the `fields` changed; the journal's entries about them lose
    the `personal` fields' values. Returns the rows anonymised."""
    model = rows.model
    batch = list(
        model.objects.filter(pk__in=rows.values("pk"))
        .filter(pending)
        .order_by("pk")
        .select_for_update()
    )
    for row in batch:
        blank(row)
        row.search_text = search_text_of(row, model.search_sources)
    journal_redact(model, [row.pk for row in batch], personal)
    model.objects.bulk_update(batch, [*fields, "search_text"])
    return batch


def journal_redact(model, ids: list, fields: tuple[str, ...], *, by_field: str = "pk") -> None:
    """The one exception to the journal being append-only: entries about anonymised rows lose
    the person's name and the values of their personal fields (as guichet.privacy.parks does for
    reservations)."""
    if by_field != "pk":
        ids = list(model.objects.filter(**{f"{by_field}__in": ids}).values_list("pk", flat=True))
    if not ids:
        return
    entries = list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id__in=[str(pk) for pk in ids],
        )
    )
    for entry in entries:
        entry.object_repr = f"#{entry.object_id}"
        entry.changes = {
            name: [REDACTED, REDACTED] if name in fields else pair
            for name, pair in (entry.changes or {}).items()
        }
    AuditEntry.objects.bulk_update(entries, ["object_repr", "changes"])


def accounts_anonymise(user_ids: list[int]) -> int:
    """Each account is deactivated, its password made unusable, its names, e-mail and phone
    blanked; the rows pointing at it stay (a booking keeps its, now anonymous, author).
    Returns how many accounts were not anonymised yet."""
    user_model = get_user_model()
    users = list(
        user_model.objects.filter(pk__in=user_ids)
        .exclude(last_name=REDACTED, is_active=False)
        .order_by("pk")
        .select_for_update()
    )
    ids = [user.pk for user in users]
    profiles = {p.user_id: p for p in Profile.objects.filter(user_id__in=ids).select_for_update()}
    for user in users:
        user.first_name = user.last_name = REDACTED
        user.email = ""
        user.username = f"anonyme-{user.pk}"
        user.is_active = False
        user.set_unusable_password()
        user.save(
            update_fields=["first_name", "last_name", "email", "username", "is_active", "password"]
        )
        profile = profiles.get(user.pk)
        if profile is not None:
            profile.user = user
            profile.email = profile.phone = ""
            profile.save(update_fields=["email", "phone"])
    journal_redact(user_model, ids, ACCOUNT_FIELDS)
    journal_redact(Profile, list(profiles), ("email", "phone", "names"), by_field="user_id")
    return len(users)
