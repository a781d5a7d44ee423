"""The login in two steps (password, then the code where the account has two-factor
authentication), logout, the account page, and the admins' help desk.

Every page here answers with Cache-Control: no-store (never_cache): they show secrets,
recovery codes or other people's account data."""

import base64
import time

import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticToken

from banli.core.web import run

from . import services
from .events import security_event
from .forms import CodeForm, ResetForm, UnlockForm

# The user who gave the right password and still owes the code: kept in the anonymous
# session for a few minutes, never logged in before the code is right.
PENDING = "banli_pending_login"
PENDING_SECONDS = 300


def _next_url(request, value: str | None = None) -> str:
    target = value if value is not None else request.POST.get("next", request.GET.get("next", ""))
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _finish_login(request, user, device, next_url: str):
    login(request, user, backend=user.backend)
    if device is not None:
        otp_login(request, device)
    security_event("login", user=user, request=request, two_factor=device is not None)
    return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    """Step one: the password. django-axes checks the lockout inside `authenticate` before
    any password is compared, and counts the failure."""
    next_url = _next_url(request)
    if request.user.is_authenticated:
        return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    form = AuthenticationForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            if services.has_two_factor(user):
                request.session[PENDING] = {
                    "user": user.pk,
                    "backend": user.backend,
                    "at": int(time.time()),
                    "next": next_url,
                }
                return redirect("accounts:verify")
            return _finish_login(request, user, None, next_url)
        if not getattr(request, "axes_locked_out", False):
            username = str(form.data.get("username", ""))[:150]
            security_event("login.failed", request=request, username=username)
    return render(request, "registration/login.html", {"form": form, "next": next_url})


def _verifying(request):
    """Who owes the code: the pending login, or a logged-in session not yet verified."""
    pending = request.session.get(PENDING)
    if pending:
        if time.time() - pending.get("at", 0) <= PENDING_SECONDS:
            user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
            if user is not None:
                user.backend = pending["backend"]
                return user, pending
        del request.session[PENDING]
    user = request.user
    if user.is_authenticated and not user.is_verified() and services.has_two_factor(user):
        return user, None
    return None, None


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
def verify_view(request):
    """Step two: a code from the authenticator app, or one of the recovery codes. A wrong
    code counts as a failed login for the lockout."""
    user, pending = _verifying(request)
    if user is None:
        if request.user.is_authenticated:
            return redirect("home")
        messages.info(request, _("Please log in again."))
        return redirect("login")
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        return locked_out(request, None, credentials)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device = services.verify_second_factor(request, user, form.cleaned_data["token"])
        if device is not None:
            if pending is not None:
                del request.session[PENDING]
                return _finish_login(request, user, device, _next_url(request, pending["next"]))
            otp_login(request, device)
            return redirect(_next_url(request) or "home")
        form.add_error("token", _("The code is not right. Try the next one your app shows."))
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return render(request, "accounts/verify.html", {"form": form, "next": _next_url(request)})


def locked_out(request, response=None, credentials=None):
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE), in the site's look."""
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else 0
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    security_event("login.locked_out", request=request, username=str(username)[:150])
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        security_event("logout", user=request.user, request=request)
        services.forget_session(request)
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


# The account page ----------------------------------------------------------------------


@never_cache
@login_required
def account(request):
    user = request.user
    sessions = services.open_sessions(user)
    return render(
        request,
        "accounts/account.html",
        {
            "has_two_factor": services.has_two_factor(user),
            "two_factor_required": services.two_factor_required(user),
            "recovery_codes_left": _recovery_codes_left(user),
            "sessions": sessions,
            "current_key": request.session.session_key,
            "idle_minutes": int(services.idle_timeout(user).total_seconds() // 60),
            "max_hours": settings.BANLI_SESSION_MAX_HOURS,
        },
    )


def _recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()


@require_POST
@login_required
def end_other_sessions(request):
    count = services.end_other_sessions(request)
    messages.success(
        request,
        _("Your other sessions were ended (%(count)s).") % {"count": count}
        if count
        else _("You had no other open session."),
    )
    return redirect("accounts:account")


def _qr_svg(device) -> str:
    """The enrolment QR code as inline SVG: drawn here, so no third party sees the secret,
    and with presentation attributes only, so a Content-Security-Policy without inline
    styles or data: images still shows it."""
    return mark_safe(  # noqa: S308 - segno's own markup, no user input in it
        segno.make(device.config_url, error="m").svg_inline(
            scale=5, border=2, title=_("QR code for your authenticator app")
        )
    )


@never_cache
@login_required
def two_factor(request):
    """Set up the authenticator app: the QR code and the secret, confirmed with a code."""
    user = request.user
    form = CodeForm(request.POST if request.method == "POST" else None)
    device = services.pending_device(user)
    if request.method == "POST" and form.is_valid():
        codes = run(
            request,
            services.confirm_enrolment,
            request,
            device,
            form.cleaned_data["token"],
            form=form,
        )
        if codes:
            messages.success(request, _("Two-factor authentication is on."))
            return _show_codes(request, codes)
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/two_factor.html",
        {
            "form": form,
            "qr": _qr_svg(device),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "has_two_factor": services.has_two_factor(user),
            "required": services.two_factor_required(user),
        },
    )


def _show_codes(request, codes):
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@never_cache
@require_POST
@login_required
def recovery_codes(request):
    codes = run(request, services.renew_recovery_codes, request)
    if not codes:
        return redirect("accounts:account")
    return _show_codes(request, codes)


@require_POST
@login_required
def disable_two_factor(request):
    run(
        request,
        services.disable_two_factor,
        request,
        success=_("Two-factor authentication is off."),
    )
    return redirect("accounts:account")


@sensitive_post_parameters()
@never_cache
@login_required
def password_change(request):
    """Change one's own password (and the compulsory change after a one-time password)."""
    form = PasswordChangeForm(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.change_password(request, request.user, form.cleaned_data["new_password1"])
        # The session stays valid; every other session of the user ends with the old hash.
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password was changed."))
        return redirect("accounts:account")
    must = request.session.get(services.SESSION_MUST_CHANGE, False)
    return render(request, "accounts/password_change.html", {"form": form, "must": must})


@method_decorator(never_cache, name="dispatch")
class ResetView(auth_views.PasswordResetConfirmView):
    """A reset link an admin handed over: choose a new password."""

    template_name = "accounts/reset.html"
    success_url = reverse_lazy("login")
    reset_url_token = "choose"
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        services.complete_reset(self.request, form.user)
        messages.success(self.request, _("Your new password is set. Please log in."))
        return response


# The admins' help desk -----------------------------------------------------------------


@sensitive_post_parameters()
@never_cache
@login_required
def support(request):
    """Reset a user's password or second factor, and lift lockouts (superusers)."""
    if not request.user.is_superuser:
        raise PermissionDenied
    form = ResetForm(request.POST if request.method == "POST" else None)
    issued = None
    if request.method == "POST" and form.is_valid():
        use_case = (
            services.issue_temporary_password
            if form.cleaned_data["method"] == ResetForm.TEMPORARY
            else services.issue_reset_link
        )
        secret = run(
            request,
            use_case,
            request,
            form.user,
            reset_two_factor=form.cleaned_data["reset_two_factor"],
            form=form,
        )
        if secret:
            issued = {"user": form.user, "method": form.cleaned_data["method"], "secret": secret}
            form = ResetForm()
    return render(
        request,
        "accounts/support.html",
        {"form": form, "issued": issued, "lockouts": services.lockouts()},
    )


@require_POST
@login_required
def unlock(request):
    if not request.user.is_superuser:
        raise PermissionDenied
    form = UnlockForm(request.POST)
    if form.is_valid():
        value = form.cleaned_data["value"]
        if form.cleaned_data["kind"] == "account":
            services.unlock(request, username=value)
        else:
            services.unlock(request, address=value)
        messages.success(request, _("The lock on %(value)s was lifted.") % {"value": value})
    return redirect("accounts:support")
