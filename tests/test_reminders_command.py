"""`banli scan-deadlines` for cron, and the worker's hourly scan: one JSON line, and the
reminders of a day queued once however often it runs."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from banli.core import schedule
from banli.notices.models import Notice
from banli.reminders.models import ReminderSent
from banli.reminders.tasks import scan_deadlines

from .factories import World, on

START = dt.date(2026, 3, 2)


def run(*args) -> dict:
    out = io.StringIO()
    call_command("scan-deadlines", *args, stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_the_command_prints_one_json_line_and_a_second_run_queues_nothing(world):
    with on(START):
        world.assigned()
        world.assigned()
    first = run("--today", "2026-06-03")
    assert set(first) == {"queued", "sent", "failed"}
    assert first["queued"] == 2  # two overdue replies
    assert first["failed"] == 0
    assert run("--today", "2026-06-03")["queued"] == 0
    assert ReminderSent.objects.filter(rule="reply.overdue").count() == 2


def test_the_command_scans_one_body_when_asked(world):
    other = World()
    with on(START):
        world.assigned()
        other.assigned()
    assert run("--body", world.body.code, "--today", "2026-05-03")["queued"] == 1
    assert not Notice.objects.filter(body=other.body, kind__startswith="reminder.").exists()
    assert run("--today", "2026-05-03")["queued"] == 1  # the other body's, once


@pytest.mark.parametrize(
    "args",
    [("--today", "2026-13-01"), ("--today", "tomorrow"), ("--body", "no-such-body")],
)
def test_bad_arguments_are_a_clear_error(world, args):
    with pytest.raises(CommandError):
        call_command("scan-deadlines", *args, stdout=io.StringIO())
    assert not ReminderSent.objects.exists()


def test_the_worker_scans_every_hour(world):
    job = next(job for job in schedule.jobs() if job.name == "reminders.scan")
    assert job.every == dt.timedelta(hours=1)
    assert job.task is scan_deadlines
    with on(START):
        world.assigned()
    with on(dt.date(2026, 6, 3)):
        assert scan_deadlines.call() == 1
        assert scan_deadlines.call() == 0
