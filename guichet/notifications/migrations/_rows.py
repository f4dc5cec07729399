"""Shared by the migrations that add kinds of mail (Django's loader skips modules starting with
an underscore): their texts installed with the default ones (in French), and, rolled back, their
kinds' rows deleted before the constraints that do not know them come back; otherwise the
rollback fails on those constraints."""

from django.utils import translation


def kind_templates_create(*kinds):
    def templates_create(apps, schema_editor):
        from guichet.notifications.default_texts import default_texts

        MessageTemplate = apps.get_model("notifications", "MessageTemplate")
        with translation.override("fr"):
            for kind in kinds:
                MessageTemplate.objects.get_or_create(kind=kind, defaults=default_texts(kind))

    return templates_create


def kind_rows_delete(*kinds):
    def rows_delete(apps, schema_editor):
        for model in ("MessageTemplate", "MessageAttachment", "OutgoingMessage"):
            apps.get_model("notifications", model).objects.filter(kind__in=kinds).delete()

    return rows_delete
