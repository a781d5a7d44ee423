"""The item workflow of docs/domain.md (the lifecycle) as one table.

Roles here are relational: `lead_proposer` and `cosigner` are relative to the item; `staff`
is the body's staff; unit roles act through their assignment; `system` is a deadline;
`import` is a row of a past year's register being imported.

The first rows create an item (from `NEW`): a proposer writes their own draft, staff enter
one for a proposer from the paper original (代录入), an import enters a past year's item in the
state its register records.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from banli.core.workflow import NEW, SYSTEM, Guard, Transition, Workflow, register_label


class ItemState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    RETURNED = "returned", _("Returned for revision")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REJECTED = "rejected", _("Not accepted")
    MERGED = "merged", _("Merged")
    ACCEPTED = "accepted", _("Accepted")
    ASSIGNED = "assigned", _("Assigned")
    IN_HANDLING = "in_handling", _("In handling")
    REPLIED = "replied", _("Replied")
    REHANDLING = "rehandling", _("Re-handling")
    CLOSED = "closed", _("Closed")


S = ItemState
LEAD = "lead_proposer"
STAFF = "staff"
IMPORT = "import"
# States in which an item is public if flagged so (never a draft or a refused item).
PUBLISHABLE = frozenset({S.ACCEPTED, S.ASSIGNED, S.IN_HANDLING, S.REPLIED, S.REHANDLING, S.CLOSED})
ENDED = frozenset({S.WITHDRAWN, S.REJECTED, S.MERGED, S.CLOSED})
# States in which the proposer is still drafting.
EDITABLE = frozenset({S.DRAFT, S.RETURNED})
HANDLING = frozenset({S.ASSIGNED, S.IN_HANDLING, S.REPLIED, S.REHANDLING})


def _t(action, sources, target, roles, label, **kw) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), label, **kw)


# Staff never silently change a deputy's draft: they edit, invite for and submit only the
# drafts they entered on the proposer's behalf (代录入, docs/domain.md).
ENTERED_BY_STAFF = Guard(
    lambda item: item.entered_by_staff,
    _("Staff change a draft only when they entered it on the proposer's behalf."),
)
ON_BEHALF = {STAFF: ENTERED_BY_STAFF}
# Only the presidium's decision on a motion turns it into a suggestion (议案转建议).
IS_MOTION = Guard(
    lambda item: item.kind == "motion", _("Only a motion can be converted to a suggestion.")
)
# A refused proposal may be passed on as 社情民意 or to a unit (不予立案, docs/domain.md).
IS_PROPOSAL = Guard(
    lambda item: item.kind == "proposal", _("Only a proposal that was not accepted is forwarded.")
)
# Only a key item is unmarked or gets another supervising leader. The record is the
# supervision app's (`Item.key_item`); asked by name, so this module imports nothing above it.
IS_KEY = Guard(
    lambda item: getattr(item, "key_item", None) is not None,
    _("The item is not a key item."),
)
# Staff correct and steer an item after acceptance until it is closed (docs/architecture.md,
# steering).
AFTER_ACCEPTANCE = frozenset({S.ACCEPTED, *HANDLING})
# Each invitee answers once: the answer an invitation already holds, per action.
COSIGN_ANSWERS = {"confirm_cosign": "confirmed", "decline_cosign": "declined"}


ITEM_WORKFLOW = Workflow(
    "item",
    ItemState.values,
    [
        _t("create", {NEW}, S.DRAFT, {LEAD}, _("write an item")),
        _t("enter_on_behalf", {NEW}, S.DRAFT, {STAFF}, _("enter an item for a proposer")),
        _t(
            "import",
            {NEW},
            S.ACCEPTED,
            {IMPORT},
            _("import an item of a past year"),
            alternatives=frozenset({S.CLOSED}),
        ),
        _t("edit", EDITABLE, None, {LEAD, STAFF}, _("edit the draft"), role_guards=ON_BEHALF),
        _t(
            "invite_cosigners",
            EDITABLE,
            None,
            {LEAD, STAFF},
            _("invite co-signers"),
            role_guards=ON_BEHALF,
        ),
        _t("confirm_cosign", EDITABLE, None, {"cosigner"}, _("confirm co-signing")),
        _t("decline_cosign", EDITABLE, None, {"cosigner"}, _("decline co-signing")),
        _t("submit", EDITABLE, S.SUBMITTED, {LEAD, STAFF}, _("submit"), role_guards=ON_BEHALF),
        _t("withdraw", {S.DRAFT, S.SUBMITTED, S.RETURNED}, S.WITHDRAWN, {LEAD}, _("withdraw")),
        _t("receive", {S.SUBMITTED}, S.UNDER_REVIEW, {STAFF}, _("start the review")),
        _t(
            "return",
            {S.UNDER_REVIEW},
            S.RETURNED,
            {STAFF},
            _("return for revision"),
            needs_reason=True,
        ),
        _t("reject", {S.UNDER_REVIEW}, S.REJECTED, {STAFF}, _("reject"), needs_reason=True),
        _t("merge", {S.UNDER_REVIEW}, S.MERGED, {STAFF}, _("merge into another item")),
        _t(
            "convert",
            {S.UNDER_REVIEW},
            None,
            {STAFF},
            _("convert the motion to a suggestion"),
            applies=IS_MOTION,
        ),
        _t("accept", {S.UNDER_REVIEW}, S.ACCEPTED, {STAFF}, _("accept")),
        _t(
            "forward",
            {S.REJECTED},
            None,
            {STAFF},
            _("forward the proposal"),
            applies=IS_PROPOSAL,
        ),
        _t("set_key", {S.ACCEPTED, *HANDLING}, None, {STAFF}, _("mark as a key item")),
        _t("assign", {S.ACCEPTED}, S.ASSIGNED, {STAFF}, _("assign")),
        # Corrections and steering after acceptance, each with a reason (banli.items.services
        # amend_item, banli.handling.steering, banli.supervision.services).
        _t(
            "amend",
            AFTER_ACCEPTANCE,
            None,
            {STAFF},
            _("correct the title, text or category"),
            needs_reason=True,
        ),
        _t(
            "add_unit",
            {S.ASSIGNED, S.IN_HANDLING},
            None,
            {STAFF},
            _("add a unit"),
            needs_reason=True,
        ),
        _t(
            "unset_key",
            AFTER_ACCEPTANCE,
            None,
            {STAFF},
            _("remove from the key items"),
            needs_reason=True,
            applies=IS_KEY,
        ),
        _t(
            "change_key_leader",
            AFTER_ACCEPTANCE,
            None,
            {STAFF},
            _("change the supervising leader"),
            needs_reason=True,
            applies=IS_KEY,
        ),
        # Consequences of withdrawing a lead unit's assignment (banli.handling.steering): the
        # lead units that remain have all replied, or none of them has accepted yet.
        _t(
            "remaining_replied",
            {S.IN_HANDLING},
            S.REPLIED,
            {STAFF},
            _("every remaining lead unit has replied"),
            automatic=True,
        ),
        _t(
            "back_to_assigned",
            {S.IN_HANDLING},
            S.ASSIGNED,
            {STAFF},
            _("no remaining lead unit has accepted yet"),
            automatic=True,
        ),
        # Consequences of the units' actions (banli.handling.services).
        _t(
            "start_handling",
            {S.ASSIGNED},
            S.IN_HANDLING,
            {"unit_coordinator", "unit_leader"},
            _("start handling"),
            automatic=True,
        ),
        _t(
            "reply",
            {S.ASSIGNED, S.IN_HANDLING, S.REHANDLING},
            S.REPLIED,
            {"unit_leader"},
            _("reply"),
            automatic=True,
        ),
        _t("evaluate_close", {S.REPLIED}, S.CLOSED, {LEAD}, _("evaluate"), automatic=True),
        # Co-signers evaluate within the window even after the lead moved the item on.
        _t(
            "cosigner_evaluate",
            {S.REPLIED, S.REHANDLING, S.CLOSED},
            None,
            {"cosigner"},
            _("evaluate"),
            automatic=True,
        ),
        _t("evaluate_rehandle", {S.REPLIED}, S.REHANDLING, {LEAD}, _("evaluate"), automatic=True),
        _t(
            "close_unevaluated",
            {S.REPLIED},
            S.CLOSED,
            {STAFF, SYSTEM},
            _("close as not evaluated"),
        ),
    ],
    dict(ItemState.choices),
)

register_label("item.create", _("created the draft"))
register_label("item.enter_on_behalf", _("entered by staff for the proposer"))
register_label("item.import", _("imported from a past year's register"))
register_label("item.forward", _("forwarded the proposal that was not accepted"))
register_label("attachment.add", _("attached a file"))
# How automatic steps read in an item's timeline (the table's labels are verbs for buttons).
register_label("item.start_handling", _("handling started"))
register_label("item.reply", _("every lead unit has replied"))
register_label("item.evaluate_close", _("evaluated the reply; the item is closed"))
register_label("item.evaluate_rehandle", _("evaluated the reply as unsatisfied; re-handling"))
register_label("item.cosigner_evaluate", _("a co-signer evaluated the reply"))
register_label("item.amend", _("corrected the title, text or category"))
register_label("item.add_unit", _("added a unit"))
register_label("item.unset_key", _("removed the item from the key items"))
register_label("item.change_key_leader", _("changed the supervising leader"))
