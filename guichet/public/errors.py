"""The error pages, in French and in the site's layout, with a way back and the phone number.

The 500 page renders without the database: when the organisation cannot be read, it names the
organisation from the settings (ORGANISATION_FALLBACK_NAME, ORGANISATION_FALLBACK_PHONE)."""

import logging
from typing import NamedTuple

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django_ratelimit.exceptions import Ratelimited

from guichet.core.models import Organisation
from guichet.core.selectors import organisation_get

logger = logging.getLogger(__name__)


def _organisation() -> Organisation:
    try:
        return organisation_get()
    except Exception:  # noqa: BLE001 - the database or the cache is down: the page still renders
        logger.warning("Error page: organisation unreadable, using the fallback", exc_info=True)
        return Organisation(
            name=settings.ORGANISATION_FALLBACK_NAME, phone=settings.ORGANISATION_FALLBACK_PHONE
        )


class _Page(NamedTuple):
    """An error page's status and words (lazy: translated when the page renders)."""

    status: int
    title: str
    message: str


NOT_FOUND = _Page(
    404,
    _("Page introuvable"),
    _("Cette page n'existe pas ou plus. Vérifiez l'adresse, ou repartez de la liste."),
)
TOO_MANY_REQUESTS = _Page(
    429,
    _("Trop de demandes"),
    _(
        "Trop de demandes viennent de votre connexion : veuillez patienter quelques "
        "minutes avant de réessayer."
    ),
)
FORBIDDEN = _Page(403, _("Accès refusé"), _("Vous n'avez pas accès à cette page."))
# Mostly a page left open too long, or a site that frames ours with cookies blocked.
FORM_EXPIRED = _Page(
    403, _("Formulaire expiré"), _("Rechargez la page puis renvoyez le formulaire.")
)
SERVER_ERROR = _Page(
    500,
    _("Erreur du serveur"),
    _(
        "Une erreur est survenue de notre côté. Réessayez dans quelques minutes ; "
        "si le problème persiste, appelez-nous."
    ),
)


def _error_page(page: _Page) -> HttpResponse:
    context = {
        "organisation": _organisation(),
        "status": page.status,
        "title": page.title,
        "message": page.message,
    }
    # No context processors: they may read the database or the session.
    body = render_to_string("public/error.html", context)
    return HttpResponse(body, status=page.status)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return _error_page(NOT_FOUND)


def too_many_requests(request: HttpRequest) -> HttpResponse:
    return _error_page(TOO_MANY_REQUESTS)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return _error_page(TOO_MANY_REQUESTS if isinstance(exception, Ratelimited) else FORBIDDEN)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error_page(FORM_EXPIRED)


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_page(SERVER_ERROR)
