"""Staff correct and steer after acceptance (issue 16): each step one service call, allowed to
the body's staff only, kept in the item's history with its reason and the values before and
after; and the pages the staff take them from."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from banli.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from banli.core.models import HistoryEntry
from banli.handling import services as handling
from banli.handling import steering
from banli.handling.models import Assignment, DecisionState, Reply
from banli.items import services as items
from banli.items.models import Item
from banli.supervision import services as supervision
from banli.supervision.models import KeyItem

from .factories import make_member, make_unit, make_user, on

DAY = dt.date(2026, 3, 2)  # a Monday
LATER = dt.date(2026, 3, 20)


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def last_entry(item, action: str) -> HistoryEntry:
    return HistoryEntry.objects.for_root(item).filter(action=action).latest("id")


def nothing_recorded(error, call):
    """`call` is refused with `error` and writes no history."""
    written = HistoryEntry.objects.count()
    with pytest.raises(error) as refused:
        call()
    assert str(refused.value)
    assert HistoryEntry.objects.count() == written


def reply(world, assignment, result_class="A"):
    """The unit meets the proposer (三见面), drafts, and its leader signs."""
    handling.log_contact(
        assignment, by=world.handler[assignment.unit_id], stage="before", method="phone", on=DAY
    )
    handling.draft_reply(
        assignment, by=world.handler[assignment.unit_id], text="答复函", result_class=result_class
    )
    return handling.sign_reply(assignment, by=world.leader[assignment.unit_id])


def split_item(world):
    """An item split between two lead units (分办)."""
    item = world.assigned(lead=world.units[:2])
    return (
        item,
        world.lead_assignment(item, world.units[0]),
        world.lead_assignment(item, world.units[1]),
    )


# Correcting the title, text or category -------------------------------------------------------


def test_staff_correct_an_assigned_items_title_and_category_with_a_reason(world):
    with on(DAY):
        item = world.assigned()
        other_category = world.body.categories.exclude(pk=world.category.pk).first()
        items.amend_item(
            item,
            by=world.staff,
            title="关于增加老城区停车泊位的建议",
            text=item.text,
            category=other_category,
            reason="标题与原件不符",
        )
    item = fresh(item)
    assert item.title == "关于增加老城区停车泊位的建议"
    assert item.category == other_category
    assert item.state == "assigned"
    assert "老城" in item.search_text
    entry = last_entry(item, "item.amend")
    assert entry.reason == "标题与原件不符"
    assert entry.actor == world.staff
    changed = entry.data["changed"]
    assert changed["title"] == {
        "from": "关于增加老旧小区停车位的建议",
        "to": "关于增加老城区停车泊位的建议",
    }
    assert changed["category"]["from"] == world.category.name
    assert changed["category"]["to"] == other_category.name
    assert "text" not in changed


def test_a_correction_needs_a_reason_a_change_and_an_open_accepted_item(world):
    with on(DAY):
        item = world.accepted()
        waiting = world.draft()
        items.submit(waiting, by=world.deputy)
    same = {"title": item.title, "text": item.text, "category": world.category}
    nothing_recorded(
        ValidationFailed, lambda: items.amend_item(item, by=world.staff, reason=" ", **same)
    )
    nothing_recorded(
        ValidationFailed, lambda: items.amend_item(item, by=world.staff, reason="核对", **same)
    )
    nothing_recorded(
        NotAllowed, lambda: items.amend_item(item, by=world.deputy, reason="改", **same)
    )
    nothing_recorded(
        InvalidTransition,
        lambda: items.amend_item(waiting, by=world.staff, reason="改", **same),
    )


def test_staff_of_another_body_cannot_correct(world, other_world):
    with on(DAY):
        item = world.accepted()
    nothing_recorded(
        NotAllowed,
        lambda: items.amend_item(
            item, by=other_world.staff, title="改", text="改", category=None, reason="改"
        ),
    )


def test_a_converted_motions_title_reads_as_a_suggestion_and_staff_can_still_correct_it(world):
    delegation = make_member(world.body, "某代表团", member_type="delegation")
    with on(DAY):
        motion = world.draft(
            by=world.staff,
            proposer=delegation,
            kind="motion",
            title="关于制定城市绿化条例的议案",
            source_note="据纸质原件录入",
        )
        items.submit(motion, by=world.staff)
        items.receive(motion, by=world.staff)
        items.convert_to_suggestion(motion, by=world.staff, reason="未列入大会议程")
    motion = fresh(motion)
    assert motion.kind == "suggestion" and motion.title == "关于制定城市绿化条例的建议"
    entry = last_entry(motion, "item.convert")
    assert entry.data["title"] == {
        "from": "关于制定城市绿化条例的议案",
        "to": "关于制定城市绿化条例的建议",
    }
    with on(DAY):
        items.accept(motion, by=world.staff)
        items.amend_item(
            motion,
            by=world.staff,
            title="关于加快制定城市绿化条例的建议",
            text=motion.text,
            category=world.category,
            reason="按代表意见调整",
        )
    assert fresh(motion).title == "关于加快制定城市绿化条例的建议"


def test_a_title_not_ending_in_yian_stays_as_it_was(world):
    assert items.suggestion_title("关于城市绿化的意见") == "关于城市绿化的意见"
    assert items.suggestion_title("关于城市绿化的议案") == "关于城市绿化的建议"


def test_the_correction_form_shows_its_errors_next_to_the_field(client, world, other_world):
    with on(DAY):
        item = world.assigned()
    url = reverse("items:action", args=[item.pk, "amend"])
    client.force_login(world.staff)
    page = client.get(url)
    assert page.status_code == 200 and item.title in page.content.decode()
    with on(DAY):
        refused = client.post(
            url, {"title": "新标题的建议", "text": item.text, "category": world.category.pk}
        )
    assert refused.status_code == 200
    body = refused.content.decode()
    assert 'class="field-error"' in body and "Please give a reason." in body
    assert fresh(item).title == item.title
    with on(DAY):
        done = client.post(
            url,
            {
                "title": "新标题的建议",
                "text": item.text,
                "category": world.category.pk,
                "reason": "笔误",
            },
        )
    assert done.status_code == 302 and fresh(item).title == "新标题的建议"
    client.force_login(world.deputy)
    assert client.get(url).status_code == 403
    client.force_login(other_world.staff)
    assert client.get(url).status_code == 404


# Withdrawing an assignment -----------------------------------------------------------------


def test_a_co_handling_unit_assigned_by_mistake_is_withdrawn_and_reads_the_item_no_more(
    client, world
):
    with on(DAY):
        item = world.assigned(co=[world.units[1]])
        co = item.assignments.get(role="co")
        handling.request_extension(
            co, by=world.coord[co.unit_id], until=dt.date(2026, 5, 30), reason="需调研"
        )
        steering.withdraw_assignment(co, by=world.staff, reason="该事项不涉及交通局")
    co = fresh(co)
    assert co.state == "withdrawn"
    assert fresh(item).state == "assigned"
    entry = last_entry(item, "assignment.withdraw")
    assert (entry.from_state, entry.to_state) == ("pending", "withdrawn")
    assert entry.reason == "该事项不涉及交通局" and entry.actor == world.staff
    # Its waiting extension request ends with it, so no queue keeps it.
    assert co.extensions.get().state == DecisionState.REFUSED
    client.force_login(world.coord[co.unit_id])
    assert client.get(reverse("items:detail", args=[item.pk])).status_code == 404


def test_a_unit_that_replied_is_not_withdrawn_nor_the_only_lead_unit(world):
    with on(DAY):
        item, first, second = split_item(world)
        handling.accept_assignment(first, by=world.coord[first.unit_id])
        reply(world, first)
        alone = world.lead_assignment(world.assigned())
    nothing_recorded(
        InvalidTransition,
        lambda: steering.withdraw_assignment(fresh(first), by=world.staff, reason="误交"),
    )
    nothing_recorded(
        InvalidTransition,
        lambda: steering.withdraw_assignment(alone, by=world.staff, reason="误交"),
    )
    nothing_recorded(
        NotAllowed,
        lambda: steering.withdraw_assignment(
            fresh(second), by=world.coord[second.unit_id], reason="误交"
        ),
    )
    nothing_recorded(
        ValidationFailed,
        lambda: steering.withdraw_assignment(fresh(second), by=world.staff, reason=""),
    )


def test_withdrawing_the_only_unit_that_accepted_puts_the_item_back_to_assigned(world):
    with on(DAY):
        item, first, second = split_item(world)
        handling.accept_assignment(first, by=world.coord[first.unit_id])
        handling.change_due_date(
            fresh(second), by=world.staff, due_on=dt.date(2026, 7, 1), reason="统筹"
        )
        assert fresh(item).state == "in_handling"
        assert fresh(item).next_due_on == dt.date(2026, 6, 2)
        steering.withdraw_assignment(fresh(first), by=world.staff, reason="误交住建局")
    item = fresh(item)
    assert item.state == "assigned"
    assert item.next_due_on == dt.date(2026, 7, 1)  # the remaining unit's
    entry = last_entry(item, "item.back_to_assigned")
    assert (entry.from_state, entry.to_state) == ("in_handling", "assigned")
    # The remaining unit's acceptance starts the handling again.
    with on(DAY):
        handling.accept_assignment(fresh(second), by=world.coord[second.unit_id])
    assert fresh(item).state == "in_handling"


def test_a_split_items_disputing_unit_is_dropped_when_the_other_has_replied(world):
    with on(DAY):
        item, first, second = split_item(world)
        handling.accept_assignment(first, by=world.coord[first.unit_id])
        handling.dispute(second, by=world.coord[second.unit_id], reason="不属于我局职责")
        reply(world, first)
        assert fresh(item).state == "in_handling"
    with on(LATER):
        steering.withdraw_assignment(fresh(second), by=world.staff, reason="由住建局单独办理")
    item = fresh(item)
    assert item.state == "replied"
    assert item.result_class == "A"
    assert item.replied_on == LATER and item.evaluation_due_on == dt.date(2026, 4, 20)
    assert item.next_due_on is None
    assert fresh(second).state == "withdrawn"
    assert last_entry(item, "item.remaining_replied").actor == world.staff
    # The proposer evaluates the remaining unit's reply.
    with on(LATER):
        handling.evaluate(item, by=world.deputy, attitude="satisfied", result="satisfied")
    assert fresh(item).state == "closed"


# Adding a unit ---------------------------------------------------------------------------


def test_staff_add_a_lead_unit_to_an_item_in_handling(world):
    with on(DAY):
        item = world.assigned()
        first = world.lead_assignment(item)
        handling.accept_assignment(first, by=world.coord[first.unit_id])
    with on(LATER):
        added = steering.add_unit(
            item, by=world.staff, unit=world.units[1], role="lead", reason="涉及道路改造"
        )
    assert added.state == "pending" and added.is_lead
    assert added.assigned_on == LATER and added.due_on == dt.date(2026, 6, 20)
    item = fresh(item)
    assert item.state == "in_handling"
    assert item.next_due_on == dt.date(2026, 6, 2)
    entry = last_entry(item, "item.add_unit")
    assert entry.reason == "涉及道路改造"
    assert entry.data == {"unit": "市交通局", "role": "lead"}
    assert HistoryEntry.objects.for_target(added).get().action == "assignment.create"


def test_a_unit_is_added_once_from_its_own_body_by_staff(world, other_world):
    with on(DAY):
        item = world.assigned()
        waiting = world.accepted()
    stranger = make_unit(other_world.body, "外地局")
    for unit, error in ((world.units[0], ValidationFailed), (stranger, ValidationFailed)):
        nothing_recorded(
            error,
            lambda unit=unit: steering.add_unit(
                item, by=world.staff, unit=unit, role="co", reason="补充"
            ),
        )
    nothing_recorded(
        NotAllowed,
        lambda: steering.add_unit(
            item, by=other_world.staff, unit=world.units[1], role="co", reason="补充"
        ),
    )
    nothing_recorded(
        InvalidTransition,
        lambda: steering.add_unit(
            waiting, by=world.staff, unit=world.units[1], role="co", reason="补充"
        ),
    )


# Changing a due date ---------------------------------------------------------------------


def test_a_due_date_moves_with_a_reason_and_a_signed_reply_keeps_its_on_time_fact(world):
    with on(DAY):
        item = world.assigned()
        first = world.lead_assignment(item)
        handling.accept_assignment(first, by=world.coord[first.unit_id])
        signed = reply(world, first)
        handling.evaluate(
            item,
            by=world.deputy,
            attitude="satisfied",
            result="unsatisfied",
            comment="停车位仍未增加",
        )
    assert fresh(first).state == "rehandling"
    due_before = fresh(first).due_on
    with on(LATER):
        handling.change_due_date(
            fresh(first), by=world.staff, due_on=dt.date(2026, 3, 10), reason="市政府要求提速"
        )
    assert fresh(first).due_on == dt.date(2026, 3, 10)
    assert fresh(item).next_due_on == dt.date(2026, 3, 10)
    entry = last_entry(item, "assignment.change_due")
    assert entry.reason == "市政府要求提速"
    assert entry.data["from"] == due_before.isoformat() and entry.data["to"] == "2026-03-10"
    first_reply = Reply.objects.get(pk=signed.pk)
    assert first_reply.due_on == dt.date(2026, 6, 2) and first_reply.on_time is True


def test_a_due_date_is_not_moved_before_the_assignment_nor_on_a_replied_unit(world):
    with on(DAY):
        item = world.assigned()
        a = world.lead_assignment(item)
    nothing_recorded(
        ValidationFailed,
        lambda: handling.change_due_date(
            a, by=world.staff, due_on=dt.date(2026, 2, 1), reason="误"
        ),
    )
    nothing_recorded(
        ValidationFailed,
        lambda: handling.change_due_date(a, by=world.staff, due_on=a.due_on, reason="误"),
    )
    nothing_recorded(
        NotAllowed,
        lambda: handling.change_due_date(
            a, by=world.leader[a.unit_id], due_on=dt.date(2026, 9, 1), reason="误"
        ),
    )
    with on(DAY):
        handling.accept_assignment(a, by=world.coord[a.unit_id])
        reply(world, fresh(a))
    nothing_recorded(
        InvalidTransition,
        lambda: handling.change_due_date(
            fresh(a), by=world.staff, due_on=dt.date(2026, 9, 1), reason="误"
        ),
    )


# Key items ---------------------------------------------------------------------------------


def test_staff_change_a_key_items_leader_then_unmark_it_with_reasons(world):
    other = make_user(world.body, "supervisor")
    with on(DAY):
        item = world.assigned()
        supervision.mark_key(
            item, by=world.staff, supervisor=world.supervisor, lead_handler="副市长"
        )
        supervision.change_supervisor(item, by=world.staff, supervisor=other, reason="领导分工调整")
    key = KeyItem.objects.get(item=item)
    assert key.supervisor == other and key.lead_handler == "副市长"
    changed = last_entry(item, "item.change_key_leader")
    assert changed.reason == "领导分工调整"
    assert (changed.data["from_id"], changed.data["to_id"]) == (world.supervisor.pk, other.pk)
    with on(DAY):
        supervision.unmark_key(item, by=world.staff, reason="不再列为重点督办")
    assert not KeyItem.objects.filter(item=item).exists()
    removed = last_entry(item, "item.unset_key")
    assert removed.reason == "不再列为重点督办"
    assert removed.data["supervisor_id"] == other.pk and removed.data["lead_handler"] == "副市长"
    # Not a key item any more: neither step applies.
    nothing_recorded(
        InvalidTransition,
        lambda: supervision.unmark_key(fresh(item), by=world.staff, reason="再次"),
    )


def test_only_staff_steer_key_items_and_only_to_a_leader(world):
    with on(DAY):
        item = world.assigned()
        supervision.mark_key(item, by=world.staff, supervisor=world.supervisor)
    nothing_recorded(
        NotAllowed, lambda: supervision.unmark_key(item, by=world.supervisor, reason="自己")
    )
    nothing_recorded(
        ValidationFailed,
        lambda: supervision.change_supervisor(
            item, by=world.staff, supervisor=world.deputy, reason="换人"
        ),
    )
    nothing_recorded(
        ValidationFailed,
        lambda: supervision.change_supervisor(
            item, by=world.staff, supervisor=world.supervisor, reason="换人"
        ),
    )


def test_the_key_panel_links_the_staffs_corrections_and_the_pages_refuse_others(
    client, world, other_world
):
    with on(DAY):
        item = world.assigned()
        supervision.mark_key(item, by=world.staff, supervisor=world.supervisor)
    unmark = reverse("supervision:unmark_key", args=[item.pk])
    change = reverse("supervision:change_leader", args=[item.pk])
    client.force_login(world.staff)
    body = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert unmark in body and change in body
    refused = client.post(unmark, {"reason": ""})
    assert refused.status_code == 200 and 'class="field-error"' in refused.content.decode()
    assert KeyItem.objects.filter(item=item).exists()
    with on(DAY):
        done = client.post(unmark, {"reason": "调整重点督办名单"})
    assert done.status_code == 302 and not KeyItem.objects.filter(item=item).exists()
    with on(DAY):
        supervision.mark_key(fresh(item), by=world.staff, supervisor=world.supervisor)
    other = make_user(world.body, "supervisor", username="deputy_mayor")
    assert client.get(change).status_code == 200
    with on(DAY):
        missing = client.post(change, {"supervisor": other.pk, "lead_handler": ""})
        done = client.post(
            change, {"supervisor": other.pk, "lead_handler": "副市长", "reason": "分工调整"}
        )
    assert missing.status_code == 200 and "Please give a reason." in missing.content.decode()
    assert done.status_code == 302
    key = KeyItem.objects.get(item=item)
    assert (key.supervisor, key.lead_handler) == (other, "副市长")
    client.force_login(world.supervisor)
    body = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert unmark not in body
    assert client.get(unmark).status_code == 403
    client.force_login(other_world.staff)
    assert client.get(change).status_code == 404


# The staff's pages on the item ---------------------------------------------------------------


def test_the_item_page_offers_staff_the_steps_the_workflow_offers(client, world):
    with on(DAY):
        item = world.assigned(co=[world.units[1]])
        lead = world.lead_assignment(item)
        co = item.assignments.get(role="co")
    client.force_login(world.staff)
    with on(DAY):
        body = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert reverse("handling:add_unit", args=[item.pk]) in body
    assert reverse("handling:withdraw", args=[co.pk]) in body
    assert reverse("handling:change_due", args=[lead.pk]) in body
    # The only lead unit cannot be withdrawn, so it is not offered.
    assert reverse("handling:withdraw", args=[lead.pk]) not in body
    assert reverse("items:action", args=[item.pk, "amend"]) in body
    client.force_login(world.coord[lead.unit_id])
    with on(DAY):
        body = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert reverse("handling:withdraw", args=[lead.pk]) not in body
    assert reverse("handling:add_unit", args=[item.pk]) not in body


def test_adding_a_unit_from_its_page_offers_only_units_not_on_the_item(client, world, other_world):
    third = world.add_unit("市水务局")
    with on(DAY):
        item = world.assigned()
    url = reverse("handling:add_unit", args=[item.pk])
    client.force_login(world.staff)
    page = client.get(url).content.decode()
    assert "市水务局" in page and "市交通局" in page and "市住建局" not in page
    with on(DAY):
        refused = client.post(url, {"unit": third.pk, "role": "lead"})
    assert refused.status_code == 200 and "Please give a reason." in refused.content.decode()
    with on(DAY):
        done = client.post(url, {"unit": third.pk, "role": "co", "reason": "涉及排水"})
    assert done.status_code == 302
    assert item.assignments.filter(unit=third, role="co", state="pending").exists()
    client.force_login(world.coord[world.units[0].pk])
    assert client.get(url).status_code == 403
    client.force_login(other_world.staff)
    assert client.get(url).status_code == 404


def test_changing_a_due_date_and_withdrawing_from_their_pages(client, world, other_world):
    with on(DAY):
        item, first, second = split_item(world)
    due = reverse("handling:change_due", args=[first.pk])
    withdraw = reverse("handling:withdraw", args=[second.pk])
    client.force_login(world.staff)
    assert client.get(due).status_code == 200
    with on(DAY):
        wrong = client.post(due, {"due_on": "2026-01-01", "reason": "提前"})
    assert wrong.status_code == 200
    body = wrong.content.decode()
    assert 'class="field-error"' in body and "cannot be before the assignment" in body
    with on(DAY):
        moved = client.post(due, {"due_on": "2026-08-31", "reason": "需统筹预算"})
    assert moved.status_code == 302 and fresh(first).due_on == dt.date(2026, 8, 31)
    with on(DAY):
        gone = client.post(withdraw, {"reason": "交办有误"})
    assert gone.status_code == 302 and fresh(second).state == "withdrawn"
    assert "The assignment of 市交通局 was withdrawn." in messages_of(gone)
    client.force_login(world.leader[first.unit_id])
    assert client.get(due).status_code == 403
    client.force_login(other_world.staff)
    assert client.get(due).status_code == 404
    assert client.post(withdraw, {"reason": "x"}).status_code == 404


# Disputes --------------------------------------------------------------------------------------


def test_the_dispute_card_shows_the_other_units_and_reassigns_only_to_units_not_on_the_item(
    client, world
):
    third = world.add_unit("市水务局")
    with on(DAY):
        item, first, second = split_item(world)
        handling.dispute(second, by=world.coord[second.unit_id], reason="不属于我局职责")
    client.force_login(world.staff)
    with on(DAY):
        page = client.get(reverse("handling:disputes")).content.decode()
    card = page[page.index(f'id="dispute-{second.pk}"') :]
    assert "Other units on the item" in card and "市住建局" in card
    select = card[card.index(f'id="id_to_unit_{second.pk}"') :]
    select = select[: select.index("</select>")]
    assert "市水务局" in select
    assert "市住建局" not in select and "市交通局" not in select
    assert "the other lead unit handles it alone" in card
    with on(DAY):
        refused = client.post(
            reverse("handling:reassign", args=[second.pk]), {"to_unit": first.unit_id}
        )
    assert refused.status_code == 200 and fresh(second).state == "disputed"
    # Dropping the disputing unit: the other lead unit handles the item alone.
    with on(DAY):
        empty = client.post(
            reverse("handling:withdraw", args=[second.pk]), {"from": "disputes", "reason": ""}
        )
    assert empty.status_code == 200 and 'class="field-error"' in empty.content.decode()
    with on(DAY):
        done = client.post(
            reverse("handling:withdraw", args=[second.pk]),
            {"from": "disputes", "reason": "由住建局单独办理"},
        )
    assert done.status_code == 302 and done["Location"] == reverse("handling:disputes")
    assert fresh(second).state == "withdrawn"
    assert fresh(item).state == "assigned"
    assert list(
        Assignment.objects.filter(item=item)
        .exclude(state="withdrawn")
        .values_list("unit__name", flat=True)
    ) == ["市住建局"]
    assert third.pk not in set(item.assignments.values_list("unit_id", flat=True))


def test_a_lone_lead_units_dispute_offers_no_drop(client, world):
    with on(DAY):
        item = world.assigned()
        a = world.lead_assignment(item)
        handling.dispute(a, by=world.coord[a.unit_id], reason="不属于我局职责")
    client.force_login(world.staff)
    with on(DAY):
        page = client.get(reverse("handling:disputes")).content.decode()
    assert reverse("handling:withdraw", args=[a.pk]) not in page
    assert Item.objects.get(pk=item.pk).state == "assigned"
