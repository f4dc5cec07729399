"""The "Gestionnaire" group: the staff who run the catalogue and the bookings from the admin.

They view, add and change; they delete nothing (a cancelled session or reservation is a status)
and they do not manage accounts or groups.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Gestionnaire"
ACTIONS = ("view", "add", "change")
MODELS = {
    "core": ["organisation"],
    "catalogue": ["location", "activity", "session", "category", "audience", "activitytype"],
    "bookings": ["reservation"],
}


def group_create(apps, schema_editor):
    alias = schema_editor.connection.alias
    # On a fresh database Django creates permissions only after every migration (post_migrate).
    for app_label in MODELS:
        app_config = global_apps.get_app_config(app_label)
        create_permissions(app_config, apps=apps, verbosity=0, using=alias)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.using(alias).get_or_create(name=GROUP_NAME)
    for app_label, models in MODELS.items():
        codenames = [f"{action}_{model}" for model in models for action in ACTIONS]
        permissions = Permission.objects.using(alias).filter(
            content_type__app_label=app_label, codename__in=codenames
        )
        group.permissions.add(*permissions)


def group_delete(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("catalogue", "0001_initial"),
        ("bookings", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(group_create, group_delete)]
