from django.core.management.base import BaseCommand, CommandError

from guichet.bookings.services import seats_mismatches


class Command(BaseCommand):
    help = (
        "Vérifie que les places réservées de chaque session égalent la somme des réservations "
        "valides et archivées ; sort avec le code 1 sinon."
    )

    def handle(self, *args, **options):
        mismatches = seats_mismatches()
        for session, held in mismatches:
            self.stdout.write(
                f"Session {session.pk} — {session} : {session.seats_taken} places comptées, "
                f"{held} réservées."
            )
        if mismatches:
            raise CommandError(f"{len(mismatches)} session(s) avec un compteur faux.", returncode=1)
        self.stdout.write("Les compteurs de places sont justes.")
