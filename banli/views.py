"""Pages that belong to no one app: the start page and the error pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

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
