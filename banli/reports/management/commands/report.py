"""`banli report --body CODE --year YYYY [--session ID] [--as-of YYYY-MM-DD] --format json
[-o PATH]`: a body's figures for scripts, in the stable JSON of docs/reports.md (`-o -` or no
`-o` writes to standard output). The year selects the items of that year's sessions, plenary
and between sessions; `--session` narrows it to one session of the body."""

import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from banli.bodies.models import Body, Session
from banli.reports import metrics

# The other outputs of issue 18 (html, docx, pdf, xlsx) join these as they are built.
FORMATS = ("json",)


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of must be a date as YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = "Write a body's handling figures for a year (or one session) as of a day."

    def add_arguments(self, parser):
        parser.add_argument("--body", metavar="CODE", required=True)
        parser.add_argument("--year", type=int, metavar="YYYY")
        parser.add_argument("--session", type=int, metavar="ID", help="one session's id")
        parser.add_argument("--as-of", metavar="YYYY-MM-DD", dest="as_of")
        parser.add_argument("--format", choices=FORMATS, default="json")
        parser.add_argument("-o", "--output", metavar="PATH", default="-")

    def handle(self, *args, **options):
        body = Body.objects.filter(code=options["body"]).first()
        if body is None:
            raise CommandError(f"there is no body with the code {options['body']!r}")
        session = None
        if options["session"] is not None:
            session = Session.objects.filter(pk=options["session"], term__body=body).first()
            if session is None:
                raise CommandError(f"the body has no session {options['session']}")
        year = options["year"]
        if year is None and session is None:
            raise CommandError("give --year (or --session)")
        if session is not None and year is not None and session.year != year:
            raise CommandError(f"session {session.pk} is of {session.year}, not {year}")
        as_of = _day(options["as_of"]) if options["as_of"] else None
        scope = metrics.scope_for(body, year, session, as_of)
        text = json.dumps(metrics.as_json(scope), ensure_ascii=False, indent=2) + "\n"
        if options["output"] == "-":
            self.stdout.write(text, ending="")
        else:
            Path(options["output"]).write_text(text, encoding="utf-8")
