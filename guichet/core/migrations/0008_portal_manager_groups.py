"""The groups "Gestionnaire solidaire" and "Gestionnaire famille": the staff of the solidarity and
family portals, with the permissions of "Gestionnaire" (after every migration that granted it
some). What each group sees is its channel's rows (guichet.catalogue.selectors.staff_channels);
"Gestionnaire" now sees the parks only."""

from django.db import migrations

from guichet.core.permissions import (
    FAMILY_MANAGER_GROUP,
    MANAGER_GROUP,
    SOLIDARITY_MANAGER_GROUP,
    group_permissions_copy,
)

PORTAL_GROUPS = (SOLIDARITY_MANAGER_GROUP, FAMILY_MANAGER_GROUP)


def groups_create(apps, schema_editor):
    for name in PORTAL_GROUPS:
        group_permissions_copy(apps, schema_editor, source=MANAGER_GROUP, target=name)


def groups_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(
        name__in=PORTAL_GROUPS
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_organisation_legal_pages_and_payment"),
        # The migrations that granted "Gestionnaire" its permissions.
        ("core", "0002_gestionnaire_group"),
        ("notifications", "0003_gestionnaire_permissions"),
        ("privacy", "0001_person_data"),
    ]

    operations = [migrations.RunPython(groups_create, groups_delete)]
