"""Background tasks of the bookings app, run by `manage.py db_worker`."""

from django_tasks import task

from guichet.bookings.services import reservations_archive_past


@task()
def reservations_archive_task() -> int:
    """Nightly (registered in BookingsConfig.ready): valid reservations of past sessions become "Archivé"."""
    return reservations_archive_past()
