"""The security log (安全审计日志): one call, `record_security_event(kind, ...)`, writes a row of
`SecurityEvent` and a line to the "banli.security" logger.

Recorded from Django's login signals, the 403 page, the DomainError middleware, the admin's
change log, and from the apps for 2FA, password changes, lockouts and exports. An event only
records what happened; it never changes a domain object.
"""

import contextlib
import contextvars
import ipaddress
import logging
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction

from .models import SecurityEvent, SecurityEventKind

logger = logging.getLogger("banli.security")

USER_AGENT_LENGTH = SecurityEvent._meta.get_field("user_agent").max_length or 300
PATH_LENGTH = SecurityEvent._meta.get_field("path").max_length or 300
USERNAME_LENGTH = SecurityEvent._meta.get_field("username").max_length or 150

_current_request: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "banli_current_request", default=None
)


def current_request():
    """The request being served (set by SecurityContextMiddleware), for events recorded
    where no request is at hand: the admin's change log is written from a signal."""
    return _current_request.get()


def client_ip(request) -> str | None:
    """The client's address. Behind a proxy (BANLI_BEHIND_PROXY=1) it is the entry that the
    nearest trusted proxy appended to X-Forwarded-For (BANLI_PROXY_HOPS counts them);
    entries further left were written by the client and prove nothing."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "BANLI_BEHIND_PROXY", False):
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        hops = max(1, getattr(settings, "BANLI_PROXY_HOPS", 1))
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _printable(text: str) -> str:
    """A username or path as one log line: a client's newline must not forge another."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _request_user(request):
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def _body_id(body) -> int | None:
    if body is None:
        return None
    if isinstance(body, int):
        return body
    return getattr(body, "pk", None)


# `kind` is a SecurityEventKind, typed Any: without django-stubs, mypy sees its members as tuples.
def record_security_event(
    kind: Any,
    *,
    request=None,
    user=None,
    body=None,
    username: str = "",
    log: bool = True,
    **data,
) -> SecurityEvent | None:
    """Record one security event, in the database and in the "banli.security" log.

    `user` defaults to the request's authenticated user; `username` to that user's name (give
    it for a failed login, whose account may not exist). `body` is a body or its id. Every
    other keyword goes to the row's details: never pass a password or a token.

    `log=False` stores the row only, for a caller that logs the event in its own words.
    A failure to write the row is logged, never raised: a login must not fail because the
    audit table is unwritable, and the log line still says what happened."""
    if kind not in SecurityEventKind.values:
        raise ValueError(f"unknown security event kind: {kind!r}")
    request = request if request is not None else current_request()
    user = user if user is not None else _request_user(request)
    if user is not None and not getattr(user, "pk", None):
        user = None  # an unsaved or anonymous user cannot be referenced
    username = (username or (user.get_username() if user is not None else ""))[:USERNAME_LENGTH]
    event = SecurityEvent(
        kind=kind,
        user=user,
        username=username,
        body_id=_body_id(body),
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH] if request else "",
        path=request.path[:PATH_LENGTH] if request is not None else "",
        data=data,
    )
    saved: SecurityEvent | None = event
    try:
        # A savepoint: a failed insert must not break the caller's transaction.
        with transaction.atomic():
            event.save(force_insert=True)
    except DatabaseError:
        logger.exception("could not store the security event %s", kind)
        saved = None
    if not log:  # the caller writes its own, more specific log line
        return saved
    logger.info(
        "%s user=%s ip=%s path=%s %s",
        kind,
        _printable(username) or "-",
        event.ip_address or "-",
        _printable(event.path) or "-",
        " ".join(f"{key}={value!r}" for key, value in sorted(data.items())),
        extra={
            "security_event": {
                "kind": kind,
                "username": username,
                "user_id": user.pk if user is not None else None,
                "body_id": event.body_id,
                "ip_address": event.ip_address,
                "path": event.path,
                "data": data,
            }
        },
    )
    return saved


@contextlib.contextmanager
def serving(request):
    """Makes `request` the current request for the block (SecurityContextMiddleware)."""
    token = _current_request.set(request)
    try:
        yield request
    finally:
        _current_request.reset(token)


# ---------------------------------------------------------------------------------------------
# Receivers, connected in CoreConfig.ready(): they record and change nothing else.


def on_logged_in(sender, request, user, **kwargs) -> None:
    record_security_event(SecurityEventKind.LOGIN, request=request, user=user)


def on_logged_out(sender, request, user, **kwargs) -> None:
    record_security_event(SecurityEventKind.LOGOUT, request=request, user=user)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """A wrong password (Django has already replaced it with stars in `credentials`). The row
    names the account tried when it exists, so an account's failures are one query."""
    from django.contrib.auth import get_user_model

    model = get_user_model()
    typed = str(credentials.get(model.USERNAME_FIELD) or credentials.get("username") or "")
    account = model._default_manager.filter(**{model.USERNAME_FIELD: typed}).first()
    record_security_event(
        SecurityEventKind.LOGIN_FAILED,
        request=request,
        user=account,
        username=typed,
        account_exists=account is not None,
    )


_admin_bulk_action: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "banli_admin_bulk_action", default=False
)
ADMIN_ACTIONS = {1: "addition", 2: "change", 3: "deletion"}


def on_admin_log_entry(sender, instance, created, raw=False, **kwargs) -> None:
    """Every change made in Django's admin (its LogEntry), as a security event."""
    if not created or raw or _admin_bulk_action.get():
        return
    content_type = instance.content_type
    record_security_event(
        SecurityEventKind.ADMIN_ACTION,
        user=instance.user,
        action=ADMIN_ACTIONS.get(instance.action_flag, str(instance.action_flag)),
        model=f"{content_type.app_label}.{content_type.model}" if content_type else "",
        object_id=str(instance.object_id),  # the admin's log keeps it as text
        object=instance.object_repr,
        change=instance.change_message,
    )


@contextlib.contextmanager
def admin_bulk_action():
    """The admin writes the change log of a bulk deletion with bulk_create, which sends no
    signal: the audited action records one event for the whole batch instead."""
    token = _admin_bulk_action.set(True)
    try:
        yield
    finally:
        _admin_bulk_action.reset(token)
