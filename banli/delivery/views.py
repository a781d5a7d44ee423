"""The delivery pages: a person's own channels (`delivery:settings`, everyone signed in) and
the outbox of the current body (`delivery:outbox`, its staff and administrators)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from banli.bodies.access import current_membership
from banli.core import paging
from banli.core.errors import DomainError
from banli.core.web import page_of, run, show_refusal

from . import services
from .forms import OutboxFilterForm, SettingsForm
from .models import Delivery, State

# 25 rows like the other lists: the page's cost is its rows' rendering, not its query.
PER_PAGE = 25


@login_required
def my_settings(request):
    prefs = services.settings_of(request.user)
    if request.method == "POST":
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                services.save_settings(request.user, by=request.user, **form.cleaned_data)
            except DomainError as error:
                show_refusal(request, error, form=form)
            else:
                messages.success(request, _("Your delivery settings are saved."))
                return redirect("delivery:settings")
    else:
        form = SettingsForm(
            initial={
                "email_enabled": prefs.email_enabled,
                "sms_enabled": prefs.sms_enabled,
                "phone": prefs.phone,
                "quiet_from": prefs.quiet_from,
                "quiet_until": prefs.quiet_until,
            }
        )
    return render(
        request,
        "delivery/settings.html",
        {"form": form, "prefs": prefs, "email": request.user.email},
    )


def _outbox_body(request):
    profile = current_membership(request.user)
    if profile is None or not set(profile.roles) & services.OUTBOX_ROLES:
        raise PermissionDenied
    return profile.body


@login_required
def outbox(request):
    body = _outbox_body(request)
    filters = OutboxFilterForm(request.GET or None)
    state, channel = filters.value("state"), filters.value("channel")
    rows = Delivery.objects.filter(body=body)
    if channel:
        rows = rows.filter(channel=channel)
    # The counts per state of the rows the channel filter leaves, bounded: one statement.
    counts = paging.counts_at_most({code: rows.filter(state=code) for code in State.values})
    if state:
        rows = rows.filter(state=state)
    rows = rows.select_related("notice__recipient").order_by("-created_at", "-id")
    page = page_of(request, rows, PER_PAGE)
    context = {
        "body": body,
        "filters": filters,
        "state": state,
        "channel": channel,
        "page": page,
        "deliveries": page.object_list,
        "counts": [(code, label, counts[code]) for code, label in State.choices],
    }
    return render(request, "delivery/outbox.html", context)


@login_required
@require_POST
def resend(request, pk: int):
    body = _outbox_body(request)
    # Another body's delivery answers 404, whatever the person's roles there.
    delivery = get_object_or_404(Delivery, pk=pk, body=body)
    run(
        request,
        services.resend,
        delivery,
        by=request.user,
        success=_("The delivery will be sent again."),
    )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("delivery:outbox")
