"""Drafting, co-signing, submission and review: the rules of docs/domain.md (items, lifecycle)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from banli.bodies.models import BodyType, Level, MemberType, SessionPeriod
from banli.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from banli.core.models import HistoryEntry
from banli.items import services as items
from banli.items.models import Item, Kind
from banli.items.workflow import ItemState

from .factories import World, make_member, make_proposer, make_session, membership_of, on

DAY = dt.date(2026, 3, 2)
PAPER = "据纸质原件录入"


@pytest.fixture(autouse=True)
def _on_a_session_day():
    with on(DAY):
        yield


def reviewed(world, **kw) -> Item:
    item = world.draft(**kw)
    items.submit(item, by=world.deputy)
    items.receive(item, by=world.staff)
    return item


def last_entry(item) -> HistoryEntry:
    return HistoryEntry.objects.for_target(item).order_by("id").last()


# Drafting


def test_a_deputy_drafts_a_suggestion(world):
    item = world.draft()
    assert (item.state, item.kind, item.proposer) == ("draft", "suggestion", world.member)
    assert item.number is None
    entry = last_entry(item)
    assert (entry.action, entry.from_state, entry.to_state, entry.actor) == (
        "item.create",
        "",
        "draft",
        world.deputy,
    )


def test_staff_enter_an_item_for_a_deputy(world):
    item = world.draft(by=world.staff, source_note=PAPER, proposer=world.member)
    assert item.proposer == world.member
    assert item.created_by == world.staff


def test_a_deputy_cannot_write_in_another_deputys_name(world):
    with pytest.raises(NotAllowed):
        world.draft(by=world.cosigner, proposer=world.member)


def test_a_unit_user_cannot_draft(world):
    with pytest.raises(NotAllowed, match="Only a deputy or member"):
        world.draft(by=world.coord[world.units[0].pk])


def test_title_and_text_are_required(world):
    with pytest.raises(ValidationFailed, match="title is required"):
        world.draft(title="  ")
    with pytest.raises(ValidationFailed, match="text is required"):
        world.draft(text="")
    with pytest.raises(ValidationFailed, match="too long"):
        world.draft(title="长" * 201)


def test_a_category_of_another_body_is_refused(world, other_world):
    with pytest.raises(ValidationFailed, match="another body"):
        world.draft(category=other_world.category)


def test_edit_a_draft_and_after_return(world):
    item = world.draft()
    items.edit_draft(
        item, by=world.deputy, title="新标题", text="新的正文", category=world.category
    )
    assert Item.objects.get(pk=item.pk).title == "新标题"
    with pytest.raises(NotAllowed):
        items.edit_draft(item, by=world.cosigner, title="x", text="y")
    items.submit(item, by=world.deputy)
    with pytest.raises(InvalidTransition):
        items.edit_draft(item, by=world.deputy, title="x", text="y")


# Kinds and proposer types


def test_a_congress_takes_motions_and_suggestions_not_proposals(world):
    assert world.draft(kind=Kind.MOTION).kind == "motion"
    with pytest.raises(ValidationFailed, match="does not take items of this kind"):
        world.draft(kind=Kind.PROPOSAL)


def test_a_cppcc_takes_proposals_only(cppcc):
    assert cppcc.draft().kind == "proposal"
    for kind in (Kind.MOTION, Kind.SUGGESTION):
        with pytest.raises(ValidationFailed, match="does not take items of this kind"):
            cppcc.draft(kind=kind)


@pytest.mark.parametrize(
    "member_type, kind, allowed",
    [
        (MemberType.DELEGATION, Kind.MOTION, True),
        (MemberType.PRESIDIUM, Kind.MOTION, True),
        (MemberType.COMMITTEE, Kind.MOTION, True),
        (MemberType.DELEGATION, Kind.SUGGESTION, True),
        (MemberType.PRESIDIUM, Kind.SUGGESTION, False),
        (MemberType.COMMITTEE, Kind.SUGGESTION, False),
        (MemberType.CPPCC_MEMBER, Kind.SUGGESTION, False),
        (MemberType.PARTY, Kind.MOTION, False),
    ],
)
def test_who_may_propose_in_a_congress(world, member_type, kind, allowed):
    group = make_member(world.body, "提出方", member_type=member_type)
    if allowed:
        assert (
            world.draft(by=world.staff, source_note=PAPER, proposer=group, kind=kind).proposer
            == group
        )
    else:
        with pytest.raises(ValidationFailed, match="cannot propose"):
            world.draft(by=world.staff, source_note=PAPER, proposer=group, kind=kind)


@pytest.mark.parametrize(
    "member_type, allowed",
    [
        (MemberType.CPPCC_MEMBER, True),
        (MemberType.PARTY, True),
        (MemberType.SECTOR, True),
        (MemberType.ORGANISATION, True),
        (MemberType.COMMITTEE, True),
        (MemberType.DEPUTY, False),
        (MemberType.DELEGATION, False),
    ],
)
def test_who_may_propose_in_a_cppcc(cppcc, member_type, allowed):
    proposer = make_member(cppcc.body, "提出方", member_type=member_type)
    if allowed:
        assert (
            cppcc.draft(by=cppcc.staff, source_note=PAPER, proposer=proposer).proposer == proposer
        )
    else:
        with pytest.raises(ValidationFailed, match="cannot propose"):
            cppcc.draft(by=cppcc.staff, source_note=PAPER, proposer=proposer)


def test_a_proposer_of_another_body_is_refused(world, other_world):
    with pytest.raises(ValidationFailed, match="another body"):
        world.draft(by=world.staff, source_note=PAPER, proposer=other_world.member)


# Co-signing


def test_co_signers_confirm_in_person(world):
    item = world.draft()
    (invitation,) = items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    assert invitation.status == "pending"
    assert item.signers() == [world.member]
    items.confirm_cosign(item, by=world.cosigner)
    assert item.signers() == [world.member, world.cosigner_member]
    actions = list(HistoryEntry.objects.for_target(item).values_list("action", flat=True))
    assert actions == ["item.create", "item.invite_cosigners", "item.confirm_cosign"]


def test_only_the_invited_confirm(world):
    item = world.draft()
    items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    stranger, _ = make_proposer(world.body)
    with pytest.raises(NotAllowed):
        items.confirm_cosign(item, by=stranger)
    with pytest.raises(NotAllowed):
        items.invite_cosigners(item, by=world.cosigner, members=[membership_of(stranger).member])


def test_who_can_be_invited(world, other_world):
    item = world.draft()
    delegation = make_member(world.body, "某代表团", member_type=MemberType.DELEGATION)
    with pytest.raises(ValidationFailed, match="individual"):
        items.invite_cosigners(item, by=world.deputy, members=[delegation])
    with pytest.raises(ValidationFailed, match="another body"):
        items.invite_cosigners(item, by=world.deputy, members=[other_world.member])
    with pytest.raises(ValidationFailed, match="own item"):
        items.invite_cosigners(item, by=world.deputy, members=[world.member])
    items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    with pytest.raises(ValidationFailed, match="Nobody new"):
        items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])


def test_a_pending_invitation_blocks_submission(world):
    item = world.draft()
    items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    with pytest.raises(ValidationFailed, match="1 invited co-signers have not answered"):
        items.submit(item, by=world.deputy)
    assert Item.objects.get(pk=item.pk).state == "draft"
    items.decline_cosign(item, by=world.cosigner, reason="不熟悉该领域")
    items.submit(item, by=world.deputy)
    assert item.state == "submitted"
    assert item.signers() == [world.member]


# Motions: thresholds and the session


def joint_motion(world, confirmed: int) -> Item:
    item = world.draft(kind=Kind.MOTION, title="关于制定养老服务条例的议案")
    world.confirmed_cosigners(item, confirmed)
    return item


@pytest.mark.parametrize(
    "level, needed",
    [
        (Level.CITY, 10),
        (Level.COUNTY, 10),
        (Level.PROVINCIAL, 10),
        (Level.TOWNSHIP, 5),
        (Level.NATIONAL, 30),
    ],
)
def test_joint_motion_threshold_by_level(db, level, needed):
    world = World(level=level)
    short = joint_motion(world, needed - 2)
    with pytest.raises(ValidationFailed) as refused:
        items.submit(short, by=world.deputy)
    assert str(refused.value) == (
        f"A joint motion needs at least {needed} deputies; it has {needed - 1} "
        "(the lead proposer and confirmed co-signers)."
    )
    assert Item.objects.get(pk=short.pk).state == "draft"
    enough = joint_motion(world, needed - 1)
    items.submit(enough, by=world.deputy)
    assert enough.state == "submitted"


def test_a_body_sets_its_own_threshold(db):
    world = World(motion_min_signers=3)
    item = joint_motion(world, 1)
    with pytest.raises(ValidationFailed, match="at least 3 deputies; it has 2"):
        items.submit(item, by=world.deputy)
    world.confirmed_cosigners(item, 1)
    items.submit(item, by=world.deputy)
    assert item.state == "submitted"


def test_declined_co_signers_do_not_count(db):
    world = World(motion_min_signers=2)
    item = world.draft(kind=Kind.MOTION)
    items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    items.decline_cosign(item, by=world.cosigner)
    with pytest.raises(ValidationFailed, match="it has 1"):
        items.submit(item, by=world.deputy)


@pytest.mark.parametrize("group", [MemberType.DELEGATION, MemberType.PRESIDIUM])
def test_a_delegation_or_the_presidium_needs_no_co_signers(world, group):
    proposer = make_member(world.body, "代表团", member_type=group)
    item = world.draft(by=world.staff, source_note=PAPER, proposer=proposer, kind=Kind.MOTION)
    items.submit(item, by=world.staff)
    assert item.state == "submitted"


def test_motions_only_during_a_plenary_session(world):
    interim = make_session(world.body, period=SessionPeriod.INTERIM)
    delegation = make_member(world.body, "代表团", member_type=MemberType.DELEGATION)
    motion = items.create_draft(
        by=world.staff,
        session=interim,
        kind=Kind.MOTION,
        title="议案",
        text="正文",
        proposer=delegation,
        source_note=PAPER,
    )
    with pytest.raises(ValidationFailed, match="only be submitted during a session"):
        items.submit(motion, by=world.staff)
    suggestion = items.create_draft(
        by=world.deputy, session=interim, kind=Kind.SUGGESTION, title="建议", text="正文"
    )
    items.submit(suggestion, by=world.deputy)
    assert suggestion.state == "submitted"


# Review


def test_submit_receive_accept_gives_the_first_number(world):
    item = reviewed(world)
    assert item.state == "under_review"
    items.accept(item, by=world.staff)
    item.refresh_from_db()
    assert (item.state, item.number, item.accepted_on) == ("accepted", 1, DAY)
    assert last_entry(item).data == {"number": 1}


def test_numbers_are_sequential_per_body_session_and_kind(world, other_world):
    suggestions = [world.accepted() for _ in range(3)]
    assert [i.number for i in suggestions] == [1, 2, 3]
    delegation = make_member(world.body, "代表团", member_type=MemberType.DELEGATION)
    motion = world.draft(by=world.staff, source_note=PAPER, proposer=delegation, kind=Kind.MOTION)
    items.submit(motion, by=world.staff)
    items.receive(motion, by=world.staff)
    items.accept(motion, by=world.staff)
    assert motion.number == 1
    later = make_session(world.body, period=SessionPeriod.INTERIM)
    between = items.create_draft(
        by=world.deputy, session=later, kind=Kind.SUGGESTION, title="建议", text="正文"
    )
    items.submit(between, by=world.deputy)
    items.receive(between, by=world.staff)
    items.accept(between, by=world.staff, category=world.category)
    assert between.number == 1
    assert other_world.accepted().number == 1
    assert world.accepted().number == 4


def test_a_refused_or_merged_item_takes_no_number(world):
    first = reviewed(world)
    items.reject(first, by=world.staff, reason="不属于本级人大职权范围")
    second = reviewed(world)
    lead = reviewed(world)
    items.merge(second, by=world.staff, into=lead)
    items.accept(lead, by=world.staff)
    assert (first.number, second.number, lead.number) == (None, None, 1)


def test_accept_needs_a_category_where_the_body_has_them(world):
    item = reviewed(world, category=None)
    with pytest.raises(ValidationFailed, match="category"):
        items.accept(item, by=world.staff)
    items.accept(item, by=world.staff, category=world.category, is_public=True)
    assert (item.category, item.is_public) == (world.category, True)


def test_only_staff_review(world):
    item = world.draft()
    items.submit(item, by=world.deputy)
    for user in (world.deputy, world.supervisor, world.leader[world.units[0].pk]):
        with pytest.raises(NotAllowed):
            items.receive(item, by=user)
    items.receive(item, by=world.staff)
    with pytest.raises(NotAllowed):
        items.accept(item, by=world.deputy)


@pytest.mark.parametrize("refuse", [items.reject, items.return_for_revision])
def test_reject_and_return_need_a_reason(world, refuse):
    item = reviewed(world)
    with pytest.raises(ValidationFailed, match="reason"):
        refuse(item, by=world.staff, reason="   ")
    assert Item.objects.get(pk=item.pk).state == "under_review"
    refuse(item, by=world.staff, reason="内容空泛，无具体建议")
    entry = last_entry(item)
    assert entry.reason == "内容空泛，无具体建议"
    assert entry.to_state == item.state


def test_a_returned_item_is_revised_and_submitted_again(world):
    item = reviewed(world)
    items.return_for_revision(item, by=world.staff, reason="请补充具体措施")
    assert item.state == "returned"
    items.edit_draft(item, by=world.deputy, title=item.title, text="补充：建议增设立体车库。")
    items.submit(item, by=world.deputy)
    assert item.state == "submitted"


def test_a_rejected_item_stays_readable_and_ends(world):
    item = reviewed(world)
    items.reject(item, by=world.staff, reason="属于诉讼中的事项")
    assert Item.objects.visible_to(world.deputy).filter(pk=item.pk).exists()
    with pytest.raises(InvalidTransition):
        items.accept(item, by=world.staff)
    with pytest.raises(InvalidTransition):
        items.submit(item, by=world.deputy)


def test_withdraw_by_the_lead_proposer_before_review(world):
    item = world.draft()
    items.submit(item, by=world.deputy)
    with pytest.raises(NotAllowed):
        items.withdraw(item, by=world.staff)
    items.withdraw(item, by=world.deputy, reason="问题已解决")
    assert item.state == "withdrawn"
    under_review = reviewed(world)
    with pytest.raises(InvalidTransition):
        items.withdraw(under_review, by=world.deputy)


def test_actions_are_never_silent_no_ops(world):
    item = reviewed(world)
    with pytest.raises(InvalidTransition):
        items.receive(item, by=world.staff)
    items.accept(item, by=world.staff)
    with pytest.raises(InvalidTransition):
        items.accept(item, by=world.staff)
    assert Item.objects.get(pk=item.pk).number == 1


# Merge and conversion


def test_merge_into_a_lead_item(world):
    other, _ = make_proposer(world.body, "赵代表")
    merged = items.create_draft(
        by=other, session=world.session, kind=Kind.SUGGESTION, title="停车难", text="同上"
    )
    items.submit(merged, by=other)
    items.receive(merged, by=world.staff)
    lead = world.accepted()
    items.merge(merged, by=world.staff, into=lead, reason="内容相近，并案办理")
    merged.refresh_from_db()
    assert (merged.state, merged.merged_into) == ("merged", lead)
    entry = last_entry(merged)
    assert (entry.action, entry.reason, entry.data["into"]) == (
        "item.merge",
        "内容相近，并案办理",
        lead.pk,
    )
    assert list(lead.merged_items.all()) == [merged]


def test_what_cannot_be_merged(world):
    item = reviewed(world)
    with pytest.raises(ValidationFailed, match="itself"):
        items.merge(item, by=world.staff, into=item)
    delegation = make_member(world.body, "代表团", member_type=MemberType.DELEGATION)
    motion = world.draft(by=world.staff, source_note=PAPER, proposer=delegation, kind=Kind.MOTION)
    with pytest.raises(ValidationFailed, match="same body and kind"):
        items.merge(item, by=world.staff, into=motion)
    closed = reviewed(world)
    items.reject(closed, by=world.staff, reason="重复")
    with pytest.raises(ValidationFailed, match="not open for merging"):
        items.merge(item, by=world.staff, into=closed)
    lead = reviewed(world)
    items.merge(item, by=world.staff, into=lead)
    third = reviewed(world)
    with pytest.raises(ValidationFailed, match="merge them first"):
        items.merge(lead, by=world.staff, into=third)
    with pytest.raises(NotAllowed):
        items.merge(third, by=world.deputy, into=lead)


def test_merge_across_bodies_is_refused(world, other_world):
    item = reviewed(world)
    with pytest.raises(ValidationFailed):
        items.merge(item, by=world.staff, into=other_world.accepted())


def test_convert_a_motion_to_a_suggestion_and_number_it_as_one(world):
    world.accepted()
    delegation = make_member(world.body, "代表团", member_type=MemberType.DELEGATION)
    motion = world.draft(by=world.staff, source_note=PAPER, proposer=delegation, kind=Kind.MOTION)
    items.submit(motion, by=world.staff)
    items.receive(motion, by=world.staff)
    items.convert_to_suggestion(motion, by=world.staff, reason="未列入会议议程")
    motion.refresh_from_db()
    assert (motion.kind, motion.converted_from_motion, motion.state) == (
        "suggestion",
        True,
        "under_review",
    )
    entry = last_entry(motion)
    assert (entry.action, entry.data, entry.from_state, entry.to_state) == (
        "item.convert",
        {"from": "motion", "to": "suggestion"},
        "under_review",
        "under_review",
    )
    items.accept(motion, by=world.staff)
    assert motion.number == 2  # after suggestion No. 1


def test_only_a_motion_is_converted(world):
    item = reviewed(world)
    with pytest.raises(InvalidTransition, match="Only a motion"):
        items.convert_to_suggestion(item, by=world.staff)
    assert Item.objects.get(pk=item.pk).kind == "suggestion"


# Messages


def test_refusals_speak_the_users_language(world, zh_catalog):
    zh_catalog(
        {
            "submit": "提交",
            "You are not allowed to %(action)s.": "您无权%(action)s。",
            "Cannot %(action)s: not possible in this state.": "无法%(action)s：当前状态不允许。",
            "A joint motion needs at least %(needed)s deputies; it has %(count)s "
            "(the lead proposer and confirmed co-signers).": "联名议案须有%(needed)s名以上代表"
            "（现有%(count)s名）。",
        }
    )
    item = world.draft()
    with translation.override("zh-hans"):
        with pytest.raises(NotAllowed) as not_allowed:
            items.submit(item, by=world.cosigner)
        items.submit(item, by=world.deputy)
        with pytest.raises(InvalidTransition) as invalid:
            items.submit(item, by=world.deputy)
        motion = joint_motion(world, 2)
        with pytest.raises(ValidationFailed) as threshold:
            items.submit(motion, by=world.deputy)
    assert str(not_allowed.value) == "您无权提交。"
    assert str(invalid.value) == "无法提交：当前状态不允许。"
    assert str(threshold.value) == "联名议案须有10名以上代表（现有3名）。"
    with (
        translation.override("en"),
        pytest.raises(NotAllowed, match="You are not allowed to submit."),
    ):
        items.submit(motion, by=world.cosigner)


def test_a_user_without_a_profile_cannot_act(world):
    nobody = get_user_model().objects.create_user(username="nobody", password="pw-banli-2026")
    item = world.draft()
    with pytest.raises(NotAllowed):
        items.submit(item, by=nobody)


def test_cppcc_proposal_review(cppcc):
    item = cppcc.draft()
    items.submit(item, by=cppcc.deputy)
    items.receive(item, by=cppcc.staff)
    ground = "属于学术研究探讨的"
    items.reject(item, by=cppcc.staff, ground=ground, reason="属于学术争鸣问题")
    assert item.state == ItemState.REJECTED
    assert cppcc.body.body_type == BodyType.CPPCC
    assert (item.refusal.ground, item.refusal.explanation) == (ground, "属于学术争鸣问题")
