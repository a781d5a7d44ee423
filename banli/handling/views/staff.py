"""The staff's handling pages: assigning an accepted item (交办) with its due dates shown
before confirming, the queue of disputed assignments, the extension requests, and the
deadline board that staff, supervising leaders and auditors watch."""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.forms import BooleanField, Form
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from banli.bodies.access import current_membership
from banli.bodies.models import Body
from banli.core import clock
from banli.core.models import HistoryEntry
from banli.core.sql import literal_condition
from banli.core.web import page_of, run
from banli.items.models import Item
from banli.items.permissions import item_roles
from banli.items.views.access import readable_item
from banli.items.workflow import ITEM_WORKFLOW, ItemState

from .. import services
from ..forms_staff import (
    AssignForm,
    BoardFilterForm,
    DismissForm,
    ExtensionDecisionForm,
    ReassignForm,
    WithdrawForm,
)
from ..lists import OPEN, OVERDUE, PASSED, SOON_DAYS, WAITING, given_to
from ..models import Assignment, AssignmentRole, DecisionState, Extension
from ..workflow import GONE_STATES, OPEN_LEAD_STATES, AssignmentState, extension_limit

STAFF = "staff"
# Who watches the deadlines: the body's staff, its supervising leaders and its auditors.
BOARD_ROLES = frozenset({"staff", "supervisor", "auditor"})


def _body_for(request, allowed: frozenset[str] = frozenset({STAFF})):
    """The user's body, if the user holds one of `allowed` there; otherwise 403."""
    profile = current_membership(request.user)
    if profile is None or not allowed & set(profile.roles):
        raise PermissionDenied
    return profile.body


@dataclass(frozen=True)
class ListScope:
    """Which rows of the office's lists (disputes, extensions, deadlines) a user reads, and
    whether they act on them. Staff act; auditors read every row of the body; a supervising
    leader reads the rows of the key items they supervise (the deadline board also the whole
    body, on asking); neither acts (docs/domain.md)."""

    body: Body
    can_act: bool
    # A supervising leader who is neither staff nor auditor.
    leader_only: bool = False
    supervised_by: object = None  # a user: only the key items this leader supervises

    def items(self, prefix: str = "") -> Q:
        """The condition on the items (reached through `prefix`) of the user's rows."""
        condition = Q(**{f"{prefix}body": self.body})
        if self.supervised_by is not None:
            condition &= Q(**{f"{prefix}key_item__supervisor": self.supervised_by})
        return condition


def _list_scope(request, *, whole_body: bool = False) -> ListScope:
    profile = current_membership(request.user)
    roles = set(profile.roles) if profile is not None else set()
    if profile is None or not roles & BOARD_ROLES:
        raise PermissionDenied
    leader_only = not roles & {STAFF, "auditor"}
    return ListScope(
        body=profile.body,
        can_act=STAFF in roles,
        leader_only=leader_only,
        supervised_by=request.user if leader_only and not whole_body else None,
    )


def _staff_item(request, pk) -> tuple[Item, set[str]]:
    item = readable_item(request, pk)
    roles = item_roles(request.user, item)
    if STAFF not in roles:
        raise PermissionDenied
    return item, roles


def _get(queryset, pk):
    try:
        return queryset.get(pk=int(pk))
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError) as missing:
        raise Http404 from missing


def _back(request, default: str):
    """The page the button was on, if it is one of ours; else `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


def paged(request, queryset, param: str = "cursor", per_page: int = 25, *, count=False):
    """One page of `queryset`, paged by keys with the cursor in the `param` query parameter
    (several lists can page independently on one page; `banli.core.web.page_of`)."""
    return page_of(request, queryset, per_page, param=param, count=count)


# 交办 --------------------------------------------------------------------------------------


def _preview_context(item: Item, form: AssignForm) -> dict:
    complex_ = BooleanField(required=False).to_python(form["complex"].value())
    rules = item.body.rules
    lead, co = form.chosen("lead_units"), form.chosen("co_units")
    return {
        "item": item,
        "dates": services.planned_due_dates(item, complex=complex_),
        "complex": complex_,
        "lead": lead,
        "co": co,
        "twice": [u for u in co if u in lead],
        "reply_months": rules.complex_reply_months if complex_ else rules.reply_months,
        "co_months": rules.co_opinion_months,
        "dispute_days": rules.dispute_working_days,
        "today": clock.today(),
    }


@login_required
def assign(request, pk):
    """交办: choose the lead and co-handling units; the due dates show before confirming."""
    item, roles = _staff_item(request, pk)
    # Not accepted (or already assigned): the workflow's message on a 409 page.
    ITEM_WORKFLOW.check("assign", item.state, roles)
    form = AssignForm(request.POST if request.method == "POST" else None, body=item.body)
    if request.method == "POST" and form.is_valid():
        made = run(
            request,
            services.assign,
            item,
            by=request.user,
            lead_units=form.cleaned_data["lead"],
            co_units=form.cleaned_data["co"],
            complex=form.cleaned_data["complex"],
            form=form,
        )
        if made:
            due = next(a.due_on for a in made if a.is_lead)
            messages.success(
                request,
                _("The item was assigned. The reply is due on %(date)s.")
                % {"date": due.isoformat()},
            )
            return redirect("items:detail", item.pk)
    context = {"form": form, **_preview_context(item, form)}
    return render(request, "handling/staff_assign.html", context)


@require_GET
@login_required
def assign_preview(request, pk):
    """The due dates for the units and the complex flag ticked so far (htmx fragment)."""
    item, roles = _staff_item(request, pk)
    ITEM_WORKFLOW.check("assign", item.state, roles)
    form = AssignForm(request.GET, body=item.body)
    return render(request, "handling/staff_assign_preview.html", _preview_context(item, form))


# 退回/申请调整 --------------------------------------------------------------------------------


def _disputed(scope: ListScope):
    entries = HistoryEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(Assignment),
        target_id=OuterRef("pk"),
        action="assignment.dispute",
    ).order_by("-at", "-id")
    return (
        Assignment.objects.filter(scope.items("item__"), state=AssignmentState.DISPUTED)
        .select_related("item", "item__proposer", "unit")
        # The other units on the item, for the card and for what the staff may do.
        .prefetch_related(
            Prefetch(
                "item__assignments",
                queryset=Assignment.objects.exclude(state__in=GONE_STATES)
                .select_related("unit")
                .order_by("-role", "id"),
                to_attr="current_assignments",
            )
        )
        .annotate(
            dispute_reason=Subquery(entries.values("reason")[:1]),
            disputed_at=Subquery(entries.values("at")[:1]),
        )
        .order_by("disputed_at", "id")
    )


def _disputes_page(request, scope: ListScope, *, failed: tuple[int, str, Form] | None = None):
    body = scope.body
    page = paged(request, _disputed(scope), count=True)
    rows = []
    for assignment in page.object_list:
        auto_id = f"id_%s_{assignment.pk}"
        others = [a for a in assignment.item.current_assignments if a.pk != assignment.pk]
        other_leads = [a for a in others if a.is_lead]
        row = {"assignment": assignment, "open": False, "others": others}
        if scope.can_act:
            row["reassign"] = ReassignForm(
                body=body,
                disputing=assignment.unit,
                taken=[a.unit_id for a in others],
                auto_id=auto_id,
            )
            row["dismiss"] = DismissForm(auto_id=auto_id)
            # A co-handling unit, or a lead unit beside another lead unit (分办) that handles
            # the item alone, can be dropped: the workflow's `withdraw`.
            if not assignment.is_lead or other_leads:
                row["withdraw"] = WithdrawForm(auto_id=auto_id)
                row["alone"] = other_leads
        if failed and failed[0] == assignment.pk:
            row[failed[1]], row["open"] = failed[2], failed[1]
        rows.append(row)
    context = {"page": page, "rows": rows, "can_act": scope.can_act}
    return render(request, "handling/staff_disputes.html", context)


@login_required
def disputes(request):
    """The units' disputed assignments, oldest first, with the unit's reason."""
    return _disputes_page(request, _list_scope(request))


def _disputed_assignment(request, pk):
    body = _body_for(request)
    assignments = Assignment.objects.filter(item__body=body).select_related("item", "unit")
    return body, _get(assignments, pk)


@require_POST
@login_required
def reassign(request, pk):
    body, assignment = _disputed_assignment(request, pk)
    taken = (
        assignment.item.assignments.exclude(state__in=GONE_STATES)
        .exclude(pk=assignment.pk)
        .values_list("unit_id", flat=True)
    )
    form = ReassignForm(
        request.POST,
        body=body,
        disputing=assignment.unit,
        taken=list(taken),
        auto_id=f"id_%s_{assignment.pk}",
    )
    if not form.is_valid():
        return _disputes_page(
            request, _list_scope(request), failed=(assignment.pk, "reassign", form)
        )
    to_unit = form.cleaned_data["to_unit"]
    run(
        request,
        services.reassign,
        assignment,
        by=request.user,
        to_unit=to_unit,
        reason=form.cleaned_data["reason"],
        success=_("%(item)s was given to %(unit)s; its deadlines start again today.")
        % {"item": assignment.item.display_number, "unit": to_unit.name},
    )
    return redirect("handling:disputes")


@require_POST
@login_required
def dismiss(request, pk):
    body, assignment = _disputed_assignment(request, pk)
    form = DismissForm(request.POST, auto_id=f"id_%s_{assignment.pk}")
    if not form.is_valid():
        return _disputes_page(
            request, _list_scope(request), failed=(assignment.pk, "dismiss", form)
        )
    run(
        request,
        services.dismiss_dispute,
        assignment,
        by=request.user,
        reason=form.cleaned_data["reason"],
        success=_("%(unit)s keeps %(item)s.")
        % {"unit": assignment.unit.name, "item": assignment.item.display_number},
    )
    return redirect("handling:disputes")


# 延期 ---------------------------------------------------------------------------------------


def _extensions_page(
    request, scope: ListScope, *, failed: tuple[int, ExtensionDecisionForm] | None = None
):
    of_body = Extension.objects.filter(scope.items("assignment__item__")).select_related(
        "assignment", "assignment__item", "assignment__unit", "requested_by", "decided_by"
    )
    page = paged(
        request, of_body.filter(state=DecisionState.PENDING).order_by("requested_at"), count=True
    )
    rows = []
    for extension in page.object_list:
        form = (
            ExtensionDecisionForm(auto_id=f"id_%s_{extension.pk}", extension=extension)
            if scope.can_act
            else None
        )
        if failed and failed[0] == extension.pk:
            form = failed[1]
        extra = (extension.requested_due_on - extension.assignment.due_on).days
        rows.append(
            {
                "extension": extension,
                "form": form,
                "extra_days": extra,
                "limit": extension_limit(extension.assignment),
            }
        )
    decided = of_body.exclude(state=DecisionState.PENDING).order_by("-decided_at")[:10]
    context = {"page": page, "rows": rows, "decided": decided, "can_act": scope.can_act}
    return render(request, "handling/staff_extensions.html", context)


@login_required
def extensions(request):
    """Extension requests waiting for a decision, the oldest first."""
    return _extensions_page(request, _list_scope(request))


@require_POST
@login_required
def decide_extension(request, pk):
    body = _body_for(request)
    extension = _get(
        Extension.objects.filter(assignment__item__body=body).select_related(
            "assignment", "assignment__item", "assignment__unit"
        ),
        pk,
    )
    form = ExtensionDecisionForm(request.POST, auto_id=f"id_%s_{extension.pk}", extension=extension)
    if not form.is_valid():
        return _extensions_page(request, _list_scope(request), failed=(extension.pk, form))
    assignment = extension.assignment
    until = form.cleaned_data.get("until") if form.approve else None
    if form.approve:
        success = _("Approved: %(unit)s now replies by %(date)s; the proposers were told.") % {
            "unit": assignment.unit.name,
            "date": (until or extension.requested_due_on).isoformat(),
        }
    else:
        success = _("Refused: %(unit)s still replies by %(date)s.") % {
            "unit": assignment.unit.name,
            "date": assignment.due_on.isoformat(),
        }
    run(
        request,
        services.decide_extension,
        extension,
        by=request.user,
        approve=form.approve,
        note=form.cleaned_data["note"],
        until=until,
        success=success,
    )
    return redirect("handling:extensions")


# 督办看板 -----------------------------------------------------------------------------------


# The conditions of the partial indexes `assignment_open_lead_due` and
# `item_replied_evaluation_due`, term for term.
_OPEN_LEAD = literal_condition(
    f'"handling_assignment"."role" = \'{AssignmentRole.LEAD!s}\''
    ' AND "handling_assignment"."state" IN ('
    + ", ".join(f"'{state}'" for state in OPEN_LEAD_STATES)
    + ")"
)
_REPLIED = literal_condition(f'"items_item"."state" = \'{ItemState.REPLIED!s}\'')


def _open_lead_assignments(scope: ListScope, *, due_until: dt.date | None = None):
    """The open lead assignments of the scope's items (due by `due_until`, if given).

    A body's are read from the partial index of open lead assignments by (body, due date),
    in due-date order, so a page of the most overdue and the counts by date range never
    touch the body's other assignments. A supervising leader's few key items are found
    from the items: `Item.next_due_on` is the earliest due date of an item's open lead
    assignments (kept by the services), so only items that have one can have such a row."""
    if scope.supervised_by is None:
        leads = Assignment.objects.filter(_OPEN_LEAD, body=scope.body)
    else:
        items = Item.objects.filter(scope.items(), next_due_on__isnull=False)
        if due_until is not None:
            items = items.filter(next_due_on__lte=due_until)
        leads = Assignment.objects.filter(
            item_id__in=items.values("pk"), role=AssignmentRole.LEAD, state__in=OPEN_LEAD_STATES
        )
    return leads if due_until is None else leads.filter(due_on__lte=due_until)


@login_required
def board(request):
    """Counts, then the overdue lead assignments (most overdue first) and those due soon."""
    # A supervising leader sees their key items first; `?scope=body` the whole body.
    whole_body = request.GET.get("scope") == "body"
    scope = _list_scope(request, whole_body=whole_body)
    body = scope.body
    today = clock.today()
    week, month = (today + dt.timedelta(days=d) for d in SOON_DAYS)
    form = BoardFilterForm(request.GET or None, body=body)
    unit = form.chosen_unit
    leads = _open_lead_assignments(scope)
    replied = Item.objects.filter(_REPLIED, scope.items())
    if unit is not None:
        leads = leads.filter(unit=unit)
        replied = given_to(replied, unit.pk)
    # Items, not assignments (an item split between two lead units counts once), so that
    # each counter is the number of rows of the list it links to (handling.lists).
    counts = leads.aggregate(
        open=Count("item", distinct=True),
        overdue=Count("item", filter=Q(due_on__lt=today), distinct=True),
        week=Count("item", filter=Q(due_on__gte=today, due_on__lte=week), distinct=True),
        month=Count("item", filter=Q(due_on__gte=today, due_on__lte=month), distinct=True),
    )
    window_passed = Q(evaluation_due_on__lt=today)
    counts |= replied.aggregate(
        waiting=Count("pk", filter=~window_passed), passed=Count("pk", filter=window_passed)
    )

    def rows(due_until: dt.date):
        found = _open_lead_assignments(scope, due_until=due_until)
        if unit is not None:
            found = found.filter(unit=unit)
        return found.select_related("item", "item__key_item", "unit", "handler").defer(
            "item__text", "item__search_text"
        )

    overdue = rows(today - dt.timedelta(days=1)).order_by("due_on", "id")
    soon = rows(month).filter(due_on__gte=today).order_by("due_on", "id")
    passed = (
        replied.filter(window_passed)
        .defer("text", "search_text")
        .select_related("proposer", "key_item")
        .order_by("evaluation_due_on", "id")
    )
    context = {
        "form": form,
        "unit": unit,
        "counts": counts,
        "overdue": paged(request, overdue, "overdue_cursor", 20),
        "soon": paged(request, soon, "soon_cursor", 20),
        "passed": paged(request, passed, "passed_cursor", 20),
        "is_staff": scope.can_act,
        "leader_view": scope.leader_only,
        "whole_body": whole_body,
        "soon_days": SOON_DAYS,
        "links": _board_links(scope, unit),
    }
    return render(request, "handling/staff_board.html", context)


def _board_links(scope: ListScope, unit) -> dict[str, str]:
    """The item list showing exactly the items of each counter of the board: the deadline
    filter (and the unit) the counter was counted with. A supervising leader's own view
    links to the body's key items with that deadline."""
    base: dict[str, str | int] = {}
    if unit is not None:
        base["unit"] = unit.pk
    if scope.supervised_by is not None:
        base["key"] = "yes"
    address = reverse("items:list")
    values = {
        "open": OPEN,
        "overdue": OVERDUE,
        "week": str(SOON_DAYS[0]),
        "month": str(SOON_DAYS[1]),
        "waiting": WAITING,
        "passed": PASSED,
    }
    return {
        name: f"{address}?{urlencode({**base, 'deadline': value})}"
        for name, value in values.items()
    }


@require_POST
@login_required
def close(request, pk):
    """未评价: close a replied item whose evaluation window has passed."""
    item, _roles = _staff_item(request, pk)
    run(
        request,
        services.close_unevaluated,
        item,
        by=request.user,
        success=_("%(item)s was closed as not evaluated.") % {"item": item.display_number},
    )
    return _back(request, "handling:board")
