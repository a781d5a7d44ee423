"""The daily sweep: replied items whose evaluation window has passed close as 未评价."""

from django.core.management.base import BaseCommand

from banli.handling.services import close_expired_evaluations


class Command(BaseCommand):
    help = "Close replied items whose evaluation window has passed (未评价)."

    def handle(self, *args, **options):
        closed = close_expired_evaluations()
        self.stdout.write(f"closed {closed} item(s) as not evaluated")
