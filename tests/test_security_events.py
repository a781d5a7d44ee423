"""The security log: logins, failures, logouts, refusals and admin changes are recorded with
who, from where and when, in the database and in the "banli.security" log, and no one can
change or delete them."""

import datetime as dt
import json
import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.test import RequestFactory
from django.urls import reverse

from banli.core.errors import NotAllowed
from banli.core.middleware import DomainErrorMiddleware
from banli.core.models import AppendOnlyError, CalendarDay, SecurityEvent
from banli.core.security import client_ip, record_security_event

from .factories import membership_of

PASSWORD = "pw-banli-2026"  # tests.factories.make_user
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) banli-test"


@pytest.fixture
def security_log():
    """The records the "banli.security" logger emits (it does not propagate to the root)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger("banli.security")
    handler = Keep(level=logging.INFO)
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def events(kind):
    return list(SecurityEvent.objects.filter(kind=kind).order_by("id"))


def log_in(client, username, password):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        HTTP_USER_AGENT=BROWSER,
        REMOTE_ADDR="10.1.2.3",
    )


def test_a_login_is_recorded_with_who_where_and_when(client, world, security_log):
    response = log_in(client, world.staff.username, PASSWORD)
    assert response.status_code == 302
    [event] = events("login")
    assert (event.user, event.username) == (world.staff, world.staff.username)
    assert (event.ip_address, event.user_agent, event.path) == ("10.1.2.3", BROWSER, "/login/")
    assert event.at is not None
    [line] = [r for r in security_log if r.getMessage().startswith("login ")]
    assert (
        f"user={world.staff.username}" in line.getMessage() and "ip=10.1.2.3" in line.getMessage()
    )


def test_a_failed_login_names_the_account_tried_and_never_the_password(client, world, security_log):
    response = log_in(client, world.staff.username, "wrong-password-1")
    assert response.status_code == 200
    log_in(client, "nobody-of-that-name", "wrong-password-2")
    tried, unknown = events("login_failed")
    assert (tried.user, tried.username, tried.data) == (
        world.staff,
        world.staff.username,
        {"account_exists": True},
    )
    assert (unknown.user, unknown.username, unknown.data) == (
        None,
        "nobody-of-that-name",
        {"account_exists": False},
    )
    assert unknown.ip_address == "10.1.2.3"
    stored = json.dumps([e.data for e in SecurityEvent.objects.all()])
    logged = " ".join(r.getMessage() for r in security_log)
    for secret in ("wrong-password-1", "wrong-password-2"):
        assert secret not in stored and secret not in logged
    assert not events("login")


def test_a_logout_is_recorded(client, world):
    log_in(client, world.deputy.username, PASSWORD)
    client.post(reverse("logout"), REMOTE_ADDR="10.1.2.3")
    [event] = events("logout")
    assert (event.user, event.ip_address) == (world.deputy, "10.1.2.3")


def test_a_refused_page_is_a_permission_denied_event(client, world, security_log):
    client.force_login(world.deputy)
    response = client.get(reverse("items:review"), REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 403
    [event] = events("permission_denied")
    assert (event.user, event.path, event.ip_address) == (
        world.deputy,
        reverse("items:review"),
        "10.9.9.9",
    )
    assert event.body_id == membership_of(world.deputy).body_id
    assert any(r.getMessage().startswith("permission_denied ") for r in security_log)


def test_a_service_s_refusal_reaching_the_middleware_is_recorded(world):
    request = RequestFactory().post("/items/1/act/", REMOTE_ADDR="10.4.4.4")
    request.user = world.cosigner
    response = DomainErrorMiddleware(lambda r: None).process_exception(
        request, NotAllowed("Only the lead proposer may withdraw the item.")
    )
    assert response.status_code == 403
    [event] = events("permission_denied")
    assert (event.user, event.ip_address) == (world.cosigner, "10.4.4.4")
    assert event.data == {
        "reason": "Only the lead proposer may withdraw the item.",
        "error": "NotAllowed",
    }


def admin(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    client.force_login(user)
    return user


def test_a_change_in_the_admin_is_an_admin_action(client, db):
    root = admin(client)
    response = client.post(
        reverse("admin:core_calendarday_add"),
        {"date": "2026-10-10", "is_working_day": "on", "name": "调休"},
        REMOTE_ADDR="10.7.7.7",
    )
    assert response.status_code == 302
    day = CalendarDay.objects.get(date=dt.date(2026, 10, 10))
    [event] = events("admin_action")
    assert (event.user, event.ip_address) == (root, "10.7.7.7")
    assert event.data["action"] == "addition"
    assert (event.data["model"], event.data["object_id"]) == ("core.calendarday", str(day.pk))


def test_a_bulk_deletion_in_the_admin_is_one_admin_action(client, db):
    root = admin(client)
    days = [
        CalendarDay.objects.create(date=dt.date(2026, 10, n), is_working_day=True) for n in (10, 11)
    ]
    response = client.post(
        reverse("admin:core_calendarday_changelist"),
        {"action": "delete_selected", "_selected_action": [d.pk for d in days], "post": "yes"},
        REMOTE_ADDR="10.7.7.7",
    )
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()
    [event] = events("admin_action")
    assert (event.user, event.ip_address, event.data["action"]) == (root, "10.7.7.7", "deletion")
    assert sorted(pk for pk, _name in event.data["objects"]) == sorted(str(d.pk) for d in days)


def test_the_security_log_cannot_be_changed_or_deleted_through_the_orm(world):
    event = record_security_event("login", user=world.staff)
    event.data = {"forged": True}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.filter(pk=event.pk).update(kind="logout")
    with pytest.raises(AppendOnlyError):
        SecurityEvent.objects.all().delete()
    assert SecurityEvent.objects.get(pk=event.pk).data == {}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_to_change_or_delete_an_event_whoever_asks(world):
    event = record_security_event("login", user=world.staff)
    for statement in (
        "UPDATE core_securityevent SET kind = 'logout' WHERE id = %s",
        "DELETE FROM core_securityevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])
    assert SecurityEvent.objects.get(pk=event.pk).kind == "login"


def test_the_admin_shows_the_log_but_cannot_change_or_delete_it(client, world):
    event = record_security_event("login", user=world.staff)
    admin(client)
    changelist = reverse("admin:core_securityevent_changelist")
    assert client.get(changelist).status_code == 200
    found = client.get(changelist, {"q": world.staff.username})
    assert found.status_code == 200 and world.staff.username in found.content.decode()
    assert client.get(changelist, {"q": "10.1."}).status_code == 200
    delete = reverse("admin:core_securityevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    # "Delete selected" is not offered: the admin refuses the action.
    client.post(
        reverse("admin:core_securityevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    client.post(reverse("admin:core_securityevent_change", args=[event.pk]), {"kind": "logout"})
    assert SecurityEvent.objects.get(pk=event.pk).kind == "login"


def test_an_account_with_security_events_cannot_be_deleted(world):
    record_security_event("login", user=world.staff)
    with pytest.raises(ProtectedError):
        world.staff.delete()


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(settings):
    factory = RequestFactory()
    request = factory.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.5.5.5")
    assert client_ip(request) == "10.0.0.1"  # a client may write any X-Forwarded-For
    settings.BANLI_BEHIND_PROXY = True
    assert client_ip(request) == "10.5.5.5"  # the entry the trusted proxy appended
    settings.BANLI_PROXY_HOPS = 2
    assert client_ip(request) == "1.2.3.4"
    settings.BANLI_PROXY_HOPS = 1
    assert client_ip(factory.get("/", HTTP_X_FORWARDED_FOR="not-an-address")) is None
