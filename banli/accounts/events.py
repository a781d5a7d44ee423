"""Security events: logins, failures, lockouts, two-factor and password changes, session ends.

Every such event goes through `security_event`, so the security-event log (issue 14,
"Logging") can take them from one place. For now it writes one line to the `banli.security`
logger; the kinds are dotted names (`login.failed`, `2fa.enrolled`…) listed in KINDS."""

import logging

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


def security_event(kind: str, *, user=None, request=None, **data) -> None:
    """Record that `kind` happened to `user` (or to the username in `data`), from the
    request's address. `data` holds small JSON-able facts (a username tried, a count);
    never a password, a code or a session key."""
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
