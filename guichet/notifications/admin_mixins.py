"""The confirmation step of the session admin: before a change of status, new dates or reason is
saved, staff see which mail goes out and to how many people, or that none does. A change of the
dates of a booked session is confirmed the same way (moving its start postpones it); the dates
of a session nobody booked are corrected at once.

Plug it in front of the session's ModelAdmin: `class SessionAdmin(SessionChangeConfirmMixin, …)`.
"""

from dataclasses import dataclass

from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guichet.bookings.selectors import session_change_postpone_if_booked
from guichet.core import dates
from guichet.core.forms import ServiceModelForm
from guichet.notifications.selectors import SessionChangePreview, session_change_preview

STATUS_FIELDS = {"status", "reason", "new_start", "new_end"}
DATE_FIELDS = {"start", "end"}


def _addresses(count: int) -> str:
    return ngettext("%(n)d adresse e-mail", "%(n)d adresses e-mail", count) % {"n": count}


def session_change_effects(preview: SessionChangePreview, *, session, before) -> list[str]:
    """What saving the change will do, in the back-office's words."""
    if preview.kind is None:
        if preview.per_group:
            why = _("ce portail n'en envoie pas pour ce changement.")
        elif before.status and not session.status:
            why = _("le statut revient à « aucun ».")
        else:
            why = _("seul le motif change.")
        lines = [_("Aucun e-mail ne sera envoyé : %(why)s") % {"why": why}]
    elif preview.reservations == 0:
        lines = [_("Aucune réservation valide : aucun e-mail ne sera envoyé.")]
    elif preview.per_group:
        lines = [
            ngettext(
                "L'e-mail « %(mail)s » sera envoyé pour le groupe de réservations concerné (%(addresses)s).",
                "L'e-mail « %(mail)s » sera envoyé pour chacun des %(count)d groupes de réservations concernés (%(addresses)s).",
                preview.groups,
            )
            % {
                "mail": preview.kind.label,
                "count": preview.groups,
                "addresses": _addresses(preview.addresses),
            }
        ]
    else:
        lines = [
            ngettext(
                "L'e-mail « %(mail)s » sera envoyé pour %(count)d réservation valide (%(addresses)s).",
                "L'e-mail « %(mail)s » sera envoyé pour chacune des %(count)d réservations valides (%(addresses)s).",
                preview.reservations,
            )
            % {
                "mail": preview.kind.label,
                "count": preview.reservations,
                "addresses": _addresses(preview.addresses),
            }
        ]
    if session.is_postponed and not before.is_postponed and preview.reservations:
        lines.append(
            _(
                "La session passera au statut « Reporté » : ses dates d'origine restent "
                "affichées, les nouvelles dates comptent partout."
            )
        )
    if session.is_cancelled and not before.is_cancelled and preview.reservations:
        if preview.per_group:
            cancelled = ngettext(
                "La réservation (valide, en attente de traitement ou sur liste d'attente) sera annulée.",
                "Les %(count)d réservations (valides, en attente de traitement ou sur liste d'attente) seront annulées.",
                preview.reservations,
            )
        else:
            cancelled = ngettext(
                "La réservation valide sera annulée.",
                "Les %(count)d réservations valides seront annulées.",
                preview.reservations,
            )
        lines.append(cancelled % {"count": preview.reservations})
    if preview.reservations and preview.reminders_move_to:
        moment = dates.datetime_long(preview.reminders_move_to)
        lines.append(_("Les rappels J-2 seront envoyés le %(date)s.") % {"date": moment})
    elif preview.reservations and preview.reminders_withdrawn:
        lines.append(_("Les rappels J-2 en attente seront retirés."))
    return lines


class SessionChangeCandidateForm(ServiceModelForm):
    """A posted session change, made into what the save will make of it (a booked session whose
    start moves is postponed: the rule bookings.services.session_save applies too) and
    validated, without saving."""

    before = None  # the session as it is, set before validation

    def perform(self, instance):
        session_change_postpone_if_booked(session=instance, before=self.before)
        instance.full_clean()
        return instance


@dataclass(frozen=True)
class SessionChangeSummary:
    """The change restated for the confirmation page, and its button named after what it does."""

    lines: list[tuple[str, str]]  # (label, text): the session, its dates before → after, reason
    button: str
    irreversible: bool  # mails go out or reservations are cancelled: the effects are warnings


def session_change_summary(
    preview: SessionChangePreview, *, session, before
) -> SessionChangeSummary:
    old_dates = dates.long(before.starts_at, before.ends_at)
    new_dates = dates.long(session.starts_at, session.ends_at)
    lines = [(_("Session"), session.activity.name)]
    if new_dates != old_dates:
        lines.append((_("Date"), f"{old_dates} → {new_dates}"))
    else:
        lines.append((_("Date"), old_dates))
    if session.status != before.status:
        lines.append(
            (
                _("Statut"),
                f"{before.get_status_display()} → {session.get_status_display()}",
            )
        )
    if session.reason:
        lines.append((_("Motif"), session.reason))
    told = 0
    if preview.kind is not None:
        # Those the mails go to: each reservation's address, or each group's author.
        told = preview.addresses if preview.per_group else preview.reservations
    cancels = session.is_cancelled and not before.is_cancelled
    if cancels and told:
        button = ngettext(
            "Annuler la session et prévenir %(count)d personne",
            "Annuler la session et prévenir %(count)d personnes",
            told,
        ) % {"count": told}
    elif cancels:
        button = _("Annuler la session")
    elif session.is_postponed and told:
        button = ngettext(
            "Reporter la session et prévenir %(count)d personne",
            "Reporter la session et prévenir %(count)d personnes",
            told,
        ) % {"count": told}
    elif session.is_postponed and not before.is_postponed:
        button = _("Reporter la session")
    elif told:  # new hours of a booked session
        button = ngettext(
            "Enregistrer et prévenir %(count)d personne",
            "Enregistrer et prévenir %(count)d personnes",
            told,
        ) % {"count": told}
    else:
        button = _("Enregistrer sans prévenir personne")
    return SessionChangeSummary(lines=lines, button=button, irreversible=bool(told))


class SessionChangeConfirmMixin:
    """Shows a confirmation page when a posted change touches the status fields, or the dates of
    a booked session; the page posts the same data back with CONFIRM_FIELD, which lets the save
    through."""

    CONFIRM_FIELD = "_notifications_confirmed"
    confirm_template = "admin/notifications/session_change_confirm.html"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if (
            request.method == "POST"
            and object_id is not None
            and self.CONFIRM_FIELD not in request.POST
            and IS_POPUP_VAR not in request.POST
        ):
            confirmation = self.session_change_confirmation(request, object_id)
            if confirmation is not None:
                return confirmation
        return super().changeform_view(request, object_id, form_url, extra_context)

    def session_change_confirmation(self, request, object_id):
        """The confirmation page, or None to let the admin go on (nothing to confirm, or a form
        with errors, which the admin's own form then shows)."""
        before = self.get_object(request, unquote(object_id))
        if before is None or not self.has_change_permission(request, before):
            return None
        candidate = self.get_object(request, unquote(object_id))
        # The admin's fields and widgets on a form that validates without saving, where the
        # admin's own form calls the saving service while it validates.
        form_class = self.get_form(request, candidate, change=True, form=SessionChangeCandidateForm)
        form = form_class(request.POST, request.FILES, instance=candidate)
        form.before = before
        changed = set(form.changed_data)
        if not (STATUS_FIELDS | DATE_FIELDS) & changed or not form.is_valid():
            return None
        preview = session_change_preview(session=candidate, before=before)
        if not STATUS_FIELDS & changed and not (preview.kind and preview.reservations):
            return None  # new dates for a session nobody booked: corrected at once
        context = {
            **self.admin_site.each_context(request),
            "title": _("Confirmer le changement de statut"),
            "opts": self.opts,
            "original": before,
            "effects": session_change_effects(preview, session=candidate, before=before),
            "summary": session_change_summary(preview, session=candidate, before=before),
            "sends": preview.kind is not None and preview.reservations > 0,
            "posted": [
                (name, value)
                for name, values in request.POST.lists()
                if name != "csrfmiddlewaretoken"
                for value in values
            ],
            "confirm_field": self.CONFIRM_FIELD,
        }
        return TemplateResponse(request, self.confirm_template, context)
