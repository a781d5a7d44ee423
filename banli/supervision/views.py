"""Supervision pages: the staff's list of key items (重点督办) and marking an item key, the
supervising leader's board of the items under their supervision, the year's supervision
activities (督办活动) and recording one, and chasing an item's units (催办)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from banli.bodies.access import current_membership
from banli.bodies.models import Unit
from banli.core import clock
from banli.core.models import Attachment
from banli.core.uploads import open_attachment
from banli.core.web import int_or_none, page_of, run
from banli.handling.models import Assignment
from banli.handling.workflow import GONE_STATES
from banli.items.models import Item
from banli.items.permissions import item_roles
from banli.items.views.access import item_pk, readable_item
from banli.items.workflow import ITEM_WORKFLOW, ItemState

from . import services
from .forms import (
    ActivityFilterForm,
    ActivityForm,
    ChangeLeaderForm,
    ChaseForm,
    KeyItemFilterForm,
    MarkKeyForm,
    UnmarkKeyForm,
    WithdrawActivityForm,
)
from .models import ActivityKind, KeyItem, SupervisionActivity
from .words import Words

SOON_DAYS = 30


def _body_for(request, role: str):
    profile = current_membership(request.user)
    if profile is None or role not in profile.roles:
        raise PermissionDenied
    return profile.body


def _next_due():
    """The earliest due date of the item's open lead assignments (kept by handling)."""
    return F("next_due_on")


def _last_activity(field: str) -> Subquery:
    """A field of the item's latest supervision activity that counts (newest date first)."""
    latest = (
        SupervisionActivity.objects.current()
        .filter(items=OuterRef("pk"))
        .order_by("-held_on", "-id")
        .values(field)[:1]
    )
    return Subquery(latest)


def _key_items(queryset):
    """Items with their key-item record, current units, the next due date and the latest
    supervision activity (its date and kind, read in the same query), overdue first."""
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
        .annotate(
            next_due=_next_due(),
            last_activity_on=_last_activity("held_on"),
            last_activity_kind=_last_activity("kind"),
        )
    )


def _with_activity_labels(page):
    """Name each row's latest activity kind in the reader's language."""
    labels = dict(ActivityKind.choices)
    for item in page.object_list:
        kind = getattr(item, "last_activity_kind", None)
        item.last_activity_label = str(labels.get(kind, "")) if kind else ""
    return page


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
        "page": _with_activity_labels(page_of(request, items, count=True)),
        "today": clock.today(),
        "can_act": "staff" in roles,
        "words": Words(body=body),
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
            committee=form.cleaned_data["committee"],
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
    context = {
        "item": item,
        "form": form,
        "title": title,
        "button": button,
        "danger": danger,
        "words": Words(item=item),
    }
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
            committee=form.cleaned_data["committee"],
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
        "page": _with_activity_labels(page_of(request, ordered)),
        "soon_days": SOON_DAYS,
        "today": today,
        "words": Words(body=body),
    }
    return render(request, "supervision/mine.html", context)


# --- Supervision activities (督办活动) --------------------------------------------------

# Who reads the body's supervision activities: its staff, supervising leaders and auditors.
ACTIVITY_READERS = frozenset({"staff", "auditor", "supervisor"})


def _reader(request):
    """The current membership of a reader of the body's activities, else 403."""
    profile = current_membership(request.user)
    if profile is None or not set(profile.roles) & ACTIVITY_READERS:
        raise PermissionDenied
    return profile


def _activity(request, profile, pk) -> SupervisionActivity:
    """Activity `pk` of the body the user works in, else 404."""
    found = (
        SupervisionActivity.objects.filter(body_id=profile.body_id, pk=item_pk(pk))
        .select_related("recorded_by", "withdrawn_by")
        .first()
    )
    if found is None:
        raise Http404
    return found


def _recordable_items(profile, user):
    """The key items the user may record an activity on: the body's for its staff, their
    own for a supervising leader; newest year first."""
    items = Item.objects.for_body(profile.body).filter(key_item__isnull=False)
    if "staff" not in profile.roles:
        items = items.filter(key_item__supervisor=user)
    return items.defer("text", "search_text").order_by(
        "-key_item__year", "session_id", "kind", "number", "id"
    )


@login_required
def activities(request):
    """The year's supervision activities: how many of each kind, then the list, newest
    first (the seeds count them: "开展专题督办活动30次")."""
    profile = _reader(request)
    body = profile.body
    base = SupervisionActivity.objects.current().filter(body=body)
    this_year = clock.today().year
    years = sorted({this_year, *(day.year for day in base.dates("held_on", "year"))}, reverse=True)
    form = ActivityFilterForm(request.GET or None, years=years)
    year = form.chosen("year") or this_year
    kind = form.chosen("kind")
    # One key item's activities, every year (the link under the item page's key panel).
    wanted = int_or_none(request.GET.get("item"))
    of_item = None
    if wanted is not None and 0 < wanted < 2**63:
        of_item = (
            Item.objects.for_body(body).filter(pk=wanted).only("id", "title", "number").first()
        )
    if of_item is not None:
        in_scope = base.filter(items=of_item)
    else:
        # A date range, not __year, so the (body, held_on, id) index serves it.
        in_scope = base.filter(
            held_on__gte=dt.date(year, 1, 1), held_on__lt=dt.date(year + 1, 1, 1)
        )
    by_kind = dict(in_scope.values_list("kind").annotate(n=Count("id")).order_by())
    shown = in_scope.filter(kind=kind) if kind else in_scope
    rows = (
        shown.select_related("recorded_by")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=Item.objects.defer("text", "search_text")
                .select_related("session", "body__rule_set")
                .order_by("id"),
            )
        )
        .order_by("-held_on", "-id")
    )
    context = {
        "form": form,
        "year": year,
        "kind": kind,
        "of_item": of_item,
        "total": sum(by_kind.values()),
        "by_kind": [(value, label, by_kind.get(value, 0)) for value, label in ActivityKind.choices],
        "page": page_of(request, rows),
        "can_record": bool({"staff", "supervisor"} & set(profile.roles)),
    }
    return render(request, "supervision/activities.html", context)


@login_required
def activity(request, pk):
    """One supervision activity with its key items and files."""
    profile = _reader(request)
    found = _activity(request, profile, pk)
    items = found.items.select_related("session", "body__rule_set", "key_item__supervisor").defer(
        "text", "search_text"
    )
    files = Attachment.objects.filter(
        root_type=ContentType.objects.get_for_model(SupervisionActivity), root_id=found.pk
    ).order_by("id")
    user = request.user
    may_withdraw = found.withdrawn_at is None and (
        "staff" in profile.roles or found.recorded_by_id == user.pk
    )
    context = {
        "activity": found,
        "items": list(items.order_by("id")),
        "files": list(files),
        "form": WithdrawActivityForm() if may_withdraw else None,
    }
    return render(request, "supervision/activity.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def record_activity(request):
    """Record a supervision activity: the staff on any key item of the body, a supervising
    leader on their own; `?item=<pk>` ticks that item."""
    profile = current_membership(request.user)
    if profile is None or not {"staff", "supervisor"} & set(profile.roles):
        raise PermissionDenied
    key_items = _recordable_items(profile, request.user)
    initial = {"held_on": clock.today()}
    chosen = int_or_none(request.GET.get("item"))
    if chosen is not None and 0 < chosen < 2**63 and key_items.filter(pk=chosen).exists():
        initial["items"] = [chosen]
    if request.method == "POST":
        form = ActivityForm(request.POST, request.FILES, key_items=key_items)
    else:
        form = ActivityForm(key_items=key_items, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run(
            request,
            services.record_activity,
            list(data["items"]),
            by=request.user,
            kind=data["kind"],
            held_on=data["held_on"],
            title=data["title"],
            participants=data["participants"],
            notes=data["notes"],
            files=data["files"],
            form=form,
        )
        if done:
            messages.success(request, _("The supervision activity is recorded."))
            return redirect("supervision:activity", done.pk)
    return render(
        request,
        "supervision/record_activity.html",
        {"form": form, "empty": not key_items.exists()},
    )


@require_http_methods(["POST"])
@login_required
def withdraw_activity(request, pk):
    """Withdraw an activity recorded by mistake, with a reason."""
    profile = _reader(request)
    found = _activity(request, profile, pk)
    form = WithdrawActivityForm(request.POST)
    if form.is_valid():
        run(
            request,
            services.withdraw_activity,
            found,
            by=request.user,
            reason=form.cleaned_data["reason"],
            success=_("The activity is withdrawn; it no longer counts."),
        )
    else:
        messages.error(request, _("Please give a reason."))
    return redirect("supervision:activity", found.pk)


@require_GET
@login_required
def activity_file(request, pk, file_pk):
    """A file of an activity, for its readers, as a download (never rendered inline)."""
    profile = _reader(request)
    found = _activity(request, profile, pk)
    attachment = Attachment.objects.filter(
        pk=item_pk(file_pk),
        root_type=ContentType.objects.get_for_model(SupervisionActivity),
        root_id=found.pk,
    ).first()
    if attachment is None:
        raise Http404
    try:
        handle = open_attachment(attachment)
    except OSError as missing:
        raise Http404 from missing
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- 催办 ----------------------------------------------------------------------------------


def _back_to(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_http_methods(["GET", "POST"])
@login_required
def chase(request, pk):
    """催办: remind the units still handling the item (all, or those ticked; `?unit=<pk>`
    ticks one), with a note. Staff only."""
    item = readable_item(request, pk)
    if "staff" not in item_roles(request.user, item):
        raise PermissionDenied
    owing = services.open_assignments(item)
    units = Unit.objects.filter(pk__in={a.unit_id for a in owing}).order_by("sort_key", "id")
    done_today = services.chased_today(item)
    wanted = int_or_none(request.GET.get("unit"))
    ticked = [wanted] if wanted in {a.unit_id for a in owing} else []
    ticked = ticked or [a.unit_id for a in owing if a.unit_id not in done_today]
    back = _back_to(request, reverse("items:detail", args=[item.pk]))
    form = ChaseForm(
        request.POST if request.method == "POST" else None,
        units=units,
        initial={"units": ticked},
    )
    if request.method == "POST" and form.is_valid():
        told = run(
            request,
            services.chase,
            item,
            by=request.user,
            units=list(form.cleaned_data["units"]),
            note=form.cleaned_data["note"],
            form=form,
        )
        if told:
            messages.success(
                request,
                _("%(units)s reminded of %(item)s.")
                % {"units": "、".join(u.name for u in told), "item": item.display_number},
            )
            return redirect(back)
    context = {
        "item": item,
        "form": form,
        "owing": owing,
        "done_today": done_today,
        "chaseable": item.state in services.CHASE_STATES and bool(owing),
        "next": back,
    }
    return render(request, "supervision/chase.html", context)
