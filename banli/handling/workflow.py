"""The assignment workflow (交办 → 签收/退回 → 办理 → 答复) as one table."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from banli.core import clock
from banli.core.calendar import add_months
from banli.core.errors import DeadlinePassed
from banli.core.workflow import SYSTEM, Guard, Transition, Workflow, register_label


class AssignmentState(models.TextChoices):
    PENDING = "pending", _("Awaiting acceptance")
    DISPUTED = "disputed", _("Disputed")
    REASSIGNED = "reassigned", _("Reassigned")
    HANDLING = "handling", _("In handling")
    REPLIED = "replied", _("Replied")
    OPINION_SENT = "opinion_sent", _("Opinion sent")
    REHANDLING = "rehandling", _("Re-handling")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # A co-handling assignment still open when its item closed ends with the item.
    CLOSED = "closed", _("Closed with the item")


A = AssignmentState
COORD, HANDLER, LEADER, STAFF = "unit_coordinator", "unit_handler", "unit_leader", "staff"
WORKING = frozenset({A.HANDLING, A.REHANDLING})
# Assignments whose unit still owes its reply (lead) or opinion (co-handling).
OPEN_STATES = frozenset({A.PENDING, A.DISPUTED, *WORKING})
# The same states in a fixed order, for the partial index of open lead assignments and the
# queries that must match its condition term for term (SQLite's rule for partial indexes).
OPEN_LEAD_STATES = tuple(sorted(OPEN_STATES))
# Assignments that are no longer the unit's: given to another unit after a dispute, or
# withdrawn by the staff (a unit assigned by mistake).
GONE_STATES = frozenset({A.REASSIGNED, A.WITHDRAWN})


def _t(action, sources, target, roles, label, **kw) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), label, **kw)


def extension_limit(assignment):
    """The latest due date an extension may reach: the maximum of the rules the assignment
    was made under, from its assignment date (docs/domain.md §5.5, §5.6)."""
    return add_months(assignment.assigned_on, assignment.max_months)


# Guards: a step is offered, and taken, only while it can succeed (the services check the
# same guards through `Workflow.check` with the assignment).
IN_DISPUTE_WINDOW = Guard(
    lambda a: clock.today() <= a.dispute_due_on,
    lambda a: (
        _("The assignment could only be disputed until %(date)s.")
        % {"date": a.dispute_due_on.isoformat()}
    ),
    error=DeadlinePassed,
)
ROOM_TO_EXTEND = Guard(
    lambda a: clock.today() <= a.due_on and a.due_on < extension_limit(a),
    lambda a: (
        _("An extension must be asked for before the due date.")
        if clock.today() > a.due_on
        else _("No more time can be given: the reply is due on the latest date allowed, %(date)s.")
        % {"date": extension_limit(a).isoformat()}
    ),
    error=DeadlinePassed,
)


ASSIGNMENT_WORKFLOW = Workflow(
    "assignment",
    AssignmentState.values,
    [
        _t("accept", {A.PENDING}, A.HANDLING, {COORD, LEADER}, _("accept the assignment")),
        _t(
            "dispute",
            {A.PENDING},
            A.DISPUTED,
            {COORD, LEADER},
            _("dispute the assignment"),
            needs_reason=True,
            applies=IN_DISPUTE_WINDOW,
        ),
        _t("reassign", {A.DISPUTED}, A.REASSIGNED, {STAFF}, _("reassign to another unit")),
        _t("dismiss_dispute", {A.DISPUTED}, A.PENDING, {STAFF}, _("keep the assignment")),
        _t("name_handler", WORKING, None, {COORD, LEADER}, _("name the handler")),
        # 三见面: the third contact comes after the reply.
        _t(
            "log_contact",
            {*WORKING, A.REPLIED},
            None,
            {COORD, HANDLER, LEADER},
            _("log a contact"),
        ),
        _t(
            "request_extension",
            {A.PENDING, *WORKING},
            None,
            {COORD, LEADER},
            _("ask for an extension"),
            needs_reason=True,
            applies=ROOM_TO_EXTEND,
        ),
        _t(
            "decide_extension",
            {A.PENDING, A.REPLIED, *WORKING},
            None,
            {STAFF},
            _("decide on an extension"),
        ),
        _t("draft_reply", WORKING, None, {COORD, HANDLER, LEADER}, _("draft the reply")),
        _t("sign_reply", WORKING, A.REPLIED, {LEADER}, _("sign and send the reply")),
        # The leader reads the draft and sends it back to the handler with a note; the draft
        # stays as it is, editable, and the handler reads the note in the unit workspace.
        _t(
            "return_draft",
            WORKING,
            None,
            {LEADER},
            _("send the draft back to the handler"),
            needs_reason=True,
        ),
        _t(
            "send_opinion", WORKING, A.OPINION_SENT, {COORD, HANDLER, LEADER}, _("send the opinion")
        ),
        # Staff steering after assignment (banli.handling.steering), each with a reason: a
        # unit assigned by mistake is withdrawn before it replies; a due date is moved.
        _t(
            "withdraw",
            {A.PENDING, A.DISPUTED, A.HANDLING},
            A.WITHDRAWN,
            {STAFF},
            _("withdraw the assignment"),
            needs_reason=True,
        ),
        _t(
            "change_due",
            OPEN_STATES,
            None,
            {STAFF},
            _("change the due date"),
            needs_reason=True,
        ),
        _t(
            "rehandle",
            {A.REPLIED},
            A.REHANDLING,
            {"lead_proposer", SYSTEM},
            _("re-handle"),
            automatic=True,
        ),
        # An item closes (evaluated, or 未评价): a co-handling assignment still open ends with
        # it, recorded as the system's step (docs/domain.md §4.3).
        _t(
            "close_with_item",
            OPEN_STATES,
            A.CLOSED,
            {SYSTEM},
            _("closed with the item"),
            automatic=True,
        ),
    ],
    dict(AssignmentState.choices),
)

register_label("assignment.create", _("assigned to the unit"))
register_label("assignment.rehandle", _("handles the item again"))
register_label("assignment.withdraw", _("the assignment was withdrawn"))
register_label("assignment.change_due", _("the due date was changed"))
register_label(
    "assignment.calendar_changed", _("the dispute deadline moved with the official calendar")
)
# Item steps of the handling services that change no state.
register_label("item.merged_evaluate", _("evaluated the lead item's reply for this item"))
register_label("item.correct_class", _("corrected the result class"))
register_label("item.mark_cross_year", _("marked the item as cross-year"))
register_label("item.unmark_cross_year", _("the item is no longer cross-year"))
register_label("reply.publish", _("the public reply was published"))
