"""`banli worker`: the background worker. One process runs the scheduler (the periodic jobs
of banli.core.schedule, each enqueued once however many workers run) in a thread, and the
queue's worker in the main thread: the embedded database queue (django-tasks-db) by default,
RQ on Redis with BANLI_TASKS=rq. `--burst` enqueues what is due, works the queue empty and
exits (tests, cron)."""

import logging
import os
import socket
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections

from banli.delivery import scheduler

logger = logging.getLogger("banli.delivery")


class Command(BaseCommand):
    help = "Run the background worker: periodic jobs and the task queue."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--burst",
            action="store_true",
            help="Enqueue the periodic jobs that are due, run every queued task, then exit.",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds between looks at the queue and the schedule (default 1).",
        )
        parser.add_argument("--worker-id", default="", help="A name unique among the workers.")

    def handle(self, *args, burst: bool, interval: float, worker_id: str, **options) -> None:
        if interval <= 0:
            raise CommandError("--interval must be positive")
        worker_id = (worker_id or f"{socket.gethostname()}-{os.getpid()}")[:64]
        backend = settings.TASKS["default"]["BACKEND"]
        if burst:
            enqueued = scheduler.tick(worker_id=worker_id)
            logger.info("worker %s: enqueued %s", worker_id, ", ".join(enqueued) or "nothing")
            self._work(backend, worker_id=worker_id, interval=interval, burst=True)
            return
        stop = threading.Event()
        ticker = threading.Thread(
            target=self._schedule, args=(stop, worker_id, interval), daemon=True
        )
        ticker.start()
        try:
            self._work(backend, worker_id=worker_id, interval=interval, burst=False)
        finally:
            stop.set()
            ticker.join(timeout=interval + 5)

    def _schedule(self, stop: threading.Event, worker_id: str, interval: float) -> None:
        while not stop.is_set():
            try:
                close_old_connections()
                scheduler.tick(worker_id=worker_id)
            except Exception:
                logger.exception("the scheduler's tick failed; trying again")
            finally:
                connections.close_all()
            stop.wait(interval)

    def _work(self, backend: str, *, worker_id: str, interval: float, burst: bool) -> None:
        if backend == "django_tasks_db.DatabaseBackend":
            from django_tasks_db.management.commands.db_worker import Worker

            worker = Worker(
                queue_names=["*"],
                interval=interval,
                batch=burst,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id=worker_id,
                excluded_queue_names=[],
            )
            if not burst:
                worker.configure_signals()
            worker.run()
        elif backend == "django_tasks_rq.RQBackend":
            import django_rq
            from django_tasks_rq import Job
            from rq import SimpleWorker

            # In-process jobs (no fork per job): the task code shares Django's setup and
            # connections are closed between jobs by Django's request-like cleanup.
            rq_worker = django_rq.get_worker(
                *settings.RQ_QUEUES,
                job_class=Job,
                worker_class=SimpleWorker,  # type: ignore[arg-type]
                name=worker_id,
            )
            rq_worker.work(burst=burst, with_scheduler=False)
        elif backend == "django_tasks.backends.immediate.ImmediateBackend":
            return  # tasks ran when enqueued
        else:
            raise CommandError(f"banli worker does not know the task backend {backend}")
