"""Security events: logins, failures, lockouts, two-factor and password changes, session ends.

Every such event goes through `security_event`: one line to the `banli.security` logger in
the accounts' own words (dotted kinds such as `login.failed`, `2fa.enrolled`, listed in
KINDS), and one row of the security-event log (`core.security.record_security_event`) under
the log's kind, the dotted kind kept in its details. Logins, failed passwords and logouts
are stored by core's receivers of Django's auth signals, so they are only logged here."""

import logging

from banli.core.models import SecurityEventKind as Kind
from banli.core.security import record_security_event

from .clients import client_address

logger = logging.getLogger("banli.security")

KINDS = {
    "login",
    "login.failed",
    "login.locked_out",
    "logout",
    "lockout.reset",
    "2fa.enrolled",
    "2fa.disabled",
    "2fa.failed",
    "2fa.recovery_code_used",
    "2fa.recovery_codes_renewed",
    "password.changed",
    "password.reset_issued",
    "password.reset_done",
    "session.idle_timeout",
    "session.expired",
    "session.others_ended",
}


# dotted kind -> the security-event log's kind (None: core's auth-signal receivers store it).
STORED_AS = {
    "login": None,
    "login.failed": None,
    "logout": None,
    "login.locked_out": Kind.LOCKOUT,
    "lockout.reset": Kind.ADMIN_ACTION,
    "2fa.enrolled": Kind.TWO_FACTOR_ENROLLED,
    "2fa.disabled": Kind.TWO_FACTOR_DISABLED,
    "2fa.failed": Kind.LOGIN_FAILED,
    "2fa.recovery_code_used": Kind.LOGIN,
    "2fa.recovery_codes_renewed": Kind.TWO_FACTOR_ENROLLED,
    "password.changed": Kind.PASSWORD_CHANGED,
    "password.reset_issued": Kind.PASSWORD_RESET,
    "password.reset_done": Kind.PASSWORD_CHANGED,
    "session.idle_timeout": Kind.LOGOUT,
    "session.expired": Kind.LOGOUT,
    "session.others_ended": Kind.LOGOUT,
}


def security_event(kind: str, *, user=None, request=None, **data) -> None:
    """Record that `kind` happened to `user` (or to the username in `data`), from the
    request's address. `data` holds small JSON-able facts (a username tried, a count);
    never a password, a code or a session key."""
    stored_as = STORED_AS.get(kind)
    if kind in STORED_AS and stored_as is None:
        return  # core's receivers of the auth signals log and store it already
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    address = client_address(request) if request is not None else None
    logger.info(
        "%s user=%s address=%s %s",
        kind,
        user.username if user is not None else data.get("username", "-"),
        address or "-",
        " ".join(f"{key}={value}" for key, value in sorted(data.items())),
        extra={
            "security_event": kind,
            "user_id": user.pk if user is not None else None,
            "address": address,
            "data": data,
        },
    )
    if stored_as is not None:
        record_security_event(
            stored_as,
            request=request,
            user=user,
            username=str(data.get("username", "")),
            log=False,
            event=kind,
            **{key: value for key, value in data.items() if key != "username"},
        )
