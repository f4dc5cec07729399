"""The daily report ("Compte rendu"): what moved on a household's requests during one day, in
seed 002's form, mended. Built from `ReservationChange` rows, for the `family_digest` mail
(rendered when it is sent: `digest_mail_context`, registered with guichet.notifications) and for
the portal's "Compte rendu" page.

    14 mouvements sur vos demandes de réservations ont été reçus, dont :
           - 11 nouvelles demandes de réservation
           - 3 demandes d'annulation

    ****************     RESERVATIONS MISES EN LISTE D'ATTENTE     ****************
    --> Activité : APS MATIN :
             DUPONT Amalia : lun. 15 mai, mar. 16 mai

Sections in seed 002's order: MISES EN LISTE D'ATTENTE, ACCEPTEES, EN ATTENTE DE TRAITEMENT,
REFUSEES, NON SERVIES, ANNULEES; an empty one is left out."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils.html import escape, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guichet.core import dates
from guichet.families.deadlines import PARIS, paris_datetime
from guichet.families.models import ChangeKind, ChangeOrigin, ReservationChange

SECTION_ORDER = [
    ChangeKind.WAITING,
    ChangeKind.ACCEPTED,
    ChangeKind.PENDING,
    ChangeKind.REFUSED,
    ChangeKind.NOT_SERVED,
    ChangeKind.CANCELLED,
]


@dataclass
class DigestActivity:
    name: str
    # ("NOM Prénom", ["lun. 15 mai", …]) per child, by name.
    children: list[tuple[str, list[str]]] = field(default_factory=list)


@dataclass
class DigestSection:
    kind: str
    title: str
    activities: list[DigestActivity] = field(default_factory=list)


@dataclass
class Digest:
    day: date
    movements: int
    bookings: int
    cancellations: int
    sections: list[DigestSection]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The instants a Paris day starts and ends (23 or 25 hours across a change of clock)."""
    return paris_datetime(day, time(0)), paris_datetime(day + timedelta(days=1), time(0))


def _child_label(child) -> str:
    return f"{child.last_name.upper()} {child.first_name}"


def digest_build(*, day: date, changes: Iterable[ReservationChange]) -> Digest | None:
    """The report of `changes` (one household's, one day's, with child and session's activity);
    None when nothing moved."""
    changes = list(changes)
    if not changes:
        return None
    grouped: dict[str, dict[str, dict[str, set]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(set))
    )
    for change in changes:
        session = change.session
        day_of = session.starts_at.astimezone(PARIS).date()
        grouped[change.kind][session.activity.name][_child_label(change.child)].add(day_of)
    sections = []
    for kind in SECTION_ORDER:
        if kind not in grouped:
            continue
        section = DigestSection(kind=kind, title=str(ChangeKind(kind).label))
        for activity in sorted(grouped[kind]):
            entry = DigestActivity(name=activity)
            for child in sorted(grouped[kind][activity]):
                days = sorted(grouped[kind][activity][child])
                entry.children.append((child, [dates.day_short(value) for value in days]))
            section.activities.append(entry)
        sections.append(section)
    return Digest(
        day=day,
        movements=len(changes),
        bookings=sum(change.origin == ChangeOrigin.BOOKING_REQUEST for change in changes),
        cancellations=sum(change.origin == ChangeOrigin.CANCEL_REQUEST for change in changes),
        sections=sections,
    )


def _counts_lines(digest: Digest) -> list[str]:
    return [
        ngettext(
            "%(n)d mouvement sur vos demandes de réservations a été reçu, dont :",
            "%(n)d mouvements sur vos demandes de réservations ont été reçus, dont :",
            digest.movements,
        )
        % {"n": digest.movements},
        ngettext(
            "%(n)d nouvelle demande de réservation",
            "%(n)d nouvelles demandes de réservation",
            digest.bookings,
        )
        % {"n": digest.bookings},
        ngettext("%(n)d demande d'annulation", "%(n)d demandes d'annulation", digest.cancellations)
        % {"n": digest.cancellations},
    ]


def _activity_line(name: str) -> str:
    return _("--> Activité : %(activity)s :") % {"activity": name}


def digest_text(digest: Digest) -> str:
    """The plain-text report, in seed 002's layout."""
    head, bookings, cancellations = _counts_lines(digest)
    lines = [head, f"       - {bookings}", f"       - {cancellations}"]
    for section in digest.sections:
        lines += ["", f"****************     {section.title}     ****************"]
        for activity in section.activities:
            lines.append(_activity_line(activity.name))
            for child, days in activity.children:
                lines.append(f"         {child} : {', '.join(days)}")
    return "\n".join(lines)


def digest_html(digest: Digest) -> SafeString:
    """The same report in HTML (every value escaped)."""
    head, bookings, cancellations = _counts_lines(digest)
    parts = [
        f"<p>{escape(head)}</p>",
        f"<ul><li>{escape(bookings)}</li><li>{escape(cancellations)}</li></ul>",
    ]
    for section in digest.sections:
        parts.append(f"<p><strong>{escape(section.title)}</strong></p>")
        for activity in section.activities:
            rows = format_html_join(
                "",
                "<li>{} : {}</li>",
                ((child, ", ".join(days)) for child, days in activity.children),
            )
            parts.append(f"<p>{escape(_activity_line(activity.name))}</p><ul>{rows}</ul>")
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped above


def digest_of_household(*, household_id: int, day: date) -> Digest | None:
    """The report of one household's day (what the mail and the "Compte rendu" page show)."""
    start, end = day_bounds(day)
    changes = ReservationChange.objects.filter(
        household_id=household_id, at__gte=start, at__lt=end
    ).select_related("child", "session__activity")
    return digest_build(day=day, changes=changes)


def digest_example(day: date) -> Digest:
    """An invented report (the back-office's preview)."""
    monday = day + timedelta(days=7 - day.weekday())
    days = [dates.day_short(monday + timedelta(days=n)) for n in range(3)]
    return Digest(
        day=day,
        movements=4,
        bookings=3,
        cancellations=1,
        sections=[
            DigestSection(
                kind=ChangeKind.ACCEPTED,
                title=str(ChangeKind.ACCEPTED.label),
                activities=[DigestActivity(name="APS MATIN", children=[("EXEMPLE Léa", days)])],
            ),
            DigestSection(
                kind=ChangeKind.CANCELLED,
                title=str(ChangeKind.CANCELLED.label),
                activities=[
                    DigestActivity(name="RESTAURATION", children=[("EXEMPLE Léa", days[:1])])
                ],
            ),
        ],
    )


def digest_mail_context(renderer, message) -> dict:
    """The `family_digest` mail's context (guichet.notifications.emails.mail_context_register):
    the report, rendered when the mail is sent, between the kind's "sous « Bonjour »" and its
    "contenu principal"."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.text import capfirst

    from guichet.families.models import Household
    from guichet.notifications.emails import Part

    details = message.details or {}
    if details.get("preview"):  # the back-office's preview of the texts: an invented report
        name, day = "Camille", timezone.localdate() - timedelta(days=1)
        digest = digest_example(day)
    else:
        household = Household.objects.filter(pk=details.get("household")).first()
        name = household.name if household is not None else ""
        try:
            day = date.fromisoformat(details.get("day", ""))
        except ValueError:
            day = None
        digest = (
            digest_of_household(household_id=household.pk, day=day)
            if household is not None and day is not None
            else None
        )
    sections = dict(renderer.sections(message.kind))
    staff_text = sections["main_content"]
    if digest is not None:
        sections["main_content"] = Part(
            mark_safe(digest_html(digest) + staff_text.html),  # noqa: S308 - both safe
            "\n\n".join(part for part in (digest_text(digest), staff_text.text) if part),
        )
    return {
        "activity": capfirst(dates.day_long(day)) if day else "",
        "name": name,
        "intro": None,
        "reason": "",
        "show_details": False,
        "listed": [],
        "buttons": [
            (_("Consulter mes réservations"), settings.SITE_URL + reverse("families:home"))
        ],
        "sections": sections,
    }
