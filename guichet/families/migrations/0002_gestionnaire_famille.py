"""The "Gestionnaire famille" group (made by core's 0008_portal_manager_groups) runs the family
portal: households, guardians, children and their groups, activities' rules, the portal's
settings, booking periods and their closures; it reads the baskets' submissions and the log."""

from django.db import migrations

from guichet.core.permissions import FAMILY_MANAGER_GROUP, group_grant, group_revoke

GRANTS = {
    "families": {
        "household": ("view", "add", "change"),
        "guardian": ("view", "add", "change"),
        "childgroup": ("view", "add", "change"),
        "child": ("view", "add", "change"),
        "activityrules": ("view", "add", "change"),
        "familysettings": ("view", "change"),
        "bookingperiod": ("view", "add", "change"),
        "perioddaychange": ("view", "add", "change", "delete"),
        "sessionday": ("view",),
        "reservationchange": ("view",),
    },
}


def grant(apps, schema_editor):
    group_grant(apps, schema_editor, group_name=FAMILY_MANAGER_GROUP, grants=GRANTS)


def revoke(apps, schema_editor):
    group_revoke(apps, schema_editor, group_name=FAMILY_MANAGER_GROUP, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("families", "0001_initial"),
        ("core", "0008_portal_manager_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
