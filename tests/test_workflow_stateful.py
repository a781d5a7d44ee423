"""Random lives of items, driven through the services by random people on advancing days.

Whatever anyone tries, in any order, the case files stay whole: each item and assignment is
in a known state, its history chains from its creation to that state with one entry per
change, nothing is replied before it is assigned, nothing changes after closure, and
numbers stay unique. A refusal (DomainError) is a legal answer; anything else is a bug.

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

from banli.core import clock
from banli.core.errors import DomainError
from banli.core.models import HistoryEntry
from banli.handling import services as handling
from banli.handling.models import Assignment, AssignmentRole, Reply
from banli.handling.workflow import AssignmentState
from banli.items import services as items
from banli.items.models import Item
from banli.items.workflow import ItemState
from banli.supervision.services import mark_key

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
        if now(S.REPLIED, S.REHANDLING):
            moves.append(
                Move(
                    "cosigner_evaluate",
                    lambda by: handling.evaluate(item, by=by, attitude="satisfied", result=rating),
                    w.cosigner,
                )
            )
        if now(S.REPLIED):
            moves += [
                Move(
                    "evaluate",
                    lambda by: handling.evaluate(item, by=by, attitude=rating, result=rating),
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
