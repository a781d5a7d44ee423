"""Every request of a logged-in user passes these checks, in this order:

1. the session's lifetime: idle too long, or older than BANLI_SESSION_MAX_HOURS -> logged out;
2. a one-time password from an admin -> the password change, before any other page;
3. two-factor authentication required by the body and not set up -> the enrolment;
4. an account with two-factor authentication whose session has not given the code yet
   (a session that began outside the login page) -> the code.

Pages that lead out of these states (the account's own setup pages, logout, the language
switch, static files) stay reachable."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import services
from .events import security_event

# URL names a user in the middle of setting up the account may open.
_SETUP = ("logout", "set_language", "accounts:verify", "accounts:password")
_ENROLMENT = (*_SETUP, "accounts:two_factor", "accounts:account")


def _paths(names) -> set[str]:
    return {reverse(name) for name in names}


class AccountSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._setup: set[str] | None = None
        self._enrolment: set[str] | None = None

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or self._exempt(request):
            return self.get_response(request)
        return self._check(request, user) or self.get_response(request)

    def _exempt(self, request) -> bool:
        return request.path_info.startswith(settings.STATIC_URL)

    def _check(self, request, user):
        if self._setup is None:
            self._setup, self._enrolment = _paths(_SETUP), _paths(_ENROLMENT)
        path = request.path_info
        session = request.session
        if services.SESSION_STARTED not in session:
            services.start_session(request, user)
        ended = services.session_expiry(request, user)
        if ended:
            security_event(ended, user=user, request=request)
            services.forget_session(request)
            logout(request)
            messages.info(
                request,
                _("You were logged out after a while without activity.")
                if ended == "session.idle_timeout"
                else _("Your session has ended. Please log in again."),
            )
            return redirect_to_login(request.get_full_path())
        if session.get(services.SESSION_MUST_CHANGE) and path not in self._setup:
            messages.info(request, _("Please choose a new password before you go on."))
            return redirect("accounts:password")
        if user.is_verified():
            return None
        if services.has_two_factor(user):
            if path not in self._setup:
                return redirect_to_login(request.get_full_path(), reverse("accounts:verify"))
        elif services.two_factor_required(user) and path not in self._enrolment:
            messages.info(
                request,
                _("Your body requires two-factor authentication for your account: set it up."),
            )
            return redirect_to_login(request.get_full_path(), reverse("accounts:two_factor"))
        return None
