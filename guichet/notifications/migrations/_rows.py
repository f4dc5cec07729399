"""Shared by the migrations that add kinds of mail (Django's loader skips modules starting with
an underscore). Rolled back, such a migration deletes its kinds' rows before the constraints
that do not know them come back; otherwise the rollback fails on those constraints."""


def kind_rows_delete(*kinds):
    def rows_delete(apps, schema_editor):
        for model in ("MessageTemplate", "MessageAttachment", "OutgoingMessage"):
            apps.get_model("notifications", model).objects.filter(kind__in=kinds).delete()

    return rows_delete
