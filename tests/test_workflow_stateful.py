"""Random lives of items, driven through the services by random people on advancing days.

Whatever anyone tries, in any order, the case files stay whole: each item and assignment is
in a known state, its history chains from its creation to that state with one entry per
change, nothing is replied before it is assigned, nothing changes after closure, and
numbers stay unique. Only people of the item's body appear in its history, each entry is a
row of a workflow table that its actor's roles allow, an item's state agrees with the states
of its assignments, and the next-due column handling keeps for the lists is right. A refusal
(DomainError) is a legal answer; anything else is a bug.

Two kinds of steps keep the lives both deep and wild: `moves` takes what an item's state
invites, mostly by the person whose move it is and sometimes by anyone; `anything` tries
any use case on any record by anyone. Days pass between moves, so deadlines bite.

The cast (two bodies, three units, their people) is built once per test; each example runs
inside a savepoint rolled back at its end, so examples never see each other's records.
"""

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from banli.bodies.models import UNIT_ROLES, Membership
from banli.core import clock
from banli.core.actors import ActorKind
from banli.core.errors import DomainError
from banli.core.models import HistoryEntry
from banli.core.workflow import SYSTEM, Transition
from banli.handling import services as handling
from banli.handling.models import Assignment, AssignmentRole, Reply
from banli.handling.workflow import ASSIGNMENT_WORKFLOW, AssignmentState
from banli.items import services as items
from banli.items.models import CoSigner, Item
from banli.items.workflow import ITEM_WORKFLOW, ItemState
from banli.supervision.services import mark_key, unmark_key

from .factories import World, make_proposer

START = dt.date(2026, 3, 2)
S, A = ItemState, AssignmentState
ACTORS = (
    "staff",
    "lead",
    "cosigner",
    "other_deputy",
    "supervisor",
    *(f"{role}{n}" for n in range(3) for role in ("coord", "handler", "leader")),
    "outsider_staff",
    "outsider_unit",
)
PICK = st.integers(min_value=0, max_value=1000)
ACTOR = st.sampled_from(ACTORS)
# Mostly the same day or the next few; now and then a month or more.
DAYS = st.one_of(st.integers(0, 3), st.integers(0, 45))
RATINGS = ["satisfied", "basically_satisfied", "unsatisfied"]
# How often a move is chosen among those a state invites: the way forward, or a sidetrack.
FORWARD, SIDE = 6, 1

SETTINGS = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass
class Move:
    label: str
    call: Callable[[Any], Any]  # takes the acting user
    by: Any  # the person whose move it is
    weight: int = SIDE


class Cast:
    """The people of the machine: a congress with three units, and a second body."""

    def __init__(self):
        self.world = World(motion_min_signers=2)
        self.world.add_unit("市城管局")
        self.other = World()
        other_deputy, _ = make_proposer(self.world.body, "赵代表")
        w = self.world
        self.users = {
            "staff": w.staff,
            "lead": w.deputy,
            "cosigner": w.cosigner,
            "other_deputy": other_deputy,
            "supervisor": w.supervisor,
            "outsider_staff": self.other.staff,
            "outsider_unit": self.other.coord[self.other.units[0].pk],
        }
        for n, unit in enumerate(w.units):
            self.users[f"coord{n}"] = w.coord[unit.pk]
            self.users[f"handler{n}"] = w.handler[unit.pk]
            self.users[f"leader{n}"] = w.leader[unit.pk]


class ItemLives(RuleBasedStateMachine):
    def __init__(self, cast: Cast):
        super().__init__()
        self.cast = cast
        self.world = cast.world
        self.day = START
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    def who(self, actor: str):
        return self.cast.users[actor]

    def attempt(self, call, *args, **kwargs):
        """Run a use case on today's date; a DomainError is a legal refusal."""
        with clock.frozen(self.day):
            try:
                return call(*args, **kwargs)
            except DomainError as refusal:
                assert str(refusal), "a refusal says why"
                return None

    def items(self) -> list[Item]:
        return list(Item.objects.filter(body=self.world.body).order_by("pk"))

    def assignments(self) -> list[Assignment]:
        return list(Assignment.objects.filter(item__body=self.world.body).order_by("pk"))

    # Time

    def days_pass(self, days: int) -> None:
        """Days pass, and the nightly sweep closes what was not evaluated in time."""
        if days:
            self.day += dt.timedelta(days=days)
            self.attempt(handling.close_expired_evaluations)

    # Drafting

    @initialize(
        drafts=st.lists(
            st.tuples(st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=4
        )
    )
    def first_drafts(self, drafts):
        """A few items to live; `anything` may write more."""
        for motion, public, joint in drafts:
            self.draft(self.world.deputy, motion, public, joint)

    def draft(self, by, motion: bool, public: bool, joint: bool):
        item = self.attempt(
            items.create_draft,
            by=by,
            session=self.world.session,
            kind="motion" if motion else "suggestion",
            title="关于改善老旧小区停车的建议",
            text="建议挖潜增加停车泊位。",
            category=self.world.category,
            proposer=self.world.member,
            is_public=public,
        )
        if item is not None and joint:
            self.attempt(
                items.invite_cosigners,
                item,
                by=self.world.deputy,
                members=[self.world.cosigner_member],
            )

    # What a state invites

    @rule(
        pick=PICK,
        plan=st.lists(
            st.tuples(PICK, st.integers(0, 4), ACTOR, PICK, DAYS), min_size=1, max_size=12
        ),
    )
    def moves(self, pick, plan):
        """Up to twelve moves on one item, days apart."""
        found = self.items()
        item = found[pick % len(found)]
        for choice, odd, actor, detail, days in plan:
            self.days_pass(days)
            item.refresh_from_db()
            invited = self.invited_moves(item, detail)
            if not invited:
                break
            move = weighted(invited, choice)
            # One move in five is tried by someone picked at random.
            self.attempt(move.call, self.who(actor) if odd == 4 else move.by)

    @rule(pick=PICK, use_case=PICK, actor=ACTOR, detail=PICK, days=DAYS)
    def anything(self, pick, use_case, actor, detail, days):
        """Any use case on any record, by anyone, whatever the state."""
        self.days_pass(days)
        found = self.items()
        every = self.item_moves(found[pick % len(found)], detail, every=True)
        every.append(
            Move(
                "draft",
                lambda by: self.draft(by, detail % 2 == 0, detail % 3 == 0, detail % 5 == 0),
                self.world.deputy,
            )
        )
        assignments = self.assignments()
        if assignments:
            assignment = assignments[pick % len(assignments)]
            every += self.assignment_moves(assignment, detail, every=True)
        self.attempt(every[use_case % len(every)].call, self.who(actor))

    def invited_moves(self, item: Item, detail: int) -> list[Move]:
        found = self.item_moves(item, detail)
        for assignment in item.assignments.order_by("pk"):
            found += self.assignment_moves(assignment, detail)
        return found

    def item_moves(self, item: Item, detail: int, every: bool = False) -> list[Move]:
        w, state = self.world, item.state

        def now(*states) -> bool:
            return every or state in states

        rating = RATINGS[detail % 3]
        # 不满意 needs a reason; now and then it is missing, and refused.
        comment = "" if detail % 11 == 10 else "答复未解决问题"
        reason = "" if detail % 5 == 4 else "请补充具体措施"
        moves: list[Move] = []
        if now(S.DRAFT, S.RETURNED):
            answer = item.cosigners.filter(confirmed_at=None, declined_at=None).exists()
            signers = item.cosigners.exclude(confirmed_at=None).exists()
            moves += [
                Move("submit", lambda by: items.submit(item, by=by), w.deputy, FORWARD),
                Move(
                    "confirm",
                    lambda by: items.confirm_cosign(item, by=by),
                    w.cosigner,
                    FORWARD if answer else SIDE,
                ),
                Move("decline", lambda by: items.decline_cosign(item, by=by), w.cosigner),
                Move(
                    "invite",
                    lambda by: items.invite_cosigners(item, by=by, members=[w.cosigner_member]),
                    w.deputy,
                    FORWARD if item.kind == "motion" and not signers else SIDE,
                ),
                Move(
                    "edit",
                    lambda by: items.edit_draft(item, by=by, title="改", text="改"),
                    w.deputy,
                ),
            ]
        if now(S.DRAFT, S.RETURNED, S.SUBMITTED):
            moves.append(Move("withdraw", lambda by: items.withdraw(item, by=by), w.deputy))
        if now(S.SUBMITTED):
            moves.append(Move("receive", lambda by: items.receive(item, by=by), w.staff, FORWARD))
        if now(S.UNDER_REVIEW):
            others = [i for i in self.items() if i.pk != item.pk]
            into = others[detail % len(others)] if others else item
            moves += [
                Move("accept", lambda by: items.accept(item, by=by), w.staff, FORWARD * 2),
                Move("reject", lambda by: items.reject(item, by=by, reason=reason), w.staff),
                Move(
                    "return",
                    lambda by: items.return_for_revision(item, by=by, reason=reason),
                    w.staff,
                ),
                Move("convert", lambda by: items.convert_to_suggestion(item, by=by), w.staff),
                Move("merge", lambda by: items.merge(item, by=by, into=into), w.staff),
            ]
        if now(S.ACCEPTED):
            units = w.units
            leads = [units[n] for n in range(3) if detail >> n & 1] or [units[detail % 3]]
            cos = [u for u in units if u not in leads][: detail // 8 % 2]
            moves.append(
                Move(
                    "assign",
                    lambda by: handling.assign(
                        item, by=by, lead_units=leads, co_units=cos, complex=detail % 5 == 0
                    ),
                    w.staff,
                    FORWARD * 2,
                )
            )
        if now(S.ACCEPTED, S.ASSIGNED, S.IN_HANDLING):
            moves.append(
                Move("mark_key", lambda by: mark_key(item, by=by, supervisor=w.supervisor), w.staff)
            )
        # Staff corrections and steering after acceptance (banli.handling.steering).
        if now(S.ACCEPTED, S.ASSIGNED, S.IN_HANDLING, S.REPLIED, S.REHANDLING):
            moves += [
                Move(
                    "amend",
                    lambda by: items.amend_item(
                        item,
                        by=by,
                        title=f"更正标题{detail}",
                        text=item.text,
                        category=w.category,
                        reason=reason,
                    ),
                    w.staff,
                ),
                Move("unmark_key", lambda by: unmark_key(item, by=by, reason="调整"), w.staff),
            ]
        if now(S.ASSIGNED, S.IN_HANDLING):
            moves.append(
                Move(
                    "add_unit",
                    lambda by: handling.add_unit(
                        item,
                        by=by,
                        unit=w.units[detail % 3],
                        role="lead" if detail % 2 else "co",
                        reason="涉及该单位职责",
                    ),
                    w.staff,
                )
            )
        if now(S.REPLIED, S.REHANDLING):
            moves.append(
                Move(
                    "cosigner_evaluate",
                    lambda by: handling.evaluate(
                        item, by=by, attitude="satisfied", result=rating, comment=comment
                    ),
                    w.cosigner,
                )
            )
        if now(S.REPLIED):
            moves += [
                Move(
                    "evaluate",
                    lambda by: handling.evaluate(
                        item, by=by, attitude=rating, result=rating, comment=comment
                    ),
                    w.deputy,
                    FORWARD * 2,
                ),
                Move(
                    "close_unevaluated",
                    lambda by: handling.close_unevaluated(item, by=by),
                    w.staff,
                ),
            ]
        return moves

    def assignment_moves(self, a: Assignment, detail: int, every: bool = False) -> list[Move]:
        w, state = self.world, a.state
        coord, handler, leader = w.coord[a.unit_id], w.handler[a.unit_id], w.leader[a.unit_id]

        def now(*states) -> bool:
            return every or state in states

        result_class = ["A", "B", "C", "X"][detail % 4]
        moves: list[Move] = []
        if now(A.PENDING):
            moves += [
                Move("take", lambda by: handling.accept_assignment(a, by=by), coord, FORWARD),
                Move("dispute", lambda by: handling.dispute(a, by=by, reason="非本单位"), coord),
            ]
        if now(A.DISPUTED):
            moves += [
                Move(
                    "reassign",
                    lambda by: handling.reassign(a, by=by, to_unit=w.units[detail % 3]),
                    w.staff,
                    FORWARD,
                ),
                Move(
                    "dismiss",
                    lambda by: handling.dismiss_dispute(a, by=by, reason="属于该单位"),
                    w.staff,
                ),
            ]
        if now(A.HANDLING, A.REHANDLING):
            moves += [
                Move(
                    "name_handler",
                    lambda by: handling.name_handler(a, by=by, handler=handler),
                    coord,
                ),
                Move(
                    "opinion",
                    lambda by: handling.send_opinion(a, by=by, text="协办意见"),
                    handler,
                    FORWARD if not a.is_lead else SIDE,
                ),
                Move(
                    "draft_reply",
                    lambda by: handling.draft_reply(
                        a,
                        by=by,
                        text="答复函",
                        result_class=result_class,
                        planned_on=None if detail % 7 == 6 else dt.date(2027, 12, 31),
                    ),
                    handler,
                    FORWARD if a.is_lead else SIDE,
                ),
                Move("sign", lambda by: handling.sign_reply(a, by=by), leader, FORWARD),
                Move(
                    "return_draft",
                    lambda by: handling.return_reply_draft(a, by=by, note="请补充措施"),
                    leader,
                ),
            ]
        if now(A.HANDLING, A.REHANDLING, A.REPLIED):
            moves.append(
                Move(
                    "log_contact",
                    lambda by: handling.log_contact(
                        a,
                        by=by,
                        stage="during",
                        method="phone",
                        on=self.day - dt.timedelta(days=detail % 10),
                    ),
                    handler,
                )
            )
        if now(A.PENDING, A.HANDLING, A.REHANDLING):
            moves.append(
                Move(
                    "ask_for_time",
                    lambda by: handling.request_extension(
                        a,
                        by=by,
                        until=a.due_on + dt.timedelta(weeks=detail % 30 + 1),
                        reason="需跨部门协调",
                    ),
                    coord,
                )
            )
        if now(A.PENDING, A.DISPUTED, A.HANDLING):
            moves.append(
                Move(
                    "withdraw",
                    lambda by: handling.withdraw_assignment(a, by=by, reason="交办有误"),
                    w.staff,
                )
            )
        if now(A.PENDING, A.DISPUTED, A.HANDLING, A.REHANDLING):
            moves.append(
                Move(
                    "change_due",
                    lambda by: handling.change_due_date(
                        a,
                        by=by,
                        due_on=a.due_on + dt.timedelta(days=detail % 40 - 10),
                        reason="调整办理期限",
                    ),
                    w.staff,
                )
            )
        waiting = a.extensions.filter(state="pending").first()
        if waiting is not None:
            moves.append(
                Move(
                    "decide_extension",
                    lambda by: handling.decide_extension(waiting, by=by, approve=detail % 2 == 0),
                    w.staff,
                    FORWARD,
                )
            )
        return moves

    # Invariants

    @invariant()
    def case_files_are_whole(self):
        """Read the body's records once, then check each rule of the module docstring."""
        items_, assignments = self.items(), self.assignments()
        entries = HistoryEntry.objects.filter(
            root_type=ContentType.objects.get_for_model(Item),
            root_id__in=[i.pk for i in items_],
        ).order_by("id")
        entries = list(entries)
        changes = defaultdict(list)  # state-changing entries per target, oldest first
        for entry in entries:
            if entry.changes_state:
                changes[(entry.target_type_id, entry.target_id)].append(entry)
        replies = list(
            Reply.objects.filter(assignment__item__body=self.world.body).values_list(
                "assignment__item_id", "assignment__role"
            )
        )
        states_are_known(items_, assignments)
        history_chains_to_the_current_state(items_, assignments, changes)
        replies_only_for_assigned_items(replies, changes)
        nothing_changes_after_closure(changes)
        numbers_are_unique_per_body_session_and_kind(items_)
        people = People(self.world.body)
        only_people_of_the_body_act(items_, entries, people)
        every_entry_is_a_row_its_actor_may_take(items_, assignments, entries, people)
        item_states_agree_with_assignment_states(items_, assignments, replies_signed(self))
        next_due_is_the_earliest_open_lead_due_date(items_, assignments)


def states_are_known(items_, assignments):
    assert {i.state for i in items_} <= set(ItemState.values)
    assert {a.state for a in assignments} <= set(AssignmentState.values)


def history_chains_to_the_current_state(items_, assignments, changes):
    """The first change is the creation, each starts where the previous ended, the last
    ends in the current state: one entry per change and one change per entry."""
    changes = dict(changes)
    item_ct = ContentType.objects.get_for_model(Item)
    assignment_ct = ContentType.objects.get_for_model(Assignment)
    records = [(item_ct, i.pk, i.state) for i in items_]
    records += [(assignment_ct, a.pk, a.state) for a in assignments]
    for ct, pk, state in records:
        steps = [(e.from_state, e.to_state) for e in changes.pop((ct.pk, pk), [])]
        name = f"{ct.model} {pk}"
        assert steps, f"{name} has no history"
        assert steps[0][0] == "", f"{name} does not start at its creation: {steps}"
        for before, after in zip(steps, steps[1:], strict=False):
            assert after[0] == before[1], f"{name}: broken chain {steps}"
        assert steps[-1][1] == state, f"{name} is {state}, its history says {steps}"
    assert not changes, f"history of records that do not exist: {list(changes)}"


def replies_only_for_assigned_items(replies, changes):
    item_ct = ContentType.objects.get_for_model(Item)
    assigned = {
        pk
        for (ct_id, pk), chain in changes.items()
        if ct_id == item_ct.pk and any(e.action == "item.assign" for e in chain)
    }
    for item_id, role in replies:
        assert item_id in assigned, f"item {item_id} has a reply but was never assigned"
        assert role == AssignmentRole.LEAD, f"a co-handling unit replied to item {item_id}"


def nothing_changes_after_closure(changes):
    item_ct = ContentType.objects.get_for_model(Item)
    closed_by = {
        pk: next(e.pk for e in chain if e.to_state == S.CLOSED)
        for (ct_id, pk), chain in changes.items()
        if ct_id == item_ct.pk and any(e.to_state == S.CLOSED for e in chain)
    }
    for chain in changes.values():
        for entry in chain:
            closing = closed_by.get(entry.root_id)
            assert closing is None or entry.pk <= closing, (
                f"{entry.action} ({entry.from_state} → {entry.to_state}) after item "
                f"{entry.root_id} was closed"
            )


def numbers_are_unique_per_body_session_and_kind(items_):
    numbers = Counter((i.session_id, i.kind, i.number) for i in items_ if i.number is not None)
    assert all(n == 1 for n in numbers.values()), f"numbers given twice: {numbers}"
    # A number is given on acceptance, and only then.
    for item in items_:
        assert (item.number is None) == (item.accepted_on is None), item


def replies_signed(machine) -> set[int]:
    """The assignments with a signed reply."""
    return set(
        Reply.objects.filter(
            assignment__item__body=machine.world.body, signed_at__isnull=False
        ).values_list("assignment_id", flat=True)
    )


class People:
    """Who belongs to the body, and the roles each holds there, read once per check."""

    def __init__(self, body):
        self.body = body
        self.memberships = {m.user_id: m for m in Membership.objects.filter(body=body)}
        self.cosigners = set(
            CoSigner.objects.filter(item__body=body).values_list("item_id", "member_id")
        )

    def roles(self, entry, item: Item, scope: Assignment | None) -> set[str]:
        """The roles the entry's actor holds towards `item` now (at check time): for a
        person, the membership roles in the item's body plus `lead_proposer` or `cosigner`
        (any invitation, as `items.permissions.item_roles` has it), with the unit roles
        counted only when `scope` is an assignment of the person's own unit; an actor that
        is not a person holds its kind's role (the system: `system`)."""
        if entry.actor_id is None:
            return {SYSTEM} if entry.actor_kind == ActorKind.SYSTEM else {entry.actor_kind}
        membership = self.memberships.get(entry.actor_id)
        if membership is None:
            return set()
        roles = set(membership.roles)
        if scope is None or membership.unit_id != scope.unit_id:
            roles -= UNIT_ROLES
        if membership.member_id and membership.member_id == item.proposer_id:
            roles.add("lead_proposer")
        elif (item.pk, membership.member_id) in self.cosigners:
            roles.add("cosigner")
        return roles


def only_people_of_the_body_act(items_, entries, people: People):
    """Every person named in an item's history has a membership in the item's body (the
    body of the machine); the system and other actors without an account are no one's."""
    for entry in entries:
        if entry.actor_id is not None:
            assert entry.actor_id in people.memberships, (
                f"{entry.action} on item {entry.root_id} by user {entry.actor_id}, "
                "who is not a member of its body"
            )
        else:
            assert entry.actor_kind != ActorKind.USER, f"{entry.action} names no one"


# Entries that are not rows of a workflow table: the label and the roles that may write it.
NOT_TRANSITIONS: dict[str, frozenset[str]] = {
    # A proposer writes their own draft; staff enter one for a proposer (代录).
    "item.create": frozenset({"lead_proposer", "staff"}),
    # Whoever may act on the record the file is attached to.
    "attachment.add": frozenset({"lead_proposer", "cosigner", "staff", *UNIT_ROLES}),
    # Made by staff assigning or reassigning.
    "assignment.create": frozenset({"staff"}),
    # The calendar recompute, run for the admin who entered the days, or by the system.
    "assignment.calendar_changed": frozenset({SYSTEM, "staff", "admin"}),
}
# An automatic row taken as the consequence of another action is taken by that action's
# actor, with the roles that actor held for the triggering record: the first lead unit's
# acceptance starts the handling, the last lead unit's signature replies the item, the lead
# proposer's 不满意 sends the replied lead units back. (The evaluation rows are automatic
# only in that they are no button: the proposer takes them directly.)
TRIGGERS = {
    "item.start_handling": "assignment.accept",
    "item.reply": "assignment.sign_reply",
    "assignment.rehandle": "item.evaluate_rehandle",
    # Withdrawing a lead unit: the remaining lead units have all replied, or none accepted.
    "item.remaining_replied": "assignment.withdraw",
    "item.back_to_assigned": "assignment.withdraw",
}


def workflow_row(action: str) -> Transition | None:
    name, _, step = action.partition(".")
    table = {"item": ITEM_WORKFLOW, "assignment": ASSIGNMENT_WORKFLOW}.get(name)
    try:
        return table[step] if table is not None else None
    except KeyError:
        return None


def every_entry_is_a_row_its_actor_may_take(items_, assignments, entries, people: People):
    """Each entry is a row of ITEM_WORKFLOW or ASSIGNMENT_WORKFLOW (or one of
    NOT_TRANSITIONS), recorded from one of its source states into the state it leads to,
    and its actor holds one of the row's roles: for an item row, the roles towards the
    item; for an assignment row, towards the item with the unit roles of that assignment's
    unit; for an automatic row with a trigger (TRIGGERS), the actor is the trigger's and
    the roles are those held for the trigger's record."""
    by_pk = {i.pk: i for i in items_}
    assignment_of = {a.pk: a for a in assignments}
    assignment_ct = ContentType.objects.get_for_model(Assignment)
    last: dict[tuple[int, str], HistoryEntry] = {}  # (item, action) -> the latest such entry
    for entry in entries:
        item = by_pk[entry.root_id]
        scope = (
            assignment_of.get(entry.target_id) if entry.target_type_id == assignment_ct.pk else None
        )
        where = f"{entry.action} ({entry.from_state} → {entry.to_state}) on item {item.pk}"
        row = workflow_row(entry.action)
        if row is None:
            assert entry.action in NOT_TRANSITIONS, f"{where} is no row of a workflow table"
            allowed = NOT_TRANSITIONS[entry.action]
        else:
            assert entry.from_state in row.sources, f"{where}: not a source of the row"
            assert entry.to_state == row.leads_to(entry.from_state), f"{where}: wrong target"
            allowed = row.roles
        trigger = last.get((item.pk, TRIGGERS.get(entry.action, "")))
        if entry.action in TRIGGERS:
            assert trigger is not None, f"{where} without its trigger"
            assert (trigger.actor_id, trigger.actor_kind) == (
                entry.actor_id,
                entry.actor_kind,
            ), f"{where} by another actor than its trigger {trigger.action}"
            if trigger.target_type_id == assignment_ct.pk:
                scope = assignment_of.get(trigger.target_id)
        roles = people.roles(entry, item, scope)
        assert roles & allowed, f"{where} by roles {roles}, the row needs one of {set(allowed)}"
        last[(item.pk, entry.action)] = entry


# The assignment states in which a unit still owes its reply or opinion.
OPEN = {A.PENDING, A.DISPUTED, A.HANDLING, A.REHANDLING}
# States an item has before it is assigned, or instead of being assigned.
UNASSIGNED = {S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.RETURNED, S.ACCEPTED, S.WITHDRAWN}
UNASSIGNED |= {S.REJECTED, S.MERGED}


def item_states_agree_with_assignment_states(items_, assignments, signed: set[int]):
    """What docs/domain.md §4.4 and the services say of an item and its units' assignments.

    Current assignments are those not reassigned (a reassigned one was given to another
    unit). Before assignment an item has none; assigned, no lead unit has accepted yet; in
    handling, one lead unit has accepted and one has still to reply; replied, every lead
    unit has replied; re-handling, every lead unit is handling again or has replied again;
    closed, every lead unit has replied and no co-handling unit is still open (one that sent
    no opinion was closed with the item). Only lead units reply and re-handle, only
    co-handling units send opinions and are closed with the item, and a replied unit has a
    signed reply."""
    current = defaultdict(list)
    every = defaultdict(list)
    for a in assignments:
        every[a.item_id].append(a)
        lead_never = {A.OPINION_SENT, A.CLOSED}
        assert a.state not in (lead_never if a.is_lead else {A.REPLIED, A.REHANDLING}), (
            f"{a.role} assignment {a.pk} is {a.state}"
        )
        assert a.state != A.REPLIED or a.pk in signed, f"assignment {a.pk} replied unsigned"
        if a.state not in {A.REASSIGNED, A.WITHDRAWN}:
            current[a.item_id].append(a)
    for item in items_:
        leads = {a.state for a in current[item.pk] if a.is_lead}
        where = f"item {item.pk} is {item.state}, its lead units {sorted(leads)}"
        if item.state in UNASSIGNED:
            assert not every[item.pk], f"item {item.pk} is {item.state} but has assignments"
            continue
        assert leads, f"{where}: no current lead unit"
        if item.state == S.ASSIGNED:
            assert leads <= {A.PENDING, A.DISPUTED}, where
        elif item.state == S.IN_HANDLING:
            assert leads & {A.HANDLING, A.REPLIED}, where
            assert leads - {A.REPLIED}, where
            assert not leads & {A.REHANDLING}, where
        elif item.state == S.REPLIED:
            assert leads == {A.REPLIED}, where
        elif item.state == S.REHANDLING:
            assert A.REHANDLING in leads and leads <= {A.REHANDLING, A.REPLIED}, where
            assert item.reply_round == 2, where
        elif item.state == S.CLOSED:
            assert leads == {A.REPLIED}, where
            still = {a.state for a in current[item.pk] if not a.is_lead} & OPEN
            assert not still, f"{where}: co-handling units still {sorted(still)}"
        if item.state != S.CLOSED:
            assert A.CLOSED not in {a.state for a in current[item.pk]}, f"{where}: closed early"


def next_due_is_the_earliest_open_lead_due_date(items_, assignments):
    """`Item.next_due_on`, which handling keeps for the items app's lists."""
    due = defaultdict(list)
    for a in assignments:
        if a.is_lead and a.state in {A.PENDING, A.DISPUTED, A.HANDLING, A.REHANDLING}:
            due[a.item_id].append(a.due_on)
    for item in items_:
        expected = min(due[item.pk]) if due[item.pk] else None
        assert item.next_due_on == expected, (
            f"item {item.pk} ({item.state}) says next due {item.next_due_on}, "
            f"its open lead units {expected}"
        )


def weighted(moves: list[Move], choice: int) -> Move:
    point = choice % sum(m.weight for m in moves)
    for move in moves:
        if point < move.weight:
            return move
        point -= move.weight
    raise AssertionError("unreachable")


def test_random_lives_keep_the_case_files_whole(db):
    cast = Cast()
    run_state_machine_as_test(lambda: ItemLives(cast), settings=SETTINGS)
