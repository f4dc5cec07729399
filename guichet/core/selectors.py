from guichet.core.models import Organisation


def organisation_get() -> Organisation:
    """The organisation's settings row, created on first use (staff fill it in the back-office)."""
    organisation, _created = Organisation.objects.get_or_create(
        pk=Organisation.SINGLETON_PK, defaults={"name": "Guichet"}
    )
    return organisation
