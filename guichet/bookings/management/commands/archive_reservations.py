from django.core.management.base import BaseCommand

from guichet.bookings.services import reservations_archive_past


class Command(BaseCommand):
    help = "Archive les réservations valides des sessions passées (ce que fait la tâche de nuit)."

    def handle(self, *args, **options):
        archived = reservations_archive_past()
        self.stdout.write(f"{archived} réservation(s) archivée(s).")
