"""Use cases of handling: assignment, disputes, extensions, contacts, opinions, replies,
evaluation and closure. With `banli.items.services`, the only code that changes state.

Each function checks the actor's roles against the workflow tables, validates, changes the
records in one transaction and appends one history entry per state change.
"""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import translation
from django.utils.translation import gettext as _

from banli.bodies.access import current_membership, membership_in
from banli.bodies.models import UNIT_ROLES, Member, Unit
from banli.core import clock
from banli.core.actors import Actor, user_of
from banli.core.calendar import add_months, add_working_days
from banli.core.errors import DeadlinePassed, InvalidTransition, NotAllowed, ValidationFailed
from banli.core.history import record
from banli.core.workflow import SYSTEM
from banli.items.models import Closure, Item
from banli.items.permissions import item_roles
from banli.items.services import advance
from banli.items.workflow import ITEM_WORKFLOW, ItemState

from .models import (
    NOTICE_MESSAGES,
    Assignment,
    AssignmentRole,
    CoHandlingOpinion,
    Contact,
    ContactMethod,
    ContactStage,
    DecisionState,
    Evaluation,
    Extension,
    Notice,
    NoticeKind,
    Rating,
    Reply,
    ResultClassChange,
)
from .workflow import ASSIGNMENT_WORKFLOW, OPEN_STATES, AssignmentState

A = AssignmentState


def assignment_roles(by, assignment: Assignment) -> set[str]:
    """Unit roles count only for the user's own unit; staff act on every assignment."""
    if by is None or (isinstance(by, Actor) and by.is_system):
        return {SYSTEM}
    membership = membership_in(user_of(by), assignment.item.body_id)
    if membership is None:
        return set()
    roles = set(membership.roles)
    if membership.unit_id != assignment.unit_id:
        roles -= UNIT_ROLES
    return roles


def _advance(assignment: Assignment, action: str, *, by, roles, reason="", data=None):
    transition = ASSIGNMENT_WORKFLOW.check(action, assignment.state, roles)
    if transition.needs_reason and not (reason or "").strip():
        raise ValidationFailed(_("Please give a reason."))
    # A stale copy (another request changed the row since it was read) must not write its
    # old state back; the row stays locked until the transaction ends.
    current = (
        Assignment.objects.select_for_update()
        .filter(pk=assignment.pk)
        .values_list("state", flat=True)
        .first()
    )
    if current != assignment.state:
        raise InvalidTransition(_("This assignment was changed meanwhile; please reload it."))
    before = assignment.state
    assignment.state = transition.leads_to(before)
    assignment.save()
    _refresh_next_due(assignment.item)
    data = {"unit": assignment.unit.name, "assignment": assignment.pk, **(data or {})}
    record(
        assignment,
        f"assignment.{action}",
        by=by,
        before=before,
        after=assignment.state,
        reason=reason,
        data=data,
        root=assignment.item,
    )
    return transition


# Once the item is closed its handling is over; only the contact after the reply (三见面)
# may still be logged.
AFTER_CLOSURE = {"log_contact"}


def _check(assignment: Assignment, action: str, by) -> set[str]:
    roles = assignment_roles(by, assignment)
    ASSIGNMENT_WORKFLOW.check(action, assignment.state, roles)
    if action not in AFTER_CLOSURE and (
        Item.objects.filter(pk=assignment.item_id, state=ItemState.CLOSED).exists()
    ):
        raise InvalidTransition(_("The item is closed; its handling can no longer change."))
    return roles


def _new_assignment(item: Item, unit: Unit, role, *, by, replaces=None) -> Assignment:
    rules = item.body.rules
    today = clock.today()
    if role == AssignmentRole.LEAD:
        # Representative Law art. 51: reply within three months of assignment, six at most.
        months = rules.complex_reply_months if item.is_complex else rules.reply_months
    else:
        months = rules.co_opinion_months
    assignment = Assignment.objects.create(
        item=item,
        unit=unit,
        role=role,
        assigned_on=today,
        due_on=add_months(today, months),
        dispute_due_on=add_working_days(today, rules.dispute_working_days),
        replaces=replaces,
    )
    _refresh_next_due(item)
    record(
        assignment,
        "assignment.create",
        by=by,
        before="",
        after=assignment.state,
        root=item,
        data={"unit": unit.name, "role": role, "due_on": assignment.due_on.isoformat()},
    )
    return assignment


def _refresh_next_due(item: Item) -> None:
    """Keep `Item.next_due_on` true: the earliest due date of the open lead assignments.
    The items app filters overdue and due-soon items on it without knowing assignments
    (docs/architecture.md, import rules); call it after any change of an assignment's
    state or due date."""
    due = Assignment.objects.filter(
        item_id=item.pk, role=AssignmentRole.LEAD, state__in=OPEN_STATES
    ).aggregate(due=Min("due_on"))["due"]
    Item.objects.filter(pk=item.pk).update(next_due_on=due)
    item.next_due_on = due


def _check_units(item: Item, units: Iterable[Unit]) -> list[Unit]:
    units = list(units)
    for unit in units:
        if unit.body_id != item.body_id or not unit.active:
            raise ValidationFailed(_("%(unit)s is not a unit of this body.") % {"unit": unit})
    return units


def planned_due_dates(
    item: Item, *, complex: bool, on: dt.date | None = None
) -> dict[str, dt.date]:
    """The dates an assignment made today would carry (shown before staff confirm)."""
    rules, today = item.body.rules, on or clock.today()
    return {
        "lead": add_months(today, rules.complex_reply_months if complex else rules.reply_months),
        "co": add_months(today, rules.co_opinion_months),
        "dispute": add_working_days(today, rules.dispute_working_days),
    }


@transaction.atomic
def assign(
    item: Item,
    *,
    by,
    lead_units: Iterable[Unit],
    co_units: Iterable[Unit] = (),
    complex: bool = False,
) -> list[Assignment]:
    """Assign (交办) to one or more lead units (主办/分办) and any co-handling units (协办)."""
    roles = item_roles(by, item)
    ITEM_WORKFLOW.check("assign", item.state, roles)
    leads, cos = _check_units(item, lead_units), _check_units(item, co_units)
    if not leads:
        raise ValidationFailed(_("Choose at least one lead unit."))
    ids = [u.pk for u in leads + cos]
    if len(ids) != len(set(ids)):
        raise ValidationFailed(_("A unit can be given the item only once."))
    item.is_complex = complex
    item.assigned_on = clock.today()
    advance(
        item,
        "assign",
        by=by,
        roles=roles,
        data={"lead": [u.name for u in leads], "co": [u.name for u in cos], "complex": complex},
    )
    made = [_new_assignment(item, u, AssignmentRole.LEAD, by=by) for u in leads]
    made += [_new_assignment(item, u, AssignmentRole.CO, by=by) for u in cos]
    return made


@transaction.atomic
def accept_assignment(assignment: Assignment, *, by) -> Assignment:
    """The unit takes the item (签收); the first lead unit to do so starts the handling."""
    roles = _check(assignment, "accept", by)
    assignment.accepted_on = clock.today()
    _advance(assignment, "accept", by=by, roles=roles)
    item = assignment.item
    if assignment.is_lead and item.state == ItemState.ASSIGNED:
        advance(item, "start_handling", by=by, roles=roles)
    return assignment


@transaction.atomic
def dispute(assignment: Assignment, *, by, reason: str) -> Assignment:
    """The unit says the item is not theirs (申请调整), within the body's working days."""
    roles = _check(assignment, "dispute", by)
    if clock.today() > assignment.dispute_due_on:
        raise DeadlinePassed(
            _("The assignment could only be disputed until %(date)s.")
            % {"date": assignment.dispute_due_on.isoformat()}
        )
    _advance(assignment, "dispute", by=by, roles=roles, reason=reason)
    return assignment


@transaction.atomic
def reassign(assignment: Assignment, *, by, to_unit: Unit, reason: str = "") -> Assignment:
    """Staff give a disputed assignment to another unit; its deadlines start again."""
    roles = _check(assignment, "reassign", by)
    (to_unit,) = _check_units(assignment.item, [to_unit])
    # The disputing unit itself counts: giving the item back to it would only restart its clock.
    taken = assignment.item.assignments.exclude(state=A.REASSIGNED)
    if taken.filter(unit=to_unit).exists():
        raise ValidationFailed(_("%(unit)s already has this item.") % {"unit": to_unit})
    _advance(assignment, "reassign", by=by, roles=roles, reason=reason, data={"to": to_unit.name})
    return _new_assignment(assignment.item, to_unit, assignment.role, by=by, replaces=assignment)


@transaction.atomic
def dismiss_dispute(assignment: Assignment, *, by, reason: str) -> Assignment:
    roles = _check(assignment, "dismiss_dispute", by)
    if not (reason or "").strip():
        raise ValidationFailed(_("Please give a reason."))
    _advance(assignment, "dismiss_dispute", by=by, roles=roles, reason=reason)
    return assignment


@transaction.atomic
def name_handler(assignment: Assignment, *, by, handler, phone: str = "") -> Assignment:
    roles = _check(assignment, "name_handler", by)
    profile = membership_in(handler, assignment.item.body_id)
    if profile is None or profile.unit_id != assignment.unit_id:
        raise ValidationFailed(_("The handler must be a person of this unit."))
    assignment.handler, assignment.handler_phone = handler, (phone or profile.phone).strip()
    _advance(assignment, "name_handler", by=by, roles=roles, data={"handler": str(handler)})
    return assignment


@transaction.atomic
def log_contact(
    assignment: Assignment, *, by, stage: str, method: str, on: dt.date, notes: str = ""
) -> Contact:
    """Record a contact with the proposer (三见面)."""
    roles = _check(assignment, "log_contact", by)
    if stage not in ContactStage.values or method not in ContactMethod.values:
        raise ValidationFailed(_("Choose the stage and the method of the contact."))
    if on > clock.today():
        raise ValidationFailed(_("A contact cannot be logged for a future date."))
    if on < assignment.assigned_on:
        raise ValidationFailed(_("A contact cannot be earlier than the assignment."))
    contact = Contact.objects.create(
        assignment=assignment,
        stage=stage,
        method=method,
        contacted_on=on,
        notes=notes,
        logged_by=by,
    )
    _advance(
        assignment,
        "log_contact",
        by=by,
        roles=roles,
        data={"stage": stage, "method": method, "on": on.isoformat()},
    )
    return contact


def _notify_proposers(item: Item, kind, data: dict, reply: Reply | None = None) -> int:
    """Tell every proposer of the item and of the items merged into it (逐人、分别答复)."""
    members: dict[int, Member] = {}
    for case in [item, *item.merged_items.all()]:
        for member in case.signers():
            members.setdefault(member.pk, member)
    with translation.override(settings.LANGUAGE_CODE):
        text = str(NOTICE_MESSAGES[kind]) % data
    now = clock.now()
    Notice.objects.bulk_create(
        Notice(member=m, item=item, kind=kind, text=text, data=data, reply=reply, created_at=now)
        for m in members.values()
    )
    return len(members)


@transaction.atomic
def request_extension(assignment: Assignment, *, by, until: dt.date, reason: str) -> Extension:
    """A unit asks for more time (延期) before its deadline, up to the body's limit."""
    roles = _check(assignment, "request_extension", by)
    if not (reason or "").strip():
        raise ValidationFailed(_("Please give a reason."))
    if clock.today() > assignment.due_on:
        raise DeadlinePassed(_("An extension must be asked for before the due date."))
    if until <= assignment.due_on:
        raise ValidationFailed(_("The new due date must be later than the current one."))
    limit = add_months(assignment.assigned_on, assignment.item.body.rules.max_reply_months)
    if until > limit:
        raise ValidationFailed(
            _("The reply cannot be later than %(date)s.") % {"date": limit.isoformat()}
        )
    if assignment.extensions.filter(state=DecisionState.PENDING).exists():
        raise InvalidTransition(_("An extension request is already waiting for a decision."))
    extension = Extension.objects.create(
        assignment=assignment,
        requested_due_on=until,
        previous_due_on=assignment.due_on,
        reason=reason,
        requested_by=by,
        requested_at=clock.now(),
    )
    _advance(
        assignment,
        "request_extension",
        by=by,
        roles=roles,
        reason=reason,
        data={"until": until.isoformat()},
    )
    return extension


@transaction.atomic
def decide_extension(extension: Extension, *, by, approve: bool, note: str = "") -> Extension:
    """Staff approve or refuse; on approval the due date moves and the proposers are told."""
    assignment = extension.assignment
    roles = _check(assignment, "decide_extension", by)
    if extension.state != DecisionState.PENDING:
        raise InvalidTransition(_("This request has already been decided."))
    extension.state = DecisionState.APPROVED if approve else DecisionState.REFUSED
    extension.decided_by, extension.decided_at, extension.decision_note = by, clock.now(), note
    extension.save()
    if approve:
        assignment.due_on = extension.requested_due_on
        _notify_proposers(
            assignment.item,
            NoticeKind.EXTENSION,
            {"unit": assignment.unit.name, "date": assignment.due_on.isoformat()},
        )
    _advance(
        assignment,
        "decide_extension",
        by=by,
        roles=roles,
        reason=note,
        data={"approved": approve, "until": extension.requested_due_on.isoformat()},
    )
    return extension


@transaction.atomic
def send_opinion(assignment: Assignment, *, by, text: str) -> CoHandlingOpinion:
    """A co-handling unit's written opinion goes to the lead units (协办意见)."""
    if assignment.is_lead:
        raise InvalidTransition(_("Only a co-handling unit sends an opinion; a lead unit replies."))
    roles = _check(assignment, "send_opinion", by)
    if not (text or "").strip():
        raise ValidationFailed(_("The opinion is empty."))
    opinion = CoHandlingOpinion.objects.create(
        assignment=assignment, text=text.strip(), sent_by=by, sent_at=clock.now()
    )
    _advance(assignment, "send_opinion", by=by, roles=roles)
    return opinion


def _check_class(item: Item, result_class: str, planned_on: dt.date | None) -> None:
    rules = item.body.rules
    if result_class not in rules.result_classes:
        raise ValidationFailed(
            _("Choose one of the result classes: %(classes)s.")
            % {"classes": ", ".join(rules.result_classes)}
        )
    if result_class == rules.planned_class and planned_on is None:
        raise ValidationFailed(
            _("Class %(cls)s needs the planned completion date.") % {"cls": result_class}
        )


@transaction.atomic
def draft_reply(
    assignment: Assignment,
    *,
    by,
    text: str,
    result_class: str,
    planned_on: dt.date | None = None,
    is_public: bool = False,
    contact_name: str = "",
    contact_phone: str = "",
) -> Reply:
    """The handler drafts the reply letter (答复函); the unit leader signs it later."""
    if not assignment.is_lead:
        raise InvalidTransition(
            _("A co-handling unit sends its opinion to the lead unit; only lead units reply.")
        )
    roles = _check(assignment, "draft_reply", by)
    if not (text or "").strip():
        raise ValidationFailed(_("The reply text is empty."))
    item = assignment.item
    _check_class(item, result_class, planned_on)
    if result_class != item.body.rules.planned_class:
        planned_on = None
    reply = assignment.replies.filter(round=item.reply_round).first()
    if reply is None:
        reply = Reply(assignment=assignment, round=item.reply_round)
    elif reply.is_sent:
        raise InvalidTransition(_("This reply has been sent and can no longer change."))
    reply.text, reply.result_class, reply.planned_on = text.strip(), result_class, planned_on
    reply.is_public = is_public
    reply.contact_name, reply.contact_phone = contact_name.strip(), contact_phone.strip()
    reply.drafted_by, reply.drafted_at = by, clock.now()
    reply.save()
    _advance(
        assignment,
        "draft_reply",
        by=by,
        roles=roles,
        data={"round": reply.round, "result_class": result_class},
    )
    return reply


def _current_lead_assignments(item: Item):
    return item.assignments.filter(role=AssignmentRole.LEAD).exclude(state=A.REASSIGNED)


def _item_class(item: Item) -> str:
    """With several lead units, the item stands at the least-resolved part of it."""
    order = item.body.rules.result_classes
    classes = [
        r.result_class
        for r in Reply.objects.filter(
            assignment__in=_current_lead_assignments(item), round=item.reply_round
        )
    ]
    return max(classes, key=lambda c: order.index(c) if c in order else len(order))


@transaction.atomic
def sign_reply(assignment: Assignment, *, by) -> Reply:
    """The unit leader signs (签发) and the reply is sent to every proposer. The item is
    replied when every lead unit has replied (分办: each for its part)."""
    item = assignment.item
    reply = assignment.replies.filter(round=item.reply_round, signed_at__isnull=True).first()
    roles = _check(assignment, "sign_reply", by)
    if reply is None:
        raise InvalidTransition(_("There is no drafted reply to sign."))
    today = clock.today()
    reply.signed_by, reply.signed_at, reply.replied_on = by, clock.now(), today
    reply.save()
    _advance(
        assignment,
        "sign_reply",
        by=by,
        roles=roles,
        data={
            "round": reply.round,
            "result_class": reply.result_class,
            "on_time": today <= assignment.due_on,
        },
    )
    _notify_proposers(
        item,
        NoticeKind.REPLY,
        {"unit": assignment.unit.name, "item": item.title},
        reply=reply,
    )
    waiting = _current_lead_assignments(item).exclude(state=A.REPLIED)
    if not waiting.exists():
        _close_round(item, by=by, roles=roles, today=today)
    return reply


def _close_round(item: Item, *, by, roles, today: dt.date) -> None:
    new_class = _item_class(item)
    if new_class != item.result_class:
        ResultClassChange.objects.create(
            item=item, from_class=item.result_class, to_class=new_class, changed_on=today
        )
        item.result_class = new_class
    item.replied_on = today
    item.evaluation_due_on = add_months(today, item.body.rules.evaluation_months)
    advance(item, "reply", by=by, roles=roles, data={"result_class": new_class})


@transaction.atomic
def evaluate(item: Item, *, by, attitude: str, result: str, comment: str = "") -> Evaluation:
    """The proposer evaluates (评价). The lead's evaluation decides: 满意/基本满意 closes the
    item; 不满意 after the first reply starts re-handling; after the second it closes."""
    roles = item_roles(by, item)
    if attitude not in Rating.values or result not in Rating.values:
        raise ValidationFailed(_("Choose a rating for the attitude and for the result."))
    if "lead_proposer" not in roles:
        return _cosigner_evaluation(
            item, by=by, roles=roles, attitude=attitude, result=result, comment=comment
        )
    rehandle = result == Rating.UNSATISFIED and item.reply_round == 1
    ITEM_WORKFLOW.check("evaluate_rehandle" if rehandle else "evaluate_close", item.state, roles)
    if item.evaluation_due_on and clock.today() > item.evaluation_due_on:
        raise DeadlinePassed(_("The time to evaluate this reply has passed."))
    evaluation = Evaluation.objects.create(
        item=item,
        round=item.reply_round,
        member=item.proposer,
        attitude=attitude,
        result=result,
        comment=comment,
        counts=True,
        evaluated_at=clock.now(),
    )
    data = {"attitude": attitude, "result": result, "round": item.reply_round}
    if rehandle:
        _start_rehandling(item, by=by, roles=roles, comment=comment, data=data)
    else:
        item.closure, item.closed_on = Closure(result), clock.today()
        advance(item, "evaluate_close", by=by, roles=roles, reason=comment, data=data)
    return evaluation


def _cosigner_evaluation(item, *, by, roles, attitude, result, comment) -> Evaluation:
    ITEM_WORKFLOW.check("cosigner_evaluate", item.state, roles)
    member = getattr(membership_in(user_of(by), item.body_id), "member", None)
    if not item.cosigners.filter(member=member, confirmed_at__isnull=False).exists():
        raise NotAllowed(_("Only the proposers of this item can evaluate it."))
    round_ = item.reply_round if item.state == ItemState.REPLIED else item.reply_round - 1
    if Evaluation.objects.filter(item=item, round=round_, member=member).exists():
        raise InvalidTransition(_("You have already evaluated this reply."))
    evaluation = Evaluation.objects.create(
        item=item,
        round=round_,
        member=member,
        attitude=attitude,
        result=result,
        comment=comment,
        counts=False,
        evaluated_at=clock.now(),
    )
    advance(item, "cosigner_evaluate", by=by, roles=roles, reason=comment, data={"result": result})
    return evaluation


def _start_rehandling(item: Item, *, by, roles, comment: str, data) -> None:
    """不满意 on the first reply: the lead units handle it again within the body's limit."""
    due = add_months(clock.today(), item.body.rules.rehandle_months)
    item.reply_round = 2
    item.evaluation_due_on = None
    advance(item, "evaluate_rehandle", by=by, roles=roles, reason=comment, data=data)
    for assignment in _current_lead_assignments(item).filter(state=A.REPLIED):
        assignment.due_on = due
        _advance(assignment, "rehandle", by=by, roles=roles, data={"due_on": due.isoformat()})


@transaction.atomic
def close_unevaluated(item: Item, *, by=None) -> Item:
    """No evaluation within the window: the item closes as 未评价."""
    roles = item_roles(by, item)
    ITEM_WORKFLOW.check("close_unevaluated", item.state, roles)
    if item.evaluation_due_on is None or clock.today() <= item.evaluation_due_on:
        raise InvalidTransition(_("The proposer may still evaluate this reply."))
    item.closure, item.closed_on = Closure.NOT_EVALUATED, clock.today()
    advance(item, "close_unevaluated", by=by, roles=roles)
    return item


def close_expired_evaluations() -> int:
    """The daily sweep: close every replied item whose evaluation window has passed."""
    expired = Item.objects.filter(state=ItemState.REPLIED, evaluation_due_on__lt=clock.today())
    count = 0
    for item in expired.iterator():
        close_unevaluated(item, by=None)
        count += 1
    return count


def mark_notices_read(*, by) -> int:
    """The proposer has seen their notices (已读). Not a step of any case, so no history."""
    profile = current_membership(by)
    if profile is None or not profile.member_id:
        raise NotAllowed(_("Only a deputy or member has notices."))
    return Notice.objects.filter(member_id=profile.member_id, read_at__isnull=True).update(
        read_at=clock.now()
    )


@transaction.atomic
def recompute_dispute_deadlines(*, by) -> int:
    """After the official calendar changed: the dispute windows still open move with it."""
    moved = 0
    pending = Assignment.objects.filter(state=A.PENDING).select_related("item__body", "unit")
    for assignment in pending:
        rules = assignment.item.body.rules
        due = add_working_days(assignment.assigned_on, rules.dispute_working_days)
        if due == assignment.dispute_due_on:
            continue
        before, assignment.dispute_due_on = assignment.dispute_due_on, due
        assignment.save(update_fields=["dispute_due_on"])
        record(
            assignment,
            "assignment.calendar_changed",
            by=by,
            root=assignment.item,
            data={"unit": assignment.unit.name, "from": before.isoformat(), "to": due.isoformat()},
        )
        moved += 1
    return moved
