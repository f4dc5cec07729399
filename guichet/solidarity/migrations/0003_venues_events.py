"""Venues ("coopérateurs culturels/sportifs") and what the solidarity catalogue adds to an activity
(EventDetails); the "Gestionnaire solidaire" group runs them."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import guichet.core.phones
import guichet.core.validators
from guichet.core.permissions import SOLIDARITY_MANAGER_GROUP, group_grant, group_revoke

GRANTS = {
    "solidarity": {
        "venuecategory": ("view", "add", "change"),
        "venue": ("view", "add", "change"),
        "eventdetails": ("view", "add", "change", "delete"),
    },
}


def grant(apps, schema_editor):
    group_grant(apps, schema_editor, group_name=SOLIDARITY_MANAGER_GROUP, grants=GRANTS)


def revoke(apps, schema_editor):
    group_revoke(apps, schema_editor, group_name=SOLIDARITY_MANAGER_GROUP, grants=GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0005_channel_waiting_list_window"),
        ("solidarity", "0002_gestionnaire_solidaire"),
    ]

    operations = [
        migrations.CreateModel(
            name="VenueCategory",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("search_text", models.TextField(blank=True, default="", editable=False)),
                (
                    "name",
                    models.CharField(
                        max_length=100,
                        unique=True,
                        validators=[guichet.core.validators.validate_single_line],
                        verbose_name="nom",
                    ),
                ),
            ],
            options={
                "verbose_name": "catégorie de structure culturelle",
                "verbose_name_plural": "catégories de structure culturelle",
                "ordering": ["name"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("name", ""), _negated=True),
                        name="venue_category_required",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Venue",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("search_text", models.TextField(blank=True, default="", editable=False)),
                (
                    "name",
                    models.CharField(
                        max_length=200,
                        validators=[guichet.core.validators.validate_single_line],
                        verbose_name="nom",
                    ),
                ),
                (
                    "address",
                    models.CharField(
                        blank=True,
                        max_length=200,
                        validators=[guichet.core.validators.validate_single_line],
                        verbose_name="adresse",
                    ),
                ),
                (
                    "city",
                    models.CharField(
                        max_length=100,
                        validators=[guichet.core.validators.validate_single_line],
                        verbose_name="ville",
                    ),
                ),
                (
                    "phone",
                    guichet.core.phones.PhoneNumberField(
                        blank=True, max_length=20, verbose_name="téléphone"
                    ),
                ),
                ("email", models.EmailField(blank=True, max_length=254, verbose_name="e-mail")),
                ("website", models.URLField(blank=True, verbose_name="site internet")),
                (
                    "in_directory",
                    models.BooleanField(default=False, verbose_name="paraît dans l'annuaire"),
                ),
                (
                    "places",
                    models.ManyToManyField(
                        blank=True,
                        help_text="Les lieux où se tiennent ses événements.",
                        related_name="solidarity_venues",
                        to="catalogue.location",
                        verbose_name="lieux",
                    ),
                ),
                (
                    "territory",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="venues",
                        to="solidarity.territory",
                        verbose_name="département",
                    ),
                ),
                (
                    "category",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="venues",
                        to="solidarity.venuecategory",
                        verbose_name="catégorie",
                    ),
                ),
            ],
            options={
                "verbose_name": "structure culturelle",
                "verbose_name_plural": "structures culturelles",
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="EventDetails",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "duration",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text="En minutes ; vide si elle n'est pas connue.",
                        null=True,
                        validators=[django.core.validators.MaxValueValidator(10080)],
                        verbose_name="durée (minutes)",
                    ),
                ),
                (
                    "advised_age",
                    models.CharField(
                        blank=True,
                        help_text="Par exemple « À partir de 6 ans » ou « Tout public ».",
                        max_length=60,
                        validators=[guichet.core.validators.validate_single_line],
                        verbose_name="âge conseillé",
                    ),
                ),
                (
                    "practical_info",
                    models.TextField(
                        blank=True,
                        help_text="Accès, entrée, accueil des groupes…",
                        verbose_name="informations pratiques",
                    ),
                ),
                (
                    "published_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="mis en ligne le"
                    ),
                ),
                (
                    "activity",
                    models.OneToOneField(
                        limit_choices_to={"channel": "solidaire"},
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="event_details",
                        to="catalogue.activity",
                        verbose_name="activité",
                    ),
                ),
                (
                    "venue",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="solidarity.venue",
                        verbose_name="structure culturelle",
                    ),
                ),
            ],
            options={
                "verbose_name": "détails de l'événement",
                "verbose_name_plural": "détails des événements",
                "indexes": [models.Index(fields=["published_at"], name="event_published_at")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("duration__isnull", True), ("duration__gte", 1), _connector="OR"
                        ),
                        name="event_duration_positive",
                    )
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="venue",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("name", ""), _negated=True), models.Q(("city", ""), _negated=True)
                ),
                name="venue_name_city_required",
            ),
        ),
        migrations.RunPython(grant, revoke),
    ]
