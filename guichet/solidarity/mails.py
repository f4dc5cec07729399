"""The portal's mails about a booking (one per `ReservationGroup`, `SOLIDARITY_POLICY.group_mails`):
what each says besides its editable texts, rendered when it is sent (the notifications' worker
calls `booking_mail_context`, registered in SolidarityConfig.ready). The people concerned are
listed with their state as it is then; the buttons lead to the portal's pages, behind its
sign-in. No attachment: the invitations are printed from the booking's page."""

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from guichet.bookings.models import SEAT_HOLDING_STATUSES, Reservation
from guichet.catalogue.models import Session
from guichet.core import dates
from guichet.notifications.emails import Part
from guichet.notifications.models import MessageKind, OutgoingMessage
from guichet.solidarity.selectors import invitation_role_text, invitation_state_text

# The kinds this module renders (SOLIDARITY_POLICY.group_mails names them for its events).
BOOKING_KINDS = (
    MessageKind.SOLIDARITY_BOOKED,
    MessageKind.SOLIDARITY_PROMOTED,
    MessageKind.SOLIDARITY_WAITING_CLOSED,
    MessageKind.SOLIDARITY_SESSION_CANCELLED,
    MessageKind.SOLIDARITY_SESSION_POSTPONED,
    MessageKind.SOLIDARITY_REMINDER,
    MessageKind.SOLIDARITY_CANCELLED,
)

# The kinds that may carry staff's reason: the session's change, or the cancellation.
WITH_REASON = (
    MessageKind.SOLIDARITY_SESSION_CANCELLED,
    MessageKind.SOLIDARITY_SESSION_POSTPONED,
    MessageKind.SOLIDARITY_CANCELLED,
)


def _when(details: dict, key: str) -> datetime | None:
    value = details.get(key)
    return datetime.fromisoformat(value) if value else None


def _intro(kind: str, *, activity: str, session: Session, details: dict) -> str:
    """The sentence saying what happened, in plain text (escaped by the caller)."""
    planned = dates.when(session.starts_at, session.ends_at)
    values = {"activity": activity, "planned": planned}
    if kind == MessageKind.SOLIDARITY_BOOKED:
        sentence = _("Votre réservation pour « %(activity)s » %(planned)s est enregistrée.")
    elif kind == MessageKind.SOLIDARITY_PROMOTED:
        sentence = _(
            "Des places se sont libérées pour « %(activity)s » %(planned)s : ces personnes, qui "
            "étaient en liste d'attente, ont maintenant une invitation."
        )
    elif kind == MessageKind.SOLIDARITY_WAITING_CLOSED:
        sentence = _(
            "Les réservations de « %(activity)s » %(planned)s sont closes : ces personnes, en "
            "liste d'attente, n'ont pas eu de place."
        )
    elif kind == MessageKind.SOLIDARITY_SESSION_CANCELLED:
        sentence = _("La séance « %(activity)s » prévue %(planned)s est annulée.")
        values["planned"] = dates.when(_when(details, "start"), _when(details, "end"))
    elif kind == MessageKind.SOLIDARITY_SESSION_POSTPONED:
        sentence = _(
            "La séance « %(activity)s » prévue %(planned)s est reportée %(new)s. Les invitations "
            "restent valables."
        )
        values["planned"] = dates.when(
            _when(details, "previous_start"), _when(details, "previous_end")
        )
        values["new"] = dates.when(_when(details, "start"), _when(details, "end"), moved=True)
    elif kind == MessageKind.SOLIDARITY_REMINDER:
        sentence = _(
            "« %(activity)s » a lieu %(planned)s. Remettez son invitation à chacune de ces "
            "personnes :"
        )
    else:  # SOLIDARITY_CANCELLED
        sentence = _(
            "Ces invitations pour « %(activity)s » %(planned)s ont été annulées par %(by)s."
        )
        values["by"] = (
            _("l'équipe de la Billetterie solidaire")
            if details.get("by_staff")
            else details.get("by") or _("un autre référent de votre structure")
        )
    return sentence % values


def _lines(message: OutgoingMessage) -> list[Reservation]:
    """The people the mail is about: the group's seated lines on the session for the reminder
    (whom to hand invitations to), else the lines of the event, as they are now."""
    rows = Reservation.objects.select_related("invitation__guest_of").order_by("pk")
    if message.kind == MessageKind.SOLIDARITY_REMINDER:
        return list(
            rows.filter(
                group_id=message.group_id,
                session_id=message.session_id,
                status__in=SEAT_HOLDING_STATUSES,
            )
        )
    return list(rows.filter(pk__in=message.details.get("reservations") or []))


def _people(lines: list[tuple[str, str, str]]) -> Part:
    """Each person: name, role, state (its invitation's number, its rank…)."""
    html = format_html(
        '<ul style="margin:0 0 16px; padding-left:20px;">{}</ul>',
        format_html_join(
            "",
            '<li style="margin:0 0 6px;"><strong>{}</strong> – {} – {}</li>',
            lines,
        ),
    )
    text = "\n".join(f"- {name} – {role} – {state}" for name, role, state in lines)
    return Part(html, text)


def _example(message: OutgoingMessage) -> tuple[str, Session, dict, list[tuple[str, str, str]]]:
    """The back-office's preview of the texts: an invented booking."""
    start = timezone.localtime().replace(hour=14, minute=0, second=0, microsecond=0)
    start += timedelta(days=9)
    session = Session(start=start, end=start + timedelta(hours=2))
    details = {
        "start": start.isoformat(),
        "end": session.end.isoformat(),
        "previous_start": start.isoformat(),
        "previous_end": session.end.isoformat(),
        "by_staff": True,
    }
    if message.kind in WITH_REASON:  # as the real ones: staff's reason
        details["reason"] = _("Intempéries")
    if message.kind == MessageKind.SOLIDARITY_SESSION_POSTPONED:
        details |= {"start": (start + timedelta(days=7)).isoformat(), "end": None}
    people = [
        (
            "EXEMPLE Camille",
            _("Participant"),
            _("Invitation n° %(number)s") % {"number": "S-K7PM3QXR"},
        ),
        ("EXEMPLE Léa", _("Invité de EXEMPLE Camille"), _("Sur liste d'attente (rang 2)")),
    ]
    return _("Musée des Exemples"), session, details, people


def booking_mail_context(renderer, message: OutgoingMessage) -> dict:
    """What message.html and message.txt read about the booking (notifications.emails'
    `mail_context_register`): the greeting's name, the sentence, the people, the buttons."""
    details = message.details or {}
    if details.get("preview"):
        activity, session, details, people = _example(message)
        name = "Camille"
    else:
        session = message.session
        activity = session.activity.name
        author = message.group.author if message.group is not None else None
        name = author.first_name if author is not None and author.is_active else ""
        people = [
            (str(line.invitation), invitation_role_text(line), invitation_state_text(line))
            for line in _lines(message)
        ]
    intro = _intro(message.kind, activity=activity, session=session, details=details)
    sections = dict(renderer.sections(message.kind))
    staff_text = sections["main_content"]
    if people:
        listed = _people(people)
        sections["main_content"] = Part(
            mark_safe(listed.html + staff_text.html),  # noqa: S308 - both safe
            "\n\n".join(part for part in (listed.text, staff_text.text) if part),
        )
    buttons = [(_("Mes réservations"), settings.SITE_URL + reverse("solidarity:reservations"))]
    if message.group_id is not None:
        page = reverse("solidarity:booking_detail", kwargs={"booking_id": message.group_id})
        buttons.insert(0, (_("Voir la réservation"), settings.SITE_URL + page))
    return {
        "activity": activity,
        "name": name or _("Madame, Monsieur"),
        "intro": Part(mark_safe(escape(intro)), intro),  # noqa: S308 - escaped
        "reason": details.get("reason", ""),
        "show_details": False,
        "listed": [],
        "buttons": buttons,
        "sections": sections,
    }
