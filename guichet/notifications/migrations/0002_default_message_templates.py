from django.db import migrations
from django.utils import translation


def templates_create(apps, schema_editor):
    from guichet.notifications.default_texts import default_texts
    from guichet.notifications.models import MessageKind

    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    with translation.override("fr"):
        for kind in MessageKind.values:
            MessageTemplate.objects.get_or_create(kind=kind, defaults=default_texts(kind))


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(templates_create, migrations.RunPython.noop)]
