"""The worker as it runs in production: separate processes on one database. A process that
dies right after its change loses no notice; `banli worker --burst` works the embedded
database queue, and RQ on Redis where Redis answers; two runners or two workers at once send
each delivery exactly once.

The processes share a SQLite file of their own (migrated once for the module), whichever
database the suite itself runs on: pytest-django's SQLite test database lives in memory,
where no other process can see it."""

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from banli.delivery import sms

ROOT = Path(__file__).resolve().parent.parent
REDIS = ("127.0.0.1", 6379)
RQ_DB = 13  # a Redis database of its own, emptied by the test


class FileSms(sms.BaseBackend):
    """SMS written as lines to $H1_SMS_FILE (one process's sends visible to the test), slowed
    by $H1_SMS_DELAY seconds so that two runners overlap."""

    def send(self, phone, text):
        delay = float(os.environ.get("H1_SMS_DELAY", "0") or 0)
        if delay:
            time.sleep(delay)
        line = json.dumps({"phone": phone, "text": text, "pid": os.getpid()}) + "\n"
        fd = os.open(os.environ["H1_SMS_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)


def _environment(var: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BANLI_", "DATABASE_URL"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "banli.settings",
            "BANLI_VAR_DIR": str(var),
            "DATABASE_URL": f"sqlite:///{var / 'banli.sqlite3'}",
            "BANLI_SMS_BACKEND": f"{__name__}.FileSms",
            "BANLI_LOG_TO_STDERR": "0",
            "H1_SMS_FILE": str(var / "sms.jsonl"),
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    var = tmp_path_factory.mktemp("worker-template")
    subprocess.run(
        [sys.executable, "-m", "banli", "migrate", "-v", "0", "--noinput"],
        env=_environment(var),
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    return var / "banli.sqlite3"


@pytest.fixture
def var(migrated, tmp_path) -> Path:
    shutil.copy(migrated, tmp_path / "banli.sqlite3")
    return tmp_path


def python(var: Path, code: str, *, check=True, **env) -> subprocess.CompletedProcess:
    script = "import django, json, os\ndjango.setup()\n" + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script],
        env=_environment(var, **env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=check,
        timeout=300,
    )


def start_worker(var: Path, *args, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "banli", "worker", "--burst", *args],
        env=_environment(var, **env),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def worker(var: Path, *args, **env) -> None:
    process = start_worker(var, *args, **env)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err


MAKE_NOTICES = """
from tests.factories import make_body
from tests.factories_h1 import reachable, tell
from banli.delivery import services
body = make_body()
person = reachable(body, "staff", email="zhang@zjj.gov.cn", phone="13800138000")
"""

STATES = """
from banli.delivery.models import Delivery
from django_tasks_db.models import DBTaskResult
print(json.dumps({
    "states": sorted(Delivery.objects.values_list("channel", "state")),
    "tasks": DBTaskResult.objects.filter(task_path__endswith="deliver_outbox").count(),
}))
"""


def states(var: Path, **env) -> dict:
    return json.loads(python(var, STATES, **env).stdout.strip().splitlines()[-1])


def sent_sms(var: Path) -> list[dict]:
    path = var / "sms.jsonl"
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for row in rows:  # the message without the link to the page
        row["text"] = row["text"].rsplit(" http", 1)[0]
    return rows


def sent_mail(var: Path) -> int:
    """Messages written by Django's file-based backend (several may share one file)."""
    folder = var / "mail"
    if not folder.exists():
        return 0
    return sum(path.read_text().count("\nMessage-ID: ") for path in folder.iterdir())


def test_a_process_killed_right_after_its_change_loses_no_notice(var):
    died = python(
        var,
        MAKE_NOTICES
        + """
def killed(*args, **kwargs):
    os._exit(17)  # the power goes out: committed, and nothing queued or sent
services._kick = killed
tell([person], body, text="第12号建议请于三日内签收。")
print("still alive")
""",
        check=False,
    )
    assert died.returncode == 17, died.stderr
    assert "still alive" not in died.stdout
    seen = states(var)
    assert seen == {"states": [["email", "pending"], ["sms", "pending"]], "tasks": 0}
    # The next worker's sweep finds the rows and sends each once.
    worker(var)
    assert states(var)["states"] == [["email", "sent"], ["sms", "sent"]]
    assert [m["text"].startswith("第12号建议请于三日内签收。") for m in sent_sms(var)] == [True]
    assert sent_mail(var) == 1
    worker(var)
    assert len(sent_sms(var)) == 1 and sent_mail(var) == 1


def test_the_worker_delivers_what_the_commit_queued_on_the_database_queue(var):
    python(
        var,
        MAKE_NOTICES
        + """
from banli.delivery.models import ScheduledRun
from banli.core import clock
import datetime as dt
# No sweep in this test: the delivery must come through the task the commit queued.
ScheduledRun.objects.create(name="delivery.sweep", next_run_at=clock.now() + dt.timedelta(days=1))
for n in range(3):
    tell([person], body, text=f"通知{n}")
""",
    )
    before = states(var)
    # Three commits, one task: a kick waiting in the queue already covers the next ones.
    assert before["tasks"] == 1
    assert {state for _channel, state in before["states"]} == {"pending"}
    worker(var)
    assert {state for _channel, state in states(var)["states"]} == {"sent"}
    assert sorted(m["text"] for m in sent_sms(var)) == ["通知0", "通知1", "通知2"]
    assert sent_mail(var) == 3


def test_two_runners_at_once_send_each_delivery_exactly_once(var):
    python(
        var,
        MAKE_NOTICES
        + """
for n in range(40):
    tell([person], body, text=f"第{n}号")
""",
    )
    runner = """
from banli.delivery.services import deliver_due
print(json.dumps(deliver_due(limit=1000, worker_id=os.environ["H1_WORKER"])))
"""
    script = "import django, json, os\ndjango.setup()\n" + textwrap.dedent(runner)
    runners = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            env=_environment(var, H1_WORKER=name, H1_SMS_DELAY="0.02"),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("runner-a", "runner-b")
    ]
    results = []
    for process in runners:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(r["sent"] for r in results) == 80
    assert sum(r["failed"] for r in results) == 0
    texts = [m["text"] for m in sent_sms(var)]
    assert len(texts) == 40 and len(set(texts)) == 40
    assert sent_mail(var) == 40


def test_two_workers_at_once_enqueue_the_sweep_once_and_send_once(var):
    python(
        var,
        MAKE_NOTICES
        + """
services._kick = lambda: None  # only the sweep will find it
for n in range(10):
    tell([person], body, text=f"第{n}号")
""",
    )
    processes = [start_worker(var, H1_SMS_DELAY="0.02") for _ in range(2)]
    for process in processes:
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    seen = states(var)
    assert seen["tasks"] == 1  # one sweep for the minute, whichever worker claimed it
    assert {state for _channel, state in seen["states"]} == {"sent"}
    assert len(sent_sms(var)) == 10 and sent_mail(var) == 10


def _redis_answers() -> bool:
    try:
        socket.create_connection(REDIS, 1).close()
    except OSError:
        return False
    return True


def test_the_same_tasks_run_on_rq_with_a_real_worker_process(var):
    if not _redis_answers():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis does not answer on 127.0.0.1:6379 (required under CI=true)")
        pytest.skip("Redis does not answer on 127.0.0.1:6379")
    import redis

    redis.Redis(*REDIS, db=RQ_DB).flushdb()
    rq = {"BANLI_TASKS": "rq", "BANLI_RQ_URL": f"redis://127.0.0.1:6379/{RQ_DB}"}
    queued = python(
        var,
        MAKE_NOTICES
        + """
from banli.delivery.models import ScheduledRun
from banli.core import clock
import datetime as dt
import django_rq
from django.conf import settings
assert settings.TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend"
ScheduledRun.objects.create(name="delivery.sweep", next_run_at=clock.now() + dt.timedelta(days=1))
tell([person], body, text="经RQ送达")
print(json.dumps({"queued": django_rq.get_queue("default").count}))
""",
        **rq,
    )
    assert json.loads(queued.stdout.strip().splitlines()[-1]) == {"queued": 1}
    assert {state for _c, state in states(var, **rq)["states"]} == {"pending"}
    worker(var, **rq)
    assert {state for _c, state in states(var, **rq)["states"]} == {"sent"}
    assert [m["text"] for m in sent_sms(var)] == ["经RQ送达"]
    assert sent_mail(var) == 1
    redis.Redis(*REDIS, db=RQ_DB).flushdb()


def test_the_running_worker_delivers_within_seconds_and_stops_on_sigterm(var):
    import signal

    process = subprocess.Popen(
        [sys.executable, "-m", "banli", "worker", "--interval", "0.2"],
        env=_environment(var),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        python(var, MAKE_NOTICES + 'tell([person], body, text="即时送达")\n')
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not sent_sms(var):
            time.sleep(0.2)
        assert [m["text"] for m in sent_sms(var)] == ["即时送达"]
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert {state for _c, state in states(var)["states"]} == {"sent"}
