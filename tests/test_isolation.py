"""Every record belongs to one body: people of another body neither read nor act on it, and
within a body each person reads what their place allows (docs/domain.md §9)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from banli.core.errors import NotAllowed, ValidationFailed
from banli.handling import services as handling
from banli.items import services as items
from banli.items.models import Item
from banli.items.permissions import can_read

from .factories import make_proposer, make_user, membership_of, on

DAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _on_a_session_day():
    with on(DAY):
        yield


def visible(user) -> set[Item]:
    return set(Item.objects.visible_to(user))


def everyone(world):
    people = [world.staff, world.supervisor, world.auditor, world.deputy, world.cosigner]
    for unit in world.units:
        people += [world.coord[unit.pk], world.handler[unit.pk], world.leader[unit.pk]]
    return people


# Across bodies


def test_people_of_another_body_read_nothing_of_this_one(world, other_world):
    public = world.accepted(is_public=True)
    assigned = world.assigned()
    draft = world.draft()
    theirs = other_world.accepted(is_public=True)
    for user in everyone(other_world):
        seen = visible(user)
        assert not seen & {public, assigned, draft}, membership_of(user).roles
        assert not can_read(user, public)
    assert theirs in visible(other_world.deputy)


def test_staff_of_another_body_cannot_review_or_assign(world, other_world):
    submitted = world.draft()
    items.submit(submitted, by=world.deputy)
    with pytest.raises(NotAllowed):
        items.receive(submitted, by=other_world.staff)
    items.receive(submitted, by=world.staff)
    for refuse in (items.accept, items.convert_to_suggestion):
        with pytest.raises(NotAllowed):
            refuse(submitted, by=other_world.staff)
    with pytest.raises(NotAllowed):
        items.reject(submitted, by=other_world.staff, reason="越权")
    accepted = world.accepted()
    with pytest.raises(NotAllowed):
        handling.assign(accepted, by=other_world.staff, lead_units=[world.units[0]])
    assert Item.objects.get(pk=accepted.pk).state == "accepted"


def test_a_deputy_of_another_body_cannot_write_into_this_one(world, other_world):
    with pytest.raises(NotAllowed, match="own body"):
        items.create_draft(
            by=other_world.deputy, session=world.session, kind="suggestion", title="t", text="x"
        )
    item = world.draft()
    with pytest.raises(NotAllowed):
        items.edit_draft(item, by=other_world.deputy, title="t", text="x")
    with pytest.raises(NotAllowed):
        items.submit(item, by=other_world.staff)


def test_units_of_another_body_cannot_act_on_its_assignments(world, other_world):
    item = world.assigned()
    assignment = world.lead_assignment(item)
    their_unit = other_world.units[0]
    for user in (
        other_world.coord[their_unit.pk],
        other_world.leader[their_unit.pk],
        other_world.staff,
    ):
        with pytest.raises(NotAllowed):
            handling.accept_assignment(assignment, by=user)
        with pytest.raises(NotAllowed):
            handling.dispute(assignment, by=user, reason="不是我们的")
    handling.dispute(assignment, by=world.coord[assignment.unit_id], reason="非本单位")
    with pytest.raises(NotAllowed):
        handling.reassign(assignment, by=other_world.staff, to_unit=world.units[1])
    with pytest.raises(ValidationFailed, match="not a unit of this body"):
        handling.reassign(assignment, by=world.staff, to_unit=their_unit)


def test_handling_steps_refuse_the_other_bodys_people(world, other_world):
    item = world.assigned()
    assignment = world.lead_assignment(item)
    handling.accept_assignment(assignment, by=world.coord[assignment.unit_id])
    unit = other_world.units[0]
    with pytest.raises(ValidationFailed, match="person of this unit"):
        handling.name_handler(
            assignment, by=world.coord[assignment.unit_id], handler=other_world.handler[unit.pk]
        )
    with pytest.raises(NotAllowed):
        handling.log_contact(
            assignment, by=other_world.handler[unit.pk], stage="before", method="phone", on=DAY
        )
    with pytest.raises(NotAllowed):
        handling.draft_reply(
            assignment, by=other_world.handler[unit.pk], text="答复", result_class="A"
        )
    extension = handling.request_extension(
        assignment, by=world.coord[assignment.unit_id], until=dt.date(2026, 8, 1), reason="协调"
    )
    with pytest.raises(NotAllowed):
        handling.decide_extension(extension, by=other_world.staff, approve=True)
    handling.draft_reply(
        assignment, by=world.handler[assignment.unit_id], text="答复", result_class="A"
    )
    with pytest.raises(NotAllowed):
        handling.sign_reply(assignment, by=other_world.leader[unit.pk])
    handling.sign_reply(assignment, by=world.leader[assignment.unit_id])
    with pytest.raises(NotAllowed):
        handling.evaluate(item, by=other_world.deputy, attitude="satisfied", result="satisfied")
    with pytest.raises(NotAllowed):
        handling.close_unevaluated(item, by=other_world.staff)


def test_assign_to_a_unit_of_another_body_is_refused(world, other_world):
    item = world.accepted()
    with pytest.raises(ValidationFailed, match="not a unit of this body"):
        handling.assign(
            item, by=world.staff, lead_units=[world.units[0]], co_units=[other_world.units[0]]
        )


# Within a body


def test_a_non_public_item_is_read_by_its_signers_not_by_other_deputies(world):
    item = world.draft()
    items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    other, _ = make_proposer(world.body, "赵代表")
    # The invitee reads the invitation (its own page), not the case file, until confirming.
    assert item not in visible(world.cosigner)
    assert item in visible(world.deputy)
    assert item not in visible(other)
    items.confirm_cosign(item, by=world.cosigner)
    assert item in visible(world.cosigner)
    items.submit(item, by=world.deputy)
    items.receive(item, by=world.staff)
    items.accept(item, by=world.staff)
    assert item in visible(world.cosigner)
    assert item not in visible(other)
    assert not can_read(other, item)


def test_a_public_accepted_item_is_read_by_the_whole_body(world):
    public = world.accepted(is_public=True)
    public_draft = world.draft(is_public=True)
    rejected = world.draft(is_public=True)
    items.submit(rejected, by=world.deputy)
    items.receive(rejected, by=world.staff)
    items.reject(rejected, by=world.staff, reason="不予立案")
    other, _ = make_proposer(world.body, "赵代表")
    unit_user = world.handler[world.units[1].pk]
    for user in (other, unit_user):
        seen = visible(user)
        assert public in seen
        # A public flag publishes nothing before acceptance.
        assert public_draft not in seen
        assert rejected not in seen


def test_a_unit_sees_only_what_it_was_given(world):
    housing, transport = world.units
    mine = world.assigned(lead=[housing])
    co_only = world.assigned(lead=[transport], co=[housing])
    theirs = world.assigned(lead=[transport])
    not_yet = world.accepted()
    for role in (world.coord, world.handler, world.leader):
        assert visible(role[housing.pk]) == {mine, co_only}
        assert visible(role[transport.pk]) == {co_only, theirs}
    assert not_yet not in visible(world.coord[housing.pk])


def test_a_unit_role_without_a_unit_sees_only_public_items(world):
    loose = make_user(world.body, "unit_coordinator")
    assigned = world.assigned()
    public = world.accepted(is_public=True)
    assert visible(loose) == {public}
    assert assigned not in visible(loose)


def test_body_wide_readers_read_every_record_of_their_body(world, other_world):
    records = {world.accepted(), world.assigned()}
    draft = world.draft()  # a proposer's draft is theirs alone (test_privacy.py)
    for user in (world.staff, world.auditor, world.supervisor):
        assert visible(user) == records
        assert draft not in visible(user)
    assert not visible(other_world.auditor) & records


def test_an_evaluator_reads_accepted_items_only(world):
    evaluator = make_user(world.body, "evaluator")
    draft = world.draft()
    accepted = world.accepted()
    assert visible(evaluator) == {accepted}
    assert draft not in visible(evaluator)


def test_anonymous_and_profileless_users_read_nothing(world):
    world.accepted(is_public=True)
    assert visible(AnonymousUser()) == set()
    bare = get_user_model().objects.create_user(username="bare", password="pw-banli-2026")
    assert visible(bare) == set()


def test_a_deactivated_account_acts_no_more(world):
    item = world.draft()
    world.deputy.is_active = False
    world.deputy.save()
    with pytest.raises(NotAllowed):
        items.submit(item, by=world.deputy)
