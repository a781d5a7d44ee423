"""The assignment workflow (交办 → 签收/退回 → 办理 → 答复) as one table."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from banli.core.workflow import SYSTEM, Transition, Workflow, register_label


class AssignmentState(models.TextChoices):
    PENDING = "pending", _("Awaiting acceptance")
    DISPUTED = "disputed", _("Disputed")
    REASSIGNED = "reassigned", _("Reassigned")
    HANDLING = "handling", _("In handling")
    REPLIED = "replied", _("Replied")
    OPINION_SENT = "opinion_sent", _("Opinion sent")
    REHANDLING = "rehandling", _("Re-handling")


A = AssignmentState
COORD, HANDLER, LEADER, STAFF = "unit_coordinator", "unit_handler", "unit_leader", "staff"
WORKING = frozenset({A.HANDLING, A.REHANDLING})
# Assignments whose unit still owes its reply (lead) or opinion (co-handling).
OPEN_STATES = frozenset({A.PENDING, A.DISPUTED, *WORKING})
# The same states in a fixed order, for the partial index of open lead assignments and the
# queries that must match its condition term for term (SQLite's rule for partial indexes).
OPEN_LEAD_STATES = tuple(sorted(OPEN_STATES))


def _t(action, sources, target, roles, label, **kw) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), label, **kw)


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
        _t(
            "send_opinion", WORKING, A.OPINION_SENT, {COORD, HANDLER, LEADER}, _("send the opinion")
        ),
        _t(
            "rehandle",
            {A.REPLIED},
            A.REHANDLING,
            {"lead_proposer", SYSTEM},
            _("re-handle"),
            automatic=True,
        ),
    ],
    dict(AssignmentState.choices),
)

register_label("assignment.create", _("assigned to the unit"))
register_label("assignment.rehandle", _("handles the item again"))
register_label(
    "assignment.calendar_changed", _("the dispute deadline moved with the official calendar")
)
# Item steps of the handling services that change no state.
register_label("item.merged_evaluate", _("evaluated the lead item's reply for this item"))
register_label("item.correct_class", _("corrected the result class"))
register_label("item.mark_cross_year", _("marked the item as cross-year"))
register_label("item.unmark_cross_year", _("the item is no longer cross-year"))
