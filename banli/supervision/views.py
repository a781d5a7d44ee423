"""Supervision pages: the staff's list of key items (重点督办) and marking an item key, and
the supervising leader's start page with the items under their supervision."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Prefetch, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from banli.bodies.access import current_membership
from banli.core import clock
from banli.core.web import page_of, run
from banli.handling.models import Assignment
from banli.handling.workflow import GONE_STATES
from banli.items.models import Item
from banli.items.permissions import item_roles
from banli.items.views.access import readable_item
from banli.items.workflow import ITEM_WORKFLOW, ItemState

from . import services
from .forms import ChangeLeaderForm, KeyItemFilterForm, MarkKeyForm, UnmarkKeyForm
from .models import KeyItem

SOON_DAYS = 30


def _body_for(request, role: str):
    profile = current_membership(request.user)
    if profile is None or role not in profile.roles:
        raise PermissionDenied
    return profile.body


def _next_due():
    """The earliest due date of the item's open lead assignments (kept by handling)."""
    return F("next_due_on")


def _key_items(queryset):
    """Items with their key-item record, current units and the next due date, overdue first."""
    current = (
        Assignment.objects.exclude(state__in=GONE_STATES)
        .select_related("unit")
        .order_by("-role", "id")  # lead units first
    )
    return (
        queryset.filter(key_item__isnull=False)
        .defer("text", "search_text")
        .select_related("key_item", "key_item__supervisor", "proposer", "session")
        .prefetch_related(Prefetch("assignments", queryset=current, to_attr="current_assignments"))
        .annotate(next_due=_next_due())
    )


# Who reads the key-item list: staff and auditors read the body's, a supervising leader the
# items they supervise; only the staff mark items key, on the item page.
KEY_LIST_READERS = frozenset({"staff", "auditor", "supervisor"})


@login_required
def key_items(request):
    """The body's key items, by year, with their leaders, state, units and deadlines."""
    profile = current_membership(request.user)
    roles = set(profile.roles) if profile is not None else set()
    if profile is None or not roles & KEY_LIST_READERS:
        raise PermissionDenied
    body = profile.body
    mine = Item.objects.for_body(body)
    if not roles & {"staff", "auditor"}:
        mine = mine.filter(key_item__supervisor=request.user)
    years = (
        KeyItem.objects.filter(item__in=mine)
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )
    form = KeyItemFilterForm(request.GET or None, years=list(years))
    if form.chosen_year:
        mine = mine.filter(key_item__year=form.chosen_year)
    items = _key_items(mine).order_by("-key_item__year", F("next_due").asc(nulls_last=True), "id")
    context = {
        "form": form,
        "page": page_of(request, items, count=True),
        "today": clock.today(),
        "can_act": "staff" in roles,
    }
    return render(request, "supervision/key_items.html", context)


@login_required
def mark_key(request, pk):
    """Choose an item for key supervision; the form is on the item page, errors come here."""
    item = _staff_item(request, pk, "set_key")
    form = MarkKeyForm(request.POST if request.method == "POST" else None, body=item.body)
    if request.method == "POST" and form.is_valid():
        key = run(
            request,
            services.mark_key,
            item,
            by=request.user,
            supervisor=form.cleaned_data["supervisor"],
            lead_handler=form.cleaned_data["lead_handler"],
            note=form.cleaned_data["note"],
            form=form,
        )
        if key:
            messages.success(
                request,
                _("%(item)s is a key item, supervised by %(leader)s.")
                % {
                    "item": item.display_number,
                    "leader": key.supervisor.get_full_name() or key.supervisor.username,
                },
            )
            return redirect("items:detail", item.pk)
    already = KeyItem.objects.filter(item=item).select_related("supervisor").first()
    return render(
        request, "supervision/mark_key.html", {"item": item, "form": form, "key": already}
    )


def _staff_item(request, pk, action: str):
    """The item (404 outside the body), for staff only (403), where `action` applies."""
    item = readable_item(request, pk)
    roles = item_roles(request.user, item)
    if "staff" not in roles:
        raise PermissionDenied
    ITEM_WORKFLOW.check(action, item.state, roles, item)
    return item


def _key_step(request, pk, action: str):
    item = _staff_item(request, pk, action)
    return item, item.key_item


def _key_page(request, item, form, *, title, button, danger=False):
    context = {"item": item, "form": form, "title": title, "button": button, "danger": danger}
    return render(request, "supervision/key_step.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def unmark_key(request, pk):
    """取消重点督办, with a reason."""
    item, _key = _key_step(request, pk, "unset_key")
    form = UnmarkKeyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        done = run(
            request,
            services.unmark_key,
            item,
            by=request.user,
            reason=form.cleaned_data["reason"],
            form=form,
            success=_("%(item)s is no longer a key item.") % {"item": item.display_number},
        )
        if done:
            return redirect("items:detail", item.pk)
    return _key_page(
        request,
        item,
        form,
        title=_("Remove from the key items"),
        button=_("Remove from the key items"),
        danger=True,
    )


@require_http_methods(["GET", "POST"])
@login_required
def change_leader(request, pk):
    """Another supervising leader for a key item, with a reason."""
    item, key = _key_step(request, pk, "change_key_leader")
    form = ChangeLeaderForm(
        request.POST if request.method == "POST" else None, body=item.body, key=key
    )
    if request.method == "POST" and form.is_valid():
        changed = run(
            request,
            services.change_supervisor,
            item,
            by=request.user,
            supervisor=form.cleaned_data["supervisor"],
            lead_handler=form.cleaned_data["lead_handler"],
            reason=form.cleaned_data["reason"],
            form=form,
        )
        if changed:
            messages.success(
                request,
                _("%(item)s is now supervised by %(leader)s.")
                % {
                    "item": item.display_number,
                    "leader": changed.supervisor.get_full_name() or changed.supervisor.username,
                },
            )
            return redirect("items:detail", item.pk)
    return _key_page(
        request,
        item,
        form,
        title=_("Change the supervising leader"),
        button=_("Change the supervising leader"),
    )


@login_required
def mine(request):
    """督办: the supervising leader's items, overdue first, with counts on top."""
    body = _body_for(request, "supervisor")
    today = clock.today()
    items = _key_items(Item.objects.for_body(body).filter(key_item__supervisor=request.user))
    counts = items.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(next_due__lt=today)),
        soon=Count(
            "pk",
            filter=Q(next_due__gte=today, next_due__lte=today + dt.timedelta(days=SOON_DAYS)),
        ),
        replied=Count("pk", filter=Q(state=ItemState.REPLIED)),
        closed=Count("pk", filter=Q(state=ItemState.CLOSED)),
    )
    ordered = items.order_by(F("next_due").asc(nulls_last=True), "id")
    context = {
        "counts": counts,
        "page": page_of(request, ordered),
        "soon_days": SOON_DAYS,
        "today": today,
    }
    return render(request, "supervision/mine.html", context)
