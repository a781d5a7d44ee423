"""Use cases of handling: assignment, disputes, extensions, contacts, opinions, replies,
evaluation, class changes and closure. With `banli.items.services`, the only code that
changes state.

Each function checks the actor's roles against the workflow tables, validates, changes the
records in one transaction and appends one history entry per state change.

Locking (docs/domain.md §11.4): a service first locks and re-reads the rows it decides on,
always in the same order — the item, then the assignment, then the extension or reply — so
a stale copy read before another request decides on what is true now, and two requests
never wait on each other in a circle. It then saves only the fields it changed.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from banli.bodies.access import membership_in
from banli.bodies.models import UNIT_ROLES, Member, Unit
from banli.core import clock
from banli.core.actors import Actor, as_actor, user_of
from banli.core.calendar import add_months, working_day_deadline
from banli.core.errors import (
    DeadlinePassed,
    DomainError,
    InvalidTransition,
    NotAllowed,
    ValidationFailed,
)
from banli.core.history import record
from banli.core.uploads import attach
from banli.core.workflow import SYSTEM
from banli.items.models import Closure, Item
from banli.items.permissions import item_roles
from banli.items.services import advance
from banli.items.workflow import ITEM_WORKFLOW, PUBLISHABLE, ItemState

from . import notices
from .models import (
    Assignment,
    AssignmentRole,
    ClassChangeSource,
    CoHandlingOpinion,
    Contact,
    ContactMethod,
    ContactStage,
    DecisionState,
    Evaluation,
    Extension,
    Rating,
    Reply,
    ResultClassChange,
)
from .workflow import ASSIGNMENT_WORKFLOW, OPEN_STATES, AssignmentState, extension_limit

A = AssignmentState
STAFF = "staff"


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


def _lock_item(item: Item) -> Item:
    """Lock the item's row and re-read it into `item` (the caller's copy becomes current)."""
    item.refresh_from_db(from_queryset=Item.objects.select_for_update())
    return item


def _lock(assignment: Assignment) -> Assignment:
    """Lock the item's row, then the assignment's, and re-read both into `assignment`. A
    copy whose state another request changed since it was read is refused: it was about to
    decide on what is no longer true."""
    read_as = assignment.state
    # The caller's own copy of the item (a page's, a test's) is brought up to date in place,
    # so it tells the truth after the use case, as a copy handed to `_lock_item` does.
    if Assignment.item.is_cached(assignment):
        item = _lock_item(assignment.item)
    else:
        item = Item.objects.select_for_update().get(pk=assignment.item_id)
    assignment.refresh_from_db(from_queryset=Assignment.objects.select_for_update())
    assignment.item = item
    if assignment.state != read_as:
        raise InvalidTransition(_("This assignment was changed meanwhile; please reload it."))
    return assignment


def _advance(assignment: Assignment, action: str, *, by, roles, reason="", data=None, fields=()):
    """Take `action` on a locked, current assignment; save its state and `fields`."""
    transition = ASSIGNMENT_WORKFLOW.check(action, assignment.state, roles)
    if transition.needs_reason and not (reason or "").strip():
        raise ValidationFailed(_("Please give a reason."))
    before = assignment.state
    assignment.state = transition.leads_to(before)
    assignment.save(update_fields=["state", *fields])
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


def _save_item(item: Item, *fields: str) -> None:
    """Save the item fields a handling step decides, before `advance` records the step."""
    item.save(update_fields=list(fields))


# Once the item is closed its handling is over; only the contact after the reply (三见面)
# may still be logged.
AFTER_CLOSURE = {"log_contact"}


def _check(assignment: Assignment, action: str, by) -> set[str]:
    """Lock and re-read the assignment, then check `by` may take `action` on it now."""
    _lock(assignment)
    roles = assignment_roles(by, assignment)
    # With the assignment, so the row's guards hold too (a dispute inside its window).
    ASSIGNMENT_WORKFLOW.check(action, assignment.state, roles, assignment)
    if action not in AFTER_CLOSURE and assignment.item.state == ItemState.CLOSED:
        raise InvalidTransition(_("The item is closed; its handling can no longer change."))
    return roles


def _lead_months(item: Item, rules) -> int:
    # Representative Law art. 51: reply within three months of assignment, six at most
    # (docs/domain.md §5.1).
    return rules.complex_reply_months if item.is_complex else rules.reply_months


def _new_assignment(item: Item, unit: Unit, role, *, by, replaces=None) -> Assignment:
    """An assignment under the body's rules of today, which it keeps (docs/domain.md §5.5)."""
    rules = item.body.rules
    today = clock.today()
    months = _lead_months(item, rules) if role == AssignmentRole.LEAD else rules.co_opinion_months
    dispute = working_day_deadline(today, rules.dispute_working_days)
    assignment = Assignment.objects.create(
        item=item,
        body_id=item.body_id,
        unit=unit,
        role=role,
        assigned_on=today,
        due_on=add_months(today, months),
        dispute_due_on=dispute.on,
        dispute_due_estimated=dispute.estimated,
        due_months=months,
        max_months=rules.max_reply_months,
        dispute_working_days=rules.dispute_working_days,
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
        data={
            "unit": unit.name,
            "role": role,
            "due_on": assignment.due_on.isoformat(),
            "due_months": months,
            "dispute_due_on": dispute.on.isoformat(),
            "dispute_working_days": rules.dispute_working_days,
            "dispute_due_estimated": dispute.estimated,
        },
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


@dataclass(frozen=True)
class PlannedDates:
    """The dates an assignment made on a day would carry."""

    lead: dt.date
    co: dt.date
    dispute: dt.date
    # The dispute date was counted Monday to Friday over days the calendar does not know yet.
    dispute_estimated: bool


def planned_due_dates(item: Item, *, complex: bool, on: dt.date | None = None) -> PlannedDates:
    """The dates an assignment made today would carry (shown before staff confirm)."""
    rules, today = item.body.rules, on or clock.today()
    months = rules.complex_reply_months if complex else rules.reply_months
    dispute = working_day_deadline(today, rules.dispute_working_days)
    return PlannedDates(
        lead=add_months(today, months),
        co=add_months(today, rules.co_opinion_months),
        dispute=dispute.on,
        dispute_estimated=dispute.estimated,
    )


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
    _lock_item(item)
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
    _save_item(item, "is_complex", "assigned_on")
    advance(
        item,
        "assign",
        by=by,
        roles=roles,
        data={"lead": [u.name for u in leads], "co": [u.name for u in cos], "complex": complex},
    )
    made = [_new_assignment(item, u, AssignmentRole.LEAD, by=by) for u in leads]
    made += [_new_assignment(item, u, AssignmentRole.CO, by=by) for u in cos]
    notices.assigned(item, made, by=by)
    return made


@transaction.atomic
def accept_assignment(assignment: Assignment, *, by) -> Assignment:
    """The unit takes the item (签收); the first lead unit to do so starts the handling."""
    roles = _check(assignment, "accept", by)
    assignment.accepted_on = clock.today()
    _advance(assignment, "accept", by=by, roles=roles, fields=["accepted_on"])
    item = assignment.item
    if assignment.is_lead and item.state == ItemState.ASSIGNED:
        advance(item, "start_handling", by=by, roles=roles)
    return assignment


@transaction.atomic
def dispute(assignment: Assignment, *, by, reason: str) -> Assignment:
    """The unit says the item is not theirs (申请调整), within the body's working days (the
    workflow row's guard refuses it after `dispute_due_on`)."""
    roles = _check(assignment, "dispute", by)
    _advance(assignment, "dispute", by=by, roles=roles, reason=reason)
    notices.disputed(assignment, by=by, reason=reason)
    return assignment


@transaction.atomic
def reassign(assignment: Assignment, *, by, to_unit: Unit, reason: str = "") -> Assignment:
    """Staff give a disputed assignment to another unit; its deadlines start again, under the
    rules of today (docs/domain.md §5.5)."""
    roles = _check(assignment, "reassign", by)
    (to_unit,) = _check_units(assignment.item, [to_unit])
    # The disputing unit itself counts: giving the item back to it would only restart its clock.
    taken = assignment.item.assignments.exclude(state__in=[A.REASSIGNED, A.WITHDRAWN])
    if taken.filter(unit=to_unit).exists():
        raise ValidationFailed(_("%(unit)s already has this item.") % {"unit": to_unit})
    _advance(assignment, "reassign", by=by, roles=roles, reason=reason, data={"to": to_unit.name})
    made = _new_assignment(assignment.item, to_unit, assignment.role, by=by, replaces=assignment)
    decision = _("given to %(unit)s") % {"unit": to_unit.name}
    notices.dispute_decided(assignment, by=by, decision=decision)
    notices.new_assignment(made, by=by)
    return made


@transaction.atomic
def dismiss_dispute(assignment: Assignment, *, by, reason: str) -> Assignment:
    roles = _check(assignment, "dismiss_dispute", by)
    if not (reason or "").strip():
        raise ValidationFailed(_("Please give a reason."))
    _advance(assignment, "dismiss_dispute", by=by, roles=roles, reason=reason)
    decision = _("the assignment stands: %(reason)s") % {"reason": reason}
    notices.dispute_decided(assignment, by=by, decision=decision)
    return assignment


@transaction.atomic
def name_handler(assignment: Assignment, *, by, handler, phone: str = "") -> Assignment:
    roles = _check(assignment, "name_handler", by)
    profile = membership_in(handler, assignment.item.body_id)
    if profile is None or profile.unit_id != assignment.unit_id:
        raise ValidationFailed(_("The handler must be a person of this unit."))
    assignment.handler, assignment.handler_phone = handler, (phone or profile.phone).strip()
    _advance(
        assignment,
        "name_handler",
        by=by,
        roles=roles,
        data={"handler": str(handler)},
        fields=["handler", "handler_phone"],
    )
    notices.handler_named(assignment, by=by)
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
        logged_by=user_of(by),
    )
    _advance(
        assignment,
        "log_contact",
        by=by,
        roles=roles,
        data={"stage": stage, "method": method, "on": on.isoformat()},
    )
    return contact


# 延期 -----------------------------------------------------------------------------------------


@transaction.atomic
def request_extension(assignment: Assignment, *, by, until: dt.date, reason: str) -> Extension:
    """A unit asks for more time (延期) before its deadline and before it has replied, up to
    the limit of the rules it was assigned under (docs/domain.md §5.6)."""
    # The assignment row is locked before looking for a waiting request, so a coordinator
    # and a leader asking at the same moment open one request, not two.
    roles = _check(assignment, "request_extension", by)
    if not (reason or "").strip():
        raise ValidationFailed(_("Please give a reason."))
    if assignment.extensions.filter(state=DecisionState.PENDING).exists():
        raise InvalidTransition(_("An extension request is already waiting for a decision."))
    # Before the due date and below the limit: the row's guard (ROOM_TO_EXTEND).
    if until <= assignment.due_on:
        raise ValidationFailed(_("The new due date must be later than the current one."))
    limit = extension_limit(assignment)
    if until > limit:
        raise ValidationFailed(
            _("The reply cannot be later than %(date)s.") % {"date": limit.isoformat()}
        )
    extension = Extension.objects.create(
        assignment=assignment,
        requested_due_on=until,
        previous_due_on=assignment.due_on,
        reason=reason,
        requested_by=user_of(by),
        requested_at=clock.now(),
    )
    notices.extension_requested(extension, by=by)
    _advance(
        assignment,
        "request_extension",
        by=by,
        roles=roles,
        reason=reason,
        data={"until": until.isoformat(), "extension": extension.pk},
    )
    return extension


def _replied_since(extension: Extension) -> bool:
    """Whether the unit signed a reply after asking: its answer no longer waits for the date."""
    return extension.assignment.replies.filter(signed_at__gte=extension.requested_at).exists()


@transaction.atomic
def decide_extension(
    extension: Extension, *, by, approve: bool, note: str = "", until: dt.date | None = None
) -> Extension:
    """Staff approve or refuse, once; on approval the due date moves and the proposers are
    told. A unit that has replied since asking can only be refused: an approval would turn a
    late reply into one on time after the fact (docs/domain.md §5.6, §5.7).

    `until`: staff may grant a shorter extension than asked, a date after the current due
    date and no later than the one asked for; by default the date asked for."""
    assignment = Assignment.objects.get(pk=extension.assignment_id)
    roles = _check(assignment, "decide_extension", by)
    # Two staff deciding at the same moment: the second waits here, then reads the decision.
    extension.refresh_from_db(from_queryset=Extension.objects.select_for_update())
    extension.assignment = assignment
    if extension.state != DecisionState.PENDING:
        raise InvalidTransition(_("This request has already been decided."))
    if approve and _replied_since(extension):
        raise InvalidTransition(
            _("%(unit)s has replied since asking; the request can only be refused.")
            % {"unit": assignment.unit.name}
        )
    granted = _granted_date(extension, assignment, until) if approve else None
    extension.state = DecisionState.APPROVED if approve else DecisionState.REFUSED
    extension.decided_by, extension.decided_at = user_of(by), clock.now()
    extension.decision_note = note
    extension.granted_due_on = granted
    extension.save(
        update_fields=["state", "decided_by", "decided_at", "decision_note", "granted_due_on"]
    )
    if granted is not None:
        assignment.due_on = granted
    _advance(
        assignment,
        "decide_extension",
        by=by,
        roles=roles,
        reason=note,
        data={
            "approved": approve,
            "until": (granted or extension.requested_due_on).isoformat(),
            "asked": extension.requested_due_on.isoformat(),
            "extension": extension.pk,
        },
        fields=["due_on"] if approve else (),
    )
    notices.extension_decided(extension, by=by, approved=approve)
    return extension


def _granted_date(extension: Extension, assignment: Assignment, until: dt.date | None) -> dt.date:
    """The due date an approval gives: the date asked for, or a shorter one staff choose,
    after the current due date (docs/domain.md §5.6)."""
    if until is None:
        return extension.requested_due_on
    if until <= assignment.due_on:
        raise ValidationFailed(
            _("The new due date must be later than the current one (%(date)s).")
            % {"date": assignment.due_on.isoformat()}
        )
    if until > extension.requested_due_on:
        raise ValidationFailed(
            _("The unit asked for %(date)s; a later date cannot be granted.")
            % {"date": extension.requested_due_on.isoformat()}
        )
    return until


@transaction.atomic
def send_opinion(assignment: Assignment, *, by, text: str) -> CoHandlingOpinion:
    """A co-handling unit's written opinion goes to the lead units (协办意见), once."""
    if assignment.is_lead:
        raise InvalidTransition(_("Only a co-handling unit sends an opinion; a lead unit replies."))
    roles = _check(assignment, "send_opinion", by)
    if not (text or "").strip():
        raise ValidationFailed(_("The opinion is empty."))
    opinion = CoHandlingOpinion.objects.create(
        assignment=assignment, text=text.strip(), sent_by=user_of(by), sent_at=clock.now()
    )
    _advance(assignment, "send_opinion", by=by, roles=roles)
    notices.opinion_sent(assignment, by=by, leads=_current_lead_assignments(assignment.item))
    return opinion


# 答复 -----------------------------------------------------------------------------------------


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
    # A matter planned to be solved is solved later than today (docs/domain.md §6.2).
    if result_class == rules.planned_class and planned_on and planned_on <= clock.today():
        raise ValidationFailed(
            _("The planned completion date must lie in the future, after %(date)s.")
            % {"date": clock.today().isoformat()}
        )


REPLY_FIELDS = [
    "text",
    "result_class",
    "planned_on",
    "is_public",
    "contact_name",
    "contact_phone",
    "drafted_by",
    "drafted_at",
    "returned_at",
]


@transaction.atomic
def save_reply_draft(
    assignment: Assignment,
    *,
    by,
    text: str,
    result_class: str,
    planned_on: dt.date | None = None,
    is_public: bool = False,
    contact_name: str = "",
    contact_phone: str = "",
    files: Iterable = (),
) -> Reply:
    """The handler drafts the reply letter (答复函) with its attachments, in one step: the
    letter and every file are saved together or not at all. The unit leader signs it later."""
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
    reply = assignment.replies.select_for_update().filter(round=item.reply_round).first()
    if reply is None:
        reply = Reply(assignment=assignment, round=item.reply_round)
    elif reply.is_sent:
        raise InvalidTransition(_("This reply has been sent and can no longer change."))
    reply.text, reply.result_class, reply.planned_on = text.strip(), result_class, planned_on
    reply.is_public = is_public
    reply.contact_name, reply.contact_phone = contact_name.strip(), contact_phone.strip()
    reply.drafted_by, reply.drafted_at = user_of(by), clock.now()
    # Saved again after the leader sent it back: revised, ready to sign (the note stays).
    reply.returned_at = None
    if reply.pk is None:
        reply.save()
    else:
        reply.save(update_fields=REPLY_FIELDS)
    names = [attach(reply, by=user_of(by), upload=upload, root=item).name for upload in files]
    _advance(
        assignment,
        "draft_reply",
        by=by,
        roles=roles,
        data={"round": reply.round, "result_class": result_class, "files": names},
    )
    notices.draft_saved(assignment, by=by)
    return reply


# The name the builders and older callers use; the same single way in.
draft_reply = save_reply_draft


def _current_lead_assignments(item: Item):
    leads = item.assignments.filter(role=AssignmentRole.LEAD)
    return leads.exclude(state__in=[A.REASSIGNED, A.WITHDRAWN])


def _current_lead_and_co(item: Item):
    current = item.assignments.exclude(state__in=[A.REASSIGNED, A.WITHDRAWN])
    return current.select_related("unit")


def _class_rank(item: Item):
    order = item.body.rules.result_classes
    return lambda code: order.index(code) if code in order else len(order)


def _item_class(item: Item) -> str:
    """The item's result class with several lead units (分办): the least-resolved class among
    its current lead units' latest replies — A + B gives B; in round 2 a unit that did not
    handle the item again keeps its round-1 reply. Each unit's own class stays on its reply
    for per-unit figures. See docs/domain.md §6.3 ("Each lead unit's class and the item's
    class")."""
    latest: dict[int, str] = {}
    replies = Reply.objects.filter(
        assignment__in=_current_lead_assignments(item), signed_at__isnull=False
    ).order_by("round", "id")
    for reply in replies:
        latest[reply.assignment_id] = reply.result_class
    return max(latest.values(), key=_class_rank(item))


@transaction.atomic
def sign_reply(assignment: Assignment, *, by) -> Reply:
    """The unit leader signs (签发) and the reply is sent to every proposer. The item is
    replied when every lead unit has replied (分办: each for its part).

    The reply keeps the due date in force now and whether it is met (docs/domain.md §5.7)."""
    # `_check` locks the item row before the assignment's: two lead units signing at the
    # same moment are taken one after the other, and the second sees the first's reply
    # when it asks whether every lead unit has replied.
    roles = _check(assignment, "sign_reply", by)
    item = assignment.item
    reply = (
        assignment.replies.select_for_update()
        .filter(round=item.reply_round, signed_at__isnull=True)
        .first()
    )
    if reply is None:
        raise InvalidTransition(_("There is no drafted reply to sign."))
    # 三见面: a body may ask for a contact with the proposer before any reply is signed.
    if item.body.rules.contact_before_signing and not assignment.contacts.exists():
        raise ValidationFailed(
            _(
                "Log a contact with the proposer before signing: the body's rules ask for at "
                "least one contact before a reply is sent."
            )
        )
    today = clock.today()
    reply.signed_by, reply.signed_at, reply.replied_on = user_of(by), clock.now(), today
    reply.due_on, reply.on_time = assignment.due_on, today <= assignment.due_on
    reply.save(update_fields=["signed_by", "signed_at", "replied_on", "due_on", "on_time"])
    _advance(
        assignment,
        "sign_reply",
        by=by,
        roles=roles,
        data={
            "round": reply.round,
            "result_class": reply.result_class,
            "due_on": reply.due_on.isoformat(),
            "on_time": reply.on_time,
        },
    )
    notices.reply_signed(assignment, reply, by=by)
    waiting = _current_lead_assignments(item).exclude(state=A.REPLIED)
    if not waiting.exists():
        _close_round(item, by=by, roles=roles, today=today, reply=reply)
    return reply


@transaction.atomic
def return_reply_draft(assignment: Assignment, *, by, note: str) -> Reply:
    """The unit leader sends the draft back to the handler with a note instead of signing
    it. The draft stays as it was and editable; the handler reads the note in the unit's
    workspace until saving the draft again. One history entry, with the note."""
    if not assignment.is_lead:
        raise InvalidTransition(
            _("A co-handling unit sends its opinion to the lead unit; only lead units reply.")
        )
    roles = _check(assignment, "return_draft", by)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(_("Say what the handler should change in the draft."))
    reply = (
        assignment.replies.select_for_update()
        .filter(round=assignment.item.reply_round, signed_at__isnull=True)
        .first()
    )
    if reply is None:
        raise InvalidTransition(_("There is no drafted reply to send back."))
    if reply.awaits_revision:
        raise InvalidTransition(
            _("The draft was already sent back; the handler has not saved it again since.")
        )
    reply.returned_at, reply.returned_by, reply.return_note = clock.now(), user_of(by), note
    reply.save(update_fields=["returned_at", "returned_by", "return_note"])
    _advance(
        assignment,
        "return_draft",
        by=by,
        roles=roles,
        reason=note,
        data={"round": reply.round, "reply": reply.pk},
    )
    notices.draft_returned(assignment, reply, by=by, note=note)
    return reply


def _close_round(
    item: Item, *, by, roles, today: dt.date, reply: Reply, action: str = "reply"
) -> None:
    """Every lead unit has replied: the item is replied, its class follows the replies and
    the proposers' evaluation window opens. `action` is the item row taken: `reply` after
    the last signature, `remaining_replied` after the staff withdrew the last unit that
    had not replied (banli.handling.steering)."""
    record_class_change(
        item, to_class=_item_class(item), by=by, source=ClassChangeSource.REPLY, reply=reply
    )
    item.replied_on = today
    item.evaluation_due_on = add_months(today, item.body.rules.evaluation_months)
    _save_item(item, "replied_on", "evaluation_due_on")
    Reply.objects.filter(
        assignment__in=_current_lead_assignments(item),
        round=item.reply_round,
        signed_at__isnull=False,
    ).update(evaluation_due_on=item.evaluation_due_on)
    advance(item, action, by=by, roles=roles, data={"result_class": item.result_class})


# 办理结果分类 ----------------------------------------------------------------------------------


def record_class_change(
    item: Item,
    *,
    to_class: str,
    by,
    source,
    reason: str = "",
    reply: Reply | None = None,
    round_ref: str = "",
    on: dt.date | None = None,
) -> ResultClassChange | None:
    """The one writer of an item's result class: a dated row naming the actor, the reason
    and the source (docs/domain.md §6.4), and the item's class. Nothing when the class stays.

    For the services that decide a change (a reply here, a follow-up round, an import, a
    correction); they check who may make it. The item's row must be locked by the caller."""
    if to_class == item.result_class:
        return None
    if source not in ClassChangeSource.values:
        raise ValueError(f"unknown source {source!r}")
    actor = as_actor(by)
    user = actor.user if getattr(actor.user, "pk", None) else None
    change = ResultClassChange.objects.create(
        item=item,
        from_class=item.result_class,
        to_class=to_class,
        changed_on=on or clock.today(),
        source=source,
        reason=reason,
        reply=reply,
        round_ref=round_ref,
        actor=user,
        actor_kind=actor.kind,
        actor_label=actor.label[:200],
    )
    item.result_class = to_class
    _save_item(item, "result_class")
    return change


# States in which an item has been replied at least once.
REPLIED_STATES = frozenset({ItemState.REPLIED, ItemState.REHANDLING, ItemState.CLOSED})


@transaction.atomic
def correct_result_class(item: Item, *, by, to_class: str, reason: str) -> ResultClassChange:
    """Staff correct an item's class (a wrong class entered, a reply misread), with a reason."""
    _lock_item(item)
    if STAFF not in item_roles(by, item):
        raise NotAllowed(_("Only the body's staff correct a result class."))
    if item.state not in REPLIED_STATES:
        raise InvalidTransition(_("The item has no result class yet."))
    if not (reason or "").strip():
        raise ValidationFailed(_("Please give a reason."))
    rules = item.body.rules
    if to_class not in rules.result_classes:
        raise ValidationFailed(
            _("Choose one of the result classes: %(classes)s.")
            % {"classes": ", ".join(rules.result_classes)}
        )
    before = item.result_class
    change = record_class_change(
        item, to_class=to_class, by=by, source=ClassChangeSource.CORRECTION, reason=reason
    )
    if change is None:
        raise ValidationFailed(_("The item already has class %(cls)s.") % {"cls": to_class})
    record(
        item,
        "item.correct_class",
        by=by,
        before=item.state,
        after=item.state,
        reason=reason,
        data={"from": before, "to": to_class},
    )
    return change


@transaction.atomic
def mark_cross_year(item: Item, *, by, reason: str, cross_year: bool = True) -> Item:
    """Staff mark an item whose handling continues beyond its year (跨年度), or unmark it;
    a decision with a reason and a history entry, never a free flag (docs/domain.md §6.5).
    The system marks one by rule (banli.followup: a planned date past the year's end)."""
    _lock_item(item)
    roles = item_roles(by, item)
    if STAFF not in roles and not (cross_year and SYSTEM in roles):
        raise NotAllowed(_("Only the body's staff mark an item as cross-year."))
    if item.state not in PUBLISHABLE:
        raise InvalidTransition(_("Only an accepted item can be marked as cross-year."))
    if not (reason or "").strip():
        raise ValidationFailed(_("Please give a reason."))
    if item.is_cross_year == cross_year:
        raise InvalidTransition(
            _("The item is already marked as cross-year.")
            if cross_year
            else _("The item is not marked as cross-year.")
        )
    item.is_cross_year = cross_year
    _save_item(item, "is_cross_year")
    record(
        item,
        "item.mark_cross_year" if cross_year else "item.unmark_cross_year",
        by=by,
        before=item.state,
        after=item.state,
        reason=reason,
        data={"cross_year": cross_year},
    )
    return item


@transaction.atomic
def mark_reply_published(reply: Reply, *, by, on: dt.date | None = None) -> Reply:
    """The staff record that a public reply was published (公开): once, on a day neither
    before the reply nor in the future (docs/domain.md §3: public replies are published
    within 20 working days of the reply, contact details and secrets removed)."""
    item = _lock_item(reply.assignment.item)
    reply.refresh_from_db(from_queryset=Reply.objects.select_for_update())
    if STAFF not in item_roles(by, item):
        raise NotAllowed(_("Only the body's staff record that a reply was published."))
    if not reply.is_sent:
        raise InvalidTransition(_("Only a signed reply can be published."))
    if not reply.is_public:
        raise InvalidTransition(_("This reply is not public and is not published."))
    if reply.published_on is not None:
        raise InvalidTransition(
            _("This reply was already published on %(date)s.")
            % {"date": reply.published_on.isoformat()}
        )
    today = clock.today()
    on = on or today
    if on > today or (reply.replied_on is not None and on < reply.replied_on):
        raise ValidationFailed(_("The day of publication is between the reply's date and today."))
    reply.published_on = on
    reply.save(update_fields=["published_on"])
    record(
        reply,
        "reply.publish",
        by=by,
        before=item.state,
        after=item.state,
        root=item,
        data={
            "unit": reply.assignment.unit.name,
            "round": reply.round,
            "published_on": on.isoformat(),
        },
    )
    return reply


# 评价 -----------------------------------------------------------------------------------------


class AlreadyEvaluated(InvalidTransition):
    default_message = gettext_lazy("You have already evaluated this reply.")


# Worst last: the item's rating with several parts is the least favourable one.
RATING_ORDER: list[str] = ["satisfied", "basically_satisfied", "unsatisfied"]
assert set(RATING_ORDER) == set(Rating.values)


def _worst(ratings: Iterable[str]) -> str:
    return max(ratings, key=RATING_ORDER.index)


@dataclass(frozen=True)
class EvaluationTurn:
    """What a proposer may evaluate on an item now (docs/domain.md §7)."""

    item: Item  # the item the evaluation belongs to (their own, merged or not)
    handled: Item  # the item whose replies they rate (the lead item for 分别答复)
    member: Member
    relation: str  # lead, cosigner, merged_lead or merged_cosigner
    round: int
    replies: list[Reply]  # the lead units' replies of the round, one per lead unit
    due_on: dt.date | None  # the end of the evaluation window

    @property
    def decides(self) -> bool:
        """The lead proposer's evaluation decides what happens to the item next."""
        return self.relation == "lead"

    @property
    def counts(self) -> bool:
        """Counted in the figures: the lead proposer's, on their own item (merged or not)."""
        return self.relation in {"lead", "merged_lead"}


def proposer_relation(item: Item, member: Member | None) -> str | None:
    """How `member` stands to `item` as an evaluator: lead, cosigner (confirmed), and for an
    item merged into another merged_lead or merged_cosigner; None for anyone else."""
    if member is None:
        return None
    if member.pk == item.proposer_id:
        relation = "lead"
    elif item.cosigners.filter(member=member, confirmed_at__isnull=False).exists():
        relation = "cosigner"
    else:
        return None
    if item.state == ItemState.MERGED and item.merged_into_id is not None:
        return f"merged_{relation}"
    return relation


def evaluation_round_for(item: Item, member: Member | None) -> int | None:
    """The reply round `member` would evaluate on `item` now, or None.

    The lead proposer evaluates the round just replied. A confirmed co-signer, and every
    proposer of an item merged into another, evaluate the last round replied even after the
    lead's evaluation moved the item on (re-handling: the first round; closed: the last)."""
    relation = proposer_relation(item, member)
    if relation is None:
        return None
    handled = item.merged_into if relation.startswith("merged_") else item
    assert handled is not None
    if handled.state == ItemState.REPLIED:
        return handled.reply_round
    if relation == "lead":
        return None
    if handled.state == ItemState.REHANDLING:
        return handled.reply_round - 1
    if handled.state == ItemState.CLOSED:
        return handled.reply_round
    return None


def _round_replies(handled: Item, round_: int) -> list[Reply]:
    return list(
        Reply.objects.filter(
            assignment__item=handled,
            assignment__role=AssignmentRole.LEAD,
            round=round_,
            signed_at__isnull=False,
        )
        .select_related("assignment__unit")
        .order_by("assignment__assigned_on", "assignment_id")
    )


def evaluation_turn(item: Item, member: Member | None) -> EvaluationTurn:
    """What `member` may evaluate on `item` now; the refusal a user should read otherwise
    (not a proposer, nothing to evaluate, already evaluated, the window passed)."""
    relation = proposer_relation(item, member)
    if relation is None or member is None:
        raise NotAllowed(_("Only the proposers of this item can evaluate it."))
    handled = item.merged_into if relation.startswith("merged_") else item
    assert handled is not None
    round_ = evaluation_round_for(item, member)
    mine = Evaluation.objects.filter(item=item, member=member)
    if round_ is None:
        if mine.filter(round__gte=handled.reply_round - 1).exists():
            raise AlreadyEvaluated()
        raise InvalidTransition(_("There is no reply to evaluate now."))
    if mine.filter(round=round_).exists():
        raise AlreadyEvaluated()
    replies = _round_replies(handled, round_)
    if not replies:
        raise InvalidTransition(_("There is no reply to evaluate now."))
    windows = [r.evaluation_due_on for r in replies if r.evaluation_due_on]
    due = max(windows) if windows else None
    if due is None and round_ == handled.reply_round:
        due = handled.evaluation_due_on
    if due is not None and clock.today() > due:
        raise DeadlinePassed(_("The time to evaluate this reply has passed."))
    return EvaluationTurn(item, handled, member, relation, round_, replies, due)


def evaluator(item: Item, by) -> Member | None:
    """The deputy or member `by` evaluates as on `item` (their membership in its body)."""
    return getattr(membership_in(user_of(by), item.body_id), "member", None)


def may_evaluate(item: Item, by) -> bool:
    """Whether `by` may evaluate a reply of `item` now (the pages ask this, not the rules)."""
    try:
        evaluation_turn(item, evaluator(item, by))
    except DomainError:
        return False
    return True


def awaiting_evaluation(member: Member) -> list[Item]:
    """The items whose reply `member` may evaluate now, the window closing soonest first:
    as the lead proposer, as a confirmed co-signer, or as the proposer of a merged item."""
    from django.db.models import Q

    candidates = (
        Item.objects.filter(Q(proposer=member) | Q(cosigners__member=member))
        .filter(state__in=[*REPLIED_STATES, ItemState.MERGED])
        .select_related("session", "proposer", "merged_into")
        .distinct()
    )
    found = []
    for item in candidates:
        try:
            turn = evaluation_turn(item, member)
        except DomainError:
            continue
        found.append((turn.due_on or dt.date.max, item.pk, item))
    return [item for *_key, item in sorted(found, key=lambda row: row[:2])]


def _ratings(
    turn: EvaluationTurn, attitude: str, result: str, parts
) -> list[tuple[Reply | None, str, str]]:
    """(reply rated, attitude, result) for each row to write."""
    if parts is None:
        if attitude not in Rating.values or result not in Rating.values:
            raise ValidationFailed(_("Choose a rating for the attitude and for the result."))
        only = turn.replies[0] if len(turn.replies) == 1 else None
        return [(only, attitude, result)]
    given = {getattr(key, "pk", key): value for key, value in parts.items()}
    by_assignment = {r.assignment_id: r for r in turn.replies}
    if set(given) != set(by_assignment):
        raise ValidationFailed(_("Rate the reply of every lead unit."))
    rows: list[tuple[Reply | None, str, str]] = []
    for assignment_id, reply in by_assignment.items():
        part_attitude, part_result = given[assignment_id]
        if part_attitude not in Rating.values or part_result not in Rating.values:
            raise ValidationFailed(_("Choose a rating for the attitude and for the result."))
        rows.append((reply, part_attitude, part_result))
    return rows


@transaction.atomic
def evaluate(
    item: Item,
    *,
    by,
    attitude: str = "",
    result: str = "",
    comment: str = "",
    parts: Mapping | None = None,
) -> Evaluation:
    """The proposer evaluates (评价). The lead's evaluation decides: 满意/基本满意 closes the
    item; 不满意 after the first reply starts re-handling; after the second it closes.

    `parts`, with several lead units (分办): {lead assignment (or its pk): (attitude, result)}
    for each lead unit's reply of the round, instead of `attitude` and `result`. One row per
    reply; the item's rating is the least favourable; 不满意 sends back only the units rated
    so. Without `parts`, one evaluation covers the whole item and 不满意 sends back every lead
    unit (docs/domain.md §7.1, §7.3).

    A proposer of an item merged into another evaluates the lead item's reply for their own
    item (分别答复): the row is on their item and changes no state. Returns the first row."""
    # The item row is locked first: a double POST waits here, then finds the first one's
    # evaluation and is told so, instead of meeting the unique constraint.
    _lock_item(item)
    turn = evaluation_turn(item, evaluator(item, by))
    ratings = _ratings(turn, attitude, result, parts)
    # 不满意 is said with a reason: the unit handles the item again on it, staff read it.
    dissatisfied = any(Rating.UNSATISFIED in (a, r) for _reply, a, r in ratings)
    if dissatisfied and not (comment or "").strip():
        raise ValidationFailed(
            _("Say why you are not satisfied: the unit and the staff read your reason.")
        )
    overall = _worst(r for _reply, _attitude, r in ratings)
    roles = item_roles(by, item)
    rehandle = turn.decides and overall == Rating.UNSATISFIED and turn.round == 1
    if turn.decides:
        ITEM_WORKFLOW.check(
            "evaluate_rehandle" if rehandle else "evaluate_close", item.state, roles
        )
    elif turn.relation == "cosigner":
        ITEM_WORKFLOW.check("cosigner_evaluate", item.state, roles)
    now = clock.now()
    rows = [
        Evaluation.objects.create(
            item=item,
            round=turn.round,
            member=turn.member,
            reply=reply,
            attitude=part_attitude,
            result=part_result,
            comment=comment,
            counts=turn.counts,
            evaluated_at=now,
        )
        for reply, part_attitude, part_result in ratings
    ]
    data = {
        "attitude": _worst(a for _reply, a, _result in ratings),
        "result": overall,
        "round": turn.round,
    }
    if parts is not None:
        data["units"] = {r.assignment.unit.name: res for r, _a, res in ratings if r is not None}
    if turn.decides and rehandle:
        back = [r.assignment for r, _a, res in ratings if r is not None and res == overall]
        if parts is None:
            back = list(_current_lead_assignments(item).filter(state=A.REPLIED))
        _start_rehandling(item, back, by=by, roles=roles, comment=comment, data=data)
    elif turn.decides:
        item.closure = Closure(_closure(item, turn, ratings))
        item.closed_on = clock.today()
        _save_item(item, "closure", "closed_on")
        _close_co_handling(item)
        advance(item, "evaluate_close", by=by, roles=roles, reason=comment, data=data)
        notices.closed(item, _current_lead_and_co(item), by=by)
    elif turn.relation == "cosigner":
        advance(item, "cosigner_evaluate", by=by, roles=roles, reason=comment, data=data)
    else:
        data["lead_item"] = turn.handled.pk
        record(
            item,
            "item.merged_evaluate",
            by=by,
            before=item.state,
            after=item.state,
            reason=comment,
            data=data,
        )
    return rows[0]


def _closure(item: Item, turn: EvaluationTurn, ratings) -> str:
    """The item's closure: the least favourable rating of each current lead unit's latest
    rated reply — in round 2, a unit the proposer was satisfied with in round 1 keeps it."""
    results = [res for _reply, _a, res in ratings]
    rated_now = {r.assignment_id for r, _a, _res in ratings if r is not None}
    if rated_now:
        earlier = (
            Evaluation.objects.filter(
                item=item,
                member=turn.member,
                round__lt=turn.round,
                reply__assignment__in=_current_lead_assignments(item),
            )
            .exclude(reply__assignment__in=rated_now)
            .order_by("round")
        )
        latest = {e.reply.assignment_id: e.result for e in earlier.select_related("reply")}
        results += latest.values()
    return _worst(results)


def _start_rehandling(item: Item, assignments, *, by, roles, comment: str, data) -> None:
    """不满意 on the first reply: the lead units named (all, when none was named) handle it
    again within the body's limit in force today (docs/domain.md §5.1, §7.3)."""
    months = item.body.rules.rehandle_months
    due = add_months(clock.today(), months)
    item.reply_round = 2
    item.evaluation_due_on = None
    _save_item(item, "reply_round", "evaluation_due_on")
    advance(item, "evaluate_rehandle", by=by, roles=roles, reason=comment, data=data)
    for assignment in assignments:
        assignment.refresh_from_db(from_queryset=Assignment.objects.select_for_update())
        assignment.item = item
        assignment.due_on = due
        _advance(
            assignment,
            "rehandle",
            by=by,
            roles=roles,
            data={"due_on": due.isoformat(), "months": months},
            fields=["due_on"],
        )
    notices.rehandling(item, assignments, by=by, reason=comment, due_on=due)


def _close_co_handling(item: Item) -> int:
    """The item closes: every co-handling assignment still open (an opinion never sent, an
    assignment never accepted or disputed) ends with it, each one history entry of the
    system's, and an extension request it left waiting is refused, so nothing of a closed
    item waits in a unit's inbox or the staff's queues. Called by each service that closes
    an item, before the item's own closing entry."""
    still_open = list(
        item.assignments.select_for_update()
        .filter(role=AssignmentRole.CO, state__in=OPEN_STATES)
        .select_related("unit")
        .order_by("id")
    )
    for assignment in still_open:
        assignment.item = item
        _advance(
            assignment,
            "close_with_item",
            by=None,
            roles={SYSTEM},
            data={"item_closure": str(item.closure)},
        )
    if still_open:
        # Stored as text, in the site's language, as a staff member's note is.
        with translation.override(settings.LANGUAGE_CODE):
            note = _("The item was closed.")
        Extension.objects.filter(assignment__in=still_open, state=DecisionState.PENDING).update(
            state=DecisionState.REFUSED, decided_at=clock.now(), decision_note=note
        )
    return len(still_open)


@transaction.atomic
def close_unevaluated(item: Item, *, by=None) -> Item:
    """No evaluation within the window: the item closes as 未评价."""
    _lock_item(item)
    roles = item_roles(by, item)
    ITEM_WORKFLOW.check("close_unevaluated", item.state, roles)
    if item.evaluation_due_on is None or clock.today() <= item.evaluation_due_on:
        raise InvalidTransition(_("The proposer may still evaluate this reply."))
    item.closure, item.closed_on = Closure.NOT_EVALUATED, clock.today()
    _save_item(item, "closure", "closed_on")
    _close_co_handling(item)
    advance(item, "close_unevaluated", by=by, roles=roles)
    notices.closed(item, _current_lead_and_co(item), by=by, expired_on=item.evaluation_due_on)
    return item


def close_expired_evaluations() -> int:
    """The daily sweep: close every replied item whose evaluation window has passed."""
    expired = Item.objects.filter(state=ItemState.REPLIED, evaluation_due_on__lt=clock.today())
    count = 0
    for item in expired.iterator():
        try:
            close_unevaluated(item, by=None)
        except InvalidTransition:
            continue  # evaluated at the last moment, while the sweep ran
        count += 1
    return count


@transaction.atomic
def recompute_dispute_deadlines(*, by) -> int:
    """After the official calendar changed: the dispute windows still open move with it
    (docs/domain.md §5.4). Open means the unit has neither accepted nor disputed and the
    date has not passed: a closed window never reopens. Each date is counted again from
    the assignment date with the working days of the rules it was made under, never the
    body's rules of today; a window that would now end before today ends today."""
    today = clock.today()
    moved = 0
    open_windows = (
        Assignment.objects.select_for_update(of=("self",))
        .filter(state=A.PENDING, dispute_due_on__gte=today)
        .select_related("item", "unit")
    )
    for assignment in open_windows:
        counted = working_day_deadline(assignment.assigned_on, assignment.dispute_working_days)
        due = max(counted.on, today)
        fields = []
        if counted.estimated != assignment.dispute_due_estimated:
            assignment.dispute_due_estimated = counted.estimated
            fields.append("dispute_due_estimated")
        before = assignment.dispute_due_on
        if due != before:
            assignment.dispute_due_on = due
            fields.append("dispute_due_on")
        if fields:
            assignment.save(update_fields=fields)
        if due == before:
            continue
        record(
            assignment,
            "assignment.calendar_changed",
            by=by,
            root=assignment.item,
            data={"unit": assignment.unit.name, "from": before.isoformat(), "to": due.isoformat()},
        )
        moved += 1
    return moved


# Staff steering after assignment lives in its own module; its use cases are also reached
# from here, the app's way in.
from .steering import add_unit as add_unit  # noqa: E402
from .steering import change_due_date as change_due_date  # noqa: E402
from .steering import withdraw_assignment as withdraw_assignment  # noqa: E402
