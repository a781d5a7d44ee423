"""The delivery app's background tasks (django-tasks): the same code on the embedded
database queue and on RQ (settings.TASKS)."""

from django_tasks import task


@task()
def deliver_outbox() -> dict:
    """Send what is due in the outbox: kicked after each commit that queued deliveries, and
    run every minute by the worker's scheduler as the sweep that misses nothing."""
    from .services import deliver_due

    return deliver_due()
