"""Staff pages outside the admin's model list (a portal's "Demandes à traiter"…), linked from the
back-office: each app registers its pages from its AppConfig.ready() (core imports no other
app); the staff home ("Tableau de bord", also atop each app's admin index) lists those the user
may open."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class StaffLink:
    section: str  # its heading on the staff home: "Portail famille"
    url_name: str
    label: str
    allowed: Callable[[object], bool]  # the same test as the page's own


_links: dict[str, StaffLink] = {}


def staff_link_register(link: StaffLink) -> None:
    _links[link.url_name] = link


def staff_links_for(*, user) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(section, [(url, label), …]), …] of the pages `user` may open, in registration order."""
    sections: dict[str, list[tuple[str, str]]] = {}
    for link in _links.values():
        if user.is_active and user.is_staff and link.allowed(user):
            sections.setdefault(str(link.section), []).append(
                (reverse(link.url_name), str(link.label))
            )
    return list(sections.items())
