"""Pages that belong to no one app: the start page and the error pages."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from banli.bodies.access import current_membership, membership_in
from banli.bodies.middleware import SESSION_KEY
from banli.core.models import SecurityEventKind
from banli.core.security import record_security_event
from banli.core.web import int_or_none
from banli.desk import views as desk_views

logger = logging.getLogger("banli")


def home(request):
    """The start page (工作台, `banli.desk`): what waits for each of the user's roles today."""
    return desk_views.start(request)


@login_required
def floor(request):
    """The benchmark's floor: a logged-in request through every middleware of every page and
    nothing else, so each endpoint is reported as a ratio of its throughput to this one's."""
    return HttpResponse(b"ok", content_type="text/plain")


@require_POST
@login_required
def switch_body(request):
    """The body switcher: work in another body the user belongs to."""
    membership = membership_in(request.user, int_or_none(request.POST.get("body")))
    if membership is None:
        messages.error(request, _("You do not belong to that body."))
    else:
        request.session[SESSION_KEY] = membership.body_id
        messages.success(request, _("You are now working in %(body)s.") % {"body": membership.body})
    return redirect("home")


def forbidden(request, exception=None):
    """The 403 page; every refusal that reaches it is a security event."""
    membership = current_membership(getattr(request, "user", None))
    record_security_event(
        SecurityEventKind.PERMISSION_DENIED,
        request=request,
        body=membership.body_id if membership is not None else None,
        reason=str(exception or ""),
        error=type(exception).__name__ if exception is not None else "",
    )
    message = _("You are not allowed to open this page.")
    return render(request, "error.html", {"status": 403, "message": message}, status=403)


def not_found(request, exception=None):
    message = _("The page you asked for does not exist.")
    return render(request, "error.html", {"status": 404, "message": message}, status=404)


def bad_request(request, exception=None):
    message = _("The request could not be understood.")
    return render(request, "error.html", {"status": 400, "message": message}, status=400)


def server_error(request):
    """The 500 page. Django has already logged the error with its traceback on
    "django.request" (settings.LOGGING); this only answers the user. If the page itself cannot
    be drawn (the database is down, so the navigation cannot be read) a plain text answers."""
    message = _("Something went wrong on our side. The error was logged; please try again.")
    try:
        return render(request, "error.html", {"status": 500, "message": message}, status=500)
    except Exception:
        logger.exception("the error page could not be drawn")
        return HttpResponseServerError(message, content_type="text/plain; charset=utf-8")
