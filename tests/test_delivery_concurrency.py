"""Two runners and two schedulers at the same moment, in concurrent transactions of
PostgreSQL (threads, each with its own connection): each delivery is sent once, each
periodic run enqueued once. tests/test_worker_processes.py does the same with processes on
SQLite."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections

from banli.core import schedule
from banli.delivery import scheduler, sms
from banli.delivery.models import Delivery, State
from banli.delivery.services import deliver_due

from .factories import make_body
from .factories_h1 import reachable, tell

pytestmark = pytest.mark.django_db(transaction=True)

sent: list[tuple[str, str]] = []
lock = threading.Lock()


class SlowSms(sms.BaseBackend):
    def send(self, phone, text):
        time.sleep(0.01)
        with lock:
            sent.append((phone, text))


def together(count: int, work) -> list:
    """Run `work(i)` in `count` threads started at once; their results."""
    start = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def run(i):
        try:
            start.wait()
            results[i] = work(i)
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


@pytest.fixture(autouse=True)
def _postgresql_only(settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions: PostgreSQL (processes on SQLite elsewhere)")
    settings.BANLI_SMS_BACKEND = f"{__name__}.SlowSms"
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    sent.clear()


def test_three_runners_at_once_send_each_sms_exactly_once():
    body = make_body()
    person = reachable(body, "staff", phone="13800138000")
    for n in range(60):
        tell([person], body, text=f"第{n}号")
    results = together(3, lambda i: deliver_due(limit=1000, worker_id=f"runner-{i}"))
    assert sum(r["sent"] for r in results) == 60
    assert len(sent) == 60 and len(set(sent)) == 60
    assert set(Delivery.objects.values_list("state", flat=True)) == {State.SENT}


def test_three_schedulers_at_once_enqueue_a_run_once(monkeypatch):
    class Counting:
        enqueued = 0

        def enqueue(self):
            with lock:
                Counting.enqueued += 1

    monkeypatch.setattr(schedule, "_jobs", {})
    schedule.register("test.race", every=dt.timedelta(minutes=1), task=Counting())
    now = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    results = together(3, lambda i: scheduler.tick(now=now, worker_id=f"w{i}"))
    assert sorted(len(r) for r in results) == [0, 0, 1]
    assert Counting.enqueued == 1
