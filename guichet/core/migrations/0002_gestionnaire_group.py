"""The "Gestionnaire" group: the staff who run the catalogue and the bookings from the admin.

They view, add and change; they delete nothing (a cancelled session or reservation is a status)
and they do not manage accounts or groups.
"""

from django.db import migrations

from guichet.core.permissions import MANAGER_GROUP, group_grant

EDIT = ("view", "add", "change")
GRANTS = {
    "core": {"organisation": EDIT},
    "catalogue": {
        model: EDIT
        for model in ("location", "activity", "session", "category", "audience", "activitytype")
    },
    "bookings": {"reservation": EDIT},
}


def group_create(apps, schema_editor):
    group_grant(apps, schema_editor, group_name=MANAGER_GROUP, grants=GRANTS)


def group_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(
        name=MANAGER_GROUP
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("catalogue", "0001_initial"),
        ("bookings", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(group_create, group_delete)]
