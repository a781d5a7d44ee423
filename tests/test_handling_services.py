"""Handling: assignment, disputes, extensions, contacts, opinions, replies, evaluation and
closure (docs/domain.md §4 to §7)."""

import datetime as dt

import pytest
from django.utils import translation

from banli.core.errors import DeadlinePassed, InvalidTransition, NotAllowed, ValidationFailed
from banli.core.models import HistoryEntry
from banli.handling import services as handling
from banli.handling.models import (
    Assignment,
    AssignmentRole,
    CoHandlingOpinion,
    Contact,
    Evaluation,
    Reply,
    ResultClassChange,
)
from banli.items import services as items
from banli.items.models import Item
from banli.notices.models import Notice

from .factories import World, make_proposer, make_unit, membership_of, on

D = dt.date
START = D(2026, 3, 2)  # a Monday of the session


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def take(world, assignment):
    """The unit's coordinator accepts the assignment (签收)."""
    return handling.accept_assignment(assignment, by=world.coord[assignment.unit_id])


def answer(world, assignment, result_class="A", planned_on=None):
    """Handler drafts, leader signs."""
    handling.draft_reply(
        assignment,
        by=world.handler[assignment.unit_id],
        text="经研究，答复如下……",
        result_class=result_class,
        planned_on=planned_on,
    )
    return handling.sign_reply(assignment, by=world.leader[assignment.unit_id])


def replied_item(world, result_class="A", **kw):
    with on(START):
        item = world.replied(result_class, **kw)
    return item


# Assignment


def test_assign_to_a_lead_and_a_co_handling_unit(world):
    with on(START):
        item = world.accepted()
        lead, co = handling.assign(
            item, by=world.staff, lead_units=[world.units[0]], co_units=[world.units[1]]
        )
    assert fresh(item).state == "assigned"
    assert fresh(item).assigned_on == START
    assert (lead.role, lead.state, lead.due_on, lead.dispute_due_on) == (
        "lead",
        "pending",
        D(2026, 6, 2),
        D(2026, 3, 9),
    )
    assert (co.role, co.due_on) == ("co", D(2026, 4, 2))
    created = HistoryEntry.objects.for_root(item).filter(action="assignment.create")
    assert created.count() == 2


def test_assignment_needs_a_lead_unit_of_the_body_given_once(world, other_world):
    with on(START):
        item = world.accepted()
        with pytest.raises(ValidationFailed, match="at least one lead unit"):
            handling.assign(item, by=world.staff, lead_units=[], co_units=[world.units[0]])
        with pytest.raises(ValidationFailed, match="not a unit of this body"):
            handling.assign(item, by=world.staff, lead_units=[other_world.units[0]])
        with pytest.raises(ValidationFailed, match="only once"):
            handling.assign(
                item, by=world.staff, lead_units=[world.units[0]], co_units=[world.units[0]]
            )
        retired = make_unit(world.body, "已撤销的局")
        retired.active = False
        retired.save()
        with pytest.raises(ValidationFailed, match="not a unit of this body"):
            handling.assign(item, by=world.staff, lead_units=[retired])
        with pytest.raises(NotAllowed):
            handling.assign(item, by=world.supervisor, lead_units=[world.units[0]])
    assert fresh(item).state == "accepted"
    assert not Assignment.objects.filter(item=item).exists()


def test_the_first_lead_unit_to_accept_starts_the_handling(world):
    with on(START):
        item = world.assigned(lead=world.units)
        first = world.lead_assignment(item, world.units[0])
        with pytest.raises(NotAllowed):
            handling.accept_assignment(first, by=world.handler[first.unit_id])
        with pytest.raises(NotAllowed):  # another unit's coordinator
            handling.accept_assignment(first, by=world.coord[world.units[1].pk])
        take(world, first)
        assert (first.state, first.accepted_on) == ("handling", START)
        assert fresh(item).state == "in_handling"
        take(world, world.lead_assignment(item, world.units[1]))
    starts = HistoryEntry.objects.for_target(item).filter(action="item.start_handling")
    assert starts.count() == 1


# Several lead units (分办) and co-handling units (协办)


def test_the_item_is_replied_when_every_lead_unit_has_replied(world):
    with on(START):
        item = world.assigned(lead=world.units)
        housing, transport = (world.lead_assignment(item, u) for u in world.units)
        take(world, housing)
        take(world, transport)
    with on(D(2026, 4, 1)):
        answer(world, housing, "A")
    assert fresh(item).state == "in_handling"
    assert fresh(housing).state == "replied"
    with on(D(2026, 4, 20)):
        answer(world, transport, "B", planned_on=D(2027, 6, 30))
    item = fresh(item)
    assert (item.state, item.replied_on) == ("replied", D(2026, 4, 20))
    # The item stands at its least-resolved part.
    assert item.result_class == "B"
    assert item.evaluation_due_on == D(2026, 5, 20)
    assert Reply.objects.filter(assignment__item=item, signed_at__isnull=False).count() == 2


def test_a_co_handling_unit_sends_its_opinion_and_cannot_reply(world):
    with on(START):
        item = world.assigned(co=[world.units[1]])
        co = item.assignments.get(role=AssignmentRole.CO)
        lead = world.lead_assignment(item)
        take(world, co)
        take(world, lead)
        with pytest.raises(InvalidTransition, match="only lead units reply"):
            handling.draft_reply(co, by=world.handler[co.unit_id], text="答复", result_class="A")
        with pytest.raises(InvalidTransition, match="a lead unit replies"):
            handling.send_opinion(lead, by=world.handler[lead.unit_id], text="意见")
        with pytest.raises(ValidationFailed, match="empty"):
            handling.send_opinion(co, by=world.handler[co.unit_id], text=" ")
        with pytest.raises(NotAllowed):
            handling.send_opinion(co, by=world.handler[lead.unit_id], text="意见")
        opinion = handling.send_opinion(co, by=world.handler[co.unit_id], text="建议统筹规划")
        assert fresh(co).state == "opinion_sent"
        with pytest.raises(InvalidTransition):
            handling.send_opinion(co, by=world.handler[co.unit_id], text="再补充")
    assert CoHandlingOpinion.objects.get(assignment=co) == opinion
    # The opinion goes to the lead unit, never to the proposer.
    opinions = Notice.objects.filter(item_id=item.pk, kind="opinion.arrived")
    assert opinions.exists() and not opinions.filter(recipient=world.deputy).exists()
    assert fresh(item).state == "in_handling"
    with on(D(2026, 4, 1)):
        answer(world, lead)
    assert fresh(item).state == "replied"


# Disputes (退回/申请调整)


def test_a_dispute_within_five_working_days_and_a_reassignment(world):
    with on(START):
        item = world.assigned()
        first = world.lead_assignment(item)
    with on(D(2026, 3, 9)):  # the fifth working day
        with pytest.raises(ValidationFailed, match="reason"):
            handling.dispute(first, by=world.coord[first.unit_id], reason="")
        handling.dispute(first, by=world.coord[first.unit_id], reason="不属于本单位职责")
    assert fresh(first).state == "disputed"
    with on(D(2026, 3, 12)):
        with pytest.raises(NotAllowed):
            handling.reassign(first, by=world.coord[first.unit_id], to_unit=world.units[1])
        with pytest.raises(ValidationFailed, match="not a unit of this body"):
            handling.reassign(first, by=world.staff, to_unit=World().units[0])
        second = handling.reassign(
            first, by=world.staff, to_unit=world.units[1], reason="由交通局办理"
        )
    assert fresh(first).state == "reassigned"
    # Deadlines start again from the reassignment.
    assert (second.state, second.assigned_on, second.replaces) == ("pending", D(2026, 3, 12), first)
    assert second.due_on == D(2026, 6, 12)
    assert second.dispute_due_on == D(2026, 3, 19)
    assert fresh(item).state == "assigned"
    with on(D(2026, 3, 13)):
        take(world, second)
    assert fresh(item).state == "in_handling"


def test_a_dispute_after_five_working_days_is_refused(world):
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
    with on(D(2026, 3, 10)), pytest.raises(DeadlinePassed, match="2026-03-09"):
        handling.dispute(assignment, by=world.leader[assignment.unit_id], reason="非本单位")
    assert fresh(assignment).state == "pending"


def test_the_late_dispute_is_refused_in_the_users_language(world, zh_catalog):
    zh_catalog(
        {"The assignment could only be disputed until %(date)s.": "申请调整的期限为%(date)s。"}
    )
    with on(START):
        assignment = world.lead_assignment(world.assigned())
    with (
        on(D(2026, 3, 10)),
        translation.override("zh-hans"),
        pytest.raises(DeadlinePassed) as late,
    ):
        handling.dispute(assignment, by=world.coord[assignment.unit_id], reason="非本单位")
    assert str(late.value) == "申请调整的期限为2026-03-09。"
    assert late.value.status_code == 409


def test_a_dispute_is_dismissed_with_a_reason(world):
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        handling.dispute(assignment, by=world.coord[assignment.unit_id], reason="非本单位")
        with pytest.raises(ValidationFailed, match="reason"):
            handling.dismiss_dispute(assignment, by=world.staff, reason="")
        handling.dismiss_dispute(assignment, by=world.staff, reason="属于该局职责")
        assert fresh(assignment).state == "pending"
        with pytest.raises(InvalidTransition):
            handling.reassign(assignment, by=world.staff, to_unit=world.units[1])


def test_reassign_to_a_unit_that_already_has_the_item_is_refused(world):
    with on(START):
        item = world.assigned(lead=[world.units[0]], co=[world.units[1]])
        lead = world.lead_assignment(item)
        handling.dispute(lead, by=world.coord[lead.unit_id], reason="非本单位")
        with pytest.raises(ValidationFailed, match="already has this item"):
            handling.reassign(lead, by=world.staff, to_unit=world.units[1])


def test_a_disputed_lead_unit_holds_the_reply_back(world):
    with on(START):
        item = world.assigned(lead=world.units)
        housing, transport = (world.lead_assignment(item, u) for u in world.units)
        take(world, housing)
        handling.dispute(transport, by=world.coord[transport.unit_id], reason="非本单位")
        answer(world, housing)
        assert fresh(item).state == "in_handling"
        third = world.add_unit("市城管局")
        replacement = handling.reassign(transport, by=world.staff, to_unit=third)
        take(world, replacement)
        answer(world, replacement, "C")
    item = fresh(item)
    assert (item.state, item.result_class) == ("replied", "C")


# Extensions (延期)


def joint_assigned(world):
    """A suggestion of 王代表 co-signed by 李代表, assigned to the first unit on START."""
    with on(START):
        item = world.draft()
        items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
        items.confirm_cosign(item, by=world.cosigner)
        items.submit(item, by=world.deputy)
        items.receive(item, by=world.staff)
        items.accept(item, by=world.staff)
        handling.assign(item, by=world.staff, lead_units=[world.units[0]])
    return item


def test_an_approved_extension_moves_the_due_date_and_tells_every_proposer(world):
    item = joint_assigned(world)
    assignment = world.lead_assignment(item)
    with on(D(2026, 5, 20)):
        take(world, assignment)
        extension = handling.request_extension(
            assignment,
            by=world.leader[assignment.unit_id],
            until=D(2026, 8, 31),
            reason="需跨部门协调",
        )
    assert fresh(assignment).due_on == D(2026, 6, 2)
    with on(D(2026, 5, 22)):
        with pytest.raises(NotAllowed):
            handling.decide_extension(extension, by=world.leader[assignment.unit_id], approve=True)
        handling.decide_extension(extension, by=world.staff, approve=True, note="同意")
    assert fresh(assignment).due_on == D(2026, 8, 31)
    extension = fresh(extension)
    assert (extension.state, extension.previous_due_on, extension.decided_by) == (
        "approved",
        D(2026, 6, 2),
        world.staff,
    )
    told = Notice.objects.filter(item_id=item.pk, kind="item.extended")
    members = [membership_of(n.recipient).member.name for n in told]
    assert sorted(members) == sorted(["王代表", "李代表"])
    with translation.override("en"):
        assert all("Aug. 31, 2026" in n.message for n in told)
    with pytest.raises(InvalidTransition, match="already been decided"):
        handling.decide_extension(extension, by=world.staff, approve=False)


def test_a_refused_extension_keeps_the_due_date(world):
    item = joint_assigned(world)
    assignment = world.lead_assignment(item)
    with on(D(2026, 5, 20)):
        extension = handling.request_extension(
            assignment, by=world.coord[assignment.unit_id], until=D(2026, 7, 31), reason="协调中"
        )
        with pytest.raises(InvalidTransition, match="already waiting"):
            handling.request_extension(
                assignment, by=world.coord[assignment.unit_id], until=D(2026, 8, 1), reason="再延"
            )
        handling.decide_extension(extension, by=world.staff, approve=False, note="不符合延期条件")
    assert fresh(assignment).due_on == D(2026, 6, 2)
    assert fresh(extension).state == "refused"
    assert not Notice.objects.filter(item_id=item.pk, kind="item.extended").exists()
    decided = HistoryEntry.objects.for_target(assignment).filter(
        action="assignment.decide_extension"
    )
    assert decided.get().data["approved"] is False


def test_extension_limits(world):
    item = joint_assigned(world)
    assignment = world.lead_assignment(item)
    by = world.coord[assignment.unit_id]
    with on(D(2026, 5, 20)):
        with pytest.raises(ValidationFailed, match="2026-09-02"):
            handling.request_extension(assignment, by=by, until=D(2026, 9, 3), reason="复杂")
        with pytest.raises(ValidationFailed, match="later than the current one"):
            handling.request_extension(assignment, by=by, until=D(2026, 6, 1), reason="复杂")
        with pytest.raises(ValidationFailed, match="reason"):
            handling.request_extension(assignment, by=by, until=D(2026, 8, 1), reason="")
        with pytest.raises(NotAllowed):
            handling.request_extension(
                assignment, by=world.handler[assignment.unit_id], until=D(2026, 8, 1), reason="x"
            )
        # The six-month limit itself is allowed.
        handling.request_extension(assignment, by=by, until=D(2026, 9, 2), reason="涉及面广")
    with on(START):
        overdue = world.lead_assignment(world.assigned())  # due 2026-06-02
    with on(D(2026, 6, 3)), pytest.raises(DeadlinePassed, match="before the due date"):
        handling.request_extension(overdue, by=by, until=D(2026, 8, 1), reason="来不及")


# Contacts (三见面) and the handler


def test_contacts_are_logged(world):
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        take(world, assignment)
    with on(D(2026, 3, 20)):
        contact = handling.log_contact(
            assignment,
            by=world.handler[assignment.unit_id],
            stage="before",
            method="meeting",
            on=D(2026, 3, 18),
            notes="当面听取意见",
        )
        with pytest.raises(ValidationFailed, match="future"):
            handling.log_contact(
                assignment,
                by=world.handler[assignment.unit_id],
                stage="during",
                method="phone",
                on=D(2026, 3, 21),
            )
        with pytest.raises(ValidationFailed, match="earlier than the assignment"):
            handling.log_contact(
                assignment,
                by=world.handler[assignment.unit_id],
                stage="during",
                method="phone",
                on=D(2026, 3, 1),
            )
        with pytest.raises(ValidationFailed, match="stage and the method"):
            handling.log_contact(
                assignment,
                by=world.handler[assignment.unit_id],
                stage="during",
                method="fax",
                on=D(2026, 3, 19),
            )
        with pytest.raises(NotAllowed):
            handling.log_contact(
                assignment,
                by=world.handler[world.units[1].pk],
                stage="during",
                method="phone",
                on=D(2026, 3, 19),
            )
    assert list(Contact.objects.filter(assignment=assignment)) == [contact]
    assert (contact.stage, contact.method, contact.logged_by) == (
        "before",
        "meeting",
        world.handler[assignment.unit_id],
    )
    entry = HistoryEntry.objects.for_target(assignment).order_by("id").last()
    assert (entry.action, entry.from_state, entry.to_state) == (
        "assignment.log_contact",
        "handling",
        "handling",
    )


def test_the_contact_after_the_reply_is_logged(world):
    """三见面: before drafting, during handling, and after the reply."""
    item = replied_item(world)
    assignment = world.lead_assignment(item)
    with on(D(2026, 3, 6)):
        handling.log_contact(
            assignment,
            by=world.handler[assignment.unit_id],
            stage="after",
            method="site_visit",
            on=D(2026, 3, 5),
            notes="回访",
        )
    assert fresh(assignment).state == "replied"
    assert Contact.objects.get(assignment=assignment).stage == "after"


def test_a_contact_before_the_unit_accepts_is_refused(world):
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        with pytest.raises(InvalidTransition):
            handling.log_contact(
                assignment,
                by=world.coord[assignment.unit_id],
                stage="before",
                method="phone",
                on=START,
            )


def test_the_handler_is_a_person_of_the_unit(world):
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        take(world, assignment)
        with pytest.raises(ValidationFailed, match="person of this unit"):
            handling.name_handler(
                assignment,
                by=world.coord[assignment.unit_id],
                handler=world.handler[world.units[1].pk],
            )
        handling.name_handler(
            assignment,
            by=world.coord[assignment.unit_id],
            handler=world.handler[assignment.unit_id],
            phone=" 0510-12345678 ",
        )
    assignment = fresh(assignment)
    assert (assignment.handler, assignment.handler_phone) == (
        world.handler[assignment.unit_id],
        "0510-12345678",
    )


# Replies


def test_a_reply_needs_the_unit_leader_to_sign(world):
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        take(world, assignment)
        with pytest.raises(InvalidTransition, match="no drafted reply"):
            handling.sign_reply(assignment, by=world.leader[assignment.unit_id])
        reply = handling.draft_reply(
            assignment,
            by=world.handler[assignment.unit_id],
            text="答复函正文",
            result_class="A",
            is_public=True,
            contact_name=" 张科长 ",
            contact_phone="0510-1234",
        )
        assert not reply.is_sent
        for user in (world.handler[assignment.unit_id], world.coord[assignment.unit_id]):
            with pytest.raises(NotAllowed):
                handling.sign_reply(assignment, by=user)
        with pytest.raises(NotAllowed):
            handling.sign_reply(assignment, by=world.leader[world.units[1].pk])
        assert fresh(item).state == "in_handling"
        handling.sign_reply(assignment, by=world.leader[assignment.unit_id])
        reply = fresh(reply)
        assert (reply.signed_by, reply.replied_on, reply.contact_name) == (
            world.leader[assignment.unit_id],
            START,
            "张科长",
        )
        with pytest.raises(InvalidTransition):
            handling.draft_reply(
                assignment, by=world.handler[assignment.unit_id], text="改", result_class="A"
            )
    assert fresh(item).state == "replied"


def test_redrafting_before_signing_replaces_the_draft(world):
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        take(world, assignment)
        handling.draft_reply(
            assignment, by=world.handler[assignment.unit_id], text="一稿", result_class="C"
        )
        handling.draft_reply(
            assignment, by=world.leader[assignment.unit_id], text="二稿", result_class="A"
        )
    (reply,) = Reply.objects.filter(assignment=assignment)
    assert (reply.text, reply.result_class) == ("二稿", "A")


def test_class_b_needs_a_planned_date(world):
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        take(world, assignment)
        with pytest.raises(ValidationFailed, match="Class B needs the planned completion date"):
            handling.draft_reply(
                assignment, by=world.handler[assignment.unit_id], text="正在解决", result_class="B"
            )
        reply = handling.draft_reply(
            assignment,
            by=world.handler[assignment.unit_id],
            text="正在解决",
            result_class="B",
            planned_on=D(2027, 6, 30),
        )
    assert reply.planned_on == D(2027, 6, 30)


def test_result_classes_are_the_bodys(db):
    world = World(result_classes=["A", "B", "C", "D"])
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        take(world, assignment)
        with pytest.raises(ValidationFailed, match="A, B, C, D"):
            handling.draft_reply(
                assignment, by=world.handler[assignment.unit_id], text="答复", result_class="E"
            )
        answer(world, assignment, "D")
    assert fresh(item).result_class == "D"


def test_a_joint_item_reply_reaches_every_signer(world):
    with on(START):
        item = world.draft()
        world.confirmed_cosigners(item, 2)
        declined, _ = make_proposer(world.body, "不附议代表")
        items.invite_cosigners(item, by=world.deputy, members=[membership_of(declined).member])
        items.decline_cosign(item, by=declined)
        items.submit(item, by=world.deputy)
        items.receive(item, by=world.staff)
        items.accept(item, by=world.staff)
        handling.assign(item, by=world.staff, lead_units=[world.units[0]])
        assignment = world.lead_assignment(item)
        take(world, assignment)
        answer(world, assignment)
    notices = Notice.objects.filter(item_id=item.pk, kind="item.replied")
    told = {membership_of(n.recipient).member for n in notices}
    assert told == set(fresh(item).signers())
    assert len(told) == notices.count() == 3
    assert membership_of(declined).member not in told


def test_a_merged_items_proposer_also_gets_the_reply(world):
    with on(START):
        other, other_member = make_proposer(world.body, "赵代表")
        merged = items.create_draft(
            by=other, session=world.session, kind="suggestion", title="停车难", text="同上"
        )
        items.submit(merged, by=other)
        items.receive(merged, by=world.staff)
        lead = world.draft()
        items.submit(lead, by=world.deputy)
        items.receive(lead, by=world.staff)
        items.merge(merged, by=world.staff, into=lead, reason="并案")
        items.accept(lead, by=world.staff)
        handling.assign(lead, by=world.staff, lead_units=world.units)
        for assignment in lead.assignments.all():
            take(world, assignment)
            answer(world, assignment)
    # Each unit's reply reaches each proposer (分别答复).
    for member in (world.member, other_member):
        user = member.membership.user
        assert Notice.objects.filter(recipient=user, kind="item.replied").count() == 2
    assert fresh(merged).state == "merged"


# Evaluation (评价) and closure (办结)


@pytest.mark.parametrize("rating", ["satisfied", "basically_satisfied"])
def test_a_satisfied_evaluation_closes_the_item(world, rating):
    item = replied_item(world)
    with on(D(2026, 3, 10)):
        evaluation = handling.evaluate(
            item, by=world.deputy, attitude="satisfied", result=rating, comment="办理认真"
        )
    item = fresh(item)
    assert (item.state, item.closure, item.closed_on) == ("closed", rating, D(2026, 3, 10))
    assert (evaluation.round, evaluation.counts, evaluation.member) == (1, True, world.member)
    with pytest.raises(InvalidTransition), on(D(2026, 3, 11)):
        handling.evaluate(
            item,
            by=world.deputy,
            attitude="satisfied",
            result="unsatisfied",
            comment="问题仍未解决",
        )


def test_unsatisfied_starts_rehandling_and_the_second_evaluation_closes(world):
    item = replied_item(world, "C")
    assignment = world.lead_assignment(item)
    with on(D(2026, 3, 31)):
        handling.evaluate(
            item,
            by=world.deputy,
            attitude="satisfied",
            result="unsatisfied",
            comment="问题仍未解决",
        )
    item = fresh(item)
    assert (item.state, item.reply_round, item.evaluation_due_on) == ("rehandling", 2, None)
    assignment = fresh(assignment)
    # Re-handling within one month (2026-03-31 + 1 month).
    assert (assignment.state, assignment.due_on) == ("rehandling", D(2026, 4, 30))
    assert Item.objects.overdue(D(2026, 5, 1)).filter(pk=item.pk).exists()
    with on(D(2026, 4, 15)):
        with pytest.raises(InvalidTransition):
            handling.evaluate(item, by=world.deputy, attitude="satisfied", result="satisfied")
        second = answer(world, assignment, "A")
    assert second.round == 2
    item = fresh(item)
    assert (item.state, item.result_class, item.evaluation_due_on) == (
        "replied",
        "A",
        D(2026, 5, 15),
    )
    with on(D(2026, 4, 20)):
        handling.evaluate(
            item,
            by=world.deputy,
            attitude="unsatisfied",
            result="unsatisfied",
            comment="问题仍未解决",
        )
    item = fresh(item)
    # No third round: the second evaluation closes the item, unsatisfied as it is.
    assert (item.state, item.closure, item.reply_round) == ("closed", "unsatisfied", 2)
    assert list(item.evaluations.values_list("round", "result")) == [
        (1, "unsatisfied"),
        (2, "unsatisfied"),
    ]
    with pytest.raises(InvalidTransition), on(D(2026, 4, 21)):
        answer(world, fresh(assignment), "A")


def test_co_signer_evaluations_do_not_count(world):
    item = joint_assigned(world)
    with on(START):
        assignment = world.lead_assignment(item)
        take(world, assignment)
        answer(world, assignment)
    with on(D(2026, 3, 5)):
        mine = handling.evaluate(
            item,
            by=world.cosigner,
            attitude="satisfied",
            result="unsatisfied",
            comment="问题仍未解决",
        )
        assert (mine.counts, mine.member, mine.round) == (False, world.cosigner_member, 1)
        assert fresh(item).state == "replied"
        with pytest.raises(InvalidTransition, match="already evaluated"):
            handling.evaluate(item, by=world.cosigner, attitude="satisfied", result="satisfied")
        stranger, _ = make_proposer(world.body)
        with pytest.raises(NotAllowed):
            handling.evaluate(item, by=stranger, attitude="satisfied", result="satisfied")
        with pytest.raises(NotAllowed):
            handling.evaluate(item, by=world.staff, attitude="satisfied", result="satisfied")
        with pytest.raises(ValidationFailed, match="rating"):
            handling.evaluate(item, by=world.deputy, attitude="great", result="satisfied")
        handling.evaluate(item, by=world.deputy, attitude="satisfied", result="satisfied")
    assert fresh(item).closure == "satisfied"
    counted = Evaluation.objects.filter(item=item, counts=True)
    assert list(counted.values_list("member__name", "result")) == [("王代表", "satisfied")]


def test_an_unconfirmed_invitee_cannot_evaluate(world):
    with on(START):
        item = world.draft()
        items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
        items.decline_cosign(item, by=world.cosigner)
        items.submit(item, by=world.deputy)
        items.receive(item, by=world.staff)
        items.accept(item, by=world.staff)
        handling.assign(item, by=world.staff, lead_units=[world.units[0]])
        assignment = world.lead_assignment(item)
        take(world, assignment)
        answer(world, assignment)
        with pytest.raises(NotAllowed):
            handling.evaluate(item, by=world.cosigner, attitude="satisfied", result="satisfied")


def test_no_evaluation_within_the_window_closes_as_not_evaluated(world):
    item = replied_item(world)  # replied 2026-03-02, window until 2026-04-02
    assert item.evaluation_due_on == D(2026, 4, 2)
    with on(D(2026, 4, 2)):
        assert handling.close_expired_evaluations() == 0
        with pytest.raises(InvalidTransition, match="may still evaluate"):
            handling.close_unevaluated(item, by=world.staff)
    assert fresh(item).state == "replied"
    with on(D(2026, 4, 3)):
        with pytest.raises(DeadlinePassed):
            handling.evaluate(item, by=world.deputy, attitude="satisfied", result="satisfied")
        assert handling.close_expired_evaluations() == 1
        assert handling.close_expired_evaluations() == 0
    item = fresh(item)
    assert (item.state, item.closure, item.closed_on) == ("closed", "not_evaluated", D(2026, 4, 3))
    entry = HistoryEntry.objects.for_target(item).order_by("id").last()
    assert (entry.action, entry.actor, entry.to_state) == (
        "item.close_unevaluated",
        None,
        "closed",
    )


def test_staff_close_an_unevaluated_item_after_the_window(world):
    item = replied_item(world)
    with on(D(2026, 4, 10)):
        with pytest.raises(NotAllowed):
            handling.close_unevaluated(item, by=world.deputy)
        handling.close_unevaluated(item, by=world.staff)
    entry = HistoryEntry.objects.for_target(item).order_by("id").last()
    assert (entry.actor, fresh(item).closure) == (world.staff, "not_evaluated")


def test_result_class_changes_are_dated_rows(world):
    item = replied_item(world, "B")
    assignment = world.lead_assignment(item)
    with on(D(2026, 3, 20)):
        handling.evaluate(
            item,
            by=world.deputy,
            attitude="satisfied",
            result="unsatisfied",
            comment="问题仍未解决",
        )
    with on(D(2026, 4, 10)):
        answer(world, fresh(assignment), "A")
    changes = list(
        ResultClassChange.objects.filter(item=item).values_list(
            "from_class", "to_class", "changed_on"
        )
    )
    assert changes == [("", "B", START), ("B", "A", D(2026, 4, 10))]


def test_an_unchanged_class_adds_no_row(world):
    item = replied_item(world, "A")
    assignment = world.lead_assignment(item)
    with on(D(2026, 3, 20)):
        handling.evaluate(
            item,
            by=world.deputy,
            attitude="satisfied",
            result="unsatisfied",
            comment="问题仍未解决",
        )
    with on(D(2026, 4, 10)):
        answer(world, fresh(assignment), "A")
    assert ResultClassChange.objects.filter(item=item).count() == 1


# Overdue (逾期) and falling due (临期)


def test_overdue_and_due_within(world):
    with on(START):
        late = world.assigned()  # due 2026-06-02
        answered = world.assigned()
        take(world, world.lead_assignment(answered))
        answer(world, world.lead_assignment(answered))
    with on(D(2026, 4, 1)):
        later = world.assigned()  # due 2026-07-01
    with on(D(2026, 4, 1)):
        co_only_late = world.assigned(co=[world.units[1]])  # co due 2026-05-01, lead 07-01
    body_items = Item.objects.for_body(world.body)
    assert set(body_items.overdue(D(2026, 6, 2))) == set()
    assert set(body_items.overdue(D(2026, 6, 3))) == {late}
    assert set(body_items.overdue(D(2026, 7, 2))) == {late, later, co_only_late}
    # A co-handling unit's date does not make the item overdue.
    assert co_only_late not in body_items.overdue(D(2026, 5, 10))
    assert set(body_items.due_within(D(2026, 5, 26), 7)) == {late}
    assert set(body_items.due_within(D(2026, 6, 2), 0)) == {late}
    assert set(body_items.due_within(D(2026, 6, 3), 30)) == {later, co_only_late}
    assert answered not in body_items.due_within(D(2026, 5, 26), 30)


def test_an_extension_takes_the_item_off_the_overdue_list(world):
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
    with on(D(2026, 5, 30)):
        extension = handling.request_extension(
            assignment, by=world.coord[assignment.unit_id], until=D(2026, 8, 1), reason="协调"
        )
        handling.decide_extension(extension, by=world.staff, approve=True)
    assert item not in Item.objects.overdue(D(2026, 6, 10))
    assert item in Item.objects.due_within(D(2026, 7, 25), 7)


def test_overdue_follows_a_reassignment(world):
    with on(START):
        item = world.assigned()
        first = world.lead_assignment(item)
        handling.dispute(first, by=world.coord[first.unit_id], reason="非本单位")
    with on(D(2026, 3, 20)):
        handling.reassign(first, by=world.staff, to_unit=world.units[1])
    assert item not in Item.objects.overdue(D(2026, 6, 10))
    assert item in Item.objects.overdue(D(2026, 6, 21))


def test_a_closed_items_handling_is_over(world):
    """A co-handling unit that never sent its opinion cannot act once the item is closed;
    the contact after the reply may still be logged."""
    with on(START):
        item = world.assigned(co=[world.units[1]])
        lead = world.lead_assignment(item)
        co = item.assignments.get(role=AssignmentRole.CO)
        take(world, lead)
        answer(world, lead)
        handling.evaluate(fresh(item), by=world.deputy, attitude="satisfied", result="satisfied")
    assert fresh(item).state == "closed"
    # The co-handling assignment closed with the item (banli.handling.services).
    co = fresh(co)
    assert co.state == "closed"
    with on(D(2026, 3, 5)):
        with pytest.raises(InvalidTransition, match="not possible in this state"):
            take(world, co)
        with pytest.raises(InvalidTransition, match="not possible in this state"):
            handling.dispute(co, by=world.coord[co.unit_id], reason="非本单位")
        with pytest.raises(InvalidTransition, match="not possible in this state"):
            handling.request_extension(
                co, by=world.coord[co.unit_id], until=D(2026, 5, 1), reason="协调"
            )
        handling.log_contact(
            lead, by=world.handler[lead.unit_id], stage="after", method="phone", on=START
        )
    assert fresh(co).state == "closed"


def test_extension_asked_before_the_reply_can_still_be_decided(world):
    with on(dt.date(2026, 3, 2)):
        item = world.assigned()
        a = world.lead_assignment(item)
        handling.accept_assignment(a, by=world.coord[a.unit_id])
        request = handling.request_extension(
            a, by=world.coord[a.unit_id], until=dt.date(2026, 7, 31), reason="需跨部门协调"
        )
        handling.draft_reply(a, by=world.handler[a.unit_id], text="答复", result_class="A")
        handling.sign_reply(a, by=world.leader[a.unit_id])
    with on(dt.date(2026, 3, 5)):
        decided = handling.decide_extension(request, by=world.staff, approve=False, note="已答复")
    assert decided.state == "refused"


def test_a_notice_reads_in_the_readers_language(world):
    with translation.override("en"), on(dt.date(2026, 3, 2)):
        world.replied("A")
    notice = Notice.objects.get(recipient=world.deputy, kind="item.replied")
    with translation.override("en"):
        assert notice.message.startswith("市住建局 has replied to")
    with translation.override("zh-hans"):
        assert "has replied" not in notice.message
        assert "市住建局" in notice.message and world.member.items.first().title in notice.message
