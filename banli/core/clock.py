"""The time the services see. `frozen()` sets it, so the demo can replay a year and tests
can stand on a given day; everything else reads the real clock."""

import contextlib
import contextvars
import datetime as dt

from django.utils import timezone

_frozen: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar(
    "banli_frozen_now", default=None
)


def now() -> dt.datetime:
    value = _frozen.get()
    return value if value is not None else timezone.now()


def today() -> dt.date:
    return timezone.localtime(now()).date()


@contextlib.contextmanager
def frozen(when: dt.datetime | dt.date):
    """Run the block as if it were `when` (a date means 10:00 Beijing time that day)."""
    at = when if isinstance(when, dt.datetime) else dt.datetime.combine(when, dt.time(10, 0))
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    token = _frozen.set(at)
    try:
        yield at
    finally:
        _frozen.reset(token)
