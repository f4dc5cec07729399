from django.core.management.base import BaseCommand, CommandError

from guichet.bookings.services import seats_mismatches, waiting_mismatches


class Command(BaseCommand):
    help = (
        "Vérifie que les places réservées de chaque session égalent la somme des réservations "
        "valides, archivées et en attente de traitement, et que son compteur de liste d'attente "
        "égale ses inscrits en liste d'attente ; sort avec le code 1 sinon."
    )

    def handle(self, *args, **options):
        seats, waiting = seats_mismatches(), waiting_mismatches()
        for session, held in seats:
            self.stdout.write(
                f"Session {session.pk} — {session} : {session.seats_taken} places comptées, "
                f"{held} réservées."
            )
        for session, count in waiting:
            self.stdout.write(
                f"Session {session.pk} — {session} : {session.waiting_count} en liste d'attente "
                f"comptés, {count} inscrits."
            )
        if seats or waiting:
            wrong = len({session.pk for session, _count in seats + waiting})
            raise CommandError(f"{wrong} session(s) avec un compteur faux.", returncode=1)
        self.stdout.write("Les compteurs de places sont justes.")
