"""What waits for each role today: the queues of the start page (工作台), each a bounded count
and its first few rows, and the page where the work is done.

Cheap at province scale (docs/architecture.md, "Counts are bounded"): a role's counts are
one statement of LIMITed subqueries (`core.paging.counts_at_most`), each read from an index
the lists already use — the items' (body, state, created_at, id), the unit inbox's (unit,
state, dispute_due_on, id), the partial index of a body's open lead assignments by due date
(`assignment_open_lead_due`) and that of replied items by evaluation deadline — and each
queue's first rows are one LIMITed query with what its rows show joined in, read only when
the count is not zero. A start page therefore costs a fixed number of queries, whatever the
number of items."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, F
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from banli.bodies.models import Membership
from banli.core import paging
from banli.handling.access import HELD_STATES
from banli.handling.models import Assignment, AssignmentRole, DecisionState, Extension, Reply
from banli.handling.start_page import awaiting_evaluation
from banli.handling.workflow import OPEN_LEAD_STATES, WORKING, AssignmentState
from banli.items.models import Item
from banli.items.views.proposer import open_invitations
from banli.items.workflow import EDITABLE, ItemState

A, S = AssignmentState, ItemState
# The rows of each queue shown on the start page; its "all N" link leads to the rest.
ROWS = 5
# A start page counts up to this many of each queue ("999+" above): a desk says how much
# waits, the list it links to counts further.
COUNT_BOUND = 999
ITEM_SKIPPED = ("text", "search_text")
# The orders of the review queue (items.views.review) and of the queue to assign.
WAITING_SINCE = (F("submitted_at").asc(nulls_last=True), "id")
ACCEPTED_SINCE = (F("accepted_on").asc(nulls_last=True), "id")


@dataclass
class Queue:
    """One kind of work: how many wait, the first rows, where all of them are done."""

    key: str
    label: Any
    url: str
    count: paging.BoundedCount
    # How the rows are drawn (desk/_rows.html): item, to_assign, dispute, extension, replied,
    # overdue, to_accept, in_hand, to_sign, opinion, key_item, invitation, draft, evaluate.
    kind: str = "item"
    rows: list = field(default_factory=list)
    alert: bool = False  # a count that is late work: shown in red when not zero
    hint: Any = ""

    @property
    def more(self) -> bool:
        """More wait than the rows shown."""
        return self.count.value > len(self.rows)


def _literal(sql: str) -> RawSQL:
    """A condition with its constants written in the SQL (only code constants): SQLite uses
    a partial index only when the query's terms match the index's WHERE as written."""
    return RawSQL(sql, (), output_field=BooleanField())


# The conditions of the partial indexes `assignment_open_lead_due` and
# `item_replied_evaluation_due`, term for term.
OPEN_LEAD = _literal(
    f'"handling_assignment"."role" = \'{AssignmentRole.LEAD!s}\''
    ' AND "handling_assignment"."state" IN ('
    + ", ".join(f"'{state}'" for state in OPEN_LEAD_STATES)
    + ")"
)
REPLIED = _literal(f'"items_item"."state" = \'{ItemState.REPLIED!s}\'')


def _url(name: str, *args, **query) -> str:
    url = reverse(name, args=args)
    return f"{url}?{urlencode(query)}" if query else url


def _fill(queues: list[Queue], sets: dict[str, Any], rows: dict[str, Any]) -> list[Queue]:
    """Count every queue in one statement, then read the first rows of those not empty."""
    counts = paging.counts_at_most(sets, COUNT_BOUND)
    for queue in queues:
        queue.count = counts[queue.key]
        if queue.count and queue.key in rows:
            queue.rows = list(rows[queue.key][:ROWS])
    return queues


def _first(items, ordering) -> Any:
    """The first rows of `items` in `ordering`, with their proposer and category: the ids are
    sorted alone and only those rows are joined (joined before the sort, PostgreSQL hashed
    every member of the province to show five rows: 4.5 of 5.5 ms at 100,000 items)."""
    first = items.order_by(*ordering).values("pk")[:ROWS]
    return (
        Item.objects.filter(pk__in=first)
        .defer(*ITEM_SKIPPED)
        .select_related("proposer", "category")
        .order_by(*ordering)
    )


def _none() -> paging.BoundedCount:
    return paging.BoundedCount(0, COUNT_BOUND)


# The staff (and, read-only, the auditors) ------------------------------------------------------


def staff_queues(membership: Membership, *, today: dt.date, can_act: bool = True) -> list[Queue]:
    """收件、审查、待交办、申请调整、延期申请、答复、逾期: what the body's staff have to do.

    With `can_act` False (an auditor), the same counts link to the read-only lists and no
    rows are read."""
    body = membership.body
    items = Item.objects.filter(body=body)
    leads = Assignment.objects.filter(OPEN_LEAD, body=body)
    sets = {
        "submitted": items.filter(state=S.SUBMITTED),
        "under_review": items.filter(state=S.UNDER_REVIEW),
        "accepted": items.filter(state=S.ACCEPTED),
        "disputes": Assignment.objects.filter(body=body, state=A.DISPUTED),
        "extensions": Extension.objects.filter(assignment__body=body, state=DecisionState.PENDING),
        "replied": items.filter(REPLIED),
        "overdue": leads.filter(due_on__lt=today),
    }
    review = "items:review" if can_act else "items:list"
    queues = [
        Queue(
            "submitted",
            _("To receive"),
            _url(review, state=S.SUBMITTED),
            _none(),
            hint=_("Submitted items not yet taken in."),
        ),
        Queue(
            "under_review",
            _("To review"),
            _url(review, state=S.UNDER_REVIEW),
            _none(),
            hint=_("Received items waiting for your decision."),
        ),
        Queue(
            "accepted",
            _("To assign"),
            _url("desk:to_assign") if can_act else _url("items:list", state=S.ACCEPTED),
            _none(),
            kind="to_assign",
            hint=_("Accepted items waiting to be assigned to units."),
        ),
        Queue(
            "disputes",
            _("Disputes"),
            _url("handling:disputes"),
            _none(),
            kind="dispute",
            hint=_("Units asking for an item to go elsewhere."),
        ),
        Queue(
            "extensions",
            _("Extension requests"),
            _url("handling:extensions"),
            _none(),
            kind="extension",
            hint=_("Units asking for more time."),
        ),
        Queue(
            "replied",
            _("Replies to check"),
            _url("items:list", state=S.REPLIED),
            _none(),
            kind="replied",
            hint=_("Replies sent, waiting for the proposers' evaluation; newest first."),
        ),
        Queue(
            "overdue",
            _("Overdue"),
            _url("handling:board"),
            _none(),
            kind="overdue",
            alert=True,
            hint=_("Replies past their due date, the most overdue first."),
        ),
    ]
    if not can_act:
        return _fill(queues, sets, {})
    rows = {
        # The longest waiting first, as the review queue and the queue to assign list them
        # (the body's items in one state, from the (body, state, …) index, then sorted).
        "submitted": _first(items.filter(state=S.SUBMITTED), WAITING_SINCE),
        "under_review": _first(items.filter(state=S.UNDER_REVIEW), WAITING_SINCE),
        "accepted": _first(items.filter(state=S.ACCEPTED), ACCEPTED_SINCE),
        "disputes": Assignment.objects.filter(body=body, state=A.DISPUTED)
        .select_related("item", "unit")
        .defer(*(f"item__{f}" for f in ITEM_SKIPPED))
        .order_by("id"),
        "extensions": Extension.objects.filter(assignment__body=body, state=DecisionState.PENDING)
        .select_related("assignment__item", "assignment__unit")
        .defer(*(f"assignment__item__{f}" for f in ITEM_SKIPPED))
        .order_by("requested_at", "id"),
        # The newest replies first: the partial index of replied items by evaluation
        # deadline, read backwards (the deadline is a month after the reply).
        "replied": items.filter(REPLIED)
        .defer(*ITEM_SKIPPED)
        .select_related("proposer")
        .order_by("-evaluation_due_on", "-id"),
        "overdue": leads.filter(due_on__lt=today)
        .select_related("item", "unit")
        .defer(*(f"item__{f}" for f in ITEM_SKIPPED))
        .order_by("due_on", "id"),
    }
    return _fill(queues, sets, rows)


# The units ------------------------------------------------------------------------------------

COORD, HANDLER, LEADER = "unit_coordinator", "unit_handler", "unit_leader"


def unit_queues(membership: Membership, user, *, today: dt.date) -> list[Queue]:
    """签收、在办、签发、协办意见: what the user's unit has to do, as far as the user's roles
    take part in it. A handler who is neither coordinator nor leader sees the assignments
    they were named for."""
    roles = set(membership.roles)
    held = Assignment.objects.filter(
        unit_id=membership.unit_id, body_id=membership.body_id, state__in=HELD_STATES
    )
    handler_only = not roles & {COORD, LEADER}
    working = held.filter(state__in=WORKING)
    if handler_only:
        working = working.filter(handler=user)
    in_hand = working.filter(role=AssignmentRole.LEAD)
    owed = working.filter(role=AssignmentRole.CO)
    mine_query = {"mine": "on"} if handler_only else {}
    sets: dict[str, Any] = {}
    queues: list[Queue] = []
    rows: dict[str, Any] = {}
    shown = ("item", "item__session")
    skipped = tuple(f"item__{f}" for f in ITEM_SKIPPED)
    if roles & {COORD, LEADER}:
        sets["to_accept"] = held.filter(state=A.PENDING)
        queues.append(
            Queue(
                "to_accept",
                _("To accept"),
                _url("handling:inbox"),
                _none(),
                kind="to_accept",
                hint=_("New assignments: accept them, or dispute them within the window."),
            )
        )
        rows["to_accept"] = (
            held.filter(state=A.PENDING)
            .select_related(*shown)
            .defer(*skipped)
            .order_by("dispute_due_on", "id")
        )
    sets["in_hand"] = in_hand
    sets["overdue"] = in_hand.filter(due_on__lt=today)
    queues.append(
        Queue(
            "in_hand",
            _("In hand, by due date") if not handler_only else _("In hand, assigned to me"),
            _url("handling:unit_items", **mine_query),
            _none(),
            kind="in_hand",
            hint=_("Replies the unit owes, the soonest due first."),
        )
    )
    rows["in_hand"] = (
        in_hand.select_related(*shown, "handler").defer(*skipped).order_by("due_on", "id")
    )
    queues.append(
        Queue(
            "overdue",
            _("Overdue"),
            _url("handling:unit_items", **mine_query),
            _none(),
            alert=True,
            hint=_("Replies past their due date."),
        )
    )
    if LEADER in roles:
        drafts = Reply.objects.filter(
            assignment__unit_id=membership.unit_id,
            assignment__body_id=membership.body_id,
            assignment__state__in=WORKING,
            signed_at__isnull=True,
            round=F("assignment__item__reply_round"),
        )
        sets["to_sign"] = drafts
        queues.append(
            Queue(
                "to_sign",
                _("Drafts to sign"),
                _url("handling:signing"),
                _none(),
                kind="to_sign",
                hint=_("Replies drafted by the handlers, waiting for your signature."),
            )
        )
        rows["to_sign"] = (
            drafts.select_related("assignment__item", "drafted_by")
            .defer("text", *(f"assignment__{f}" for f in skipped))
            .order_by("assignment__due_on", "id")
        )
    sets["opinions"] = owed
    queues.append(
        Queue(
            "opinions",
            _("Co-handling opinions owed"),
            _url("handling:unit_items", **mine_query),
            _none(),
            kind="opinion",
            hint=_("Items the unit co-handles: its opinion goes to the lead unit."),
        )
    )
    rows["opinions"] = owed.select_related(*shown).defer(*skipped).order_by("due_on", "id")
    return _fill(queues, sets, rows)


# The supervising leader -----------------------------------------------------------------------

KEY_ROWS = 10


def supervisor_queues(membership: Membership, user, *, today: dt.date) -> list[Queue]:
    """督办: the key items this leader supervises, each with its state and next due date."""
    keys = Item.objects.filter(body=membership.body, key_item__supervisor=user)
    queues = [
        Queue(
            "key_items",
            _("Key items under my supervision"),
            _url("supervision:mine"),
            _none(),
            kind="key_item",
            hint=_("Their state and the next reply due, the soonest first."),
        ),
        Queue(
            "overdue",
            _("Overdue"),
            _url("supervision:mine"),
            _none(),
            alert=True,
            hint=_("Key items with a reply past its due date."),
        ),
    ]
    counts = paging.counts_at_most(
        {"key_items": keys, "overdue": keys.filter(next_due_on__lt=today)}, COUNT_BOUND
    )
    for queue in queues:
        queue.count = counts[queue.key]
    if counts["key_items"]:
        queues[0].rows = list(
            keys.defer(*ITEM_SKIPPED)
            .select_related("key_item")
            .order_by(F("next_due_on").asc(nulls_last=True), "id")[:KEY_ROWS]
        )
    return queues


# The proposer --------------------------------------------------------------------------------


def proposer_queues(membership: Membership) -> list[Queue]:
    """附议邀请、草稿、待评价: the proposer's own page (我的, `items:mine`) has them all; the
    start page counts them and shows the first ones."""
    member = membership.member
    invitations = open_invitations(member)
    drafts = Item.objects.filter(proposer=member, state__in=EDITABLE)
    to_evaluate = awaiting_evaluation(member)
    mine = _url("items:mine")
    queues = [
        Queue(
            "invitations",
            _("Invitations to co-sign"),
            mine,
            _none(),
            kind="invitation",
            hint=_("Colleagues ask you to co-sign their items."),
        ),
        Queue(
            "drafts",
            _("Drafts"),
            mine,
            _none(),
            kind="draft",
            hint=_("Your drafts and the items returned to you for revision."),
        ),
        Queue(
            "to_evaluate",
            _("Replies to evaluate"),
            mine,
            _none(),
            kind="evaluate",
            hint=_("Tell the units whether their reply satisfies you."),
        ),
    ]
    sets = {
        "invitations": invitations,
        "drafts": drafts,
        "to_evaluate": to_evaluate,
    }
    rows = {
        "invitations": invitations,
        "drafts": drafts.defer(*ITEM_SKIPPED).order_by("-created_at", "-id"),
        "to_evaluate": to_evaluate,
    }
    return _fill(queues, sets, rows)
