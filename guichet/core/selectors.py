from guichet.core.models import Organisation


def organisation_get() -> Organisation:
    """The organisation's settings row (created by a migration; recreated empty if removed)."""
    organisation, _created = Organisation.objects.get_or_create(
        pk=Organisation.SINGLETON_PK, defaults={"name": "Guichet"}
    )
    return organisation
