"""`banli demo`: build the demo bodies, their year of items and an account for every role.

On a production installation (BANLI_PRODUCTION=1) it refuses: the demo's superuser and its
published password would be a way in. `--i-know-this-is-production` builds it anyway (a
training installation), with a random password per account printed once."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from banli.demo.builder import (
    ACCOUNTS,
    BODIES,
    DemoConflict,
    account_rows,
    build_demo,
    demo_exists,
    format_table,
    random_passwords,
)


class Command(BaseCommand):
    help = gettext_lazy(
        "Build the demo: a city people's congress and a district CPPCC with a year of items in "
        "every state, and an account for every role. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--i-know-this-is-production",
            action="store_true",
            dest="production_ok",
            help=gettext_lazy(
                "Build the demo although BANLI_PRODUCTION=1, with a random password for every "
                "account, printed once."
            ),
        )

    def handle(self, *args, **options):
        production = settings.BANLI_PRODUCTION
        if production and not options["production_ok"]:
            raise CommandError(
                _(
                    "This is a production installation (BANLI_PRODUCTION=1): the demo would "
                    "add a superuser and made-up records. Run it with "
                    "--i-know-this-is-production only on a training database."
                )
            )
        passwords = random_passwords() if production else None
        codes = ", ".join(spec.code for spec in BODIES)
        built = False
        try:
            if demo_exists():
                self.stdout.write(
                    _("The demo is already in the database (%(codes)s); nothing was changed.")
                    % {"codes": codes}
                )
                if production:
                    # The random passwords were shown once, when the demo was built.
                    hidden = _("(shown when the demo was built)")
                    passwords = {account.username: hidden for account in ACCOUNTS}
            else:
                started = time.monotonic()
                for line in build_demo(passwords):
                    self.stdout.write(line)
                built = True
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
        self.stdout.write(format_table(header, account_rows(passwords)))
        if production and built:
            self.stdout.write(
                self.style.WARNING(
                    _("These passwords are shown only now and are stored nowhere in clear.")
                )
            )
