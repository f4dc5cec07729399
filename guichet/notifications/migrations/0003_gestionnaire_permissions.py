"""The "Gestionnaire" group also runs the e-mails: the outbox (viewing, and sending again, which
is a change), the texts ("Configuration des notifications") and the attachments. No deletion."""

from django.db import migrations

from guichet.core.permissions import MANAGER_GROUP, group_grant, group_revoke

GRANTS = {
    "notifications": {
        "outgoingmessage": ("view", "change"),
        "messagetemplate": ("view", "change"),
        "messageattachment": ("view", "add", "change"),
    }
}


def grant(apps, schema_editor):
    group_grant(apps, schema_editor, group_name=MANAGER_GROUP, grants=GRANTS)


def revoke(apps, schema_editor):
    group_revoke(apps, schema_editor, group_name=MANAGER_GROUP, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_default_message_templates"),
        ("core", "0002_gestionnaire_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
