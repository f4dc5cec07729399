from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("solidarity", "0003_venues_events"),
    ]

    operations = [
        migrations.AddField(
            model_name="beneficiary",
            name="anonymised_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="anonymisé le"
            ),
        ),
        migrations.AddField(
            model_name="beneficiary",
            name="deactivated_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="désactivé le"
            ),
        ),
    ]
