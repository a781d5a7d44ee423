"""Pages that belong to no one app: the start page and the error pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from banli.bodies.access import membership_in
from banli.bodies.middleware import SESSION_KEY
from banli.core.web import int_or_none

from .navigation import links_for


@login_required
def home(request):
    """Each role starts on the page of its next job."""
    links = links_for(request.user)
    if links:
        return redirect(links[0]["url"])
    if request.user.is_superuser:
        return redirect("admin:index")
    return render(request, "home.html", {})


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
    message = _("You are not allowed to open this page.")
    return render(request, "error.html", {"status": 403, "message": message}, status=403)


def not_found(request, exception=None):
    message = _("The page you asked for does not exist.")
    return render(request, "error.html", {"status": 404, "message": message}, status=404)


def bad_request(request, exception=None):
    message = _("The request could not be understood.")
    return render(request, "error.html", {"status": 400, "message": message}, status=400)


def server_error(request):
    message = _("Something went wrong on our side. The error was logged; please try again.")
    return render(request, "error.html", {"status": 500, "message": message}, status=500)
