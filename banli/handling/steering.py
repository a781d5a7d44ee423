"""Staff steering after assignment (docs/architecture.md, steering): withdraw a unit given
the item by mistake, add a unit, move an assignment's due date. Each is one use case in one
transaction, checked against the workflow tables (`withdraw`, `change_due` of the assignment
table; `add_unit` and the automatic `remaining_replied` / `back_to_assigned` of the item
table), with a required reason recorded in the item's history with the values before and
after.

The locking order is the handling services' own: the item, then the assignment. Reached as
`banli.handling.services.<name>` too."""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from banli.bodies.models import Unit
from banli.core import clock
from banli.core.errors import InvalidTransition, ValidationFailed
from banli.items.models import Item
from banli.items.permissions import item_roles
from banli.items.services import advance
from banli.items.workflow import ITEM_WORKFLOW, ItemState

from . import notices
from .models import Assignment, AssignmentRole, DecisionState, Extension, Reply
from .services import (
    _advance,
    _check,
    _check_units,
    _close_round,
    _lock_item,
    _new_assignment,
)
from .workflow import GONE_STATES, AssignmentState

A = AssignmentState


def invalid(field: str, message: str) -> ValidationFailed:
    """A refusal of the input that names the form field it belongs next to."""
    error = ValidationFailed(message)
    error.errors = {field: [message]}  # type: ignore[attr-defined]
    return error


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("Please give a reason."))
    return reason


def current_assignments(item: Item):
    """The item's assignments still the units' own (not reassigned away, not withdrawn)."""
    return item.assignments.exclude(state__in=GONE_STATES)


# 撤回交办 -------------------------------------------------------------------------------------


@transaction.atomic
def withdraw_assignment(assignment: Assignment, *, by, reason: str) -> Assignment:
    """Staff withdraw an assignment made by mistake (撤回), before the unit has replied or
    sent its opinion. A lead unit is withdrawn only while another lead unit remains (in a
    split item whose other lead unit handles it alone, withdrawing the disputing unit
    resolves its dispute). The item follows: when every remaining lead unit has replied it
    is replied (`remaining_replied`); when none of them has accepted yet it waits for
    acceptance again (`back_to_assigned`). A waiting extension request ends refused. The
    item's next due date is kept (`_refresh_next_due`)."""
    roles = _check(assignment, "withdraw", by)
    reason = _reason(reason)
    item = assignment.item
    if assignment.replies.filter(signed_at__isnull=False).exists():
        raise InvalidTransition(
            _("%(unit)s has replied; its assignment can no longer be withdrawn.")
            % {"unit": assignment.unit.name}
        )
    remaining = list(
        current_assignments(item)
        .filter(role=AssignmentRole.LEAD)
        .exclude(pk=assignment.pk)
        .select_related("unit")
    )
    if assignment.is_lead and not remaining:
        raise InvalidTransition(
            _(
                "%(unit)s is the item's only lead unit: add another lead unit first, or "
                "reassign the item."
            )
            % {"unit": assignment.unit.name}
        )
    waiting = list(
        Extension.objects.select_for_update().filter(
            assignment=assignment, state=DecisionState.PENDING
        )
    )
    for extension in waiting:
        extension.state = DecisionState.REFUSED
        extension.decided_by, extension.decided_at = None, clock.now()
        extension.decision_note = _("The assignment was withdrawn.")
        extension.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    _advance(
        assignment,
        "withdraw",
        by=by,
        roles=roles,
        reason=reason,
        data={
            "role": assignment.role,
            "due_on": assignment.due_on.isoformat(),
            "extensions_ended": [e.pk for e in waiting],
        },
    )
    if assignment.is_lead and item.state == ItemState.IN_HANDLING:
        states = {a.state for a in remaining}
        if states == {A.REPLIED}:
            last = (
                Reply.objects.filter(
                    assignment__in=remaining, round=item.reply_round, signed_at__isnull=False
                )
                .order_by("-signed_at", "-id")
                .first()
            )
            assert last is not None, "a replied lead unit has a signed reply"
            _close_round(
                item,
                by=by,
                roles=roles,
                today=clock.today(),
                reply=last,
                action="remaining_replied",
            )
        elif not states & {A.HANDLING, A.REPLIED}:
            advance(
                item,
                "back_to_assigned",
                by=by,
                roles=roles,
                data={"unit": assignment.unit.name},
                fields=[],
            )
    notices.withdrawn(assignment, by=by, reason=reason)
    return assignment


# 增加承办单位 ----------------------------------------------------------------------------------


@transaction.atomic
def add_unit(item: Item, *, by, unit: Unit, role: str, reason: str) -> Assignment:
    """Staff give an assigned item to one more unit, as a lead unit (分办) or a co-handling
    unit (协办); its deadlines run from today under the body's rules of today."""
    _lock_item(item)
    roles = item_roles(by, item)
    ITEM_WORKFLOW.check("add_unit", item.state, roles, item)
    reason = _reason(reason)
    if role not in AssignmentRole.values:
        raise invalid("role", _("Choose whether the unit leads or co-handles."))
    if unit is None:
        raise invalid("unit", _("Choose a unit."))
    try:
        (unit,) = _check_units(item, [unit])
    except ValidationFailed as wrong:
        raise invalid("unit", str(wrong)) from wrong
    if current_assignments(item).filter(unit=unit).exists():
        raise invalid("unit", _("%(unit)s already has this item.") % {"unit": unit.name})
    advance(
        item,
        "add_unit",
        by=by,
        roles=roles,
        reason=reason,
        data={"unit": unit.name, "role": role},
        fields=[],
    )
    made = _new_assignment(item, unit, role, by=by)
    notices.new_assignment(made, by=by)
    return made


# 调整办理期限 ----------------------------------------------------------------------------------


@transaction.atomic
def change_due_date(assignment: Assignment, *, by, due_on: dt.date, reason: str) -> Assignment:
    """Staff move an open assignment's due date, with a reason. A reply already signed keeps
    the due date it was signed under and whether it was on time (docs/domain.md §5.7): only
    open assignments change, and no reply is rewritten."""
    roles = _check(assignment, "change_due", by)
    reason = _reason(reason)
    if not isinstance(due_on, dt.date):
        raise invalid("due_on", _("Enter the new due date."))
    if due_on == assignment.due_on:
        raise invalid("due_on", _("The assignment is already due on that date."))
    if due_on < assignment.assigned_on:
        raise invalid(
            "due_on",
            _("The due date cannot be before the assignment (%(date)s).")
            % {"date": assignment.assigned_on.isoformat()},
        )
    before = assignment.due_on
    assignment.due_on = due_on
    _advance(
        assignment,
        "change_due",
        by=by,
        roles=roles,
        reason=reason,
        data={"from": before.isoformat(), "to": due_on.isoformat()},
        fields=["due_on"],
    )
    notices.due_date_changed(assignment, by=by, reason=reason)
    return assignment
