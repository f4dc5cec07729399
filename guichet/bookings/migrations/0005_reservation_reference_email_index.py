"""Each reservation gets a short reference (guichet.core.references), drawn for the existing rows;
an index finds an address's reservations whatever the case it was typed in."""

from django.db import migrations, models
from django.db.models.functions import Upper

import guichet.bookings.models
from guichet.core.references import reference_new


def references_fill(apps, schema_editor):
    Reservation = apps.get_model("bookings", "Reservation")
    drawn: set[str] = set()
    batch = []
    for reservation in Reservation.objects.only("pk").order_by("pk").iterator(chunk_size=2000):
        reference = reference_new()
        while reference in drawn:
            reference = reference_new()
        drawn.add(reference)
        reservation.reference = reference
        batch.append(reservation)
        if len(batch) == 2000:
            Reservation.objects.bulk_update(batch, ["reference"])
            batch = []
    Reservation.objects.bulk_update(batch, ["reference"])


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0004_reservation_search_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="reservation",
            name="reference",
            field=models.CharField(
                editable=False, max_length=8, null=True, verbose_name="référence"
            ),
        ),
        migrations.RunPython(references_fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="reservation",
            name="reference",
            field=models.CharField(
                default=guichet.bookings.models.reservation_reference,
                editable=False,
                max_length=8,
                unique=True,
                verbose_name="référence",
            ),
        ),
        migrations.AddIndex(
            model_name="reservation",
            index=models.Index(Upper("email"), name="reservation_email_upper"),
        ),
    ]
