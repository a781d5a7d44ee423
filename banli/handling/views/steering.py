"""The staff's steering pages after assignment (banli.handling.steering): add a unit to an
item, withdraw a unit's assignment, move its due date. Each is a form page (GET) and one
service call (POST); the item page's staff panel links to them when the workflow offers the
step. Another body's item or assignment is 404; a reader who is not staff, 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from banli.core.web import run
from banli.items.workflow import ITEM_WORKFLOW

from .. import steering
from ..forms_staff import AddUnitForm, DueDateForm, WithdrawForm
from ..models import Assignment
from ..services import assignment_roles
from ..workflow import ASSIGNMENT_WORKFLOW
from .staff import _body_for, _disputes_page, _get, _list_scope, _staff_item


def _page(request, *, item, form, title, button, assignment=None, danger=False):
    context = {
        "item": item,
        "assignment": assignment,
        "form": form,
        "title": title,
        "button": button,
        "danger": danger,
    }
    return render(request, "handling/steering_form.html", context)


def _staff_assignment(request, pk, action: str) -> Assignment:
    """An assignment of the user's body (else 404) that the staff may take `action` on (403
    for anyone else; a state the row does not leave from is the service's to refuse)."""
    body = _body_for(request)
    assignment = _get(Assignment.objects.filter(item__body=body).select_related("item", "unit"), pk)
    if not ASSIGNMENT_WORKFLOW[action].roles_for(assignment_roles(request.user, assignment)):
        raise PermissionDenied
    return assignment


@require_http_methods(["GET", "POST"])
@login_required
def add_unit(request, pk):
    item, roles = _staff_item(request, pk)
    ITEM_WORKFLOW.check("add_unit", item.state, roles, item)
    taken = steering.current_assignments(item).values_list("unit_id", flat=True)
    form = AddUnitForm(
        request.POST if request.method == "POST" else None, body=item.body, taken=list(taken)
    )
    if request.method == "POST" and form.is_valid():
        unit = form.cleaned_data["unit"]
        made = run(
            request,
            steering.add_unit,
            item,
            by=request.user,
            unit=unit,
            role=form.cleaned_data["role"],
            reason=form.cleaned_data["reason"],
            form=form,
        )
        if made:
            messages.success(
                request,
                _("%(unit)s was given the item; its reply is due on %(date)s.")
                % {"unit": unit.name, "date": made.due_on.isoformat()},
            )
            return redirect("items:detail", item.pk)
    return _page(
        request,
        item=item,
        form=form,
        title=_("Add a unit"),
        button=_("Add the unit"),
    )


@require_http_methods(["GET", "POST"])
@login_required
def withdraw(request, pk):
    assignment = _staff_assignment(request, pk, "withdraw")
    item = assignment.item
    from_disputes = request.POST.get("from") == "disputes"
    form = WithdrawForm(
        request.POST if request.method == "POST" else None,
        auto_id=f"id_%s_{assignment.pk}" if from_disputes else "id_%s",
    )
    if request.method == "POST":
        if not form.is_valid():
            if from_disputes:
                return _disputes_page(
                    request, _list_scope(request), failed=(assignment.pk, "withdraw", form)
                )
        else:
            done = run(
                request,
                steering.withdraw_assignment,
                assignment,
                by=request.user,
                reason=form.cleaned_data["reason"],
                form=form,
            )
            if done:
                messages.success(
                    request,
                    _("The assignment of %(unit)s was withdrawn.") % {"unit": assignment.unit.name},
                )
            if done or from_disputes:
                if from_disputes:
                    return redirect("handling:disputes")
                return redirect("items:detail", item.pk)
    return _page(
        request,
        item=item,
        assignment=assignment,
        form=form,
        title=_("Withdraw the assignment"),
        button=_("Withdraw the assignment"),
        danger=True,
    )


@require_http_methods(["GET", "POST"])
@login_required
def change_due(request, pk):
    assignment = _staff_assignment(request, pk, "change_due")
    item = assignment.item
    form = DueDateForm(
        request.POST if request.method == "POST" else None,
        initial={"due_on": assignment.due_on},
    )
    if request.method == "POST" and form.is_valid():
        done = run(
            request,
            steering.change_due_date,
            assignment,
            by=request.user,
            due_on=form.cleaned_data["due_on"],
            reason=form.cleaned_data["reason"],
            form=form,
        )
        if done:
            messages.success(
                request,
                _("%(unit)s now replies by %(date)s.")
                % {"unit": assignment.unit.name, "date": assignment.due_on.isoformat()},
            )
            return redirect("items:detail", item.pk)
    return _page(
        request,
        item=item,
        assignment=assignment,
        form=form,
        title=_("Change the due date"),
        button=_("Change the due date"),
    )
