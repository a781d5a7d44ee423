"""The deadline scan (提醒): each rule tells the right people, in their body and unit, once
per record, date and step, however often the scan runs."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.db.models import Count

from banli.core.models import HistoryEntry
from banli.handling import services as handling
from banli.items import services as items
from banli.notices.models import Notice
from banli.reminders import services as reminders
from banli.reminders.models import ReminderSent
from banli.supervision import services as supervision

from .factories import World, make_user, on

D = dt.date
START = D(2026, 3, 2)  # a Monday of the session; replies are due on 2 June
DUE = D(2026, 6, 2)


@pytest.fixture
def elsewhere(db):
    """Another body with the same roles: it must never hear of the first body's items."""
    return World()


def told(kind, item=None) -> set:
    rows = Notice.objects.filter(kind=kind)
    if item is not None:
        rows = rows.filter(item_id=item.pk)
    return {notice.recipient for notice in rows.select_related("recipient")}


def scan(world, day) -> int:
    return reminders.scan(world.body, today=day)


def unit_of(world, n=0):
    return world.units[n].pk


# 答复临期 ------------------------------------------------------------------------------------


def test_a_reply_due_is_told_30_7_and_1_days_before_to_the_lead_unit(world, elsewhere):
    lead, other = world.units
    with on(START):
        item = world.assigned(lead=[lead])
        elsewhere.assigned()
        assignment = world.lead_assignment(item)
        handling.accept_assignment(assignment, by=world.coord[lead.pk])
        handling.name_handler(assignment, by=world.coord[lead.pk], handler=world.handler[lead.pk])
    assert scan(world, D(2026, 5, 2)) == 0  # 31 days before
    assert scan(world, D(2026, 5, 3)) == 1
    assert told("reminder.reply_due") == {
        world.coord[lead.pk],
        world.leader[lead.pk],
        world.handler[lead.pk],
    }
    # Nobody of the other unit, of the staff or of the other body.
    assert not told("reminder.reply_due") & {world.coord[other.pk], world.staff, elsewhere.staff}
    assert scan(world, D(2026, 5, 3)) == 0
    assert scan(world, D(2026, 5, 20)) == 0
    assert scan(world, D(2026, 5, 26)) == 1  # 7 days before
    assert scan(world, D(2026, 6, 1)) == 1  # 1 day before
    assert scan(world, DUE) == 0
    steps = ReminderSent.objects.filter(rule="reply.due").values_list("step", flat=True)
    assert sorted(steps) == [1, 7, 30]
    assert (
        Notice.objects.filter(kind="reminder.reply_due", recipient=world.coord[lead.pk]).count()
        == 3
    )


def test_a_missed_scan_sends_the_step_nearest_the_deadline_once(world):
    with on(START):
        world.assigned()
    # No scan ran for a month: 5 days before the due date the 7-day reminder goes, alone.
    assert scan(world, D(2026, 5, 28)) == 1
    assert list(ReminderSent.objects.values_list("step", flat=True)) == [7]


def test_the_reminder_is_on_the_items_timeline_as_the_systems_step(world):
    with on(START):
        item = world.assigned()
    scan(world, D(2026, 5, 3))
    entry = HistoryEntry.objects.get(action="reminder.reply.due", root_id=item.pk)
    assert entry.actor_kind == "system"
    assert entry.data["due_on"] == "2026-06-02" and entry.data["step"] == 30
    assert entry.data["unit"] == world.units[0].name


def test_a_replied_item_is_not_reminded(world):
    with on(START):
        world.replied()
    assert scan(world, D(2026, 5, 26)) == 0
    assert scan(world, D(2026, 6, 3)) == 0


def test_a_new_due_date_is_reminded_again(world):
    with on(START):
        item = world.assigned()
    scan(world, D(2026, 5, 26))
    with on(D(2026, 5, 27)):
        handling.change_due_date(
            world.lead_assignment(item), by=world.staff, due_on=D(2026, 7, 2), reason="调整"
        )
    assert scan(world, D(2026, 6, 25)) == 1
    assert set(ReminderSent.objects.values_list("due_on", flat=True)) == {DUE, D(2026, 7, 2)}


# 逾期与升级 ----------------------------------------------------------------------------------


def test_an_overdue_reply_tells_the_unit_leader_and_staff_once_per_due_date(world, elsewhere):
    lead, other = world.units
    with on(START):
        item = world.assigned(lead=[lead])
        elsewhere.assigned()
    scan(world, DUE)  # due today: not overdue yet
    assert not told("reminder.reply_overdue")
    assert scan(world, D(2026, 6, 3)) == 1
    assert told("reminder.reply_overdue", item) == {world.leader[lead.pk], world.staff}
    assert scan(world, D(2026, 6, 3)) == 0
    assert scan(world, D(2026, 6, 20)) == 0  # overdue still, told once
    # Not a key item: no supervising leader is told.
    assert not told("key.overdue")
    assert not told("reminder.reply_overdue") & {world.coord[other.pk], elsewhere.staff}


def test_an_overdue_key_item_also_tells_its_supervising_leader(world):
    with on(START):
        item = world.assigned()
        supervision.mark_key(item, by=world.staff, supervisor=world.supervisor)
    assert scan(world, D(2026, 6, 10)) == 1
    assert told("key.overdue", item) == {world.supervisor}
    assert told("reminder.reply_overdue", item) == {world.leader[unit_of(world)], world.staff}
    sent = ReminderSent.objects.get(rule="reply.overdue")
    assert world.supervisor.pk in sent.recipients
    assert scan(world, D(2026, 6, 11)) == 0
    assert Notice.objects.filter(kind="key.overdue").count() == 1


# 签收 ----------------------------------------------------------------------------------------


def test_an_assignment_not_accepted_is_told_a_working_day_before_the_dispute_window_ends(world):
    lead, co = world.units
    with on(START):
        item = world.assigned(lead=[lead], co=[co])
        handling.accept_assignment(item.assignments.get(unit=co), by=world.coord[co.pk])
    # The window ends on Monday 9 March (5 working days): Thursday is 2 working days before.
    assert scan(world, D(2026, 3, 5)) == 0
    assert scan(world, D(2026, 3, 6)) == 1
    assert told("reminder.accept") == {world.coord[lead.pk]}
    assert scan(world, D(2026, 3, 8)) == 0


# 协办意见 ------------------------------------------------------------------------------------


def test_a_co_handling_opinion_due_and_overdue_tells_the_co_handling_unit(world):
    lead, co = world.units
    third = world.add_unit("市水务局")
    with on(START):
        item = world.assigned(lead=[lead], co=[co, third])
        for unit in (co, third):
            handling.accept_assignment(item.assignments.get(unit=unit), by=world.coord[unit.pk])
    # Opinions are due a month after the assignment, on 2 April.
    assert scan(world, D(2026, 3, 26)) == 2
    assert told("reminder.opinion_due") == {world.coord[co.pk], world.coord[third.pk]}
    with on(D(2026, 3, 30)):
        handling.send_opinion(item.assignments.get(unit=co), by=world.coord[co.pk], text="同意")
    assert scan(world, D(2026, 4, 3)) == 1
    assert told("reminder.opinion_overdue") == {world.coord[third.pk]}
    assert not told("reminder.opinion_due") & {world.coord[lead.pk], world.staff}


# B类件计划完成 -------------------------------------------------------------------------------


def test_a_b_items_planned_completion_passing_tells_the_lead_unit_and_staff(world, elsewhere):
    with on(START):
        item = world.replied("B")  # planned for 30 June 2027
        a_item = world.replied("A")
        elsewhere.replied("B")
    assert scan(world, D(2027, 6, 30)) == 0
    assert scan(world, D(2027, 7, 1)) == 1
    assert told("reminder.planned_passed") == {world.coord[unit_of(world)], world.staff}
    assert {n.item_id for n in Notice.objects.filter(kind="reminder.planned_passed")} == {item.pk}
    assert a_item.result_class == "A"
    assert scan(world, D(2027, 7, 2)) == 0


def test_a_b_item_changed_to_a_is_not_reminded_of_its_plan(world):
    with on(START):
        item = world.replied("B")
    with on(D(2027, 3, 1)):
        handling.correct_result_class(item, by=world.staff, to_class="A", reason="已解决")
    assert scan(world, D(2027, 7, 1)) == 0


# 待签发 --------------------------------------------------------------------------------------


def test_a_draft_waiting_three_working_days_for_signing_tells_the_unit_leader(world):
    lead = world.units[0]
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        handling.accept_assignment(assignment, by=world.coord[lead.pk])
    with on(D(2026, 3, 9)):  # a Monday
        handling.draft_reply(
            assignment, by=world.handler[lead.pk], text="答复如下", result_class="A"
        )
    assert scan(world, D(2026, 3, 11)) == 0  # 2 working days
    assert scan(world, D(2026, 3, 12)) == 1  # 3 working days
    assert told("reminder.unsigned") == {world.leader[lead.pk]}
    assert scan(world, D(2026, 3, 13)) == 0
    # Saved again: a new wait begins, and is reminded after its own three working days.
    with on(D(2026, 3, 13)):
        handling.draft_reply(
            assignment, by=world.handler[lead.pk], text="答复如下（修改）", result_class="A"
        )
    assert scan(world, D(2026, 3, 17)) == 0
    assert scan(world, D(2026, 3, 18)) == 1
    with on(D(2026, 3, 19)):
        handling.sign_reply(assignment, by=world.leader[lead.pk])
    assert scan(world, D(2026, 3, 30)) == 0


# 评价 ----------------------------------------------------------------------------------------


def test_the_evaluation_window_ending_tells_the_proposers_who_have_not_evaluated(world):
    lead = world.units[0]
    with on(START):
        item = world.draft()
        [cosigner, quiet] = world.confirmed_cosigners(item, 2)
        items.submit(item, by=world.deputy)
        items.receive(item, by=world.staff)
        items.accept(item, by=world.staff)
        handling.assign(item, by=world.staff, lead_units=[lead], co_units=[])
        assignment = world.lead_assignment(item)
        handling.accept_assignment(assignment, by=world.coord[lead.pk])
        handling.draft_reply(assignment, by=world.handler[lead.pk], text="答复", result_class="A")
        handling.sign_reply(assignment, by=world.leader[lead.pk])
        item.refresh_from_db()
    assert item.evaluation_due_on == D(2026, 4, 2)
    with on(D(2026, 3, 20)):
        handling.evaluate(item, by=cosigner, attitude="satisfied", result="satisfied")
    assert scan(world, D(2026, 3, 25)) == 0
    assert scan(world, D(2026, 3, 26)) == 1
    assert told("reminder.evaluation_due") == {world.deputy, quiet}
    with on(D(2026, 3, 27)):
        handling.evaluate(item, by=world.deputy, attitude="satisfied", result="satisfied")
    assert scan(world, D(2026, 4, 1)) == 0


# 公开 ----------------------------------------------------------------------------------------


def test_a_public_reply_not_published_after_15_working_days_tells_the_staff(world):
    lead = world.units[0]
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        handling.accept_assignment(assignment, by=world.coord[lead.pk])
        handling.draft_reply(
            assignment, by=world.handler[lead.pk], text="答复", result_class="A", is_public=True
        )
        reply = handling.sign_reply(assignment, by=world.leader[lead.pk])
    # 15 working days after Monday 2 March is Monday 23 March.
    assert scan(world, D(2026, 3, 20)) == 0
    assert scan(world, D(2026, 3, 23)) == 1
    assert told("reminder.disclosure_due") == {world.staff}
    notice = Notice.objects.get(kind="reminder.disclosure_due")
    assert notice.params["due_on"] == "2026-03-30"  # 20 working days, the body's rule
    with on(D(2026, 3, 24)):
        handling.mark_reply_published(reply, by=world.staff)
    assert scan(world, D(2026, 3, 24)) == 0


def test_a_private_reply_is_not_reminded_for_publication(world):
    with on(START):
        world.replied()
    scan(world, D(2026, 4, 30))
    assert not told("reminder.disclosure_due")


# The body's settings -------------------------------------------------------------------------


def test_a_disabled_rule_sends_nothing(world):
    admin = make_user(world.body, "body_admin")
    reminders.change_rule(world.body, "reply.due", by=admin, enabled=False)
    with on(START):
        world.assigned()
    assert scan(world, D(2026, 5, 3)) == 0
    assert scan(world, D(2026, 6, 1)) == 0
    assert not ReminderSent.objects.exists()


def test_other_days_are_obeyed(world, elsewhere):
    admin = make_user(world.body, "body_admin")
    reminders.change_rule(world.body, "reply.due", by=admin, enabled=True, days=[14, 3])
    with on(START):
        world.assigned()
        elsewhere.assigned()
    assert scan(world, D(2026, 5, 3)) == 0  # 30 days before: not this body's step
    assert scan(world, D(2026, 5, 19)) == 1  # 14 days before
    assert scan(world, D(2026, 5, 30)) == 1  # 3 days before
    assert sorted(ReminderSent.objects.values_list("step", flat=True)) == [3, 14]
    # The other body keeps the defaults.
    assert reminders.scan(elsewhere.body, today=D(2026, 5, 3)) == 1


# Once, whatever runs -------------------------------------------------------------------------


def test_scan_all_covers_every_body_once(world, elsewhere):
    with on(START):
        world.assigned()
        elsewhere.assigned()
    assert reminders.scan_all(today=D(2026, 5, 3)) == 2
    assert reminders.scan_all(today=D(2026, 5, 3)) == 0
    assert reminders.scan_all(today=D(2026, 5, 26), body_code=world.body.code) == 1


def test_no_duplicate_notices_whatever_the_number_of_scans(world):
    with on(START):
        for _ in range(3):
            world.assigned()
    for day in (D(2026, 5, 3), D(2026, 5, 3), D(2026, 5, 26), D(2026, 6, 1), D(2026, 6, 3)):
        scan(world, day)
        scan(world, day)
    repeated = (
        Notice.objects.values("recipient", "kind", "item_id", "params")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not repeated.exists()
    assert ReminderSent.objects.filter(rule="reply.due").count() == 9
    assert ReminderSent.objects.filter(rule="reply.overdue").count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_the_same_moment_send_one_reminder():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: two scans cannot overlap")
    world = World()
    with on(START):
        for _ in range(5):
            world.assigned()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(reminders.scan(world.body, today=D(2026, 5, 3)))
        except Exception as error:  # the test reports it below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(results) == 5
    assert ReminderSent.objects.count() == 5
    assert Notice.objects.filter(kind="reminder.reply_due").count() == 5 * 2  # coord, leader


def test_a_deadline_passed_long_before_the_first_scan_is_not_news(world):
    with on(START):
        world.assigned()
    # Overdue since 2 June; the body starts scanning in August: the deadline board lists the
    # item, the scan does not flood the staff with old news.
    assert reminders.scan(world.body, today=D(2026, 8, 15)) == 0
    assert reminders.scan(world.body, today=D(2026, 7, 2)) == 1  # within the month: caught up
