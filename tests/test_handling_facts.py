"""The facts the figures are counted from, in columns (docs/domain.md §5.5-§5.7, §6, §7):
each reply's due date and whether it was met, per-unit classes and evaluations, class
changes with actor, reason and source, cross-year marks, and evaluations of merged items."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count, Q

from banli.core.actors import Actor
from banli.core.errors import DeadlinePassed, InvalidTransition, NotAllowed, ValidationFailed
from banli.core.history import record
from banli.core.models import Attachment, HistoryEntry
from banli.handling import services as handling
from banli.handling.models import Evaluation, Reply, ResultClassChange
from banli.items import services as items
from banli.notices.models import Notice

from .factories import make_proposer, on

D = dt.date
START = D(2026, 3, 2)  # a Monday; a lead unit's reply is due 2026-06-02


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def take(world, assignment):
    handling.accept_assignment(assignment, by=world.coord[assignment.unit_id])


def answer(world, assignment, result_class="A"):
    handling.save_reply_draft(
        assignment,
        by=world.handler[assignment.unit_id],
        text="经研究，答复如下……",
        result_class=result_class,
        planned_on=D(2027, 6, 30) if result_class == "B" else None,
    )
    return handling.sign_reply(assignment, by=world.leader[assignment.unit_id])


def history(item, action):
    return HistoryEntry.objects.for_root(item).filter(action=action)


# 按期答复: the due date in force when the reply was signed ----------------------------------


def test_a_reply_keeps_the_due_date_it_was_signed_under(world):
    with on(START):
        late_item, on_time_item = world.assigned(), world.assigned()
    late, punctual = world.lead_assignment(late_item), world.lead_assignment(on_time_item)
    with on(D(2026, 5, 20)):
        take(world, late)
        take(world, punctual)
        asked = handling.request_extension(
            punctual, by=world.coord[punctual.unit_id], until=D(2026, 7, 15), reason="跨部门协调"
        )
        handling.decide_extension(asked, by=world.staff, approve=True)
    with on(D(2026, 6, 10)):
        late_reply, punctual_reply = answer(world, late), answer(world, punctual)
    assert (late_reply.due_on, late_reply.on_time) == (D(2026, 6, 2), False)
    assert (punctual_reply.due_on, punctual_reply.on_time) == (D(2026, 7, 15), True)
    # 按期答复率 from columns: replied on time / replied.
    signed = Reply.objects.filter(signed_at__isnull=False, round=1)
    assert signed.aggregate(on_time=Count("pk", filter=Q(on_time=True)), all=Count("pk")) == {
        "on_time": 1,
        "all": 2,
    }


def test_an_extension_cannot_be_approved_once_the_unit_has_replied(world):
    """Today's bug: a late reply became 'on time' when an extension was approved after it."""
    with on(START):
        item = world.assigned()
    assignment = world.lead_assignment(item)
    with on(D(2026, 5, 28)):
        take(world, assignment)
        asked = handling.request_extension(
            assignment, by=world.coord[assignment.unit_id], until=D(2026, 7, 1), reason="协调"
        )
    with on(D(2026, 6, 5)):
        reply = answer(world, assignment)  # late: due 2026-06-02
        with pytest.raises(InvalidTransition, match="can only be refused"):
            handling.decide_extension(asked, by=world.staff, approve=True)
        # The request is closed by a refusal, which changes nothing for the reply.
        handling.decide_extension(asked, by=world.staff, approve=False, note="已答复")
        # No new request once replied.
        with pytest.raises(InvalidTransition):
            handling.request_extension(
                assignment, by=world.coord[assignment.unit_id], until=D(2026, 7, 1), reason="补"
            )
    reply = fresh(reply)
    assert (reply.due_on, reply.on_time) == (D(2026, 6, 2), False)
    assert fresh(assignment).due_on == D(2026, 6, 2)
    assert not Notice.objects.filter(kind="item.extended").exists()


def test_re_handling_keeps_round_ones_due_date_and_gives_round_two_its_own(world):
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        take(world, assignment)
    with on(D(2026, 4, 1)):
        first = answer(world, assignment, "C")
    with on(D(2026, 4, 10)):
        handling.evaluate(
            item,
            by=world.deputy,
            attitude="satisfied",
            result="unsatisfied",
            comment="问题仍未解决",
        )
    with on(D(2026, 5, 20)):  # re-handling due 2026-05-10: late
        second = answer(world, fresh(assignment), "A")
    first, second = fresh(first), fresh(second)
    assert (first.round, first.due_on, first.on_time) == (1, D(2026, 6, 2), True)
    assert (second.round, second.due_on, second.on_time) == (2, D(2026, 5, 10), False)
    rehandled = history(item, "assignment.rehandle").get()
    assert rehandled.data["months"] == 1


def test_existing_replies_get_the_due_date_in_force_when_signed_from_the_history(world):
    """The data migration: a late reply, then an extension approved after it (the old bug,
    written into the history as the old code did), stays late."""
    from importlib import import_module

    from django.apps import apps

    fill = import_module("banli.handling.migrations.0003_fill_reply_due_facts")
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        take(world, assignment)
    with on(D(2026, 6, 5)):
        reply = answer(world, assignment)
        record(
            assignment,
            "assignment.decide_extension",
            by=world.staff,
            root=item,
            data={"approved": True, "until": "2026-07-01"},
        )
    type(assignment).objects.filter(pk=assignment.pk).update(due_on=D(2026, 7, 1))
    Reply.objects.filter(pk=reply.pk).update(due_on=None, on_time=None, evaluation_due_on=None)
    fill.forwards(apps, None)
    reply = fresh(reply)
    assert (reply.due_on, reply.on_time) == (D(2026, 6, 2), False)
    assert reply.evaluation_due_on == D(2026, 7, 5)


# 分办: several lead units -------------------------------------------------------------------


def split_replied(world, first="A", second="B"):
    with on(START):
        item = world.assigned(lead=world.units[:2])
        one, two = (world.lead_assignment(item, unit) for unit in world.units[:2])
        take(world, one)
        take(world, two)
        answer(world, one, first)
        answer(world, two, second)
    return fresh(item), one, two


def test_the_item_class_is_the_least_resolved_part_and_each_unit_keeps_its_own(world):
    item, one, two = split_replied(world, "A", "B")
    assert item.result_class == "B"
    assert {r.assignment.unit.name: r.result_class for r in Reply.objects.all()} == {
        "市住建局": "A",
        "市交通局": "B",
    }


def test_the_proposer_rates_each_lead_unit_and_only_the_unsatisfying_one_handles_again(world):
    item, one, two = split_replied(world, "A", "C")
    with on(D(2026, 3, 10)):
        with pytest.raises(ValidationFailed, match="every lead unit"):
            handling.evaluate(item, by=world.deputy, parts={one: ("satisfied", "satisfied")})
        handling.evaluate(
            item,
            by=world.deputy,
            comment="交通局的答复不解决问题",
            parts={one: ("satisfied", "satisfied"), two.pk: ("basically_satisfied", "unsatisfied")},
        )
    item = fresh(item)
    assert (item.state, item.reply_round) == ("rehandling", 2)
    assert (fresh(one).state, fresh(two).state) == ("replied", "rehandling")
    # Satisfaction by unit, counted from rows.
    by_unit = dict(
        Evaluation.objects.filter(counts=True).values_list(
            "reply__assignment__unit__name", "result"
        )
    )
    assert by_unit == {"市住建局": "satisfied", "市交通局": "unsatisfied"}
    # Only the unit sent back replies in round 2; the other keeps its round-1 reply.
    with on(D(2026, 3, 20)):
        with pytest.raises(InvalidTransition):
            answer(world, fresh(one), "A")
        answer(world, fresh(two), "B")
    item = fresh(item)
    assert (item.state, item.result_class) == ("replied", "B")
    with on(D(2026, 3, 25)):
        handling.evaluate(item, by=world.deputy, attitude="satisfied", result="satisfied")
    item = fresh(item)
    # The one reply of round 2 is rated alone; the other unit's round-1 rating stands.
    assert (item.state, item.closure) == ("closed", "satisfied")
    last = Evaluation.objects.get(round=2)
    assert last.reply.assignment == two


def test_unsatisfied_without_naming_a_unit_sends_every_lead_unit_back(world):
    item, one, two = split_replied(world)
    with on(D(2026, 3, 10)):
        evaluation = handling.evaluate(
            item,
            by=world.deputy,
            attitude="satisfied",
            result="unsatisfied",
            comment="问题仍未解决",
        )
    assert evaluation.reply is None  # one evaluation for the whole item
    assert (fresh(one).state, fresh(two).state) == ("rehandling", "rehandling")


def test_the_closure_is_the_least_favourable_unit_rating(world):
    item, one, two = split_replied(world)
    with on(D(2026, 3, 10)):
        handling.evaluate(
            item,
            by=world.deputy,
            parts={one: ("satisfied", "satisfied"), two: ("satisfied", "basically_satisfied")},
        )
    assert fresh(item).closure == "basically_satisfied"
    entry = history(item, "item.evaluate_close").get()
    assert entry.data["units"] == {"市住建局": "satisfied", "市交通局": "basically_satisfied"}


# Class changes (办理结果分类) and cross-year items (跨年度) ------------------------------------


def test_a_class_change_names_its_actor_source_and_reply(world):
    item, one, two = split_replied(world, "A", "B")
    (change,) = ResultClassChange.objects.filter(item=item)
    assert (change.from_class, change.to_class, change.source) == ("", "B", "reply")
    # The reply that completed the round, signed by that unit's leader.
    assert change.reply.assignment == two
    assert (change.actor, change.actor_kind) == (world.leader[two.unit_id], "user")


def test_staff_correct_a_class_with_a_reason(world):
    item, *_ = split_replied(world, "A", "B")
    with on(D(2026, 3, 5)):
        with pytest.raises(NotAllowed):
            handling.correct_result_class(item, by=world.deputy, to_class="A", reason="录错")
        with pytest.raises(ValidationFailed):
            handling.correct_result_class(item, by=world.staff, to_class="A", reason=" ")
        change = handling.correct_result_class(
            item, by=world.staff, to_class="A", reason="交通局答复已落实，按A类"
        )
    assert (change.source, change.reason, change.actor) == (
        "correction",
        "交通局答复已落实，按A类",
        world.staff,
    )
    assert fresh(item).result_class == "A"
    assert history(item, "item.correct_class").get().data == {"from": "B", "to": "A"}


def test_a_follow_up_round_records_its_change_through_the_one_writer(world):
    """For the supervision app to come: the source, the round and a system actor."""
    item, *_ = split_replied(world, "B", "B")
    with on(D(2027, 3, 1)):
        change = handling.record_class_change(
            item,
            to_class="A",
            by=Actor.system("follow-up 2027"),
            source="follow_up",
            reason="已建成",
            round_ref="followup:2027",
        )
    assert change is not None
    assert (change.source, change.round_ref, change.actor_kind, change.changed_on) == (
        "follow_up",
        "followup:2027",
        "system",
        D(2027, 3, 1),
    )
    assert fresh(item).result_class == "A"
    assert handling.record_class_change(item, to_class="A", by=None, source="import") is None


def test_cross_year_is_marked_by_staff_with_a_reason(world):
    with on(START):
        item = world.assigned()
        draft = world.draft()
        with pytest.raises(NotAllowed):
            handling.mark_cross_year(item, by=world.deputy, reason="跨年度")
        with pytest.raises(ValidationFailed):
            handling.mark_cross_year(item, by=world.staff, reason="")
        with pytest.raises(InvalidTransition):
            handling.mark_cross_year(draft, by=world.staff, reason="跨年度")
        handling.mark_cross_year(item, by=world.staff, reason="工程需两年完成")
        with pytest.raises(InvalidTransition, match="already"):
            handling.mark_cross_year(item, by=world.staff, reason="再次")
    assert fresh(item).is_cross_year is True
    entry = history(item, "item.mark_cross_year").get()
    assert (entry.actor, entry.reason) == (world.staff, "工程需两年完成")


# Evaluation windows and who evaluates ------------------------------------------------------


def joint_replied(world):
    with on(START):
        item = world.draft()
        items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
        items.confirm_cosign(item, by=world.cosigner)
        items.submit(item, by=world.deputy)
        items.receive(item, by=world.staff)
        items.accept(item, by=world.staff)
        handling.assign(item, by=world.staff, lead_units=[world.units[0]])
        assignment = world.lead_assignment(item)
        take(world, assignment)
        answer(world, assignment)
    return fresh(item), assignment


def test_a_co_signer_evaluates_within_the_window_only(world):
    """Today's bug: a co-signer's evaluation ignored the evaluation window."""
    item, _ = joint_replied(world)  # window until 2026-04-02
    with on(D(2026, 4, 3)):
        assert not handling.may_evaluate(item, world.cosigner)
        with pytest.raises(DeadlinePassed):
            handling.evaluate(item, by=world.cosigner, attitude="satisfied", result="satisfied")
    assert not Evaluation.objects.exists()


def test_a_co_signer_may_still_evaluate_after_the_lead_closed_the_item(world):
    item, _ = joint_replied(world)
    with on(D(2026, 3, 5)):
        handling.evaluate(item, by=world.deputy, attitude="satisfied", result="satisfied")
        assert handling.evaluation_round_for(fresh(item), world.cosigner_member) == 1
        assert handling.may_evaluate(fresh(item), world.cosigner)
        mine = handling.evaluate(
            fresh(item), by=world.cosigner, attitude="satisfied", result="basically_satisfied"
        )
    assert (mine.counts, mine.round, fresh(item).closure) == (False, 1, "satisfied")


def test_a_co_signer_evaluates_round_one_while_the_units_handle_it_again(world):
    item, assignment = joint_replied(world)
    with on(D(2026, 3, 10)):
        handling.evaluate(
            item,
            by=world.deputy,
            attitude="satisfied",
            result="unsatisfied",
            comment="问题仍未解决",
        )
    item = fresh(item)
    assert handling.evaluation_round_for(item, world.cosigner_member) == 1
    assert handling.evaluation_round_for(item, world.member) is None
    # Round 1's window ended on 2026-04-02.
    with on(D(2026, 4, 3)), pytest.raises(DeadlinePassed):
        handling.evaluate(item, by=world.cosigner, attitude="satisfied", result="satisfied")
    with on(D(2026, 3, 20)):
        mine = handling.evaluate(item, by=world.cosigner, attitude="satisfied", result="satisfied")
    assert mine.round == 1


def merged_and_replied(world):
    other, other_member = make_proposer(world.body, "赵代表")
    with on(START):
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
        handling.assign(lead, by=world.staff, lead_units=[world.units[0]])
        assignment = world.lead_assignment(lead)
        take(world, assignment)
        reply = answer(world, assignment, "B")
    return fresh(lead), fresh(merged), other, other_member, reply


def test_a_merged_items_proposer_evaluates_the_lead_reply_for_their_own_item(world):
    lead, merged, other, other_member, reply = merged_and_replied(world)
    # The notice links to their own item, a page they can open.
    notice = Notice.objects.get(recipient=other, kind="item.replied")
    assert notice.item_id == merged.pk
    with on(D(2026, 3, 10)):
        assert handling.may_evaluate(merged, other)
        assert not handling.may_evaluate(lead, other)
        assert handling.awaiting_evaluation(other_member) == [merged]
        evaluation = handling.evaluate(
            merged, by=other, attitude="satisfied", result="basically_satisfied", comment="好"
        )
        with pytest.raises(handling.AlreadyEvaluated):
            handling.evaluate(merged, by=other, attitude="satisfied", result="satisfied")
        assert handling.awaiting_evaluation(other_member) == []
        assert handling.awaiting_evaluation(world.member) == [lead]
    assert (evaluation.item, evaluation.reply, evaluation.counts) == (merged, reply, True)
    # It changes nothing on the lead item, whose own proposer still decides.
    assert (fresh(lead).state, fresh(merged).state) == ("replied", "merged")
    entry = history(merged, "item.merged_evaluate").get()
    assert (entry.actor, entry.data["lead_item"]) == (other, lead.pk)


def test_typed_actors_sign_and_draft(world):
    """An API client acting for the unit leader: the reply names the leader, the history
    the client."""
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        take(world, assignment)
        handling.save_reply_draft(
            assignment, by=world.handler[assignment.unit_id], text="答复", result_class="A"
        )
        client = Actor.api_client(token_name="oa-bridge", user=world.leader[assignment.unit_id])
        reply = handling.sign_reply(assignment, by=client)
    assert reply.signed_by == world.leader[assignment.unit_id]
    entry = history(item, "assignment.sign_reply").get()
    assert (entry.actor_kind, entry.actor_label) == ("api", "oa-bridge")


# One way in for the reply draft -------------------------------------------------------------

PDF = b"%PDF-1.4\n% reply letter\n"


def test_the_reply_draft_and_its_files_are_saved_together_or_not_at_all(world):
    with on(START):
        item = world.assigned()
        assignment = world.lead_assignment(item)
        take(world, assignment)
        good = SimpleUploadedFile("答复函.pdf", PDF, content_type="application/pdf")
        forged = SimpleUploadedFile("照片.pdf", b"not a pdf", content_type="application/pdf")
        with pytest.raises(ValidationFailed):
            handling.save_reply_draft(
                assignment,
                by=world.handler[assignment.unit_id],
                text="答复",
                result_class="A",
                files=[good, forged],
            )
        assert not Reply.objects.exists() and not Attachment.objects.exists()
        good.seek(0)
        reply = handling.save_reply_draft(
            fresh(assignment),
            by=world.handler[assignment.unit_id],
            text="答复",
            result_class="A",
            files=[good],
        )
    assert [a.name for a in Attachment.objects.all()] == ["答复函.pdf"]
    drafted = history(item, "assignment.draft_reply").get()
    assert drafted.data["files"] == ["答复函.pdf"] and reply.drafted_by is not None
