"""The outbox (发件箱): every notice reaches its reader by e-mail and SMS exactly once,
through rows written with the notice and sent by the runner, retried, and shown to the
office."""

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse

from banli.core import clock
from banli.core.models import HistoryEntry
from banli.delivery import scheduler, services, sms
from banli.delivery.models import Delivery, DeliverySettings, ScheduledRun, State
from banli.delivery.services import deliver_due
from banli.notices.models import Notice

from .factories import make_user
from .factories_h1 import reachable, tell

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=BEIJING)


@pytest.fixture(autouse=True)
def _on_a_march_morning():
    """Notices are written at 9:00 on 2 March 2026 unless a test says otherwise."""
    with clock.frozen(at(2, 9)):
        yield


@pytest.fixture(autouse=True)
def _sms_in_memory(settings):
    settings.BANLI_SMS_BACKEND = "banli.delivery.sms.LocmemBackend"
    settings.BANLI_DELIVERY_BACKOFF_SECONDS = [60, 300]
    settings.BANLI_DELIVERY_MAX_ATTEMPTS = 3
    sms.outbox.clear()
    yield
    sms.outbox.clear()


class FlakySms(sms.BaseBackend):
    """A gateway that refuses the first `fails` messages, then sends."""

    fails = 1
    tried = 0

    def send(self, phone, text):
        FlakySms.tried += 1
        if FlakySms.tried <= FlakySms.fails:
            raise sms.SendFailed("gateway busy (503)")
        sms.outbox.append((phone, text))


@pytest.fixture
def flaky(settings):
    FlakySms.tried = 0
    FlakySms.fails = 1
    settings.BANLI_SMS_BACKEND = f"{__name__}.FlakySms"
    return FlakySms


@pytest.fixture
def leader(world):
    unit = world.units[0]
    return reachable(
        world.body, "unit_leader", unit=unit, email="zhang@zjj.gov.cn", phone="13800138000"
    )


def test_a_notice_writes_its_email_and_sms_in_the_same_transaction(world, leader):
    (notice,) = tell([leader], world.body, url="/items/7/")
    rows = {d.channel: d for d in Delivery.objects.filter(notice=notice)}
    assert set(rows) == {"email", "sms"}
    assert rows["email"].address == "zhang@zjj.gov.cn"
    assert rows["sms"].address == "13800138000"
    assert all(d.state == State.PENDING and d.attempts == 0 for d in rows.values())
    # Nothing is sent inline: only the runner sends.
    assert mail.outbox == [] and sms.outbox == []


def test_a_change_rolled_back_leaves_neither_notice_nor_delivery(world, leader):
    with pytest.raises(RuntimeError), transaction.atomic():
        tell([leader], world.body)
        raise RuntimeError("the step that caused the notice failed")
    assert not Notice.objects.exists()
    assert not Delivery.objects.exists()


def test_people_without_an_address_or_who_turned_a_channel_off_get_only_the_site(world):
    no_address = make_user(world.body, "staff")
    email_only = reachable(world.body, "staff", email="li@rd.gov.cn")
    sms_off = reachable(world.body, "staff", email="wu@rd.gov.cn", phone="13900139000")
    DeliverySettings.objects.create(user=sms_off, email_enabled=True, sms_enabled=False)
    retired = reachable(world.body, "staff", email="old@rd.gov.cn", phone="13700137000")
    retired.is_active = False
    retired.save()
    tell([no_address, email_only, sms_off, retired], world.body)
    assert Notice.objects.count() == 4  # the site's inbox is always on
    sent_to = sorted(Delivery.objects.values_list("address", flat=True))
    assert sent_to == ["li@rd.gov.cn", "wu@rd.gov.cn"]


def test_the_runner_sends_each_delivery_once_with_a_link_to_the_page(world, leader, settings):
    settings.BANLI_SITE_URL = "https://banli.example.gov.cn/"
    tell([leader], world.body, text="第12号建议请尽快签收。", url="/items/12/")
    assert deliver_due(now=at(2, 10)) == {"sent": 2, "failed": 0}
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["zhang@zjj.gov.cn"]
    assert "第12号建议请尽快签收。" in message.body
    assert "https://banli.example.gov.cn/items/12/" in message.body
    phone, text = sms.outbox[0]
    assert phone == "13800138000" and "https://banli.example.gov.cn/items/12/" in text
    # A second run (a re-run, the next sweep) sends nothing again.
    assert deliver_due(now=at(2, 10, 1)) == {"sent": 0, "failed": 0}
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    assert set(Delivery.objects.values_list("state", flat=True)) == {State.SENT}


def test_a_failed_sms_is_retried_after_the_backoff_and_sent_once(world, leader, flaky):
    tell([leader], world.body)
    with_clock = at(2, 10)
    assert deliver_due(now=with_clock) == {"sent": 1, "failed": 1}  # the e-mail went
    row = Delivery.objects.get(channel="sms")
    assert row.state == State.PENDING and row.attempts == 1
    assert row.last_error == "gateway busy (503)"
    assert row.next_attempt_at == with_clock + dt.timedelta(seconds=60)
    # Not before the backoff ends.
    assert deliver_due(now=with_clock + dt.timedelta(seconds=30)) == {"sent": 0, "failed": 0}
    assert deliver_due(now=with_clock + dt.timedelta(seconds=61)) == {"sent": 1, "failed": 0}
    assert deliver_due(now=with_clock + dt.timedelta(hours=1)) == {"sent": 0, "failed": 0}
    assert len(sms.outbox) == 1
    row.refresh_from_db()
    assert row.state == State.SENT and row.attempts == 2 and row.last_error == ""


def test_a_gateway_that_always_fails_ends_as_failed_after_the_limit(world, leader, flaky):
    flaky.fails = 99
    tell([leader], world.body)
    now = at(2, 10)
    for _attempt in range(5):
        deliver_due(now=now)
        now += dt.timedelta(hours=1)
    row = Delivery.objects.get(channel="sms")
    assert row.state == State.FAILED
    assert row.attempts == 3  # BANLI_DELIVERY_MAX_ATTEMPTS in this module
    assert flaky.tried == 3
    assert sms.outbox == []


def test_quiet_hours_hold_email_and_sms_until_they_end(world, leader):
    DeliverySettings.objects.create(
        user=leader,
        email_enabled=True,
        sms_enabled=True,
        phone="13800138000",
        quiet_from=dt.time(22, 0),
        quiet_until=dt.time(7, 30),
    )
    with clock.frozen(at(2, 23, 15)):
        (notice,) = tell([leader], world.body)
    assert Notice.objects.get(pk=notice.pk).read_at is None  # the site shows it at once
    assert {d.next_attempt_at for d in Delivery.objects.all()} == {at(3, 7, 30)}
    assert deliver_due(now=at(3, 2)) == {"sent": 0, "failed": 0}
    assert deliver_due(now=at(3, 7, 30)) == {"sent": 2, "failed": 0}


def test_quiet_hours_within_one_day_and_outside_them():
    noon = (dt.time(12, 0), dt.time(14, 0))
    assert services.quiet_end(at(2, 12, 30), *noon) == at(2, 14)
    assert services.quiet_end(at(2, 14, 0), *noon) is None
    night = (dt.time(22, 0), dt.time(7, 0))
    assert services.quiet_end(at(2, 6, 59), *night) == at(2, 7)
    assert services.quiet_end(at(2, 21, 59), *night) is None
    assert services.quiet_end(at(2, 10), None, None) is None


def test_a_worker_that_died_while_sending_is_not_resent_until_an_admin_says_so(world, leader):
    tell([leader], world.body)
    row = Delivery.objects.get(channel="sms")
    # A worker claimed the row at 10:00 and was killed before it could mark it sent.
    Delivery.objects.filter(pk=row.pk).update(
        state=State.SENDING, claimed_at=at(2, 10), claimed_by="dead-worker", attempts=1
    )
    Delivery.objects.filter(channel="email").update(state=State.SENT)
    assert deliver_due(now=at(2, 10, 5)) == {"sent": 0, "failed": 0}  # within the lease
    assert deliver_due(now=at(2, 11)) == {"sent": 0, "failed": 1}
    row.refresh_from_db()
    assert row.state == State.FAILED and "not resent" in row.last_error
    assert sms.outbox == []
    # The staff check it did not arrive and send it again: recorded, then sent once.
    services.resend(row, by=world.staff)
    entry = HistoryEntry.objects.get(action="resend_delivery")
    assert entry.actor == world.staff
    assert (entry.from_state, entry.to_state) == ("failed", "pending")
    assert deliver_due() == {"sent": 1, "failed": 0}
    assert deliver_due() == {"sent": 0, "failed": 0}
    assert len(sms.outbox) == 1


def test_only_the_bodys_staff_may_resend_and_only_a_failed_delivery(world, other_world, leader):
    from banli.core.errors import InvalidTransition, NotAllowed

    tell([leader], world.body)
    row = Delivery.objects.get(channel="sms")
    with pytest.raises(InvalidTransition):
        services.resend(row, by=world.staff)
    Delivery.objects.filter(pk=row.pk).update(state=State.FAILED)
    row.refresh_from_db()
    for outsider in (other_world.staff, world.deputy, leader, None):
        with pytest.raises(NotAllowed):
            services.resend(row, by=outsider)


def test_a_periodic_job_is_enqueued_once_whichever_scheduler_asks(db, monkeypatch):
    from banli.core import schedule

    monkeypatch.setattr(schedule, "_jobs", {})

    class Counting:
        enqueued = 0

        def enqueue(self):
            Counting.enqueued += 1

    job = schedule.Periodic("test.count", dt.timedelta(minutes=5), Counting())
    schedule._jobs[job.name] = job
    now = at(2, 10)
    assert scheduler.claim(job, now=now, worker_id="a") is True
    assert scheduler.claim(job, now=now, worker_id="b") is False
    # Two schedulers that read the same due run: only one conditional UPDATE matches.
    row = ScheduledRun.objects.get(name=job.name)
    ScheduledRun.objects.filter(pk=row.pk).update(next_run_at=now)
    first = ScheduledRun.objects.filter(pk=row.pk, next_run_at=now).update(
        next_run_at=now + job.every
    )
    second = ScheduledRun.objects.filter(pk=row.pk, next_run_at=now).update(
        next_run_at=now + job.every
    )
    assert (first, second) == (1, 0)
    assert scheduler.tick(now=now + dt.timedelta(minutes=1)) == []
    later = now + dt.timedelta(minutes=5)
    assert "test.count" in scheduler.tick(now=later, worker_id="a")
    assert "test.count" not in scheduler.tick(now=later, worker_id="b")
    assert Counting.enqueued == 1


def test_the_delivery_sweep_is_registered_every_minute():
    from banli.core import schedule

    (sweep,) = [job for job in schedule.jobs() if job.name == "delivery.sweep"]
    assert sweep.every == dt.timedelta(minutes=1)
    assert sweep.task.name == "deliver_outbox"


# Pages --------------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anyone_signed_in_sets_their_own_channels_and_it_is_recorded(world, leader):
    client = client_for(leader)
    page = client.get(reverse("delivery:settings"))
    assert page.status_code == 200
    assert page.context["form"].initial["sms_enabled"] is True  # a phone was known
    answer = client.post(
        reverse("delivery:settings"),
        {
            "email_enabled": "on",
            "phone": "13800138000",
            "quiet_from": "22:00",
            "quiet_until": "07:00",
        },
    )
    assert answer.status_code == 302
    prefs = DeliverySettings.objects.get(user=leader)
    assert (prefs.email_enabled, prefs.sms_enabled) == (True, False)
    assert prefs.quiet_from == dt.time(22) and prefs.quiet_until == dt.time(7)
    entry = HistoryEntry.objects.get(action="delivery_settings")
    assert entry.actor == leader and entry.to_state == "email quiet 22:00-07:00"
    # From now on the notices come by e-mail only.
    tell([leader], world.body)
    assert list(Delivery.objects.values_list("channel", flat=True)) == ["email"]


def test_the_settings_form_refuses_sms_without_a_phone_and_half_quiet_hours(world):
    person = reachable(world.body, "proposer", email="wang@rd.gov.cn")
    client = client_for(person)
    answer = client.post(reverse("delivery:settings"), {"sms_enabled": "on", "quiet_from": "22:00"})
    assert answer.status_code == 200
    form = answer.context["form"]
    assert "phone" in form.errors and "quiet_until" in form.errors
    answer = client.post(reverse("delivery:settings"), {"quiet_from": "25:00"})
    assert answer.status_code == 200 and "quiet_from" in answer.context["form"].errors
    assert not DeliverySettings.objects.exists()
    assert client_for(person).get(reverse("delivery:settings")).status_code == 200
    assert Client().get(reverse("delivery:settings")).status_code == 302  # to the login


def test_the_outbox_shows_the_bodys_deliveries_to_its_staff_only(world, other_world, leader):
    stranger = reachable(other_world.body, "staff", email="x@other.gov.cn")
    tell([stranger], other_world.body, text="另一机关的通知")
    tell([leader], world.body, text="本机关的通知")
    Delivery.objects.filter(body=world.body, channel="sms").update(
        state=State.FAILED, attempts=3, last_error="gateway busy (503)"
    )
    page = client_for(world.staff).get(reverse("delivery:outbox"))
    assert page.status_code == 200
    assert {d.body_id for d in page.context["deliveries"]} == {world.body.pk}
    html = page.content.decode()
    assert "本机关的通知" in html and "另一机关的通知" not in html
    assert "gateway busy (503)" in html
    counts = {code: int(count) for code, _label, count in page.context["counts"]}
    assert counts == {"pending": 1, "sending": 0, "sent": 0, "failed": 1}
    only_failed = client_for(world.staff).get(reverse("delivery:outbox"), {"state": "failed"})
    assert [d.channel for d in only_failed.context["deliveries"]] == ["sms"]
    # A value the filter does not know is no filter, not an error page.
    odd = client_for(world.staff).get(reverse("delivery:outbox"), {"state": "x", "cursor": "!"})
    assert odd.status_code == 200 and len(odd.context["deliveries"]) == 2
    for outsider in (world.deputy, leader, world.auditor):
        assert client_for(outsider).get(reverse("delivery:outbox")).status_code == 403
    admin = make_user(world.body, "body_admin")
    assert client_for(admin).get(reverse("delivery:outbox")).status_code == 200


def test_staff_resend_a_failed_delivery_from_the_outbox(world, other_world, leader):
    tell([leader], world.body)
    failed = Delivery.objects.get(channel="sms")
    Delivery.objects.filter(pk=failed.pk).update(state=State.FAILED, attempts=3)
    url = reverse("delivery:resend", args=[failed.pk])
    # Staff of another body do not find it; a proposer of this body may not resend.
    assert client_for(other_world.staff).post(url).status_code == 404
    assert client_for(world.deputy).post(url).status_code == 403
    answer = client_for(world.staff).post(url)
    assert answer.status_code == 302
    failed.refresh_from_db()
    assert failed.state == State.PENDING and failed.attempts == 0
    # A second press (the row is no longer failed) is refused with a message, not a 500.
    again = client_for(world.staff).post(url, follow=True)
    assert again.status_code == 200
    assert HistoryEntry.objects.filter(action="resend_delivery").count() == 1
    # Another body's delivery is not found from this body.
    tell([reachable(other_world.body, "staff", phone="13600136000")], other_world.body)
    theirs = Delivery.objects.get(body=other_world.body)
    Delivery.objects.filter(pk=theirs.pk).update(state=State.FAILED)
    assert (
        client_for(world.staff).post(reverse("delivery:resend", args=[theirs.pk])).status_code
        == 404
    )


def test_the_outbox_pages_by_keys_newest_first(world, leader):
    for n in range(30):
        tell([leader], world.body, text=f"通知{n}")
    client = client_for(world.staff)
    first = client.get(reverse("delivery:outbox"), {"channel": "email"})
    rows = list(first.context["deliveries"])
    assert len(rows) == 25 and rows[0].notice.params["text"] == "通知29"
    page = first.context["page"]
    assert page.has_next
    second = client.get(page.next_url)
    later = list(second.context["deliveries"])
    assert len(later) == 5 and later[-1].notice.params["text"] == "通知0"


def test_a_lost_kick_is_logged_and_the_change_still_commits(world, leader, monkeypatch, caplog):
    from django.test import TestCase

    from banli.delivery import tasks

    class Unreachable:
        def enqueue(self):
            raise ConnectionError("the queue does not answer")

    monkeypatch.setattr(tasks, "deliver_outbox", Unreachable())
    monkeypatch.setattr(services, "_already_waiting", lambda task: False)
    with caplog.at_level("WARNING"), TestCase.captureOnCommitCallbacks(execute=True) as kicks:
        tell([leader], world.body)
    assert len(kicks) == 1
    assert "could not queue the delivery task" in caplog.text
    # The rows are there for the sweep.
    assert Delivery.objects.filter(state=State.PENDING).count() == 2


def test_one_transaction_of_many_notices_kicks_the_worker_once(world, leader):
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks() as callbacks, transaction.atomic():
        for n in range(5):
            tell([leader], world.body, text=f"通知{n}")
    assert [c.__name__ for c in callbacks] == ["_kick"]


def test_the_email_is_written_in_the_sites_language_whatever_the_worker_speaks(
    world, leader, settings
):
    from django.utils import translation

    tell([leader], world.body, text="请签收。")
    with translation.override("zh-hans"):
        deliver_due(now=at(2, 10))
    (message,) = mail.outbox
    assert message.subject == "banli: Notice"  # LANGUAGE_CODE is English in the suite


def test_the_deliveries_are_read_only_in_the_django_admin(world, leader, admin_client):
    tell([leader], world.body)
    row = Delivery.objects.first()
    assert admin_client.get(reverse("admin:delivery_delivery_changelist")).status_code == 200
    assert (
        admin_client.get(reverse("admin:delivery_delivery_change", args=[row.pk])).status_code
        == 200
    )
    assert admin_client.get(reverse("admin:delivery_delivery_add")).status_code == 403


class _Gateway:
    """A local HTTP server standing in for an SMS provider."""

    def __init__(self, status: int):
        import http.server
        import json
        import threading

        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.headers["Authorization"], json.loads(body)))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_real_gateway_is_one_class_posting_json_with_a_token(settings):
    settings.BANLI_SMS_GATEWAY_TOKEN = "s3cret"
    ok = _Gateway(200)
    try:
        settings.BANLI_SMS_GATEWAY_URL = ok.url
        sms.HttpGatewayBackend().send("13800138000", "请签收。")
        assert ok.received == [("Bearer s3cret", {"phone": "13800138000", "text": "请签收。"})]
    finally:
        ok.close()
    busy = _Gateway(503)
    try:
        settings.BANLI_SMS_GATEWAY_URL = busy.url
        with pytest.raises(sms.SendFailed, match="503"):
            sms.HttpGatewayBackend().send("13800138000", "请签收。")
    finally:
        busy.close()
    settings.BANLI_SMS_GATEWAY_URL = "http://127.0.0.1:9/nothing-listens"
    with pytest.raises(sms.SendFailed, match="not reached"):
        sms.HttpGatewayBackend().send("13800138000", "请签收。")
