"""The "Gestionnaire solidaire" group (made by core's 0008_portal_manager_groups, with the
permissions of "Gestionnaire": the portal's mails and their texts among them) also runs the
solidarity portal's structures: départements, categories, structures and their référents
(inviting them), the people followed (read only)."""

from django.db import migrations

from guichet.core.permissions import SOLIDARITY_MANAGER_GROUP, group_grant, group_revoke

GRANTS = {
    "solidarity": {
        "territory": ("view", "add", "change"),
        "structurecategory": ("view", "add", "change"),
        "structure": ("view", "add", "change"),
        "membership": ("view", "add", "change"),
        "beneficiary": ("view",),
    },
}


def grant(apps, schema_editor):
    group_grant(apps, schema_editor, group_name=SOLIDARITY_MANAGER_GROUP, grants=GRANTS)


def revoke(apps, schema_editor):
    group_revoke(apps, schema_editor, group_name=SOLIDARITY_MANAGER_GROUP, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("solidarity", "0001_initial"),
        ("core", "0008_portal_manager_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
