"""Finish or remove uploads left in the staging folder by a process that died (run daily)."""

import datetime as dt

from django.core.management.base import BaseCommand

from banli.core.uploads import clean_staged


class Command(BaseCommand):
    help = (
        "Move staged uploads whose transaction committed into place and remove those whose "
        "transaction rolled back, if older than --hours (default 24)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=float, default=24.0)

    def handle(self, *args, hours: float, **options):
        moved, removed = clean_staged(older_than=dt.timedelta(hours=hours))
        self.stdout.write(f"{moved} staged upload(s) moved into place, {removed} removed.")
