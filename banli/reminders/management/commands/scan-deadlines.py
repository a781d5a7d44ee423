"""`banli scan-deadlines [--body CODE] [--today YYYY-MM-DD]`: the deadline scan for cron.
Queues the reminders that are due, delivers what the outbox has due, and prints one JSON
line, {"queued": N, "sent": N, "failed": N}; a second run for the same day queues 0."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from banli.bodies.models import Body
from banli.core import clock
from banli.delivery.services import deliver_due
from banli.reminders import services

# Delivery runs in rounds of `limit` until nothing more is due, at most this many rounds a
# run (what is left goes with the next run, or with the worker's own sweep).
DELIVERY_ROUNDS = 50


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today must be a date as YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = "Queue the reminders due (or those of one body) and deliver the outbox."

    def add_arguments(self, parser):
        parser.add_argument("--body", metavar="CODE", help="only the body with this code")
        parser.add_argument("--today", metavar="YYYY-MM-DD", help="scan as on this day")

    def handle(self, *args, **options):
        today = _day(options["today"]) if options["today"] else clock.today()
        code = options["body"]
        if code is not None and not Body.objects.filter(code=code).exists():
            raise CommandError(f"there is no body with the code {code!r}")
        queued = services.scan_all(today=today, body_code=code)
        sent, failed = self._deliver()
        self.stdout.write(json.dumps({"queued": queued, "sent": sent, "failed": failed}))

    def _deliver(self) -> tuple[int, int]:
        sent = failed = 0
        for _round in range(DELIVERY_ROUNDS):
            done = deliver_due()
            sent, failed = sent + done["sent"], failed + done["failed"]
            if not done["sent"] and not done["failed"]:
                break
        return sent, failed
