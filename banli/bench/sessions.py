"""Logged-in sessions for the load generator, written straight into the session store.

The login form is not used: its lockout (django-axes) and a second factor would interfere
with a load of thousands of requests, and logging in is not what is measured. A session
holds what a real login leaves behind, so every page runs the same middleware as for a
user who typed a password:
- django.contrib.auth's user id, backend and password hash (AuthenticationMiddleware);
- banli's record of the session (accounts.services.start_session: start, last seen, whether
  a new password is owed) and its LoginSession row, so AccountSecurityMiddleware lets it on;
- the body the user works in (bodies.middleware.SESSION_KEY).
The CSRF cookie is a fresh secret; the POST's token is read from the form it renders.

Needs Django set up against the benchmark's database (the runner does that)."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils import timezone
from django.utils.module_loading import import_string

from banli.accounts import services as account_services
from banli.accounts.models import AccountSecurity, LoginSession
from banli.bodies.middleware import SESSION_KEY as BODY_SESSION_KEY

BACKEND = "django.contrib.auth.backends.ModelBackend"
USER_AGENT = "banli-bench (wrk)"


@dataclass(frozen=True)
class BenchSession:
    role: str
    username: str
    session_key: str
    csrf_secret: str

    @property
    def cookie(self) -> str:
        return (
            f"{settings.SESSION_COOKIE_NAME}={self.session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={self.csrf_secret}"
        )


def csrf_secret() -> str:
    """A CSRF cookie value as Django makes them (32 letters and digits)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


def create_session(role: str, username: str, body_id: int | None) -> BenchSession:
    user = get_user_model().objects.get(username=username)
    store = import_string(settings.SESSION_ENGINE + ".SessionStore")()
    now = timezone.now()
    stamp = int(now.timestamp())
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = BACKEND
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[account_services.SESSION_STARTED] = stamp
    store[account_services.SESSION_SEEN] = stamp
    store[account_services.SESSION_MUST_CHANGE] = AccountSecurity.objects.filter(
        user=user, must_change_password=True
    ).exists()
    if body_id is not None:
        store[BODY_SESSION_KEY] = int(body_id)
    store.create()
    LoginSession.objects.update_or_create(
        session_key=store.session_key,
        defaults={
            "user": user,
            "started_at": now,
            "last_seen_at": now,
            "address": "127.0.0.1",
            "user_agent": USER_AGENT,
        },
    )
    return BenchSession(role, username, store.session_key, csrf_secret())


def create_sessions(manifest: dict, roles) -> dict[str, BenchSession]:
    """One session per role named in `roles`, each in the manifest's target body."""
    body_id = manifest.get("target", {}).get("body_id")
    users = dict(manifest["users_by_role"])
    # A manifest written before the submitter had its own deputy: the deputy posts.
    users.setdefault("submitter", users["deputy"])
    return {role: create_session(role, users[role], body_id) for role in sorted(set(roles))}
