"""The worker's periodic jobs (定时任务), registered by the apps that own them.

An app says what runs and how often (`register("delivery.sweep", every=timedelta(minutes=1),
task=deliver_outbox)`); the worker's scheduler (`banli worker`, banli.delivery) enqueues each
job when it falls due, and cron can run the same work through the apps' commands. The
registry is here, at the bottom of the layers, so any app may fill it without importing the
worker."""

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Periodic:
    name: str
    every: dt.timedelta
    # A django-tasks Task (anything with .enqueue()), enqueued with no arguments.
    task: Any


_jobs: dict[str, Periodic] = {}


def register(name: str, *, every: dt.timedelta, task: Any) -> Periodic:
    if every <= dt.timedelta(0):
        raise ValueError("a periodic job needs a positive interval")
    job = Periodic(name, every, task)
    _jobs[name] = job
    return job


def jobs() -> list[Periodic]:
    return sorted(_jobs.values(), key=lambda job: job.name)
