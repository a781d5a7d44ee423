"""`banli demo`: build the demo bodies, their year of items and an account for every role."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from banli.demo.builder import (
    BODIES,
    DemoConflict,
    account_rows,
    build_demo,
    demo_exists,
    format_table,
)


class Command(BaseCommand):
    help = gettext_lazy(
        "Build the demo: a city people's congress and a district CPPCC with a year of items in "
        "every state, and an account for every role. Running it again changes nothing."
    )

    def handle(self, *args, **options):
        codes = ", ".join(spec.code for spec in BODIES)
        try:
            if demo_exists():
                self.stdout.write(
                    _("The demo is already in the database (%(codes)s); nothing was changed.")
                    % {"codes": codes}
                )
            else:
                started = time.monotonic()
                for line in build_demo():
                    self.stdout.write(line)
                self.stdout.write(
                    self.style.SUCCESS(
                        _("Built the demo (%(codes)s) in %(seconds).1f s.")
                        % {"codes": codes, "seconds": time.monotonic() - started}
                    )
                )
        except DemoConflict as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("")
        self.stdout.write(_("Demo accounts:"))
        header = (_("username"), _("password"), _("role"), _("body"))
        self.stdout.write(format_table(header, account_rows()))
