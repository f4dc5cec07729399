from django.db import migrations
from django.utils import translation

KINDS = [
    "confirmation",
    "reminder",
    "session_cancelled",
    "session_postponed",
    "reservation_cancelled",
]


def templates_create(apps, schema_editor):
    from guichet.notifications.default_texts import default_texts

    MessageTemplate = apps.get_model("notifications", "MessageTemplate")
    with translation.override("fr"):
        # The kinds of that time: a later kind comes with the migration that allows it.
        for kind in KINDS:
            MessageTemplate.objects.get_or_create(kind=kind, defaults=default_texts(kind))


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(templates_create, migrations.RunPython.noop)]
