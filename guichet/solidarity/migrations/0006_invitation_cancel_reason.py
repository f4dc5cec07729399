"""Staff cancel invitations from the back-office with a reason (invitation_cancel_by_staff):
the reason is kept on the invitation, and "Gestionnaire solidaire" may change invitations."""

from django.db import migrations, models

from guichet.core.permissions import SOLIDARITY_MANAGER_GROUP, group_grant, group_revoke

GRANTS = {"solidarity": {"invitation": ("change",)}}


def grant(apps, schema_editor):
    group_grant(apps, schema_editor, group_name=SOLIDARITY_MANAGER_GROUP, grants=GRANTS)


def revoke(apps, schema_editor):
    group_revoke(apps, schema_editor, group_name=SOLIDARITY_MANAGER_GROUP, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("solidarity", "0005_booking"),
    ]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="cancel_reason",
            field=models.TextField(blank=True, max_length=1000, verbose_name="motif d'annulation"),
        ),
        migrations.RunPython(grant, revoke),
    ]
