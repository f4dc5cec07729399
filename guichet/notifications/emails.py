"""Turning an outbox row into an e-mail: rendered when it is sent, from the reservation's current
state, the current texts of its kind and the organisation's settings, so that a staff edit shows
in the next mail and a moved reminder shows the new dates."""

import logging
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr
from html.parser import HTMLParser

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.base import render_value_in_context
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_prose_editor.fields import create_sanitizer

from guichet.accounts.tokens import (
    email_change_token,
    invitation_max_age,
    invitation_token_generator,
    password_reset_token_generator,
    user_uid,
)
from guichet.bookings.calendar import reservation_ics
from guichet.bookings.channels import policy_for
from guichet.bookings.models import Reservation, ReservationStatus
from guichet.bookings.selectors import reservation_cancellable_online
from guichet.catalogue.models import Activity, Location, Session, SessionStatus
from guichet.core import dates
from guichet.core.models import Organisation
from guichet.core.richtext import RICH_TEXT_CONFIG
from guichet.core.selectors import organisation_get
from guichet.notifications.models import (
    ACCOUNT_KINDS,
    MessageAttachment,
    MessageKind,
    MessageTemplate,
    OutgoingMessage,
)
from guichet.notifications.selectors import message_template_get

logger = logging.getLogger(__name__)

# Rich text is sanitised when a form saves it; rows written otherwise (imports, factories) are
# cleaned again here before they go into a mail.
sanitize = create_sanitizer(RICH_TEXT_CONFIG["extensions"])

# The public pages the buttons lead to (guichet.public), made absolute with SITE_URL.
PAGE_URL_NAMES = {
    "reservation": "public:reservation_detail",
    "calendar": "public:reservation_ics",
    "cancel": "public:reservation_cancel",
    "home": "public:activity_list",
}

# Which blocks each kind shows: the reservation's details, and its buttons in this order
# ("cancel" only while the person may still cancel online).
LAYOUTS = {
    MessageKind.CONFIRMATION: (True, ("calendar", "reservation", "cancel")),
    MessageKind.REMINDER: (True, ("reservation", "cancel")),
    MessageKind.SESSION_CANCELLED: (False, ("home",)),
    MessageKind.SESSION_POSTPONED: (False, ("calendar", "cancel", "home")),
    MessageKind.RESERVATION_CANCELLED: (False, ("home",)),
    MessageKind.RESERVATION_LINK: (True, ("reservation", "calendar", "cancel")),
    MessageKind.SCHEDULE_CHANGED: (True, ("calendar", "reservation", "cancel")),
    MessageKind.RESERVATION_CHANGED: (True, ("reservation", "calendar", "cancel")),
    MessageKind.RESERVATION_LIST: (False, ()),
}


def button_labels() -> dict[str, str]:
    return {
        "calendar": _("Ajouter à mon agenda"),
        "reservation": _("Accéder à ma réservation"),
        "cancel": _("Annuler ma réservation"),
        "home": _("Réserver une nouvelle activité"),
    }


def page_url(name: str, reservation: Reservation) -> str:
    kwargs = {} if name == "home" else {"token": reservation.token}
    return settings.SITE_URL + reverse(PAGE_URL_NAMES[name], kwargs=kwargs)


def message_subject(*, kind: str, activity_name: str) -> str:
    """'Confirmation de réservation - Visite des serres', as in the guide's list of mails."""
    return f"{MessageKind(kind).label} - {activity_name}"


@dataclass(frozen=True)
class AccountMail:
    """What an account mail says besides its editable texts, and how its link is made."""

    subject: str
    portal: str  # the header's second line
    button: str
    path: Callable[[OutgoingMessage], str]  # the page of the link, with its token
    lifetime: Callable[[], int]  # seconds the link lasts


def _token_path(url_name: str, generator) -> Callable[[OutgoingMessage], str]:
    def path(message: OutgoingMessage) -> str:
        user = message.user
        kwargs = {"uidb64": user_uid(user), "token": generator.make_token(user)}
        return reverse(url_name, kwargs=kwargs)

    return path


def _email_change_path(message: OutgoingMessage) -> str:
    token = email_change_token(user=message.user, email=message.details["email"])
    return reverse("solidarity:email_confirm", kwargs={"token": token})


SOLIDARITY_PORTAL = gettext_lazy("Billetterie solidaire")

ACCOUNT_MAILS = {
    MessageKind.SOLIDARITY_INVITATION: AccountMail(
        subject=gettext_lazy("Votre accès à la Billetterie solidaire"),
        portal=SOLIDARITY_PORTAL,
        button=gettext_lazy("Choisir mon mot de passe"),
        path=_token_path("solidarity:invitation", invitation_token_generator),
        lifetime=invitation_max_age,
    ),
    MessageKind.SOLIDARITY_PASSWORD_RESET: AccountMail(
        subject=gettext_lazy("Votre nouveau mot de passe pour la Billetterie solidaire"),
        portal=SOLIDARITY_PORTAL,
        button=gettext_lazy("Choisir un nouveau mot de passe"),
        path=_token_path("solidarity:password_reset", password_reset_token_generator),
        lifetime=lambda: settings.PASSWORD_RESET_TIMEOUT,
    ),
    MessageKind.SOLIDARITY_EMAIL_CHANGE: AccountMail(
        subject=gettext_lazy("Confirmez votre nouvelle adresse e-mail"),
        portal=SOLIDARITY_PORTAL,
        button=gettext_lazy("Confirmer cette adresse"),
        path=_email_change_path,
        lifetime=invitation_max_age,
    ),
}


FAMILY_PORTAL = gettext_lazy("Portail famille")


def _family_email_change_path(message: OutgoingMessage) -> str:
    token = email_change_token(user=message.user, email=message.details["email"])
    return reverse("families:email_confirm", kwargs={"token": token})


ACCOUNT_MAILS |= {
    MessageKind.FAMILY_INVITATION: AccountMail(
        subject=gettext_lazy("Votre accès au Portail famille"),
        portal=FAMILY_PORTAL,
        button=gettext_lazy("Choisir mon mot de passe"),
        path=_token_path("families:invitation", invitation_token_generator),
        lifetime=invitation_max_age,
    ),
    MessageKind.FAMILY_PASSWORD_RESET: AccountMail(
        subject=gettext_lazy("Votre nouveau mot de passe pour le Portail famille"),
        portal=FAMILY_PORTAL,
        button=gettext_lazy("Choisir un nouveau mot de passe"),
        path=_token_path("families:password_reset", password_reset_token_generator),
        lifetime=lambda: settings.PASSWORD_RESET_TIMEOUT,
    ),
    MessageKind.FAMILY_EMAIL_CHANGE: AccountMail(
        subject=gettext_lazy("Confirmez votre nouvelle adresse e-mail"),
        portal=FAMILY_PORTAL,
        button=gettext_lazy("Confirmer cette adresse"),
        path=_family_email_change_path,
        lifetime=invitation_max_age,
    ),
}
# The mails that confirm a new address go to it.
EMAIL_CHANGE_KINDS = (MessageKind.SOLIDARITY_EMAIL_CHANGE, MessageKind.FAMILY_EMAIL_CHANGE)


def account_link(message: OutgoingMessage) -> str:
    """The link of an account mail, made now: valid from now for its lifetime."""
    return settings.SITE_URL + ACCOUNT_MAILS[MessageKind(message.kind)].path(message)


def account_recipients(message: OutgoingMessage) -> list[str]:
    """A new address is confirmed at that address; the other mails go to the account's own."""
    if message.kind in EMAIL_CHANGE_KINDS:
        return [message.details["email"]]
    return [message.user.email] if message.user and message.user.email else []


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "blockquote", "ul", "ol", "tr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and href.startswith(("http:", "https:")):
                self.parts.append(f" ({href})")

    def handle_data(self, data):
        self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """The plain-text part's version of a piece of rich text: paragraphs, line breaks, list items
    and link targets kept, tags dropped."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass(frozen=True)
class Part:
    """A piece of the mail in both forms: HTML (safe) and plain text."""

    html: SafeString
    text: str


PLACEHOLDER = re.compile(r"\{(telephone|site_web|organisation)\}")


def section(raw: str, organisation: Organisation) -> Part:
    """A staff-edited section, with {telephone}, {site_web} and {organisation} filled in."""
    values = {
        "telephone": organisation.phone_display,
        "site_web": organisation.website,
        "organisation": organisation.name,
    }
    html = PLACEHOLDER.sub(lambda m: escape(values[m[1]]), sanitize(raw or ""))
    text = PLACEHOLDER.sub(lambda m: values[m[1]], html_to_text(sanitize(raw or "")))
    return Part(mark_safe(html), text)  # noqa: S308 - sanitised above, values escaped


def dates_line(start: datetime, end: datetime | None) -> str:
    """'Jeudi 10 avril 2025, de 14 h à 15 h' in local time; no end when there is none."""
    return capfirst(dates.long(start, end))


def _planned(start: datetime, end: datetime | None) -> str:
    """'le jeudi 10 avril 2025, de 14 h à 15 h', 'du … au …' over two days."""
    return dates.when(start, end)


def _new_dates(start: datetime, end: datetime | None) -> str:
    """'au vendredi 25 avril 2025 à 10 h' (reportée au …)."""
    return dates.when(start, end, moved=True)


def places_text(count: int) -> str:
    return ngettext("%(n)d place", "%(n)d places", count) % {"n": count}


def _when(details: dict, key: str) -> datetime | None:
    value = details.get(key)
    return datetime.fromisoformat(value) if value else None


def _intro(message: OutgoingMessage, reservation: Reservation) -> Part | None:
    """The fixed sentence that says what happened, for the mails about a change."""
    activity = reservation.session.activity.name
    details = message.details
    if message.kind == MessageKind.SESSION_CANCELLED:
        sentence = _(
            "Nous avons le regret de vous informer que votre réservation « %(activity)s » prévue "
            "%(planned)s a été %(what)s."
        )
        values = {
            "planned": _planned(_when(details, "start"), _when(details, "end")),
            "what": _("ANNULÉE"),
        }
    elif message.kind == MessageKind.SESSION_POSTPONED:
        sentence = _(
            "Nous avons le regret de vous informer que votre réservation « %(activity)s » prévue "
            "%(planned)s a été %(what)s %(new)s."
        )
        values = {
            "planned": _planned(_when(details, "previous_start"), _when(details, "previous_end")),
            "what": _("REPORTÉE"),
            "new": _new_dates(_when(details, "start"), _when(details, "end")),
        }
    elif message.kind == MessageKind.SCHEDULE_CHANGED:
        sentence = _(
            "L'horaire de votre réservation « %(activity)s » prévue %(planned)s a %(what)s : "
            "elle aura lieu %(new)s."
        )
        values = {
            "planned": _planned(_when(details, "previous_start"), _when(details, "previous_end")),
            "what": _("CHANGÉ"),
            "new": _planned(_when(details, "start"), _when(details, "end")),
        }
    elif message.kind == MessageKind.RESERVATION_CANCELLED:
        session = reservation.session
        sentence = _("Votre réservation « %(activity)s » prévue %(planned)s a été %(what)s.")
        values = {"planned": _planned(session.starts_at, session.ends_at), "what": _("ANNULÉE")}
    elif message.kind == MessageKind.RESERVATION_CHANGED:
        session = reservation.session
        sentence = _(
            "Votre réservation « %(activity)s » prévue %(planned)s a été %(what)s : "
            "%(previous)s → %(quantity)s."
        )
        values = {
            "planned": _planned(session.starts_at, session.ends_at),
            "what": _("MODIFIÉE"),
            "previous": places_text(details.get("previous_quantity", 0)),
            "quantity": places_text(details.get("quantity", reservation.quantity)),
        }
    else:
        return None
    values["activity"] = activity
    html_values = {key: escape(value) for key, value in values.items()}
    html_values["what"] = format_html("<strong>{}</strong>", values["what"])
    return Part(mark_safe(escape(sentence) % html_values), sentence % values)  # noqa: S308 - parts escaped


# A portal's kinds of mail are rendered from a context of its own (its mails about a whole
# booking name no reservation): {kind: builder(renderer, message) -> dict}, registered by the
# portal's app in its ready(). The builder gives what message.html and message.txt read about
# the booking (activity, name, intro, reason, show_details and the details, listed, buttons);
# the renderer adds the kind's texts and the organisation's details, and sends the mail to the
# row's recipients under the row's subject.
MailContextBuilder = Callable[["MailRenderer", OutgoingMessage], dict]
_CONTEXT_BUILDERS: dict[str, MailContextBuilder] = {}


def mail_context_register(*, kind: str, builder: MailContextBuilder) -> None:
    _CONTEXT_BUILDERS[kind] = builder


def mail_context_builder(kind: str) -> MailContextBuilder | None:
    """The portal's builder of this kind's context; None for the wave-1 kinds (a reservation's)."""
    return _CONTEXT_BUILDERS.get(kind)


# A reservation's own values in its mail; the rest of the mail is the same for every reservation
# of one session (MailRenderer.bodies).
RESERVATION_SLOTS = ("name", "quantity", "reference")
# Where such a value goes in a mail rendered once for all of them: NUL bytes, which no rendered
# text of ours holds (a frame with another one is not reused).
_SLOT = "\x00{}\x00"
_SLOT_SPLIT = re.compile("\x00([0-9]+)\x00")
# How the templates render a value: escaped in the HTML part, as it is in the text part.
_HTML_VALUE, _TEXT_VALUE = Context(autoescape=True), Context(autoescape=False)


def _frame(rendered: str) -> list[str] | None:
    """A mail rendered with slots, cut into its text and slot numbers; None if it holds a NUL
    byte that is not a slot."""
    pieces = _SLOT_SPLIT.split(rendered)
    return None if any("\x00" in text for text in pieces[::2]) else pieces


def _fill(frame: list[str], values: list[str]) -> str:
    return "".join(
        piece if index % 2 == 0 else values[int(piece)] for index, piece in enumerate(frame)
    )


class MailRenderer:
    """Renders the mails of one batch; the organisation, the texts and attachments of each kind
    and each activity's description are read and prepared once per batch, and the reservations'
    mails of one session are rendered once for all of them (`bodies`)."""

    def __init__(self, *, templates: dict[str, MessageTemplate] | None = None):
        self.organisation = organisation_get()
        self._cache: dict[tuple, object] = {
            ("template", kind): template for kind, template in (templates or {}).items()
        }
        self._html = get_template("notifications/email/message.html")
        self._text = get_template("notifications/email/message.txt")
        # (kind, session) -> (the context rendered, its text and HTML frames)
        self._frames: dict[tuple, tuple[dict, list[str] | None, list[str] | None]] = {}

    def _once(self, key: tuple, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def template(self, kind: str) -> MessageTemplate:
        return self._once(("template", kind), lambda: message_template_get(kind=kind))

    def sections(self, kind: str) -> dict[str, Part]:
        template = self.template(kind)
        return self._once(
            ("sections", kind),
            lambda: {
                name: section(getattr(template, name), self.organisation)
                for name in MessageTemplate.SECTIONS
            },
        )

    def description(self, activity: Activity) -> Part:
        def compute():
            html = sanitize(activity.description or "")
            return Part(mark_safe(html), html_to_text(html))  # noqa: S308 - sanitised

        return self._once(("description", activity.pk), compute)

    def attachments(self, kind: str) -> list[tuple[str, bytes, str]]:
        def compute():
            files = []
            for attachment in MessageAttachment.objects.filter(kind=kind):
                try:
                    with attachment.file.open("rb") as handle:
                        content = handle.read()
                except OSError:
                    # The mail matters more than a leaflet: it goes without the file, and the
                    # back-office flags the attachment (selectors.attachments_missing).
                    logger.error(
                        "Attachment %s (%s) cannot be read: mails of kind %s go without it",
                        attachment.pk,
                        attachment.file.name,
                        kind,
                    )
                    continue
                mimetype = (
                    mimetypes.guess_type(attachment.filename)[0] or "application/octet-stream"
                )
                files.append((attachment.filename, content, mimetype))
            return files

        return self._once(("attachments", kind), compute)

    @property
    def sender(self) -> str:
        address = self.organisation.sender_email or settings.DEFAULT_FROM_EMAIL
        return formataddr((self.organisation.name, address)) if self.organisation.name else address

    def common_context(self, message: OutgoingMessage) -> dict:
        """What every mail shows, whatever its kind: the kind's texts, the organisation."""
        return {
            "header_title": self.template(message.kind).header_title,
            "sections": self.sections(message.kind),
            **self._once(("organisation",), self.organisation_context),
        }

    def context(self, message: OutgoingMessage, reservation: Reservation) -> dict:
        session = reservation.session
        activity = session.activity
        show_details, button_names = LAYOUTS[MessageKind(message.kind)]
        labels = self._once(("labels",), button_labels)
        may_cancel = reservation_cancellable_online(
            reservation=reservation, organisation=self.organisation
        )
        buttons = [
            (labels[name], self.button_url(name, reservation))
            for name in button_names
            if name != "cancel" or may_cancel
        ]
        reason = message.details.get("reason", "")
        listed = self.listed(message)
        return self.common_context(message) | {
            "activity": activity.name,
            "name": reservation.first_name or reservation.full_name,
            "intro": _intro(message, reservation),
            "reason": reason,
            "show_details": show_details,
            "dates": self._once(
                ("dates", session.pk), lambda: dates_line(session.starts_at, session.ends_at)
            ),
            "location_name": activity.location.name,
            "address": ", ".join(
                line.strip() for line in activity.location.address.splitlines() if line.strip()
            ),
            "quantity": reservation.quantity,
            "reference": reservation.reference,
            "description": self.description(activity),
            "buttons": buttons,
            "listed": listed,
        }

    def render(self, context: dict) -> tuple[str, str]:
        return self._text.render(context), self._html.render(context)

    def bodies(self, message: OutgoingMessage, context: dict) -> tuple[str, str]:
        """The text and HTML of a reservation's mail (`context`). Both templates take most of
        the worker's time per mail once the SMTP exchange is left aside, and only the name, the
        places, the reference and the links differ between the reservations of one session: the
        templates are rendered with a slot in place of each, once per batch for each kind,
        session and rest of the context, and each mail fills its slots in the way the templates
        render a value (benchmarks/reminders.py; test_emails checks that the mails are the
        same)."""
        values = []

        def slot(value) -> str:
            values.append(value)
            return _SLOT.format(len(values) - 1)

        slotted = context | {name: slot(context[name]) for name in RESERVATION_SLOTS}
        slotted["buttons"] = [(label, slot(url)) for label, url in context["buttons"]]
        key = (message.kind, message.reservation.session_id)
        frames = self._frames.get(key)
        if frames is None or frames[0] != slotted:
            frames = (
                slotted,
                _frame(self._text.render(slotted)),
                _frame(self._html.render(slotted)),
            )
            self._frames[key] = frames
        _slotted, text, html = frames
        if text is None or html is None:
            return self.render(context)
        return (
            _fill(text, [render_value_in_context(value, _TEXT_VALUE) for value in values]),
            _fill(html, [render_value_in_context(value, _HTML_VALUE) for value in values]),
        )

    def listed(self, message: OutgoingMessage) -> list[tuple[str, str]]:
        """The reservations a "Vos réservations" mail lists: (activity and dates, page link),
        those still valid when it is sent."""
        if "listed" in message.details:  # message_preview
            return message.details["listed"]
        pks = message.details.get("reservations") or []
        if not pks:
            return []
        reservations = (
            Reservation.objects.filter(pk__in=pks, status=ReservationStatus.VALID)
            .select_related("session__activity")
            .order_by("session__effective_start", "pk")
        )
        return [
            (
                f"{r.session.activity.name} – {dates_line(r.session.starts_at, r.session.ends_at)}",
                page_url("reservation", r),
            )
            for r in reservations
        ]

    def button_url(self, name: str, reservation: Reservation) -> str:
        """The buttons' pages; "Réserver une nouvelle activité" leads to the same activity's
        other dates when it has some to come."""
        if name != "home":
            return page_url(name, reservation)
        session = reservation.session
        other_dates = self._once(
            ("other_dates", session.pk),
            lambda: (
                session.pk is not None
                and Session.objects.filter(
                    activity_id=session.activity_id, effective_start__gt=timezone.now()
                )
                .exclude(pk=session.pk)
                .exclude(status=SessionStatus.CANCELLED)
                .exists()
            ),
        )
        if not other_dates:
            return page_url(name, reservation)
        return settings.SITE_URL + reverse(
            "public:activity_detail", kwargs={"slug": session.activity.slug}
        )

    def organisation_context(self) -> dict:
        organisation = self.organisation
        return {
            "logo_url": settings.SITE_URL + organisation.logo.url if organisation.logo else "",
            "organisation_name": organisation.name,
            "phone": organisation.phone_display,
            "website": organisation.website,
        }

    def email(
        self, message: OutgoingMessage, *, connection=None, attachments=True, links=True
    ) -> EmailMultiAlternatives:
        """The mail of `message`; without `links`, an account mail's link reads "lien masqué"
        (the back-office's previews: no live link is made for them)."""
        reservation = message.reservation
        builder = mail_context_builder(message.kind)
        if message.kind in ACCOUNT_KINDS:
            text, html = self.render(self.account_context(message, links=links))
            subject = ACCOUNT_MAILS[message.kind].subject
            to = account_recipients(message)
        elif builder is None:
            text, html = self.bodies(message, self.context(message, reservation))
            subject = message_subject(
                kind=message.kind, activity_name=reservation.session.activity.name
            )
            to = [reservation.email]
        else:
            text, html = self.render(self.common_context(message) | builder(self, message))
            subject, to = message.subject, list(message.recipients)
            if message.group is not None:
                # Whoever the policy names now (the author may have left since it was written).
                to = policy_for(message.group.channel).group_recipients(message.group) or to
        email = EmailMultiAlternatives(
            subject=str(subject),
            body=text,
            from_email=self.sender,
            to=to,
            headers={"Auto-Submitted": "auto-generated", "X-Guichet-Notification": str(message.pk)},
            connection=connection,
        )
        email.attach_alternative(html, "text/html")
        if not attachments:
            return email
        if message.kind == MessageKind.CONFIRMATION and builder is None:
            ics = reservation_ics(
                reservation=reservation, page_url=page_url("reservation", reservation)
            )
            email.attach("reservation.ics", ics.decode(), "text/calendar")
        for filename, content, mimetype in self.attachments(message.kind):
            email.attach(filename, content, mimetype)
        return email

    def account_context(self, message: OutgoingMessage, *, links: bool) -> dict:
        mail = ACCOUNT_MAILS[MessageKind(message.kind)]
        user = message.user
        expires = timezone.now() + timedelta(seconds=mail.lifetime())
        return self.common_context(message) | {
            "activity": mail.portal,
            "name": user.first_name or user.get_full_name() or user.get_username(),
            "buttons": [(mail.button, account_link(message) if links else _("lien masqué"))],
            "link_note": _("Ce lien ne sert qu'une fois et expire le %(date)s.")
            % {"date": dates.datetime_long(expires)},
        }


def message_preview(*, template: MessageTemplate) -> EmailMultiAlternatives:
    """A mail of the template's kind with invented data, rendered with the template as it is
    (possibly not saved yet): what staff see before they save their changes. An account mail's
    link reads "lien masqué"."""
    renderer = MailRenderer(templates={template.kind: template})
    if template.kind in ACCOUNT_KINDS:
        user = get_user_model()(first_name="Camille", last_name="Exemple")
        message = OutgoingMessage(
            kind=template.kind, user=user, details={"email": "camille@example.org"}
        )
        return renderer.email(message, attachments=False, links=False)
    start = timezone.localtime().replace(hour=14, minute=0, second=0, microsecond=0) + timedelta(
        days=9
    )
    location = Location(
        name=_("Jardin des plantes"), address=_("1 rue des Exemples\n59000 Exempleville")
    )
    activity = Activity(
        name=_("Visite guidée des serres"),
        location=location,
        description=_("<p>Une heure et demie pour découvrir les plantes du monde entier.</p>"),
    )
    session = Session(activity=activity, start=start, end=start + timedelta(minutes=90))
    reservation = Reservation(
        session=session,
        first_name="Camille",
        last_name="Exemple",
        email="camille@example.org",
        quantity=2,
        token="exemple-" * 4,  # the shape of a real one, for the links
        status=ReservationStatus.VALID,
    )
    # The details and states each kind's real mails are rendered with (notifications.services).
    details = {}
    if template.kind == MessageKind.SESSION_CANCELLED:
        session.status = SessionStatus.CANCELLED
        reservation.status = ReservationStatus.CANCELLED
        details = {
            "start": start.isoformat(),
            "end": session.end.isoformat(),
            "reason": _("Intempéries"),
        }
    elif template.kind == MessageKind.SESSION_POSTPONED:
        session.status, session.new_start = SessionStatus.POSTPONED, start + timedelta(days=7)
        details = {
            "previous_start": start.isoformat(),
            "previous_end": session.end.isoformat(),
            "start": session.new_start.isoformat(),
            "end": None,
            "reason": _("Intempéries"),
        }
    elif template.kind == MessageKind.RESERVATION_CANCELLED:
        reservation.status, reservation.cancelled_at = ReservationStatus.CANCELLED, timezone.now()
    elif template.kind == MessageKind.SCHEDULE_CHANGED:
        previous_end, session.end = session.end, session.end + timedelta(minutes=30)
        details = {
            "previous_start": start.isoformat(),
            "previous_end": previous_end.isoformat(),
            "start": start.isoformat(),
            "end": session.end.isoformat(),
            "reason": "",
        }
    elif template.kind == MessageKind.RESERVATION_CHANGED:
        details = {"previous_quantity": 3, "quantity": 2}
    elif template.kind == MessageKind.RESERVATION_LIST:
        # Invented rows have no reservation to read: the preview gives the list itself.
        details = {"listed": [(f"{activity.name} – {dates_line(start, session.end)}", "#")]}
    elif mail_context_builder(template.kind) is not None:
        # A portal's own kind: its builder invents its example ("preview").
        details = {"preview": True}
    message = OutgoingMessage(
        kind=template.kind,
        reservation=reservation,
        details=details,
        subject=str(MessageKind(template.kind).label),
    )
    return renderer.email(message, attachments=False)
