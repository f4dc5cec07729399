from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from guichet.catalogue.models import Activity, Session
from guichet.core.audit import audit_before, audit_saved


def activity_slug_unique(*, name: str, exclude_pk: int | None = None) -> str:
    """A slug made from the name, with -2, -3… when another activity already has it."""
    base = slugify(name)[:200] or "activite"
    taken = set(
        Activity.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def activity_save(*, activity: Activity) -> Activity:
    before = audit_before(activity)
    if (
        activity.pk is not None
        and Activity.objects.filter(pk=activity.pk, sessions__reservations__isnull=False)
        .exclude(channel=activity.channel)
        .exists()
    ):
        # Its reservations carry the channel (and its rules: contact data, holders).
        raise ValidationError(
            _("Cette activité a des réservations : son portail ne peut plus changer.")
        )
    if not activity.slug:
        activity.slug = activity_slug_unique(name=activity.name, exclude_pk=activity.pk)
    activity.full_clean()
    activity.save()
    audit_saved(activity, before=before)
    return activity


def weekly_starts(*, start: datetime, weeks: int) -> list[datetime]:
    """The same local time on each of the `weeks` following weeks (a DST change keeps 10:00 at 10:00)."""
    local = timezone.localtime(start)
    naive = local.replace(tzinfo=None)
    return [timezone.make_aware(naive + timedelta(weeks=n)) for n in range(1, weeks + 1)]


@transaction.atomic
def session_copy(*, session: Session, starts: list[datetime]) -> list[Session]:
    """New sessions like `session` (activity, duration by its effective dates, limit, price) at
    each of `starts`; the copies have no status and no reservation."""
    duration = session.ends_at - session.starts_at if session.ends_at else None
    copies = []
    for start in starts:
        copy = Session(
            activity=session.activity,
            start=start,
            end=start + duration if duration else None,
            seat_limit=session.seat_limit,
            price=session.price,
        )
        copy.full_clean()
        copy.save()
        audit_saved(copy, before=None)
        copies.append(copy)
    return copies
