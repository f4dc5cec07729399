from django.core.cache import cache

from guichet.core.models import Organisation


def organisation_get() -> Organisation:
    """The organisation's settings row, created on first use (staff fill it in the back-office).

    Every public page and e-mail reads it, and staff seldom change it: it is kept in the shared
    cache, which Organisation.save() clears."""
    organisation = cache.get(Organisation.CACHE_KEY)
    if organisation is None:
        organisation, _created = Organisation.objects.get_or_create(
            pk=Organisation.SINGLETON_PK, defaults={"name": "Guichet"}
        )
        cache.set(Organisation.CACHE_KEY, organisation, Organisation.CACHE_SECONDS)
    return organisation
