"""Every row of the two workflow tables, walked through the services.

Each row has a scenario below: an object in one of the row's source states, the service
call that takes the row, a role allowed to take it and one that is not, and a call in a
state the row does not leave from. A row that creates the object (from `NEW`) has a
`Creation` instead: the call, an actor allowed and one not. A row added to a table without a
scenario fails `test_every_row_has_a_scenario`.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from banli.bodies.models import BodyType, MemberType
from banli.core.actors import Actor, user_of
from banli.core.errors import InvalidTransition, NotAllowed
from banli.core.models import HistoryEntry
from banli.core.workflow import NEW, Guard, Transition, Workflow
from banli.handling import services as handling
from banli.handling.models import AssignmentRole
from banli.handling.workflow import ASSIGNMENT_WORKFLOW, AssignmentState
from banli.items import services as items
from banli.items.models import Item
from banli.items.workflow import ITEM_WORKFLOW, ItemState
from banli.supervision.services import change_supervisor, mark_key, unmark_key

from .factories import World, make_member, make_proposer, make_user, on

DAY = dt.date(2026, 3, 2)
PAPER = "据纸质原件录入"
AFTER_THE_WINDOW = dt.date(2026, 4, 20)
TABLES: dict[str, Workflow] = {"item": ITEM_WORKFLOW, "assignment": ASSIGNMENT_WORKFLOW}
ROWS = [(name, t.action) for name, table in TABLES.items() for t in table.transitions]


@dataclass
class Case:
    """One row taken through its service."""

    target: Any  # the item or assignment whose state the row changes
    act: Callable[[Any], Any]  # takes the row as the given user
    allowed: Any
    forbidden: Any
    wrong_state: Callable[[], Any]  # the same action where the row does not apply


@dataclass
class Creation:
    """One creating row taken through its service."""

    act: Callable[[Any], Any]  # creates the object as the given actor, returns it
    allowed: Any
    forbidden: Any
    model: Any = Item


SCENARIOS: dict[tuple[str, str], Callable[[World], Case | Creation]] = {}


def row(workflow: str, action: str):
    def register(build):
        SCENARIOS[(workflow, action)] = build
        return build

    return register


def refused(error, call) -> None:
    """`call` raises `error` and leaves no trace in the history."""
    written = HistoryEntry.objects.count()
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value), "a refusal says why"
    assert HistoryEntry.objects.count() == written


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


# Builders: an item or assignment in a given state.


def submitted(w: World, **kw):
    item = w.draft(**kw)
    items.submit(item, by=w.deputy)
    return item


def under_review(w: World, **kw):
    item = submitted(w, **kw)
    items.receive(item, by=w.staff)
    return item


def delegation_motion(w: World, *, review=True):
    delegation = make_member(w.body, "某代表团", member_type=MemberType.DELEGATION)
    item = w.draft(by=w.staff, source_note=PAPER, proposer=delegation, kind="motion")
    items.submit(item, by=w.staff)
    if review:
        items.receive(item, by=w.staff)
    return item


def invited(w: World):
    item = w.draft()
    items.invite_cosigners(item, by=w.deputy, members=[w.cosigner_member])
    return item


def joint_replied(w: World):
    item = invited(w)
    items.confirm_cosign(item, by=w.cosigner)
    items.submit(item, by=w.deputy)
    items.receive(item, by=w.staff)
    items.accept(item, by=w.staff)
    handling.assign(item, by=w.staff, lead_units=[w.units[0]])
    assignment = w.lead_assignment(item)
    handling.accept_assignment(assignment, by=w.coord[assignment.unit_id])
    drafted(w, assignment)
    handling.sign_reply(assignment, by=w.leader[assignment.unit_id])
    return fresh(item)


def pending(w: World, **kw):
    return w.lead_assignment(w.assigned(**kw))


def working(w: World, **kw):
    assignment = pending(w, **kw)
    handling.accept_assignment(assignment, by=w.coord[assignment.unit_id])
    return fresh(assignment)


def disputed(w: World):
    assignment = pending(w)
    handling.dispute(assignment, by=w.coord[assignment.unit_id], reason="不属于本单位职责")
    return assignment


def drafted(w: World, assignment):
    return handling.draft_reply(
        assignment, by=w.handler[assignment.unit_id], text="答复函", result_class="A"
    )


def co_working(w: World):
    item = w.assigned(co=[w.units[1]])
    co = item.assignments.get(role=AssignmentRole.CO)
    handling.accept_assignment(co, by=w.coord[co.unit_id])
    return fresh(co)


def evaluate(item, result="satisfied"):
    # 不满意 is said with a reason.
    comment = "答复未解决实际问题" if result == "unsatisfied" else ""
    return lambda user: handling.evaluate(
        fresh(item), by=user, attitude="satisfied", result=result, comment=comment
    )


# The item table.


def _writing(w: World, **kw):
    kw.setdefault("kind", w.kind)
    kw.setdefault("title", "关于增加老旧小区停车位的建议")
    kw.setdefault("text", "老旧小区停车难问题突出，建议挖潜增加停车泊位。")
    return lambda by: items.create_draft(by=by, session=w.session, **kw)


@row("item", "create")
def _create(w):
    return Creation(_writing(w), allowed=w.deputy, forbidden=w.coord[w.units[0].pk])


@row("item", "enter_on_behalf")
def _enter_on_behalf(w):
    return Creation(
        _writing(w, proposer=w.member, source_note="据纸质原件录入"),
        allowed=w.staff,
        forbidden=w.cosigner,
    )


@row("item", "import")
def _import(w):
    def bring_in(by):
        return items.import_item(
            by=by,
            session=w.session,
            kind=w.kind,
            number=12,
            title="关于改造城东老旧管网的建议",
            text="城东片区雨污管网老化，建议分期改造。",
            proposer=w.member,
            category=w.category,
            accepted_on=dt.date(2025, 2, 10),
        )

    register = Actor.import_row(user=w.staff, file="2025年建议台账.xlsx", row=7)
    return Creation(bring_in, allowed=register, forbidden=w.staff)


@row("item", "edit")
def _edit(w):
    item = invited(w)
    done = submitted(w)
    return Case(
        item,
        lambda u: items.edit_draft(item, by=u, title="修改后的标题", text="修改后的正文"),
        allowed=w.deputy,
        forbidden=w.cosigner,
        wrong_state=lambda: items.edit_draft(done, by=w.deputy, title="t", text="x"),
    )


@row("item", "invite_cosigners")
def _invite(w):
    item = w.draft()
    stranger, _ = make_proposer(w.body)
    done = submitted(w)
    return Case(
        item,
        lambda u: items.invite_cosigners(item, by=u, members=[w.cosigner_member]),
        allowed=w.deputy,
        forbidden=stranger,
        wrong_state=lambda: items.invite_cosigners(done, by=w.deputy, members=[w.cosigner_member]),
    )


@row("item", "confirm_cosign")
def _confirm(w):
    item = invited(w)
    done = invited(w)
    items.decline_cosign(done, by=w.cosigner)
    items.submit(done, by=w.deputy)
    return Case(
        item,
        lambda u: items.confirm_cosign(item, by=u),
        allowed=w.cosigner,
        forbidden=w.deputy,
        wrong_state=lambda: items.confirm_cosign(done, by=w.cosigner),
    )


@row("item", "decline_cosign")
def _decline(w):
    item = invited(w)
    done = invited(w)
    items.confirm_cosign(done, by=w.cosigner)
    items.submit(done, by=w.deputy)
    return Case(
        item,
        lambda u: items.decline_cosign(item, by=u, reason="不熟悉该领域"),
        allowed=w.cosigner,
        forbidden=w.deputy,
        wrong_state=lambda: items.decline_cosign(done, by=w.cosigner),
    )


@row("item", "submit")
def _submit(w):
    item = invited(w)
    items.confirm_cosign(item, by=w.cosigner)
    return Case(
        item,
        lambda u: items.submit(item, by=u),
        allowed=w.deputy,
        forbidden=w.cosigner,
        wrong_state=lambda: items.submit(item, by=w.deputy),
    )


@row("item", "withdraw")
def _withdraw(w):
    item = submitted(w)
    return Case(
        item,
        lambda u: items.withdraw(item, by=u, reason="问题已解决"),
        allowed=w.deputy,
        forbidden=w.staff,
        wrong_state=lambda: items.withdraw(item, by=w.deputy),
    )


@row("item", "receive")
def _receive(w):
    item = submitted(w)
    return Case(
        item,
        lambda u: items.receive(item, by=u),
        allowed=w.staff,
        forbidden=w.deputy,
        wrong_state=lambda: items.receive(item, by=w.staff),
    )


@row("item", "return")
def _return(w):
    item = under_review(w)
    return Case(
        item,
        lambda u: items.return_for_revision(item, by=u, reason="请补充具体措施"),
        allowed=w.staff,
        forbidden=w.deputy,
        wrong_state=lambda: items.return_for_revision(item, by=w.staff, reason="再退"),
    )


@row("item", "reject")
def _reject(w):
    item = under_review(w)
    return Case(
        item,
        lambda u: items.reject(item, by=u, reason="属于诉讼中的事项"),
        allowed=w.staff,
        forbidden=w.supervisor,
        wrong_state=lambda: items.reject(item, by=w.staff, reason="再驳回"),
    )


@row("item", "merge")
def _merge(w):
    item, lead = under_review(w), under_review(w)
    return Case(
        item,
        lambda u: items.merge(item, by=u, into=lead, reason="内容相近"),
        allowed=w.staff,
        forbidden=w.deputy,
        wrong_state=lambda: items.merge(item, by=w.staff, into=lead),
    )


@row("item", "convert")
def _convert(w):
    motion = delegation_motion(w)
    waiting = delegation_motion(w, review=False)
    return Case(
        motion,
        lambda u: items.convert_to_suggestion(motion, by=u, reason="未列入议程"),
        allowed=w.staff,
        forbidden=w.deputy,
        wrong_state=lambda: items.convert_to_suggestion(waiting, by=w.staff),
    )


@row("item", "accept")
def _accept(w):
    item = under_review(w)
    return Case(
        item,
        lambda u: items.accept(item, by=u),
        allowed=w.staff,
        forbidden=w.deputy,
        wrong_state=lambda: items.accept(item, by=w.staff),
    )


@row("item", "forward")
def _forward(w):
    c = World(body_type=BodyType.CPPCC)
    item = under_review(c)
    items.reject(item, by=c.staff, ground="内容空泛、没有具体建议的", reason="内容空泛")
    waiting = under_review(c)
    return Case(
        item,
        lambda u: items.forward_refused(
            fresh(item), by=u, kind="social_opinion", note="转社情民意"
        ),
        allowed=c.staff,
        forbidden=c.deputy,
        wrong_state=lambda: items.forward_refused(waiting, by=c.staff, kind="social_opinion"),
    )


@row("item", "set_key")
def _set_key(w):
    item = w.accepted()
    draft = w.draft()
    return Case(
        item,
        lambda u: mark_key(item, by=u, supervisor=w.supervisor),
        allowed=w.staff,
        forbidden=w.supervisor,
        wrong_state=lambda: mark_key(draft, by=w.staff, supervisor=w.supervisor),
    )


@row("item", "assign")
def _assign(w):
    item = w.accepted()
    return Case(
        item,
        lambda u: handling.assign(item, by=u, lead_units=[w.units[0]]),
        allowed=w.staff,
        forbidden=w.supervisor,
        wrong_state=lambda: handling.assign(fresh(item), by=w.staff, lead_units=[w.units[0]]),
    )


@row("item", "start_handling")
def _start_handling(w):
    assignment = pending(w)
    return Case(
        assignment.item,
        lambda u: handling.accept_assignment(assignment, by=u),
        allowed=w.coord[assignment.unit_id],
        forbidden=w.handler[assignment.unit_id],
        wrong_state=lambda: handling.accept_assignment(
            fresh(assignment), by=w.coord[assignment.unit_id]
        ),
    )


@row("item", "reply")
def _reply(w):
    assignment = working(w)
    drafted(w, assignment)
    return Case(
        assignment.item,
        lambda u: handling.sign_reply(assignment, by=u),
        allowed=w.leader[assignment.unit_id],
        forbidden=w.handler[assignment.unit_id],
        wrong_state=lambda: handling.sign_reply(fresh(assignment), by=w.leader[assignment.unit_id]),
    )


@row("item", "evaluate_close")
def _evaluate_close(w):
    item = w.replied()
    return Case(
        item,
        evaluate(item),
        allowed=w.deputy,
        forbidden=w.staff,
        wrong_state=lambda: evaluate(item)(w.deputy),
    )


@row("item", "cosigner_evaluate")
def _cosigner_evaluate(w):
    item = joint_replied(w)
    stranger, _ = make_proposer(w.body)
    in_handling = invited(w)
    items.confirm_cosign(in_handling, by=w.cosigner)
    items.submit(in_handling, by=w.deputy)
    return Case(
        item,
        evaluate(item, "basically_satisfied"),
        allowed=w.cosigner,
        forbidden=stranger,
        wrong_state=lambda: evaluate(in_handling)(w.cosigner),
    )


@row("item", "evaluate_rehandle")
def _evaluate_rehandle(w):
    item = w.replied()
    return Case(
        item,
        evaluate(item, "unsatisfied"),
        allowed=w.deputy,
        forbidden=w.staff,
        wrong_state=lambda: evaluate(item, "unsatisfied")(w.deputy),
    )


@row("item", "close_unevaluated")
def _close_unevaluated(w):
    item = w.replied()

    def close(user):
        with on(AFTER_THE_WINDOW):
            return handling.close_unevaluated(fresh(item), by=user)

    return Case(
        item, close, allowed=w.staff, forbidden=w.deputy, wrong_state=lambda: close(w.staff)
    )


# The assignment table.


@row("assignment", "accept")
def _assignment_accept(w):
    assignment = pending(w)
    return Case(
        assignment,
        lambda u: handling.accept_assignment(assignment, by=u),
        allowed=w.leader[assignment.unit_id],
        forbidden=w.handler[assignment.unit_id],
        wrong_state=lambda: handling.accept_assignment(
            fresh(assignment), by=w.coord[assignment.unit_id]
        ),
    )


@row("assignment", "dispute")
def _dispute(w):
    assignment = pending(w)
    return Case(
        assignment,
        lambda u: handling.dispute(assignment, by=u, reason="不属于本单位职责"),
        allowed=w.coord[assignment.unit_id],
        forbidden=w.handler[assignment.unit_id],
        wrong_state=lambda: handling.dispute(
            fresh(assignment), by=w.coord[assignment.unit_id], reason="再次退回"
        ),
    )


@row("assignment", "reassign")
def _reassign(w):
    assignment = disputed(w)
    return Case(
        assignment,
        lambda u: handling.reassign(assignment, by=u, to_unit=w.units[1]),
        allowed=w.staff,
        forbidden=w.coord[assignment.unit_id],
        wrong_state=lambda: handling.reassign(fresh(assignment), by=w.staff, to_unit=w.units[1]),
    )


@row("assignment", "dismiss_dispute")
def _dismiss(w):
    assignment = disputed(w)
    return Case(
        assignment,
        lambda u: handling.dismiss_dispute(assignment, by=u, reason="属于该单位职责"),
        allowed=w.staff,
        forbidden=w.leader[assignment.unit_id],
        wrong_state=lambda: handling.dismiss_dispute(
            fresh(assignment), by=w.staff, reason="再驳回"
        ),
    )


@row("assignment", "name_handler")
def _name_handler(w):
    assignment = working(w)
    waiting = pending(w)
    return Case(
        assignment,
        lambda u: handling.name_handler(assignment, by=u, handler=w.handler[assignment.unit_id]),
        allowed=w.coord[assignment.unit_id],
        forbidden=w.handler[assignment.unit_id],
        wrong_state=lambda: handling.name_handler(
            waiting, by=w.coord[waiting.unit_id], handler=w.handler[waiting.unit_id]
        ),
    )


@row("assignment", "log_contact")
def _log_contact(w):
    assignment = working(w)
    waiting = pending(w)

    def log(target, user):
        return handling.log_contact(target, by=user, stage="before", method="phone", on=DAY)

    return Case(
        assignment,
        lambda u: log(assignment, u),
        allowed=w.handler[assignment.unit_id],
        forbidden=w.staff,
        wrong_state=lambda: log(waiting, w.handler[waiting.unit_id]),
    )


@row("assignment", "request_extension")
def _request_extension(w):
    assignment = working(w)
    done = working(w)
    drafted(w, done)
    handling.sign_reply(done, by=w.leader[done.unit_id])

    def ask(target, user):
        return handling.request_extension(
            target, by=user, until=dt.date(2026, 8, 31), reason="需跨部门协调"
        )

    return Case(
        assignment,
        lambda u: ask(assignment, u),
        allowed=w.coord[assignment.unit_id],
        forbidden=w.handler[assignment.unit_id],
        wrong_state=lambda: ask(fresh(done), w.coord[done.unit_id]),
    )


@row("assignment", "decide_extension")
def _decide_extension(w):
    assignment = working(w)
    extension = handling.request_extension(
        assignment, by=w.coord[assignment.unit_id], until=dt.date(2026, 8, 31), reason="协调"
    )
    # A request left waiting when the unit disputed the assignment can no longer be decided.
    disputing = pending(w)
    late = handling.request_extension(
        disputing, by=w.coord[disputing.unit_id], until=dt.date(2026, 8, 31), reason="协调"
    )
    handling.dispute(disputing, by=w.coord[disputing.unit_id], reason="不属于本单位职责")
    return Case(
        assignment,
        lambda u: handling.decide_extension(extension, by=u, approve=True),
        allowed=w.staff,
        forbidden=w.leader[assignment.unit_id],
        wrong_state=lambda: handling.decide_extension(fresh(late), by=w.staff, approve=True),
    )


@row("assignment", "draft_reply")
def _draft_reply(w):
    assignment = working(w)
    waiting = pending(w)
    return Case(
        assignment,
        lambda u: handling.draft_reply(assignment, by=u, text="答复函", result_class="A"),
        allowed=w.handler[assignment.unit_id],
        forbidden=w.staff,
        wrong_state=lambda: drafted(w, waiting),
    )


@row("assignment", "sign_reply")
def _sign_reply(w):
    assignment = working(w)
    drafted(w, assignment)
    return Case(
        assignment,
        lambda u: handling.sign_reply(assignment, by=u),
        allowed=w.leader[assignment.unit_id],
        forbidden=w.coord[assignment.unit_id],
        wrong_state=lambda: handling.sign_reply(fresh(assignment), by=w.leader[assignment.unit_id]),
    )


@row("assignment", "return_draft")
def _return_draft(w):
    assignment = working(w)
    drafted(w, assignment)
    waiting = pending(w)
    return Case(
        assignment,
        lambda u: handling.return_reply_draft(assignment, by=u, note="请补充办理措施"),
        allowed=w.leader[assignment.unit_id],
        forbidden=w.handler[assignment.unit_id],
        wrong_state=lambda: handling.return_reply_draft(
            waiting, by=w.leader[waiting.unit_id], note="请补充"
        ),
    )


@row("assignment", "close_with_item")
def _close_with_item(w):
    """The system closes a replied item after its window (未评价): its co-handling unit that
    never accepted is closed with it, as the system's step."""
    item = w.replied(co=[w.units[1]])
    co = item.assignments.get(role=AssignmentRole.CO)

    def close(by):
        with on(AFTER_THE_WINDOW):
            return handling.close_unevaluated(fresh(item), by=by)

    return Case(co, close, allowed=None, forbidden=w.deputy, wrong_state=lambda: close(None))


@row("assignment", "send_opinion")
def _send_opinion(w):
    co = co_working(w)
    return Case(
        co,
        lambda u: handling.send_opinion(co, by=u, text="建议统筹安排"),
        allowed=w.handler[co.unit_id],
        forbidden=w.staff,
        wrong_state=lambda: handling.send_opinion(fresh(co), by=w.handler[co.unit_id], text="再"),
    )


@row("assignment", "rehandle")
def _rehandle(w):
    item = w.replied()
    return Case(
        w.lead_assignment(item),
        evaluate(item, "unsatisfied"),
        allowed=w.deputy,
        forbidden=w.staff,
        wrong_state=lambda: evaluate(item, "unsatisfied")(w.deputy),
    )


# Corrections and steering after acceptance (banli.handling.steering, items.amend_item,
# supervision.unmark_key / change_supervisor).


def signed(w: World, assignment) -> None:
    """The unit meets the proposer (三见面), drafts and signs its reply."""
    handling.log_contact(
        assignment, by=w.handler[assignment.unit_id], stage="before", method="phone", on=DAY
    )
    drafted(w, assignment)
    handling.sign_reply(assignment, by=w.leader[assignment.unit_id])


def replied_assignment(w: World):
    assignment = working(w)
    signed(w, assignment)
    return fresh(assignment)


def closed_key_item(w: World):
    item = replied_assignment(w).item
    mark_key(item, by=w.staff, supervisor=w.supervisor)
    evaluate(item)(w.deputy)
    return fresh(item)


def split(w: World):
    """An item with two lead units (分办); the first has accepted it, the second not yet."""
    item = w.assigned(lead=w.units[:2])
    first = w.lead_assignment(item, w.units[0])
    handling.accept_assignment(first, by=w.coord[first.unit_id])
    return fresh(item), fresh(first), w.lead_assignment(item, w.units[1])


def withdraw(assignment, reason="交办有误"):
    return lambda u: handling.withdraw_assignment(fresh(assignment), by=u, reason=reason)


@row("item", "amend")
def _amend(w):
    item = w.accepted()
    waiting = submitted(w)

    def amend(target, user):
        return items.amend_item(
            fresh(target),
            by=user,
            title="关于增加老城区停车位的建议",
            text=target.text,
            category=w.category,
            reason="标题录入有误",
        )

    return Case(
        item,
        lambda u: amend(item, u),
        allowed=w.staff,
        forbidden=w.deputy,
        wrong_state=lambda: amend(waiting, w.staff),
    )


@row("item", "add_unit")
def _add_unit(w):
    item = w.assigned()
    waiting = w.accepted()

    def add(target, user):
        return handling.add_unit(
            fresh(target), by=user, unit=w.units[1], role="co", reason="涉及交通组织"
        )

    return Case(
        item,
        lambda u: add(item, u),
        allowed=w.staff,
        forbidden=w.supervisor,
        wrong_state=lambda: add(waiting, w.staff),
    )


@row("item", "unset_key")
def _unset_key(w):
    item = w.accepted()
    mark_key(item, by=w.staff, supervisor=w.supervisor)
    done = closed_key_item(w)
    return Case(
        item,
        lambda u: unmark_key(fresh(item), by=u, reason="已不再列为重点"),
        allowed=w.staff,
        forbidden=w.supervisor,
        wrong_state=lambda: unmark_key(done, by=w.staff, reason="已办结"),
    )


@row("item", "change_key_leader")
def _change_key_leader(w):
    item = w.accepted()
    mark_key(item, by=w.staff, supervisor=w.supervisor)
    other = make_user(w.body, "supervisor")
    done = closed_key_item(w)

    def change(target, user):
        return change_supervisor(fresh(target), by=user, supervisor=other, reason="分工调整")

    return Case(
        item,
        lambda u: change(item, u),
        allowed=w.staff,
        forbidden=w.supervisor,
        wrong_state=lambda: change(done, w.staff),
    )


@row("item", "remaining_replied")
def _remaining_replied(w):
    item, first, second = split(w)
    signed(w, first)
    return Case(
        fresh(item),
        withdraw(second),
        allowed=w.staff,
        forbidden=w.coord[second.unit_id],
        wrong_state=lambda: withdraw(first)(w.staff),
    )


@row("item", "back_to_assigned")
def _back_to_assigned(w):
    item, first, second = split(w)
    done = replied_assignment(w)
    return Case(
        item,
        withdraw(first),
        allowed=w.staff,
        forbidden=w.coord[first.unit_id],
        wrong_state=lambda: withdraw(done)(w.staff),
    )


@row("assignment", "withdraw")
def _withdraw_assignment(w):
    item = w.assigned(co=[w.units[1]])
    co = item.assignments.get(role=AssignmentRole.CO)
    done = replied_assignment(w)
    return Case(
        co,
        withdraw(co, "协办单位选择有误"),
        allowed=w.staff,
        forbidden=w.coord[co.unit_id],
        wrong_state=lambda: withdraw(done)(w.staff),
    )


@row("assignment", "change_due")
def _change_due(w):
    assignment = pending(w)
    done = replied_assignment(w)

    def move(target, user):
        return handling.change_due_date(
            fresh(target), by=user, due_on=dt.date(2026, 7, 31), reason="需结合预算安排"
        )

    return Case(
        assignment,
        lambda u: move(assignment, u),
        allowed=w.staff,
        forbidden=w.coord[assignment.unit_id],
        wrong_state=lambda: move(done, w.staff),
    )


# The walk.


def test_every_row_has_a_scenario():
    missing = sorted(set(ROWS) - set(SCENARIOS))
    assert not missing, f"rows without a scenario in this module: {missing}"
    assert not set(SCENARIOS) - set(ROWS), "scenarios for rows that no longer exist"


@pytest.mark.parametrize("workflow, action", ROWS, ids=[f"{w}.{a}" for w, a in ROWS])
def test_row(world, workflow, action):
    if (workflow, action) not in SCENARIOS:
        pytest.fail(f"no scenario for {workflow}.{action}")
    transition: Transition = TABLES[workflow][action]
    with on(DAY):
        case = SCENARIOS[(workflow, action)](world)
        if isinstance(case, Creation):
            assert transition.creates, "a creation scenario for a row that creates"
            return walk_creation(workflow, transition, case)
        state = fresh(case.target).state
        assert state in transition.sources, "the scenario starts where the row applies"
        refused(NotAllowed, lambda: case.act(case.forbidden))
        assert fresh(case.target).state == state
        mark = HistoryEntry.objects.order_by("id").last().pk
        case.act(case.allowed)
        entry = (
            HistoryEntry.objects.for_target(case.target)
            .filter(action=f"{workflow}.{action}", pk__gt=mark)
            .get()
        )
        assert (entry.from_state, entry.to_state) == (state, transition.leads_to(state))
        assert entry.actor == case.allowed
        assert fresh(case.target).state == entry.to_state
        refused(InvalidTransition, case.wrong_state)


def walk_creation(workflow: str, transition: Transition, case: Creation) -> None:
    """The forbidden actor creates nothing; the allowed one creates the object in the row's
    target state with the row's one history entry, naming them."""
    made = case.model.objects.count()
    refused(NotAllowed, lambda: case.act(case.forbidden))
    assert case.model.objects.count() == made
    obj = case.act(case.allowed)
    (entry,) = HistoryEntry.objects.for_target(obj)
    assert entry.action == f"{workflow}.{transition.action}"
    assert (entry.from_state, entry.to_state) == ("", transition.leads_to(NEW))
    assert obj.state == entry.to_state
    assert entry.actor == user_of(case.allowed)
    if isinstance(case.allowed, Actor):
        assert (entry.actor_kind, entry.actor_label) == (case.allowed.kind, case.allowed.label)


# The tables themselves.


@pytest.mark.parametrize("workflow, action", ROWS, ids=[f"{w}.{a}" for w, a in ROWS])
def test_the_table_answers_every_state_and_role(workflow, action):
    table = TABLES[workflow]
    transition = table[action]
    for state in table.states:
        if state in transition.sources:
            assert table.check(action, state, set(transition.roles)) is transition
            with pytest.raises(NotAllowed):
                table.check(action, state, {"someone_else"})
        else:
            with pytest.raises(InvalidTransition):
                table.check(action, state, set(transition.roles))


@pytest.mark.parametrize("workflow", TABLES)
def test_every_state_is_reached(workflow):
    table = TABLES[workflow]
    initial = {"item": ItemState.DRAFT, "assignment": AssignmentState.PENDING}[workflow]
    reached = {t.target for t in table.transitions if t.target} | {initial}
    assert reached == set(table.states)


def test_buttons_never_offer_automatic_rows():
    offered = [t.action for t in ITEM_WORKFLOW.available(ItemState.UNDER_REVIEW, {"staff"})]
    assert offered == ["return", "reject", "merge", "convert", "accept"]
    assert ITEM_WORKFLOW.available(ItemState.REPLIED, {"lead_proposer"}) == []
    assert [t.action for t in ITEM_WORKFLOW.available(ItemState.REPLIED, {"staff"})] == [
        "set_key",
        "amend",
        "unset_key",
        "change_key_leader",
        "close_unevaluated",
    ]
    assert ASSIGNMENT_WORKFLOW.available(AssignmentState.REPLIED, {"lead_proposer"}) == []


def test_a_row_with_an_unknown_state_is_refused():
    with pytest.raises(ValueError, match="unknown states"):
        Workflow(
            "broken",
            ["a", "b"],
            [Transition("go", frozenset({"a"}), "c", frozenset({"staff"}), "go")],
        )


def test_guards_apply_when_the_table_is_given_the_object():
    """A row's `applies` and its role guards decide on the object; without the object the
    table answers for the state and the roles alone (as callers that pass none expect)."""
    even = Guard(lambda n: n % 2 == 0, "only even numbers")
    trusted = Guard(lambda n: n > 10, "staff only above ten")
    table = Workflow(
        "numbers",
        ["a", "b"],
        [
            Transition(
                "go",
                frozenset({"a"}),
                "b",
                frozenset({"owner", "staff"}),
                "go",
                applies=even,
                role_guards={"staff": trusted},
            )
        ],
    )
    assert table.check("go", "a", {"staff"}) is table["go"]
    assert [t.action for t in table.available("a", {"staff"})] == ["go"]
    with pytest.raises(InvalidTransition, match="only even numbers"):
        table.check("go", "a", {"owner"}, 3)
    with pytest.raises(NotAllowed, match="staff only above ten"):
        table.check("go", "a", {"staff"}, 4)
    assert table.check("go", "a", {"staff"}, 12) is table["go"]
    assert table.check("go", "a", {"owner"}, 4) is table["go"]
    assert table.available("a", {"staff"}, 4) == []
    assert table.available("a", {"owner"}, 3) == []
    assert [t.action for t in table.available("a", {"owner", "staff"}, 4)] == ["go"]


def test_the_item_table_guards_conversion_and_the_staffs_hand_on_drafts(world):
    suggestion = under_review(world)
    motion = delegation_motion(world)
    staff = {"staff"}
    assert "convert" not in [
        t.action for t in ITEM_WORKFLOW.available(suggestion.state, staff, suggestion)
    ]
    assert "convert" in [t.action for t in ITEM_WORKFLOW.available(motion.state, staff, motion)]
    own = world.draft()
    entered = world.draft(by=world.staff, proposer=world.member, source_note=PAPER)
    for action in ("edit", "invite_cosigners", "submit"):
        with pytest.raises(NotAllowed, match="entered it on the proposer's behalf"):
            ITEM_WORKFLOW.check(action, own.state, staff, own)
        assert ITEM_WORKFLOW.check(action, entered.state, staff, entered)
        assert ITEM_WORKFLOW.check(action, own.state, {"lead_proposer"}, own)


def test_creating_rows_leave_from_no_state():
    creating = [t.action for t in ITEM_WORKFLOW.transitions if t.creates]
    assert creating == ["create", "enter_on_behalf", "import"]
    assert ITEM_WORKFLOW["import"].leads_to(NEW) == ItemState.ACCEPTED
    assert ITEM_WORKFLOW["import"].leads_to(NEW, ItemState.CLOSED) == ItemState.CLOSED
    with pytest.raises(ValueError):
        ITEM_WORKFLOW["import"].leads_to(NEW, ItemState.REPLIED)
    assert [t.action for t in ITEM_WORKFLOW.available(NEW, {"staff"})] == ["enter_on_behalf"]
