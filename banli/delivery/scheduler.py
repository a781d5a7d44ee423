"""The worker's scheduler: enqueues each periodic job of banli.core.schedule when it falls
due. A run is claimed by moving its `ScheduledRun.next_run_at` on with a conditional UPDATE
(the value read must still be there), so of two workers ticking at once only one enqueues."""

import datetime as dt
import logging

from django.db import IntegrityError, transaction

from banli.core import clock, schedule

from .models import ScheduledRun

logger = logging.getLogger("banli.delivery")


def _run_row(name: str, now: dt.datetime) -> ScheduledRun:
    row = ScheduledRun.objects.filter(name=name).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return ScheduledRun.objects.create(name=name, next_run_at=now)
    except IntegrityError:  # another scheduler created it a moment ago
        return ScheduledRun.objects.get(name=name)


def claim(job: schedule.Periodic, *, now: dt.datetime, worker_id: str = "") -> bool:
    """Take the run of `job` that is due at `now`; False when it is not due or another
    scheduler took it."""
    row = _run_row(job.name, now)
    if row.next_run_at > now:
        return False
    taken = ScheduledRun.objects.filter(pk=row.pk, next_run_at=row.next_run_at).update(
        next_run_at=now + job.every, last_run_at=now, last_worker=worker_id[:100]
    )
    return taken == 1


def tick(*, now: dt.datetime | None = None, worker_id: str = "") -> list[str]:
    """Enqueue every periodic job that is due; returns the names enqueued."""
    now = now or clock.now()
    enqueued = []
    for job in schedule.jobs():
        if not claim(job, now=now, worker_id=worker_id):
            continue
        try:
            job.task.enqueue()
        except Exception:
            # This run is lost, the next one comes after `every`; the work itself is
            # idempotent (the sweep and the scans find what is still due).
            logger.exception("could not enqueue the periodic job %s", job.name)
            continue
        enqueued.append(job.name)
    return enqueued
