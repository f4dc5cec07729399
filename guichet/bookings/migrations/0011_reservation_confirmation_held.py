from django.db import migrations, models


def held_confirmations_copy(apps, schema_editor):
    """Reservations whose confirmation mail was written held back (CONFIRMATION_MAIL_LIMIT)."""
    Reservation = apps.get_model("bookings", "Reservation")
    OutgoingMessage = apps.get_model("notifications", "OutgoingMessage")
    held = OutgoingMessage.objects.filter(
        kind="confirmation", state="held", reservation__isnull=False
    ).values("reservation_id")
    Reservation.objects.filter(pk__in=held).update(confirmation_held=True)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0010_reservation_person_key_fields_services_only"),
        ("notifications", "0010_account_mails"),
    ]

    operations = [
        migrations.AddField(
            model_name="reservation",
            name="confirmation_held",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="confirmation retenue"
            ),
        ),
        migrations.RunPython(held_confirmations_copy, migrations.RunPython.noop, elidable=True),
    ]
