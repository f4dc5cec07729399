from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from guichet.demo.data import (
    ADMIN_USERNAME,
    DEMO_PASSWORD,
    STAFF_ACCOUNTS,
    STAFF_USERNAME,
    demo_load,
)


class Command(BaseCommand):
    help = (
        "Charge les données de démonstration (activités du Jardin Botanique, sessions, "
        "réservations, comptes demo-gestionnaire, demo-solidaire, demo-famille et demo-admin ; "
        "structures, référents et participants de la Billetterie solidaire). "
        "Relancer ne crée rien de plus : "
        "les sessions sont replacées par rapport à aujourd'hui."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Charger même avec DEBUG désactivé (les comptes de démonstration ont un mot de "
            "passe connu).",
        )

    def handle(self, *args, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG est désactivé : les données de démonstration créent des comptes au mot de "
                "passe connu. Utilisez --force si cette base est bien une base de démonstration."
            )
        summary = demo_load()
        self.stdout.write(
            f"Données de démonstration : {summary.activities} activités, "
            f"{summary.sessions} sessions, {summary.reservations} réservations."
        )
        portals = ", ".join(name for name in STAFF_ACCOUNTS if name != STAFF_USERNAME)
        self.stdout.write(
            f"Connexion : {settings.SITE_URL}/admin/ — identifiant {STAFF_USERNAME} / mot de passe "
            f"{DEMO_PASSWORD} (portails : {portals} ; administrateur : {ADMIN_USERNAME} ; "
            "même mot de passe)"
        )
        self.stdout.write(
            f"Billetterie solidaire : {settings.SITE_URL}/solidaire/ — identifiant "
            f"demo-responsable-1, demo-referent-1 (ou -2) / mot de passe {DEMO_PASSWORD}"
        )
        self.stdout.write(
            f"Portail famille : {settings.SITE_URL}/famille/ — identifiant demo-parent-1 / mot de "
            f"passe {DEMO_PASSWORD} (demo-parent-2 n'a pas d'adresse e-mail : sa lettre "
            "d'activation s'imprime depuis l'administration)"
        )
