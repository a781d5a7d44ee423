"""A body's configuration changes only through its services: each change is validated as a
whole and leaves one history entry with the old and the new values."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from banli.bodies import services
from banli.bodies.models import BodyRules, Member, Membership, Unit
from banli.core.errors import NotAllowed
from banli.core.models import HistoryEntry

from .factories import World, make_body, make_user, membership_of


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", "root@example.org", "pw-banli-2026")


def entries(obj, action):
    return HistoryEntry.objects.for_target(obj).filter(action=action)


# --- rules -----------------------------------------------------------------------------------


def test_a_rule_change_is_recorded_with_old_and_new_values(world, root):
    rules = services.change_rules(world.body, by=root, reply_months=2, co_opinion_months=1)
    assert BodyRules.objects.get(body=world.body).reply_months == 2
    entry = entries(rules, "rules.change").get()
    assert entry.actor == root
    assert entry.root_id == world.body.pk
    # Only what changed: co_opinion_months was already 1.
    assert entry.data == {"before": {"reply_months": 3}, "after": {"reply_months": 2}}


def test_saving_the_same_rules_again_writes_no_entry(world, root):
    services.change_rules(world.body, by=root, reply_months=3)
    assert not HistoryEntry.objects.filter(action="rules.change").exists()


def test_a_body_without_saved_rules_starts_from_the_defaults(db, root):
    body = make_body()
    BodyRules.objects.filter(body=body).delete()
    rules = services.change_rules(body, by=root, result_classes=["A", "B", "C", "D"])
    assert rules.pk and rules.result_classes == ["A", "B", "C", "D"]
    assert entries(rules, "rules.change").get().data == {
        "before": {"result_classes": ["A", "B", "C"]},
        "after": {"result_classes": ["A", "B", "C", "D"]},
    }


def test_the_planned_date_class_must_be_one_of_the_classes(world, root):
    with pytest.raises(services.InvalidSettings) as refused:
        services.change_rules(world.body, by=root, result_classes=["甲", "乙", "丙"])
    assert "planned_class" in refused.value.errors
    assert "甲, 乙, 丙" in str(refused.value)
    assert world.body.rules.result_classes == ["A", "B", "C"]

    services.change_rules(
        world.body, by=root, result_classes=["甲", "乙", "丙"], planned_class="乙"
    )
    rules = BodyRules.objects.get(body=world.body)
    assert (rules.result_classes, rules.planned_class) == (["甲", "乙", "丙"], "乙")


@pytest.mark.parametrize(
    "values, field",
    [
        ({"reply_months": 0}, "reply_months"),
        ({"dispute_working_days": 0}, "dispute_working_days"),
        ({"evaluation_months": 0}, "evaluation_months"),
        ({"complex_reply_months": 2}, "complex_reply_months"),
        ({"max_reply_months": 5}, "max_reply_months"),
        ({"co_opinion_months": 4}, "co_opinion_months"),
        ({"result_classes": []}, "result_classes"),
        ({"result_classes": ["A", "A"], "planned_class": "A"}, "result_classes"),
        ({"plenary_number_format": "第号"}, "plenary_number_format"),
        ({"interim_number_format": "闭会{n}号"}, "interim_number_format"),
    ],
)
def test_periods_are_positive_and_ordered(world, root, values, field):
    with pytest.raises(services.InvalidSettings) as refused:
        services.change_rules(world.body, by=root, **values)
    assert field in refused.value.errors
    assert not HistoryEntry.objects.filter(action="rules.change").exists()


def test_longer_periods_in_order_are_accepted(world, root):
    services.change_rules(
        world.body, by=root, reply_months=4, complex_reply_months=6, max_reply_months=8
    )
    assert BodyRules.objects.get(body=world.body).max_reply_months == 8


def test_a_cppcc_body_keeps_grounds_for_refusal(cppcc, world, root):
    assert len(cppcc.body.rules.refusal_grounds) == 10
    with pytest.raises(services.InvalidSettings) as refused:
        services.change_rules(cppcc.body, by=root, refusal_grounds=[])
    assert "refusal_grounds" in refused.value.errors
    services.change_rules(cppcc.body, by=root, refusal_grounds=["内容空泛、没有具体建议的"])
    # A congress does not refuse on grounds: an empty list is fine there.
    services.change_rules(world.body, by=root, refusal_grounds=[])


def test_only_administrators_change_rules(world):
    with pytest.raises(NotAllowed):
        services.change_rules(world.body, by=world.staff, reply_months=2)
    assert world.body.rules.reply_months == 3


# --- memberships ----------------------------------------------------------------------------


def test_granting_and_changing_roles_is_recorded(world, root):
    user = get_user_model().objects.create_user("zhao")
    membership = services.grant_membership(user, world.body, by=root, roles=["staff"])
    granted = entries(membership, "membership.create").get()
    assert granted.root_id == world.body.pk
    assert granted.data["after"]["roles"] == ["staff"]

    services.change_membership(membership, by=root, roles=["auditor", "staff"])
    changed = entries(membership, "membership.change").get()
    assert changed.actor == root
    assert changed.data == {
        "before": {"roles": ["staff"]},
        "after": {"roles": ["staff", "auditor"]},
    }


def test_a_stale_copy_changes_only_what_it_was_asked_to(world, root):
    mine = membership_of(world.staff)
    yours = Membership.objects.get(pk=mine.pk)
    services.change_membership(mine, by=root, phone="13800000000")
    services.change_membership(yours, by=root, roles=["staff", "auditor"])
    current = Membership.objects.get(pk=mine.pk)
    assert (current.phone, current.roles) == ("13800000000", ["staff", "auditor"])


def test_a_membership_stays_inside_its_body(world, other_world, root):
    membership = membership_of(world.staff)
    with pytest.raises(services.InvalidSettings) as refused:
        services.change_membership(
            membership, by=root, roles=["unit_handler"], unit=other_world.units[0]
        )
    assert "unit" in refused.value.errors
    assert Membership.objects.get(pk=membership.pk).roles == ["staff"]
    with pytest.raises(services.InvalidSettings):
        services.change_membership(membership, by=root, roles=["chair"])


def test_one_membership_per_body(world, root):
    with pytest.raises(services.InvalidSettings):
        services.grant_membership(world.staff, world.body, by=root, roles=["auditor"])


def test_a_proposer_role_needs_the_member(world, root):
    user = get_user_model().objects.create_user("qian")
    with pytest.raises(services.InvalidSettings) as refused:
        services.grant_membership(user, world.body, by=root, roles=["proposer"])
    assert "member" in refused.value.errors


def test_body_staff_cannot_grant_themselves_roles(world):
    with pytest.raises(NotAllowed):
        services.change_membership(
            membership_of(world.staff), by=world.staff, roles=["staff", "auditor"]
        )


# --- units, members, accounts ---------------------------------------------------------------


def test_units_are_created_and_changed_on_the_record(world, root):
    unit = services.save_unit(Unit(body=world.body), by=root, name="市水务局")
    assert entries(unit, "unit.create").get().data["after"]["name"] == "市水务局"
    services.save_unit(unit, by=root, contact_phone="0571-1234", active=False)
    assert entries(unit, "unit.change").get().data == {
        "before": {"contact_phone": "", "active": True},
        "after": {"contact_phone": "0571-1234", "active": False},
    }


def test_a_unit_stays_in_its_body_and_out_of_its_own_tree(world, other_world, root):
    child = services.save_unit(
        Unit(body=world.body), by=root, name="下属单位", parent=world.units[0]
    )
    with pytest.raises(services.InvalidSettings):
        services.save_unit(world.units[0], by=root, parent=child)
    with pytest.raises(services.InvalidSettings):
        services.save_unit(child, by=root, parent=other_world.units[0])
    with pytest.raises(services.InvalidSettings):
        services.save_unit(Unit(body=world.body), by=root, name="市住建局")  # taken


def test_members_are_recorded(world, root):
    member = services.save_member(
        Member(body=world.body), by=root, name="孙代表", member_type="deputy"
    )
    services.save_member(member, by=root, delegation="西湖区代表团")
    assert entries(member, "member.change").get().data == {
        "before": {"delegation": ""},
        "after": {"delegation": "西湖区代表团"},
    }


def test_account_flags_are_recorded_on_the_account_but_never_its_password(world, root):
    group = Group.objects.create(name="office")
    services.save_account(world.staff, by=root, is_staff=True, groups=[group])
    entry = entries(world.staff, "account.change").get()
    assert entry.data == {
        "before": {"is_staff": False, "groups": []},
        "after": {"is_staff": True, "groups": ["office"]},
    }
    created = services.save_account(get_user_model()(username="li"), by=root, first_name="李")
    assert not created.has_usable_password()
    data = entries(created, "account.create").get().data
    assert data["after"]["username"] == "li"
    assert "password" not in data["after"]


def test_only_administrators_change_accounts(world):
    with pytest.raises(NotAllowed):
        services.save_account(world.staff, by=world.staff, is_superuser=True)
    assert not get_user_model().objects.get(pk=world.staff.pk).is_superuser


def test_the_system_may_bootstrap_a_body(db):
    body = make_body()
    user = make_user(body)
    membership = membership_of(user)
    services.change_membership(membership, by=None, roles=["auditor"])
    assert entries(membership, "membership.change").get().actor_kind == "system"


def test_every_world_builds(db):
    # The builders bypass the services on purpose (fast bootstraps); they stay valid.
    world = World()
    for membership in Membership.objects.filter(body=world.body):
        membership.full_clean()
    world.body.rules.full_clean()
