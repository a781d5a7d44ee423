from django.core.management.base import BaseCommand

from banli.supervision.notices import tell_overdue


class Command(BaseCommand):
    help = "Tell the supervising leaders of key items that are past their due date (daily)."

    def handle(self, *args, **options):
        count = tell_overdue()
        self.stdout.write(f"{count} overdue key items told")
