"""Account security use cases: who needs a second factor, enrolment and recovery codes,
password changes and admin-issued resets, session lifetimes and ending sessions, unlocking.

Rules (docs/authentication.md):
- Staff, unit leaders and admins need two-factor authentication where their body's rules
  say so (`BodyRules.require_2fa`); everyone else may enrol. An admin of the platform
  (superuser or admin-site account) needs it as soon as any body requires it: the platform is
  as strict as its strictest body.
- A session ends after `BodyRules.idle_timeout_minutes` without a request for office roles,
  `proposer_idle_timeout_minutes` for deputies and members (the strictest of the user's
  bodies), BANLI_ADMIN_IDLE_MINUTES for an account in no body; and BANLI_SESSION_MAX_HOURS
  after the login whatever happens.
"""

import datetime as dt
import secrets
import string

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import Max, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from banli.bodies.access import memberships_of
from banli.bodies.models import Body, BodyRules, Role
from banli.bodies.services import manages_account
from banli.core.errors import NotAllowed, ValidationFailed

from .clients import client_address
from .events import security_event
from .models import AccountSecurity, LoginSession

# Roles whose accounts need a second factor where the body requires it: they decide on and
# sign other people's items, or hand out those rights (a body's administrator).
TWO_FACTOR_ROLES = frozenset({Role.STAFF, Role.UNIT_LEADER, Role.BODY_ADMIN})
RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"

# Keys of the session's own record of itself (set at login, read by the middleware).
SESSION_STARTED = "banli_started"
SESSION_SEEN = "banli_seen"
SESSION_MUST_CHANGE = "banli_must_change_password"


def is_admin(user) -> bool:
    return bool(user.is_superuser or user.is_staff)


def two_factor_required(user) -> bool:
    """Whether `user` must log in with a second factor (see the module's rules)."""
    if not user.is_authenticated:
        return False
    for membership in memberships_of(user):
        if set(membership.roles) & TWO_FACTOR_ROLES and membership.body.rules.require_2fa:
            return True
    if is_admin(user):
        return (
            BodyRules.objects.filter(require_2fa=True).exists()
            or Body.objects.filter(rule_set__isnull=True).exists()
        )
    return False


def has_two_factor(user) -> bool:
    """Whether `user` has a confirmed authenticator app."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def idle_timeout(user) -> dt.timedelta:
    """How long a session of `user` may sit idle: the strictest of the user's bodies."""
    minutes = []
    for membership in memberships_of(user):
        rules = membership.body.rules
        office = set(membership.roles) - {Role.PROPOSER}
        minutes.append(
            rules.idle_timeout_minutes if office else rules.proposer_idle_timeout_minutes
        )
    if is_admin(user) or not minutes:
        minutes.append(settings.BANLI_ADMIN_IDLE_MINUTES)
    return dt.timedelta(minutes=min(minutes))


def security_of(user) -> AccountSecurity:
    return AccountSecurity.objects.get_or_create(user=user)[0]


# Sessions ------------------------------------------------------------------------------


def start_session(request, user) -> None:
    """Note the session's start and the user's duties in it, and list it among the user's
    open sessions. Called right after the login (and by the middleware for a session that
    began another way, such as a test's force_login)."""
    now = timezone.now()
    session = request.session
    if session.session_key is None:
        session.save()
    session[SESSION_STARTED] = session[SESSION_SEEN] = int(now.timestamp())
    session[SESSION_MUST_CHANGE] = AccountSecurity.objects.filter(
        user=user, must_change_password=True
    ).exists()
    LoginSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "started_at": now,
            "last_seen_at": now,
            "address": client_address(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
        },
    )


def session_expiry(request, user) -> str | None:
    """Why the session has ended ("session.idle_timeout" or "session.expired"), or None;
    otherwise notes the request as activity."""
    session = request.session
    now = int(timezone.now().timestamp())
    started = session.get(SESSION_STARTED, now)
    seen = session.get(SESSION_SEEN, now)
    if now - started > settings.BANLI_SESSION_MAX_HOURS * 3600:
        return "session.expired"
    if now - seen > idle_timeout(user).total_seconds():
        return "session.idle_timeout"
    # Write the session at most once a minute, not on every request.
    if now - seen >= 60:
        session[SESSION_SEEN] = now
        LoginSession.objects.filter(session_key=session.session_key).update(
            last_seen_at=timezone.now()
        )
    return None


def _session_store() -> type[SessionBase]:
    return import_string(settings.SESSION_ENGINE + ".SessionStore")


def _end_sessions(sessions) -> int:
    store = _session_store()
    keys = list(sessions.values_list("session_key", flat=True))
    for key in keys:
        store(session_key=key).delete()
    sessions.delete()
    return len(keys)


def open_sessions(user):
    """The user's sessions that are still open, most recent first (ended ones are dropped)."""
    store = _session_store()
    rows = list(LoginSession.objects.filter(user=user).order_by("-last_seen_at"))
    gone = [row.pk for row in rows if not store().exists(row.session_key)]
    if gone:
        LoginSession.objects.filter(pk__in=gone).delete()
    return [row for row in rows if row.pk not in gone]


def end_other_sessions(request) -> int:
    """Log the user out everywhere but here ("log out my other sessions")."""
    user = request.user
    count = _end_sessions(
        LoginSession.objects.filter(user=user).exclude(session_key=request.session.session_key)
    )
    security_event("session.others_ended", user=user, request=request, count=count)
    return count


def end_all_sessions(user) -> int:
    return _end_sessions(LoginSession.objects.filter(user=user))


def forget_session(request) -> None:
    """At logout: the session is no longer open."""
    if request.session.session_key:
        LoginSession.objects.filter(session_key=request.session.session_key).delete()


# Two-factor authentication -------------------------------------------------------------


def pending_device(user) -> TOTPDevice:
    """The authenticator being set up (created on first use; its secret stays until it is
    confirmed, so a reload shows the same QR code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def _new_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@transaction.atomic
def confirm_enrolment(request, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the authenticator with a code it shows; returns the ten recovery codes, to be
    shown once. The session counts as verified from now on."""
    user = request.user
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if device.confirmed:
        raise ValidationFailed(_("This authenticator is already set up."))
    if not device.verify_token(token.strip()):
        security_event("2fa.failed", user=user, request=request, step="enrolment")
        raise ValidationFailed(_("The code is not right. Check the time on your phone."))
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    otp_login(request, device)
    security_event("2fa.enrolled", user=user, request=request)
    return codes


@transaction.atomic
def renew_recovery_codes(request) -> list[str]:
    user = request.user
    if not has_two_factor(user):
        raise ValidationFailed(_("Set up two-factor authentication first."))
    codes = _new_recovery_codes(user)
    security_event("2fa.recovery_codes_renewed", user=user, request=request)
    return codes


def disable_two_factor(request) -> None:
    """The user turns two-factor authentication off, where it is not required."""
    user = request.user
    if two_factor_required(user):
        raise NotAllowed(_("Your body requires two-factor authentication for your account."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
    security_event("2fa.disabled", user=user, request=request)


def verify_second_factor(request, user, token: str):
    """The device that accepts `token` (an authenticator code or an unused recovery code,
    which is then used up), or None. django-otp throttles repeated failures per device."""
    token = token.strip().replace(" ", "").replace("-", "")
    if not token:
        return None
    # Six digits are an authenticator code, anything else a recovery code: each is tried on
    # its own kind of device only, so a recovery code does not count as a wrong app code
    # (and throttle the app) or the other way round.
    model = TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    token = token.lower()
    with transaction.atomic():
        for device in model.objects.devices_for_user(user).select_for_update():
            if device.verify_token(token):
                if isinstance(device, StaticDevice):
                    left = device.token_set.count()
                    security_event("2fa.recovery_code_used", user=user, request=request, left=left)
                return device
    security_event("2fa.failed", user=user, request=request, step="login")
    return None


# Passwords -----------------------------------------------------------------------------


def change_password(request, user, new_password: str) -> None:
    """Set the user's own new password (already validated by the form)."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        security = security_of(user)
        security.must_change_password = False
        security.password_changed_at = timezone.now()
        security.save(update_fields=["must_change_password", "password_changed_at"])
    request.session[SESSION_MUST_CHANGE] = False
    security_event("password.changed", user=user, request=request)


def _can_reset(admin, user) -> bool:
    # The platform's superusers help any account except another superuser's; a body's
    # administrator helps the accounts of their own body alone (bodies.services.manages_account).
    if admin.is_superuser:
        return not user.is_superuser or admin == user
    return manages_account(admin, user)


def _temporary_password() -> str:
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0OoIl1")
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def issue_temporary_password(request, user, *, reset_two_factor: bool = False, by=None) -> str:
    """An admin gives `user` a one-time password, to be changed at the next login; every
    open session of the user ends and any lockout is lifted. Returns the password, to be
    shown to the admin once."""
    admin = by or request.user
    if not _can_reset(admin, user):
        raise NotAllowed()
    password = _temporary_password()
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=user.pk)
        user.set_password(password)
        user.save(update_fields=["password"])
        security = security_of(user)
        security.must_change_password = True
        security.save(update_fields=["must_change_password"])
        if reset_two_factor:
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
        end_all_sessions(user)
    axes_reset(username=user.get_username())
    security_event(
        "password.reset_issued",
        user=admin,
        request=request,
        username=user.get_username(),
        method="temporary_password",
        two_factor_reset=reset_two_factor,
    )
    return password


def issue_reset_link(request, user, *, reset_two_factor: bool = False, by=None) -> str:
    """An admin gets a link for `user` to choose a new password (valid for
    PASSWORD_RESET_TIMEOUT and only until used), to hand over in person or by phone."""
    admin = by or request.user
    if not _can_reset(admin, user):
        raise NotAllowed()
    if reset_two_factor:
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
    path = reverse(
        "accounts:reset",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    security_event(
        "password.reset_issued",
        user=admin,
        request=request,
        username=user.get_username(),
        method="link",
        two_factor_reset=reset_two_factor,
    )
    return request.build_absolute_uri(path)


def complete_reset(request, user) -> None:
    """After the user chose a new password through a reset link."""
    security = security_of(user)
    security.must_change_password = False
    security.password_changed_at = timezone.now()
    security.save(update_fields=["must_change_password", "password_changed_at"])
    end_all_sessions(user)
    axes_reset(username=user.get_username())
    security_event("password.reset_done", user=user, request=request)


# Lockouts ------------------------------------------------------------------------------


def lockouts() -> list[dict]:
    """The accounts and addresses locked out now: each with its failures and the time of
    the last one (axes counts an account over all addresses and an address over all
    accounts)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(attempt_time__gte=since)
    locked = []
    for field, kind in (("username", "account"), ("ip_address", "address")):
        rows = (
            recent.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
            .order_by("-last")
        )
        locked += [
            {"kind": kind, "value": row[field], "failures": row["failures"], "last": row["last"]}
            for row in rows
        ]
    return locked


def unlock(request, *, username: str = "", address: str = "") -> int:
    """An admin lifts a lockout of an account or an address before the cool-off ends."""
    if not request.user.is_superuser:
        raise NotAllowed()
    if not username and not address:
        return 0
    count = axes_reset(username=username or None, ip=address or None)
    security_event(
        "lockout.reset", user=request.user, request=request, username=username, ip=address
    )
    return count
