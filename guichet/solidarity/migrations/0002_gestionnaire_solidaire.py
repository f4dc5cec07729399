"""The "Gestionnaire solidaire" group runs the solidarity portal's structures: départements,
categories, structures and their référents (inviting them), the people followed (read only), and
the portal's mails and their texts. The bookings core makes the same group (get_or_create: both
migrations run in either order)."""

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
    "notifications": {
        "outgoingmessage": ("view", "change"),
        "messagetemplate": ("view", "change"),
    },
}


def grant(apps, schema_editor):
    group_grant(apps, schema_editor, group_name=SOLIDARITY_MANAGER_GROUP, grants=GRANTS)


def revoke(apps, schema_editor):
    group_revoke(apps, schema_editor, group_name=SOLIDARITY_MANAGER_GROUP, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("solidarity", "0001_initial"),
        ("notifications", "0009_account_mails"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
