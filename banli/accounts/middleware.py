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

# What a user may open while the account owes something: a new password, the code of this
# session, or the enrolment the body requires.
_ALWAYS = ("logout", "set_language")
_PASSWORD = (*_ALWAYS, "accounts:password")
_CODE = (*_ALWAYS, "accounts:verify")
_ENROLMENT = (*_PASSWORD, "accounts:two_factor", "accounts:account")


def _paths(names) -> frozenset[str]:
    return frozenset(reverse(name) for name in names)


class AccountSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed: dict[str, frozenset[str]] = {}

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or self._exempt(request):
            return self.get_response(request)
        return self._check(request, user) or self.get_response(request)

    def _may_open(self, request, owes: str) -> bool:
        if not self._allowed:
            self._allowed = {
                "password": _paths(_PASSWORD),
                "code": _paths(_CODE),
                "enrolment": _paths(_ENROLMENT),
            }
        return request.path_info in self._allowed[owes]

    def _exempt(self, request) -> bool:
        return request.path_info.startswith(settings.STATIC_URL)

    def _check(self, request, user):
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
        if session.get(services.SESSION_MUST_CHANGE) and not self._may_open(request, "password"):
            messages.info(request, _("Please choose a new password before you go on."))
            return redirect("accounts:password")
        if user.is_verified():
            return None
        if services.has_two_factor(user):
            if not self._may_open(request, "code"):
                return redirect_to_login(request.get_full_path(), reverse("accounts:verify"))
        elif services.two_factor_required(user) and not self._may_open(request, "enrolment"):
            messages.info(
                request,
                _("Your body requires two-factor authentication for your account: set it up."),
            )
            return redirect_to_login(request.get_full_path(), reverse("accounts:two_factor"))
        return None
