"""Who is told of each step of the handling (通知): the notice kinds of the handling app and
one function per step that its services call, so the rule "who hears of what" is read in one
place. Units hear through their coordinators (the leader when a unit has none), the named
handler hears of their own work, the unit leader of replies to sign, the staff of what waits
for them, and every proposer of an item (and of the items merged into it: 分别答复) of each
step of their item. Higher apps add readers through `listen` (supervision: the supervising
leader of a key item)."""

from collections.abc import Callable

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from banli.bodies.models import Role
from banli.items import notices as item_notices
from banli.notices import recipients
from banli.notices.kinds import Kind, register
from banli.notices.services import notify

NEW_ASSIGNMENT = "assignment.new"
DISPUTE_DECIDED = "dispute.decided"
EXTENSION_DECIDED = "extension.decided"
REHANDLING = "assignment.rehandling"
CLOSED_FOR_UNIT = "assignment.closed"
HANDLER_NAMED = "handler.named"
OPINION_ARRIVED = "opinion.arrived"
TO_SIGN = "reply.to_sign"
DISPUTE_RAISED = "dispute.raised"
EXTENSION_REQUESTED = "extension.requested"
REPLY_SENT = "reply.sent"
DISSATISFIED = "item.dissatisfied"
EVALUATION_EXPIRED = "evaluation.expired"
ASSIGNED = "item.assigned"
EXTENDED = "item.extended"
REPLIED = "item.replied"
ITEM_REHANDLING = "item.rehandling"
CLOSED = "item.closed"
WITHDRAWN = "assignment.withdrawn"
DRAFT_RETURNED = "reply.returned"
DUE_CHANGED = "assignment.due_changed"

register(
    # To the units.
    Kind(
        NEW_ASSIGNMENT,
        _("New assignment"),
        _("%(item)s was assigned to %(unit)s as %(role)s; reply by %(due_on)s."),
    ),
    Kind(
        DISPUTE_DECIDED,
        _("Dispute decided"),
        _("The dispute of %(item)s by %(unit)s was decided: %(decision)s"),
    ),
    Kind(
        EXTENSION_DECIDED,
        _("Extension decided"),
        _("The extension of %(item)s was %(decision)s; reply by %(due_on)s."),
    ),
    Kind(
        REHANDLING,
        _("Re-handling"),
        _(
            "The proposer is not satisfied with the reply to %(item)s: handle it again by "
            "%(due_on)s. %(reason)s"
        ),
    ),
    Kind(CLOSED_FOR_UNIT, _("Item closed"), _("%(item)s is closed.")),
    Kind(
        WITHDRAWN,
        _("Assignment withdrawn"),
        _("The assignment of %(item)s to %(unit)s was withdrawn: %(reason)s"),
    ),
    Kind(
        DUE_CHANGED,
        _("Due date changed"),
        _("%(item)s is now due by %(due_on)s: %(reason)s"),
    ),
    Kind(
        HANDLER_NAMED,
        _("Named as handler"),
        _("You handle %(item)s for %(unit)s; reply by %(due_on)s."),
    ),
    Kind(
        OPINION_ARRIVED,
        _("Co-handling opinion"),
        _("%(unit)s sent its co-handling opinion on %(item)s."),
    ),
    Kind(TO_SIGN, _("Reply to sign"), _("A draft reply to %(item)s waits for your signature.")),
    Kind(
        DRAFT_RETURNED,
        _("Draft sent back"),
        _("The unit leader sent the draft reply to %(item)s back: %(note)s"),
    ),
    # To the staff.
    Kind(
        DISPUTE_RAISED,
        _("Assignment disputed"),
        _("%(unit)s disputes the assignment of %(item)s: %(reason)s"),
    ),
    Kind(
        EXTENSION_REQUESTED,
        _("Extension requested"),
        _("%(unit)s asks to reply to %(item)s by %(until_on)s: %(reason)s"),
    ),
    Kind(REPLY_SENT, _("Reply sent"), _("%(unit)s replied to %(item)s (class %(result_class)s).")),
    Kind(
        DISSATISFIED,
        _("Dissatisfied"),
        _("The proposer is not satisfied with the reply to %(item)s: %(reason)s"),
    ),
    Kind(
        EVALUATION_EXPIRED,
        _("Evaluation window passed"),
        _("%(item)s was closed without evaluation: the window ended on %(due_on)s."),
    ),
    # To the proposers.
    Kind(
        ASSIGNED,
        _("Assigned"),
        _("%(item)s was assigned to %(units)s; the reply is due by %(due_on)s."),
    ),
    Kind(EXTENDED, _("Extension"), _("%(unit)s will reply to %(item)s by %(due_on)s.")),
    Kind(REPLIED, _("Reply"), _("%(unit)s has replied to %(item)s.")),
    Kind(
        ITEM_REHANDLING,
        _("Handled again"),
        _("%(item)s is handled again; the new reply is due by %(due_on)s."),
    ),
    Kind(CLOSED, _("Closed"), _("%(item)s is closed.")),
)

# Higher apps (supervision) hear of steps here: event name -> callables(item, **details).
_listeners: dict[str, list[Callable]] = {}


def listen(event: str, listener: Callable) -> None:
    if listener not in _listeners.setdefault(event, []):
        _listeners[event].append(listener)


def _tell_listeners(event: str, item, **details) -> None:
    for listener in _listeners.get(event, []):
        listener(item, **details)


def item_page(item) -> str:
    return reverse("items:detail", args=[item.pk])


def unit_contacts(item, unit_id: int) -> list[int]:
    """Who receives a unit's notices: its coordinators, or its leaders when it has none."""
    found = recipients.with_role(item.body_id, str(Role.UNIT_COORDINATOR), unit_id=unit_id)
    return found or recipients.with_role(item.body_id, str(Role.UNIT_LEADER), unit_id=unit_id)


def _staff(item) -> list[int]:
    return recipients.with_role(item.body_id, str(Role.STAFF))


def _tell(readers, kind: str, item, *, by, url: str = "", collapse=False, **params) -> None:
    """One kind of notice about `item` to `readers`, linked to `url` (the item's page)."""
    notify(
        readers,
        kind,
        body=item.body,
        item=item,
        url=url or item_page(item),
        params=params,
        by=by,
        collapse=collapse,
    )


def _tell_proposers(item, kind: str, *, by, **params) -> None:
    """The proposers of the item, and of each item merged into it on their own item."""
    for case in [item, *item.merged_items.all()]:
        notify(
            item_notices.proposers(case),
            kind,
            body=item.body,
            item=case,
            url=item_page(case),
            params=params,
            by=by,
        )


def _role_label(assignment) -> str:
    if assignment.is_lead:
        return str(pgettext_lazy("assigned as", "lead unit"))
    return str(pgettext_lazy("assigned as", "co-handling unit"))


def assigned(item, made, *, by) -> None:
    """交办: each unit's coordinators hear of their assignment; the proposers of the units."""
    for assignment in made:
        new_assignment(assignment, by=by)
    leads = [a for a in made if a.is_lead]
    due = min(a.due_on for a in leads).isoformat() if leads else ""
    _tell_proposers(item, ASSIGNED, by=by, units=[a.unit.name for a in made], due_on=due)


def new_assignment(assignment, *, by) -> None:
    _tell(
        unit_contacts(assignment.item, assignment.unit_id),
        NEW_ASSIGNMENT,
        assignment.item,
        by=by,
        url=reverse("handling:inbox"),
        unit=assignment.unit.name,
        role=_role_label(assignment),
        due_on=assignment.due_on.isoformat(),
    )


def disputed(assignment, *, by, reason: str) -> None:
    item = assignment.item
    url = reverse("handling:disputes")
    _tell(
        _staff(item), DISPUTE_RAISED, item, by=by, url=url, unit=assignment.unit.name, reason=reason
    )


def dispute_decided(assignment, *, by, decision: str) -> None:
    item = assignment.item
    _tell(
        unit_contacts(item, assignment.unit_id),
        DISPUTE_DECIDED,
        item,
        by=by,
        url=reverse("handling:unit_items"),
        unit=assignment.unit.name,
        decision=decision,
    )


def extension_requested(extension, *, by) -> None:
    assignment = extension.assignment
    _tell(
        _staff(assignment.item),
        EXTENSION_REQUESTED,
        assignment.item,
        by=by,
        url=reverse("handling:extensions"),
        unit=assignment.unit.name,
        until_on=extension.requested_due_on.isoformat(),
        reason=extension.reason,
    )


def extension_decided(extension, *, by, approved: bool) -> None:
    assignment = extension.assignment
    item, due = assignment.item, assignment.due_on.isoformat()
    decision = str(_("approved") if approved else _("refused"))
    readers = unit_contacts(item, assignment.unit_id)
    _tell(readers, EXTENSION_DECIDED, item, by=by, decision=decision, due_on=due)
    if approved:
        _tell_proposers(item, EXTENDED, by=by, unit=assignment.unit.name, due_on=due)


def handler_named(assignment, *, by) -> None:
    _tell(
        [assignment.handler_id],
        HANDLER_NAMED,
        assignment.item,
        by=by,
        unit=assignment.unit.name,
        due_on=assignment.due_on.isoformat(),
    )


def opinion_sent(assignment, *, by, leads) -> None:
    """A co-handler's opinion reaches the handlers of the lead units (their coordinators
    while no handler is named)."""
    item = assignment.item
    readers: list[int] = []
    for lead in leads:
        readers += [lead.handler_id] if lead.handler_id else unit_contacts(item, lead.unit_id)
    _tell(readers, OPINION_ARRIVED, item, by=by, unit=assignment.unit.name)


def draft_saved(assignment, *, by) -> None:
    """A draft waits for the unit leader's signature; told once until they read it."""
    item = assignment.item
    _tell(
        recipients.with_role(item.body_id, str(Role.UNIT_LEADER), unit_id=assignment.unit_id),
        TO_SIGN,
        item,
        by=by,
        url=reverse("handling:reply", args=[assignment.pk]),
        collapse=True,
    )


def draft_returned(assignment, reply, *, by, note: str) -> None:
    """The leader sends the draft back: its author (the named handler, or whoever drafted
    it) revises it."""
    readers = [reply.drafted_by_id or assignment.handler_id]
    _tell(readers, DRAFT_RETURNED, assignment.item, by=by, note=note)


def reply_signed(assignment, reply, *, by) -> None:
    item, unit = assignment.item, assignment.unit.name
    _tell(_staff(item), REPLY_SENT, item, by=by, unit=unit, result_class=reply.result_class)
    _tell_proposers(item, REPLIED, by=by, unit=unit)


def rehandling(item, assignments, *, by, reason: str, due_on) -> None:
    """不满意: the units sent back, their handlers, the staff, the co-signers and any higher
    app's readers (the key item's supervising leader) hear of it."""
    due = due_on.isoformat()
    for assignment in assignments:
        readers = unit_contacts(item, assignment.unit_id)
        if assignment.handler_id:
            readers.append(assignment.handler_id)
        _tell(readers, REHANDLING, item, by=by, reason=reason, due_on=due)
    _tell(_staff(item), DISSATISFIED, item, by=by, reason=reason)
    _tell_proposers(item, ITEM_REHANDLING, by=by, due_on=due)
    _tell_listeners("dissatisfied", item, by=by, reason=reason)


def closed(item, assignments, *, by, expired_on=None) -> None:
    """The item is closed: its units and proposers are told; a closure by the passing of
    the evaluation window is also the staff's."""
    units = {a.unit_id for a in assignments}
    readers = [user for unit_id in sorted(units) for user in unit_contacts(item, unit_id)]
    _tell(readers, CLOSED_FOR_UNIT, item, by=by)
    _tell_proposers(item, CLOSED, by=by)
    if expired_on is not None:
        _tell(_staff(item), EVALUATION_EXPIRED, item, by=by, due_on=expired_on.isoformat())


def withdrawn(assignment, *, by, reason: str) -> None:
    item = assignment.item
    _tell(
        unit_contacts(item, assignment.unit_id),
        WITHDRAWN,
        item,
        by=by,
        url=reverse("handling:unit_items"),
        unit=assignment.unit.name,
        reason=reason,
    )


def due_date_changed(assignment, *, by, reason: str) -> None:
    item = assignment.item
    readers = unit_contacts(item, assignment.unit_id)
    if assignment.handler_id:
        readers.append(assignment.handler_id)
    due = assignment.due_on.isoformat()
    _tell(readers, DUE_CHANGED, item, by=by, due_on=due, reason=reason)
