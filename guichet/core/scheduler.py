"""Periodic jobs: `manage.py run_scheduler` enqueues tasks on a timetable (Paris time).

Each app registers its own jobs from its `AppConfig.ready()` with `periodic_job_register`, so that
core names no other app's task.

The scheduler only enqueues; `manage.py db_worker` runs the tasks. If two schedulers run at once
(two servers, or a restart that overlaps), each firing is still enqueued once: the first scheduler
to add the cache key of (job, scheduled time) wins. The cache is shared by every process (the
database or Redis) and `cache.add` is atomic on both.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections
from django.utils import timezone
from django_tasks.base import Task

logger = logging.getLogger(__name__)

# A firing that starts later than this after its time (machine busy, scheduler restarting) is
# skipped; every job catches up at its next firing. Jobs fire at most once a minute.
MISFIRE_GRACE = timedelta(minutes=1)
# How long the "already enqueued" marker of one firing is kept: far longer than MISFIRE_GRACE.
MARKER_TIMEOUT = int(timedelta(days=1).total_seconds())


@dataclass(frozen=True)
class PeriodicJob:
    task: Task  # a django-tasks Task called without arguments
    crontab: str  # "minute hour day month day-of-week", in local time

    @property
    def name(self) -> str:
        return self.task.name

    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.crontab, timezone=ZoneInfo(settings.TIME_ZONE))


_registry: dict[str, PeriodicJob] = {}


def periodic_job_register(task: Task, crontab: str) -> None:
    """Run `task` on `crontab` (Paris time). Called from an app's `AppConfig.ready()`."""
    job = PeriodicJob(task, crontab)
    # ready() may run twice (tests re-populating apps): the same job again is no error.
    if _registry.setdefault(job.name, job) != job:
        raise ValueError(f"Two periodic jobs are named {job.name}.")


def periodic_jobs() -> tuple[PeriodicJob, ...]:
    """Every registered job, by name."""
    return tuple(_registry[name] for name in sorted(_registry))


def job_fire_time(job: PeriodicJob, *, now: datetime) -> datetime:
    """The scheduled time of the firing running at `now`, which may be a little late."""
    return job.trigger().get_next_fire_time(None, now - MISFIRE_GRACE)


def job_enqueue_once(job: PeriodicJob, *, fire_time: datetime) -> bool:
    """Enqueue the job's task unless another scheduler already did for this firing."""
    key = f"scheduler:{job.name}:{fire_time.isoformat()}"
    if not cache.add(key, True, timeout=MARKER_TIMEOUT):
        return False
    try:
        job.task.enqueue()
    except Exception:
        cache.delete(key)  # not enqueued: leave the firing to a scheduler that can
        raise
    return True


def job_fire(job: PeriodicJob) -> None:
    """What APScheduler runs, in a thread of its own: a long-lived process, so database connections
    are renewed as a request would (CONN_MAX_AGE, CONN_HEALTH_CHECKS)."""
    close_old_connections()
    try:
        fire_time = job_fire_time(job, now=timezone.now())
        if job_enqueue_once(job, fire_time=fire_time):
            logger.info("Enqueued %s for %s", job.name, fire_time.isoformat())
        else:
            logger.info(
                "Skipped %s for %s: another scheduler enqueued it", job.name, fire_time.isoformat()
            )
    finally:
        close_old_connections()


def scheduler_build(jobs: tuple[PeriodicJob, ...] | None = None) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone=ZoneInfo(settings.TIME_ZONE))
    for job in periodic_jobs() if jobs is None else jobs:
        scheduler.add_job(
            job_fire,
            job.trigger(),
            args=[job],
            id=job.name,
            name=job.name,
            misfire_grace_time=int(MISFIRE_GRACE.total_seconds()),
            coalesce=True,
            max_instances=1,
        )
    return scheduler
