"""Notices (通知): each step tells exactly the people whose work it is, in their body and
unit and nobody else, and each reads the notice in their own language on the notices page."""

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from banli.bodies.models import BodyType
from banli.core import clock
from banli.handling import services as handling
from banli.items import services as items
from banli.notices import channels
from banli.notices.models import Notice
from banli.supervision import services as supervision

from .factories import World, make_proposer, on

D = dt.date
START = D(2026, 3, 2)  # a Monday of the session


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def elsewhere(db):
    """Another body with the same roles: it must never hear of the first body's items."""
    return World()


def told(kind, item=None) -> set:
    rows = Notice.objects.filter(kind=kind)
    if item is not None:
        rows = rows.filter(item_id=item.pk)
    return {n.recipient for n in rows.select_related("recipient")}


def message(kind, user, language="en") -> str:
    notice = Notice.objects.filter(kind=kind, recipient=user).latest("id")
    with translation.override(language):
        return notice.message


def nobody_of(other: World) -> set:
    people = {other.staff, other.supervisor, other.auditor, other.deputy, other.cosigner}
    for unit in other.units:
        people |= {other.coord[unit.pk], other.handler[unit.pk], other.leader[unit.pk]}
    return people


def take(world, assignment):
    handling.accept_assignment(assignment, by=world.coord[assignment.unit_id])


def answer(world, assignment, result_class="A"):
    unit = assignment.unit_id
    handling.log_contact(
        assignment, by=world.handler[unit], stage="before", method="phone", on=clock.today()
    )
    handling.draft_reply(
        assignment, by=world.handler[unit], text="经研究，答复如下……", result_class=result_class
    )
    return handling.sign_reply(assignment, by=world.leader[unit])


# Before the units


def test_staff_hear_of_a_new_submission_and_nobody_else(world, elsewhere):
    with on(START):
        item = world.draft()
        items.submit(item, by=world.deputy)
    assert told("item.submitted") == {world.staff}
    assert "王代表 submitted" in message("item.submitted", world.staff)
    assert not told("item.submitted") & nobody_of(elsewhere)


def test_the_proposers_hear_of_acceptance_with_the_number(world):
    with on(START):
        item = world.draft()
        cosigners = world.confirmed_cosigners(item, 1)
        invited, invited_member = make_proposer(world.body, "未答复代表")
        items.invite_cosigners(item, by=world.deputy, members=[invited_member])
        items.decline_cosign(item, by=invited)
        items.submit(item, by=world.deputy)
        items.receive(item, by=world.staff)
        items.accept(item, by=world.staff)
    item.refresh_from_db()
    assert told("item.accepted", item) == {world.deputy, *cosigners}
    text = message("item.accepted", world.deputy)
    assert item.display_number in text and "accepted" in text
    # The staff who accepted are not told of their own step.
    assert world.staff not in told("item.accepted")


def test_a_cppcc_proposal_is_placed_on_file_a_suggestion_accepted(db):
    cppcc = World(BodyType.CPPCC)
    with on(START):
        cppcc.accepted()
    assert "placed on file" in message("item.accepted", cppcc.deputy)
    congress = World()
    with on(START):
        congress.accepted()
    assert "placed on file" not in message("item.accepted", congress.deputy)


def test_returned_and_rejected_items_tell_the_proposer_why(world):
    with on(START):
        returned = world.draft()
        items.submit(returned, by=world.deputy)
        items.receive(returned, by=world.staff)
        items.return_for_revision(returned, by=world.staff, reason="请补充具体地点")
        rejected = world.draft(title="关于另一件事的建议")
        items.submit(rejected, by=world.deputy)
        items.receive(rejected, by=world.staff)
        items.reject(rejected, by=world.staff, reason="属于个人诉求")
    assert told("item.returned") == {world.deputy}
    assert "请补充具体地点" in message("item.returned", world.deputy)
    assert told("item.rejected") == {world.deputy}
    assert "属于个人诉求" in message("item.rejected", world.deputy)


def test_a_merged_items_proposers_hear_which_item_it_joined(world):
    with on(START):
        other, _member = make_proposer(world.body, "赵代表")
        merged = items.create_draft(
            by=other, session=world.session, kind="suggestion", title="停车难", text="同上"
        )
        items.submit(merged, by=other)
        items.receive(merged, by=world.staff)
        lead = world.draft(title="关于缓解老城区停车难的建议")
        items.submit(lead, by=world.deputy)
        items.receive(lead, by=world.staff)
        items.merge(merged, by=world.staff, into=lead, reason="并案")
    assert told("item.merged") == {other}
    assert "关于缓解老城区停车难的建议" in message("item.merged", other)


# The units


def test_assignment_reaches_each_units_coordinator_and_the_proposers(world, elsewhere):
    with on(START):
        item = world.assigned(lead=[world.units[0]], co=[world.units[1]])
    lead, co = world.units
    assert told("assignment.new", item) == {world.coord[lead.pk], world.coord[co.pk]}
    assert not told("assignment.new") & nobody_of(elsewhere)
    assert told("item.assigned", item) == {world.deputy}
    text = message("item.assigned", world.deputy)
    assert "市住建局" in text and "市交通局" in text and "2026" in text
    # The inbox is where a new assignment is accepted.
    notice = Notice.objects.get(kind="assignment.new", recipient=world.coord[lead.pk])
    assert notice.url == reverse("handling:inbox")


def test_a_unit_without_a_coordinator_is_told_through_its_leader(world):
    from banli.bodies.models import Membership

    unit = world.units[0]
    Membership.objects.filter(user=world.coord[unit.pk]).update(active=False)
    with on(START):
        item = world.assigned()
    assert told("assignment.new", item) == {world.leader[unit.pk]}


def test_a_dispute_goes_to_staff_and_its_decision_back_to_the_unit(world):
    first, second = world.units
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        handling.dispute(assignment, by=world.coord[first.pk], reason="不属于我局职责")
    assert told("dispute.raised") == {world.staff}
    assert "不属于我局职责" in message("dispute.raised", world.staff)
    with on(START + dt.timedelta(days=1)):
        handling.reassign(assignment, by=world.staff, to_unit=second, reason="职责调整")
    assert told("dispute.decided") == {world.coord[first.pk]}
    assert "市交通局" in message("dispute.decided", world.coord[first.pk])
    assert told("assignment.new", item) == {world.coord[first.pk], world.coord[second.pk]}


def test_a_dismissed_dispute_tells_the_unit_the_assignment_stands(world):
    unit = world.units[0]
    with on(START):
        assignment = world.lead_assignment(world.assigned())
        handling.dispute(assignment, by=world.coord[unit.pk], reason="不属于我局职责")
        handling.dismiss_dispute(assignment, by=world.staff, reason="属于住建职责")
    assert told("dispute.decided") == {world.coord[unit.pk]}
    assert "属于住建职责" in message("dispute.decided", world.coord[unit.pk])


def test_extensions_go_to_staff_and_the_decision_to_the_unit_and_proposers(world):
    unit = world.units[0]
    with on(START):
        assignment = world.lead_assignment(world.assigned())
    with on(D(2026, 5, 20)):
        extension = handling.request_extension(
            assignment, by=world.coord[unit.pk], until=D(2026, 7, 31), reason="需跨部门协调"
        )
    assert told("extension.requested") == {world.staff}
    with on(D(2026, 5, 21)):
        handling.decide_extension(extension, by=world.staff, approve=True, note="同意")
    assert told("extension.decided") == {world.coord[unit.pk]}
    assert told("item.extended") == {world.deputy}
    assert "July 31, 2026" in message("item.extended", world.deputy)


def test_the_handler_the_leader_and_the_lead_hear_of_their_part(world):
    lead, co = world.units
    with on(START):
        item = world.assigned(lead=[lead], co=[co])
        main = world.lead_assignment(item)
        helper = item.assignments.get(unit=co)
        take(world, main)
        take(world, helper)
        handling.name_handler(main, by=world.coord[lead.pk], handler=world.handler[lead.pk])
        assert told("handler.named") == {world.handler[lead.pk]}
        handling.send_opinion(helper, by=world.coord[co.pk], text="建议同步改造排水管网")
        assert told("opinion.arrived") == {world.handler[lead.pk]}
        for _ in range(2):
            handling.draft_reply(
                main, by=world.handler[lead.pk], text="经研究，答复如下……", result_class="A"
            )
    # Two saves of the draft: the leader waits for one signature, and is told once.
    assert Notice.objects.filter(kind="reply.to_sign").count() == 1
    assert told("reply.to_sign") == {world.leader[lead.pk]}
    assert Notice.objects.get(kind="reply.to_sign").url == reverse("handling:reply", args=[main.pk])


def test_a_draft_sent_back_reaches_its_author_and_the_revision_the_leader_again(world):
    unit = world.units[0]
    handler, leader = world.handler[unit.pk], world.leader[unit.pk]
    with on(START):
        assignment = world.lead_assignment(world.assigned())
        take(world, assignment)
        handling.draft_reply(assignment, by=handler, text="初稿", result_class="A")
        Notice.objects.filter(kind="reply.to_sign").update(read_at=clock.now())
        handling.return_reply_draft(assignment, by=leader, note="请补充完成时限")
        assert told("reply.returned") == {handler}
        assert "请补充完成时限" in message("reply.returned", handler)
        handling.draft_reply(assignment, by=handler, text="修改稿", result_class="A")
    # The leader read the first notice: the revised draft is announced again.
    assert Notice.objects.filter(kind="reply.to_sign", recipient=leader).count() == 2


def test_a_signed_reply_reaches_staff_and_every_proposer(world):
    with on(START):
        item = world.draft()
        cosigners = world.confirmed_cosigners(item, 2)
        items.submit(item, by=world.deputy)
        items.receive(item, by=world.staff)
        items.accept(item, by=world.staff)
        handling.assign(item, by=world.staff, lead_units=[world.units[0]])
        assignment = world.lead_assignment(item)
        take(world, assignment)
        answer(world, assignment)
    assert told("reply.sent") == {world.staff}
    assert told("item.replied") == {world.deputy, *cosigners}


def test_dissatisfaction_tells_the_unit_handler_staff_and_the_key_items_leader(world):
    unit = world.units[0]
    with on(START):
        item = world.assigned()
        supervision.mark_key(item, by=world.staff, supervisor=world.supervisor)
        assignment = world.lead_assignment(item)
        take(world, assignment)
        handling.name_handler(assignment, by=world.coord[unit.pk], handler=world.handler[unit.pk])
        answer(world, assignment)
    assert told("key.marked") == {world.supervisor}
    with on(D(2026, 3, 10)):
        handling.evaluate(
            item,
            by=world.deputy,
            attitude="satisfied",
            result="unsatisfied",
            comment="停车位仍未落实",
        )
    assert told("assignment.rehandling") == {world.coord[unit.pk], world.handler[unit.pk]}
    assert told("item.dissatisfied") == {world.staff}
    assert "停车位仍未落实" in message("item.dissatisfied", world.staff)
    assert told("key.dissatisfied") == {world.supervisor}


def test_a_closed_item_tells_its_units_and_proposers(world):
    lead, co = world.units
    with on(START):
        item = world.assigned(lead=[lead], co=[co])
        assignment = world.lead_assignment(item)
        take(world, assignment)
        answer(world, assignment)
    with on(D(2026, 3, 10)):
        handling.evaluate(item, by=world.deputy, attitude="satisfied", result="satisfied")
    assert told("assignment.closed") == {world.coord[lead.pk], world.coord[co.pk]}
    # The proposer closed it by evaluating: nobody is told of their own step.
    assert told("item.closed") == set()
    assert not told("evaluation.expired")


def test_the_end_of_the_evaluation_window_is_the_staffs_notice(world):
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        take(world, assignment)
        answer(world, assignment)
    with on(D(2026, 5, 1)):
        assert handling.close_expired_evaluations() == 1
    assert told("evaluation.expired") == {world.staff}
    assert told("item.closed") == {world.deputy}


def test_staff_corrections_tell_the_units_concerned(world):
    from banli.handling import steering

    lead, co = world.units
    third = world.add_unit("市水务局")
    with on(START):
        item = world.assigned(lead=[lead], co=[co])
        steering.withdraw_assignment(
            item.assignments.get(unit=co), by=world.staff, reason="该事项不涉及交通局"
        )
        steering.add_unit(item, by=world.staff, unit=third, role="co", reason="涉及排水")
        steering.change_due_date(
            world.lead_assignment(item), by=world.staff, due_on=D(2026, 5, 29), reason="提前办结"
        )
    assert told("assignment.withdrawn") == {world.coord[co.pk]}
    assert "该事项不涉及交通局" in message("assignment.withdrawn", world.coord[co.pk])
    assert world.coord[third.pk] in told("assignment.new")
    assert told("assignment.due_changed") == {world.coord[lead.pk]}


# Delivery


def test_every_channel_gets_the_notices_in_the_same_transaction(world):
    seen = []
    channel = channels.register(lambda notices: seen.extend(notices))
    try:
        with on(START):
            item = world.draft()
            with pytest.raises(RuntimeError), transaction.atomic():
                items.submit(item, by=world.deputy)
                assert [n.recipient for n in seen] == [world.staff]
                raise RuntimeError("the request fails after the step")
    finally:
        channels.unregister(channel)
    # The step was undone, and so was its notice: nothing to deliver.
    assert not Notice.objects.exists()


# The notices page


def test_the_header_counts_unread_notices_and_the_page_filters_and_marks_them(client, world):
    with on(START):
        item = world.assigned(lead=[world.units[0]], co=[world.units[1]])
    coord = world.coord[world.units[0].pk]
    client.force_login(coord)
    home = client.get(reverse("notices:list"), HTTP_ACCEPT_LANGUAGE="en")
    assert home.context["unread_notices"] == 1
    page = home.content.decode()
    assert "was assigned to 市住建局" in page
    notice = Notice.objects.get(recipient=coord)

    response = client.get(reverse("notices:open", args=[notice.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("handling:inbox")
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert client.get(reverse("notices:list")).context["unread_notices"] == 0

    filtered = client.get(reverse("notices:list"), {"kind": "item.closed"})
    assert list(filtered.context["notices"]) == []
    assert client.get(reverse("notices:list"), {"kind": "<script>"}).status_code == 200
    assert Notice.objects.filter(item_id=item.pk, kind="assignment.new").count() == 2


def test_mark_all_read_and_another_readers_notice_is_not_found(client, world):
    with on(START):
        world.assigned(lead=[world.units[0]], co=[world.units[1]])
    first, second = (world.coord[u.pk] for u in world.units)
    theirs = Notice.objects.get(recipient=second)
    client.force_login(first)
    assert client.get(reverse("notices:open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notices:read", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notices:read_all")).status_code == 302
    assert not Notice.objects.filter(recipient=first, read_at__isnull=True).exists()
    assert Notice.objects.get(pk=theirs.pk).read_at is None


def test_notices_of_another_body_stay_in_that_body(client, world):
    """A person in two bodies reads each body's notices where they work in it."""
    from banli.bodies.models import Membership

    other = World()
    staff = world.staff
    Membership.objects.create(user=staff, body=other.body, roles=["staff"])
    with on(START):
        item = other.draft()
        items.submit(item, by=other.deputy)
    assert staff in told("item.submitted")
    client.force_login(staff)
    page = client.get(reverse("notices:list"))
    assert list(page.context["notices"]) == []
    session = client.session
    from banli.bodies.middleware import SESSION_KEY

    session[SESSION_KEY] = other.body.pk
    session.save()
    page = client.get(reverse("notices:list"))
    assert [n.item_id for n in page.context["notices"]] == [item.pk]
