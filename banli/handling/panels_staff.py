"""Panels this app adds to the item page (registered with banli.core.panels): the read-only
handling progress that every reader of the item sees, and the next steps of the staff and
the proposers (assign, evaluate, close as not evaluated).

Which steps to offer is asked of the workflow table, never decided from the state here."""

import datetime as dt
from collections import defaultdict

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from banli.bodies.access import current_membership
from banli.bodies.models import BODY_WIDE_READERS, UNIT_ROLES
from banli.core import clock, panels
from banli.core.errors import DomainError
from banli.core.uploads import case_files
from banli.items.models import Item
from banli.items.workflow import ITEM_WORKFLOW, ItemState

from . import case, services
from .access import HELD_STATES, reads_as_proposer
from .models import AssignmentRole, Reply
from .workflow import ASSIGNMENT_WORKFLOW, GONE_STATES

# Readers related to the item who see its replies in full, public or not: its proposers
# (`reads_as_proposer`: confirmed co-signers, merged items' proposers), the units holding it,
# the body's staff, leaders and auditors, and third-party evaluators. Others read a public
# item and see only its public replies, without the contact's phone (docs/domain.md).
RELATED_ROLES = frozenset({"evaluator", *BODY_WIDE_READERS})


def sent_replies(item: Item, *, latest_round: bool = False) -> list[Reply]:
    """The signed replies of the item's lead units, each with `files` (its attachments); with
    `latest_round`, only those of the last round in which a reply was sent."""
    replies = [r for r in case.replies(item) if r.signed_at is not None]
    replies.sort(key=lambda r: (r.round, r.replied_on or dt.date.min, r.pk))
    if latest_round and replies:
        last = replies[-1].round
        replies = [r for r in replies if r.round == last]
    files = defaultdict(list)
    if replies:
        reply_type = ContentType.objects.get_for_model(Reply)
        ids = {r.pk for r in replies}
        for attachment in case_files(item):
            if attachment.target_type_id == reply_type.pk and attachment.target_id in ids:
                attachment.url = reverse("items:attachment", args=[attachment.pk])
                files[attachment.target_id].append(attachment)
    for reply in replies:
        reply.files = files[reply.pk]
    return replies


def _unit_reader(request, item: Item, assignments) -> int | None:
    """The unit the user reads the item for, if it still holds one of the item's assignments
    (a unit reassigned away reads it no more)."""
    profile = current_membership(request.user)
    if profile is None or not profile.unit_id or not set(profile.roles) & UNIT_ROLES:
        return None
    held = any(a.unit_id == profile.unit_id and a.state in HELD_STATES for a in assignments)
    return profile.unit_id if held else None


def _opinions(item: Item, roles: set[str], unit_id: int | None, assignments):
    """Co-handling opinions go to the lead units, not to the proposers: staff, leaders and
    auditors read them all, a lead unit those on its item, a co-handling unit its own."""
    # Only a co-handling unit sends an opinion: without one there is nothing to read.
    if not any(a.role == AssignmentRole.CO for a in assignments):
        return []
    opinions = case.opinions(item)
    if roles & BODY_WIDE_READERS:
        return opinions
    if unit_id is None:
        return []
    leads = {a.unit_id for a in assignments if a.role == AssignmentRole.LEAD}
    if unit_id in leads:
        return opinions
    return [o for o in opinions if o.assignment.unit_id == unit_id]


def handling_progress(request, item: Item, roles: set[str]):
    """Assignments, replies per round, evaluations, class changes and extensions. An item
    merged into another (并案) shows the lead item's replies: its proposers receive them
    and evaluate them for their own item (分别答复)."""
    lead_item = item.merged_into if item.state == ItemState.MERGED else None
    handled = lead_item or item
    assignments = case.assignments(handled)
    class_changes = list(item.class_changes.select_related("reply__assignment__unit"))
    if not assignments and not class_changes:
        return None
    unit_id = _unit_reader(request, handled, assignments)
    related = (
        bool(roles & RELATED_ROLES) or unit_id is not None or reads_as_proposer(request.user, item)
    )
    replies = sent_replies(handled)
    if not related:
        replies = [r for r in replies if r.is_public]
    rounds: dict[int, list[Reply]] = defaultdict(list)
    for reply in replies:
        rounds[reply.round].append(reply)
    extensions = case.extensions(handled)
    return {
        "template": "handling/_progress_panel.html",
        "order": 30,
        "context": {
            "item": item,
            "lead_item": lead_item,
            "assignments": assignments,
            "rounds": sorted(rounds.items()),
            "evaluations": list(
                item.evaluations.select_related("member", "reply__assignment__unit")
            ),
            "class_changes": class_changes,
            "extensions": list(extensions),
            "opinions": _opinions(handled, roles, unit_id, assignments),
            "related": related,
        },
    }


def next_steps(request, item: Item, roles: set[str]):
    """The staff's and proposers' handling steps on the item, as the workflow and the
    evaluation rules (services.evaluation_turn) offer them."""
    available = {t.action for t in ITEM_WORKFLOW.available(item.state, roles, item)}
    today = clock.today()
    window_passed = item.evaluation_due_on is not None and item.evaluation_due_on < today
    turn = _evaluation_turn(request, item)
    steps = {
        "assign": "assign" in available,
        "close": "close_unevaluated" in available and window_passed,
        # The lead proposer's evaluation of their own item (merged or not) counts; a
        # co-signer adds theirs.
        "evaluate": turn is not None and turn.counts,
        "cosign_evaluate": turn is not None and not turn.counts,
    }
    steer = steering_steps(item, roles, available)
    if not any(steps.values()) and not steer["add_unit"] and not steer["assignments"]:
        return None
    return {
        "template": "handling/staff_panel.html",
        "order": 15,
        "context": {
            "item": item,
            "today": today,
            "evaluate_by": turn.due_on if turn else None,
            **steps,
            **steer,
            "has_steps": any(steps.values()),
        },
    }


# The staff's corrections of the handling the panel links to (banli.handling.steering).
STEERING_ACTIONS = ("change_due", "withdraw")


def steering_steps(item: Item, roles: set[str], available: set[str]) -> dict:
    """Whether the workflow offers adding a unit, and each current assignment with the
    steering steps the assignment table offers these roles on it (from the assignments the
    page has read once, `handling.case`)."""
    rows = []
    if "staff" in roles and item.state != ItemState.CLOSED:
        staff_roles = set(roles) - UNIT_ROLES
        assignments = case.assignments(item)
        leads = [a for a in assignments if a.is_lead and a.state not in GONE_STATES]
        for assignment in assignments:
            offered = {
                t.action
                for t in ASSIGNMENT_WORKFLOW.available(assignment.state, staff_roles, assignment)
            }
            # The item's only lead unit is not withdrawn (the service says so): not offered.
            if assignment.is_lead and len(leads) < 2:
                offered.discard("withdraw")
            actions = [a for a in STEERING_ACTIONS if a in offered]
            if actions:
                rows.append({"assignment": assignment, "actions": actions})
    return {"add_unit": "add_unit" in available, "assignments": rows}


def _evaluation_turn(request, item: Item):
    """What the user may evaluate on the item now, if anything."""
    member = services.evaluator(item, request.user)
    # No round to evaluate (a draft, an item in handling…): no turn, and no query for why.
    if services.evaluation_round_for(item, member) is None:
        return None
    try:
        return services.evaluation_turn(item, member)
    except DomainError:
        return None


panels.register(next_steps)
panels.register(handling_progress)
