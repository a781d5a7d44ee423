"""The worker's deadline scan: every body, once an hour (the reminders fire once per record,
date and step, so an hourly run sends each on the first scan after it falls due)."""

from django_tasks import task

from . import services


@task()
def scan_deadlines() -> int:
    return services.scan_all()
