"""Group permissions granted by data migrations (the "Gestionnaire" group and its later additions)."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

# The staff of each portal (guichet.catalogue.selectors.CHANNEL_STAFF_GROUPS): "Gestionnaire" runs
# the parks; the other two the solidarity and family portals, with the same permissions.
MANAGER_GROUP = "Gestionnaire"
SOLIDARITY_MANAGER_GROUP = "Gestionnaire solidaire"
FAMILY_MANAGER_GROUP = "Gestionnaire famille"
# "Données d'une personne" and the journal (guichet.privacy); superusers see them too.
DPO_GROUP = "Délégué à la protection des données"


def group_grant(
    apps, schema_editor, *, group_name: str, grants: dict[str, dict[str, tuple[str, ...]]]
) -> None:
    """Give `group_name` the permissions {app_label: {model: (action, …)}}, creating the group
    and, on a fresh database, the permissions themselves (Django adds them only after migrate)."""
    alias = schema_editor.connection.alias
    for app_label in grants:
        create_permissions(
            global_apps.get_app_config(app_label), apps=apps, verbosity=0, using=alias
        )
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.using(alias).get_or_create(name=group_name)
    for app_label, models in grants.items():
        codenames = [f"{action}_{model}" for model, actions in models.items() for action in actions]
        group.permissions.add(
            *Permission.objects.using(alias).filter(
                content_type__app_label=app_label, codename__in=codenames
            )
        )


def group_revoke(
    apps, schema_editor, *, group_name: str, grants: dict[str, dict[str, tuple[str, ...]]]
) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    alias = schema_editor.connection.alias
    group = Group.objects.using(alias).filter(name=group_name).first()
    if group is None:
        return
    for app_label, models in grants.items():
        codenames = [f"{action}_{model}" for model, actions in models.items() for action in actions]
        group.permissions.remove(
            *Permission.objects.using(alias).filter(
                content_type__app_label=app_label, codename__in=codenames
            )
        )


def group_permissions_copy(apps, schema_editor, *, source: str, target: str) -> None:
    """Create the group `target` (if need be) with every permission `source` has now."""
    alias = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    group, _created = Group.objects.using(alias).get_or_create(name=target)
    permissions = Group.objects.using(alias).get(name=source).permissions.all()
    group.permissions.add(*permissions)
