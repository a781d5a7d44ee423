"""The notices page (通知): a reader's notices in the current body, newest first, filtered
by kind or to the unread ones; opening one marks it read and goes where the work is."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from banli.bodies.access import current_membership
from banli.core.web import page_of, run

from . import kinds, services
from .models import Notice

PER_PAGE = 25


def _body_id(request) -> int:
    profile = current_membership(request.user)
    if profile is None:
        raise Http404
    return profile.body_id


@login_required
def notice_list(request):
    body_id = _body_id(request)
    mine = services.mine(request.user, body_id)
    kind = request.GET.get("kind", "")
    if kinds.get(kind) is None:
        kind = ""
    unread_only = request.GET.get("unread") == "1"
    shown = mine.filter(kind=kind) if kind else mine
    if unread_only:
        shown = shown.filter(read_at__isnull=True)
    page = page_of(request, shown.order_by("-created_at", "-id"), PER_PAGE)
    present = sorted(set(mine.values_list("kind", flat=True).distinct()), key=kinds.label)
    context = {
        "page": page,
        "notices": page.object_list,
        "kind": kind,
        "unread_only": unread_only,
        "kind_choices": [(code, kinds.label(code)) for code in present],
        "unread": services.unread_count(request.user, body_id),
    }
    return render(request, "notices/list.html", context)


def _own(request, pk: int) -> Notice:
    # Another reader's notice answers 404, as any record one may not read.
    return get_object_or_404(Notice, pk=pk, recipient=request.user)


@login_required
def notice_open(request, pk: int):
    """Mark the notice read and go to the page where its work is done."""
    notice = _own(request, pk)
    services.mark_read(notice, by=request.user)
    if notice.url and url_has_allowed_host_and_scheme(notice.url, allowed_hosts=None):
        return redirect(notice.url)
    return redirect("notices:list")


@login_required
@require_POST
def notice_read(request, pk: int):
    notice = _own(request, pk)
    run(request, services.mark_read, notice, by=request.user)
    return redirect(_back(request))


@login_required
@require_POST
def read_all(request):
    kind = request.POST.get("kind", "")
    count = run(
        request,
        services.mark_all_read,
        by=request.user,
        body_id=_body_id(request),
        kind=kind if kinds.get(kind) else "",
    )
    if count:
        messages.success(request, _("Notices marked as read."))
    return redirect(_back(request))


def _back(request) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "notices:list"
