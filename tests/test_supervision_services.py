"""Key items (重点督办): chosen by staff, each under a supervising leader of the body."""

import datetime as dt

import pytest

from banli.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from banli.core.models import HistoryEntry
from banli.handling.services import accept_assignment, evaluate
from banli.supervision.models import KeyItem
from banli.supervision.services import mark_key

from .factories import make_user, on

DAY = dt.date(2026, 3, 16)


def test_staff_mark_a_key_item_under_a_supervising_leader(world):
    with on(DAY):
        item = world.assigned()
        key = mark_key(
            item,
            by=world.staff,
            supervisor=world.supervisor,
            lead_handler=" 副市长 ",
            note="年度重点督办",
        )
    key = KeyItem.objects.get(item=item)
    assert (key.year, key.supervisor, key.lead_handler) == (2026, world.supervisor, "副市长")
    assert key.marked_at.date() == DAY
    entry = HistoryEntry.objects.for_target(item).order_by("id").last()
    assert (entry.action, entry.actor, entry.from_state, entry.to_state) == (
        "item.set_key",
        world.staff,
        "assigned",
        "assigned",
    )
    item.refresh_from_db()
    assert item.state == "assigned"


@pytest.mark.parametrize("state", ["accepted", "in_handling", "replied"])
def test_key_items_are_chosen_once_accepted(world, state):
    with on(DAY):
        if state == "accepted":
            item = world.accepted()
        elif state == "in_handling":
            item = world.assigned()
            assignment = world.lead_assignment(item)
            accept_assignment(assignment, by=world.coord[assignment.unit_id])
        else:
            item = world.replied()
        item.refresh_from_db()
        assert item.state == state
        mark_key(item, by=world.staff, supervisor=world.supervisor)
    assert KeyItem.objects.filter(item=item).exists()


def test_only_staff_choose_key_items(world):
    with on(DAY):
        item = world.accepted()
        for user in (world.supervisor, world.deputy, world.auditor):
            with pytest.raises(NotAllowed):
                mark_key(item, by=user, supervisor=world.supervisor)
    assert not KeyItem.objects.exists()


def test_the_supervisor_is_a_leader_of_this_body(world, other_world):
    with on(DAY):
        item = world.accepted()
        with pytest.raises(ValidationFailed, match="leader of this body"):
            mark_key(item, by=world.staff, supervisor=other_world.supervisor)
        with pytest.raises(ValidationFailed, match="leader of this body"):
            mark_key(item, by=world.staff, supervisor=world.staff)
    assert not KeyItem.objects.exists()


def test_an_item_is_a_key_item_once(world):
    with on(DAY):
        item = world.accepted()
        mark_key(item, by=world.staff, supervisor=world.supervisor)
        second_leader = make_user(world.body, "supervisor")
        with pytest.raises(ValidationFailed, match="already a key item"):
            mark_key(item, by=world.staff, supervisor=second_leader)
    assert KeyItem.objects.get(item=item).supervisor == world.supervisor


def test_drafts_and_closed_items_are_not_chosen(world):
    with on(DAY):
        draft = world.draft()
        with pytest.raises(InvalidTransition):
            mark_key(draft, by=world.staff, supervisor=world.supervisor)
        closed = world.replied()
        evaluate(closed, by=world.deputy, attitude="satisfied", result="satisfied")
        with pytest.raises(InvalidTransition):
            mark_key(closed, by=world.staff, supervisor=world.supervisor)
    assert not KeyItem.objects.exists()


def test_staff_of_another_body_cannot_choose(world, other_world):
    with on(DAY):
        item = world.accepted()
        with pytest.raises(NotAllowed):
            mark_key(item, by=other_world.staff, supervisor=world.supervisor)
