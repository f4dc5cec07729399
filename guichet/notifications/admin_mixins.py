"""The confirmation step of the session admin: before a change of status, new dates or reason is
saved, staff see which mail goes out and to how many people, or that none does.

Plug it in front of the session's ModelAdmin: `class SessionAdmin(SessionChangeConfirmMixin, …)`.
"""

from django import forms
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guichet.core import dates
from guichet.notifications.selectors import SessionChangePreview, session_change_preview

STATUS_FIELDS = {"status", "reason", "new_start", "new_end"}


def session_change_effects(preview: SessionChangePreview, *, session, before) -> list[str]:
    """What saving the change will do, in the back-office's words."""
    if preview.kind is None:
        if before.status and not session.status:
            why = _("le statut revient à « aucun ».")
        else:
            why = _("seul le motif change.")
        lines = [_("Aucun e-mail ne sera envoyé : %(why)s") % {"why": why}]
    elif preview.reservations == 0:
        lines = [_("Aucune réservation valide : aucun e-mail ne sera envoyé.")]
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
                "addresses": ngettext(
                    "%(n)d adresse e-mail", "%(n)d adresses e-mail", preview.addresses
                )
                % {"n": preview.addresses},
            }
        ]
    if session.is_cancelled and not before.is_cancelled and preview.reservations:
        lines.append(
            ngettext(
                "La réservation valide sera annulée.",
                "Les %(count)d réservations valides seront annulées.",
                preview.reservations,
            )
            % {"count": preview.reservations}
        )
    if preview.reservations and preview.reminders_move_to:
        moment = dates.datetime_long(preview.reminders_move_to)
        lines.append(_("Les rappels J-2 seront envoyés le %(date)s.") % {"date": moment})
    elif preview.reservations and preview.reminders_withdrawn:
        lines.append(_("Les rappels J-2 en attente seront retirés."))
    return lines


class SessionChangeConfirmMixin:
    """Shows a confirmation page when a posted change touches the status fields; the page posts
    the same data back with CONFIRM_FIELD, which lets the save through."""

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
        # A plain ModelForm with the admin's fields and widgets: it validates without saving,
        # where the admin's own form may call the saving service while it validates.
        form_class = self.get_form(request, candidate, change=True, form=forms.ModelForm)
        form = form_class(request.POST, request.FILES, instance=candidate)
        if not form.is_valid() or not STATUS_FIELDS & set(form.changed_data):
            return None
        preview = session_change_preview(session=candidate, before=before)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Confirmer le changement de statut"),
            "opts": self.opts,
            "original": before,
            "effects": session_change_effects(preview, session=candidate, before=before),
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
