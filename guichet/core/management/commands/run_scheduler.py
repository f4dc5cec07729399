import signal

from django.core.management.base import BaseCommand
from django.utils import timezone

from guichet.core.scheduler import periodic_jobs, scheduler_build


def _exit(signum, frame):
    raise SystemExit(0)


class Command(BaseCommand):
    help = (
        "Planificateur : met en file les tâches périodiques (heure de Paris), "
        "que `manage.py db_worker` exécute. Deux planificateurs à la fois ne doublent rien."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--list",
            action="store_true",
            dest="list_jobs",
            help="Affiche les tâches et leur prochaine exécution.",
        )

    def handle(self, *args, list_jobs, **options):
        if list_jobs:
            now = timezone.now()
            for job in periodic_jobs():
                next_time = timezone.localtime(job.trigger().get_next_fire_time(None, now))
                self.stdout.write(
                    f"{job.name}  « {job.crontab} »  prochaine : {next_time:%Y-%m-%d %H:%M %Z}"
                )
            return
        scheduler = scheduler_build()
        signal.signal(signal.SIGTERM, _exit)  # systemd stops services with SIGTERM
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            scheduler.shutdown()
