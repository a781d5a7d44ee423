"""Login throttling: ten wrong passwords in a row lock the account and, apart, the address;
a locked login is refused before any password is checked; the lock ends after the cool-off
or when an admin lifts it."""

import datetime as dt
import logging

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse

from banli.accounts.clients import client_address

from .factories import make_user

PASSWORD = "pw-banli-2026"  # tests.factories.make_user


class CountingHasher(MD5PasswordHasher):
    """The suite's fast hasher, counting how often a password is compared."""

    compared = 0

    def verify(self, password, encoded):
        CountingHasher.compared += 1
        return super().verify(password, encoded)


@pytest.fixture
def counting(settings):
    settings.PASSWORD_HASHERS = ["tests.test_accounts_login.CountingHasher"]
    CountingHasher.compared = 0
    return CountingHasher


def log_in(client, username, password=PASSWORD, address="10.1.1.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def logged_in(client) -> bool:
    return client.get(reverse("accounts:account")).status_code == 200


def fail_ten_times(client, username, address="10.1.1.1"):
    responses = [log_in(client, username, "wrong-password", address) for _ in range(10)]
    assert [r.status_code for r in responses] == [200] * 9 + [429]
    return responses[-1]


def test_the_eleventh_wrong_password_is_refused_without_checking_it(client, world, counting):
    user = make_user(world.body, "staff")
    first = log_in(client, user.username, "wrong-password")
    assert first.status_code == 200
    assert "correct username and password" in first.content.decode()
    for _ in range(8):
        log_in(client, user.username, "wrong-password")
    tenth = log_in(client, user.username, "wrong-password")
    assert tenth.status_code == 429
    assert "paused for 30 minutes" in tenth.content.decode()
    assert counting.compared == 10

    eleventh = log_in(client, user.username, "still-wrong")
    assert eleventh.status_code == 429
    # The lock is checked first: the right password from another address changes nothing,
    # and no password was compared at all.
    right = log_in(Client(), user.username, PASSWORD, address="10.9.9.9")
    assert right.status_code == 429
    assert counting.compared == 10
    assert not logged_in(client)


def test_the_right_password_works_again_after_the_cool_off(client, world):
    user = make_user(world.body, "staff")
    fail_ten_times(client, user.username)
    assert log_in(client, user.username).status_code == 429
    # 31 minutes pass (AXES_COOLOFF_TIME is 30 minutes).
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=31))
    response = log_in(client, user.username)
    assert response.status_code == 302
    assert logged_in(client)
    # A success starts the count again: nine more failures do not lock.
    other = Client()
    for _ in range(9):
        assert log_in(other, user.username, "wrong-password").status_code == 200


def test_an_admin_lifts_the_lock_on_the_help_desk(client, world):
    user = make_user(world.body, "staff")
    fail_ten_times(Client(), user.username)
    admin = get_user_model().objects.create_superuser("root", "r@example.org", PASSWORD)
    client.force_login(admin)
    desk = client.get(reverse("accounts:support"))
    assert desk.status_code == 200
    assert [(lock["kind"], lock["value"]) for lock in desk.context["lockouts"]] == [
        ("account", user.username),
        ("address", "10.1.1.1"),
    ]
    assert desk["Cache-Control"].count("no-store")
    response = client.post(reverse("accounts:unlock"), {"kind": "account", "value": user.username})
    assert response.status_code == 302
    after = client.get(reverse("accounts:support"))
    assert f"The lock on {user.username} was lifted." in after.content.decode()
    assert after.context["lockouts"] == []
    assert log_in(Client(), user.username).status_code == 302


def test_the_reset_command_lifts_the_lock(world):
    user = make_user(world.body, "staff")
    fail_ten_times(Client(), user.username)
    call_command("axes_reset_username", user.username)
    assert log_in(Client(), user.username).status_code == 302


def test_only_superusers_open_the_help_desk(client, world):
    client.force_login(world.staff)
    assert client.get(reverse("accounts:support")).status_code == 403
    response = client.post(reverse("accounts:unlock"), {"kind": "account", "value": "x"})
    assert response.status_code == 403


def test_ten_failures_from_one_address_lock_the_address_for_every_account(world):
    attacker = Client()
    for n in range(10):
        log_in(attacker, f"guess{n}", "wrong-password", address="10.6.6.6")
    assert log_in(Client(), world.staff.username, address="10.6.6.6").status_code == 429
    assert log_in(Client(), world.staff.username, address="10.7.7.7").status_code == 302


def test_the_lockout_page_speaks_chinese(client, world, zh_catalog, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    message = (
        "There were too many failed attempts to log in to this account or from this "
        "address. Logging in is paused for {{ minutes }} minutes."
    )
    zh_catalog({"Login paused": "登录已暂停", message: "暂停登录 {{ minutes }} 分钟。"})
    user = make_user(world.body, "staff")
    page = fail_ten_times(client, user.username)
    assert "登录已暂停" in page.content.decode()


def test_logins_failures_and_lockouts_are_security_events(client, world, caplog):
    caplog.set_level(logging.INFO, logger="banli.security")
    user = make_user(world.body, "staff")
    log_in(client, user.username)
    client.post(reverse("logout"))
    fail_ten_times(client, user.username, address="10.2.2.2")
    events = [r.security_event for r in caplog.records if hasattr(r, "security_event")]
    # Logins, failures and logouts are core's (one row and one line each, from the auth
    # signals); the lockout is the accounts' own line.
    kinds = [e["kind"] if isinstance(e, dict) else e for e in events]
    assert kinds[:2] == ["login", "logout"]
    assert kinds.count("login_failed") == 10
    assert kinds[-1] == "login.locked_out"
    failed = next(e for e in events if isinstance(e, dict) and e["kind"] == "login_failed")
    assert failed["ip_address"] == "10.2.2.2" and failed["username"] == user.username
    assert "wrong-password" not in caplog.text


def test_the_admin_login_leads_to_the_one_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/"


def test_behind_trusted_proxies_the_client_is_read_from_the_right(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.5, 10.0.0.9")
    request.META["REMOTE_ADDR"] = "10.0.0.1"
    settings.BANLI_BEHIND_PROXY = False
    assert client_address(request) == "10.0.0.1"  # the header proves nothing
    settings.BANLI_BEHIND_PROXY, settings.BANLI_PROXY_HOPS = True, 1
    assert client_address(request) == "10.0.0.9"
    settings.BANLI_PROXY_HOPS = 2
    assert client_address(request) == "10.0.0.5"  # never the client's own 6.6.6.6
    settings.BANLI_PROXY_HOPS = 5
    assert client_address(request) == "10.0.0.1"


def test_a_lockout_is_stored_in_the_security_log(client, world):
    from banli.core.models import SecurityEvent

    for _ in range(11):
        client.post(reverse("login"), {"username": world.staff.username, "password": "wrong"})
    stored = SecurityEvent.objects.filter(kind="lockout", username=world.staff.username)
    assert stored.exists()
    assert stored.first().data["event"] == "login.locked_out"
    assert SecurityEvent.objects.filter(kind="login_failed").count() >= 10
