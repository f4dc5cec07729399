"""The error pages, in French and in the site's layout, with a way back and the phone number.

The 500 page renders without the database: when the organisation cannot be read, it names the
organisation from the settings (ORGANISATION_FALLBACK_NAME, ORGANISATION_FALLBACK_PHONE)."""

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
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


def _error_page(*, status: int, title: str, message: str) -> HttpResponse:
    context = {
        "organisation": _organisation(),
        "status": status,
        "title": title,
        "message": message,
    }
    # No context processors: they may read the database or the session.
    body = render_to_string("public/error.html", context)
    return HttpResponse(body, status=status)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return _error_page(
        status=404,
        title=_("Page introuvable"),
        message=_("Cette page n'existe pas ou plus. Vérifiez l'adresse, ou repartez de la liste."),
    )


def too_many_requests(request: HttpRequest) -> HttpResponse:
    return _error_page(
        status=429,
        title=_("Trop de demandes"),
        message=_(
            "Trop de demandes viennent de votre connexion : veuillez patienter quelques "
            "minutes avant de réessayer."
        ),
    )


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if isinstance(exception, Ratelimited):
        return too_many_requests(request)
    return _error_page(
        status=403,
        title=_("Accès refusé"),
        message=_("Vous n'avez pas accès à cette page."),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # Mostly a page left open too long, or a site that frames ours with cookies blocked.
    return _error_page(
        status=403,
        title=_("Formulaire expiré"),
        message=_("Rechargez la page puis renvoyez le formulaire."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_page(
        status=500,
        title=_("Erreur du serveur"),
        message=_(
            "Une erreur est survenue de notre côté. Réessayez dans quelques minutes ; "
            "si le problème persiste, appelez-nous."
        ),
    )
