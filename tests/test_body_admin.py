"""Per-body administration: a body's own administrator (机关管理员) manages its users,
memberships, units, members, categories and rules in banli's pages, sees only their body, and
never reaches the platform's powers. Every change is in the history with old and new values."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from banli.accounts.models import AccountSecurity
from banli.accounts.services import issue_temporary_password, two_factor_required
from banli.bodies import services
from banli.bodies.models import BodyRules, Category, Member, Membership, Role, Unit
from banli.core.errors import NotAllowed
from banli.core.models import HistoryEntry, SecurityEvent

from .factories import make_body, make_member, make_user, membership_of

STRONG = "lantern-orchard-river-58"


@pytest.fixture
def admin(world):
    return make_user(world.body, Role.BODY_ADMIN, username="wujianguo")


@pytest.fixture
def client_of(admin):
    client = Client()
    client.force_login(admin)
    return client


def entries(obj, action):
    return HistoryEntry.objects.for_target(obj).filter(action=action)


def unit_form(unit, **changes):
    values = {
        "name": unit.name,
        "parent": unit.parent_id or "",
        "contact_name": unit.contact_name,
        "contact_phone": unit.contact_phone,
        "active": "on" if unit.active else "",
    }
    return {**values, **changes}


def rules_form(body, **changes):
    rules = body.rules
    values = {
        name: getattr(rules, name) if getattr(rules, name) is not None else ""
        for name in services.RULES_FIELDS
    }
    values["result_classes"] = ", ".join(rules.result_classes)
    values["refusal_grounds"] = "\n".join(rules.refusal_grounds)
    values["require_2fa"] = "on" if rules.require_2fa else ""
    return {**values, **changes}


# --- what a body administrator does ---------------------------------------------------------


def test_a_renamed_unit_is_in_the_history_with_its_old_and_new_name(world, admin, client_of):
    unit = world.units[0]
    response = client_of.post(
        reverse("bodies:unit", args=[unit.pk]), unit_form(unit, name="市住房和城乡建设局")
    )
    assert response.status_code == 302
    assert Unit.objects.get(pk=unit.pk).name == "市住房和城乡建设局"
    entry = entries(unit, "unit.change").get()
    assert entry.actor == admin and entry.root_id == world.body.pk
    assert entry.data == {
        "before": {"name": "市住建局"},
        "after": {"name": "市住房和城乡建设局"},
    }
    page = client_of.get(reverse("bodies:history")).content.decode()
    assert "市住建局" in page and "市住房和城乡建设局" in page
    # An administrator's action is in the security log too.
    event = SecurityEvent.objects.filter(kind="admin_action", user=admin).get()
    assert event.body_id == world.body.pk and event.data["action"] == "unit.change"


def test_the_history_reads_roles_and_units_by_their_names(world, admin, client_of):
    membership = membership_of(world.auditor)
    client_of.post(
        reverse("bodies:membership", args=[membership.pk]),
        {"roles": ["auditor", "unit_handler"], "unit": world.units[1].pk, "active": "on"},
    )
    assert Membership.objects.get(pk=membership.pk).unit == world.units[1]
    page = client_of.get(reverse("bodies:history")).content.decode()
    assert "Unit handler" in page and "市交通局" in page


def test_categories_are_added_renamed_and_reordered_on_the_record(world, admin, client_of):
    client_of.post(reverse("bodies:categories"), {"name": "生态环境类"})
    added = Category.objects.get(body=world.body, name="生态环境类")
    assert list(world.body.categories.values_list("name", flat=True))[-1] == "生态环境类"
    assert entries(added, "category.create").get().actor == admin

    client_of.post(reverse("bodies:category", args=[added.pk]), {"name": "生态文明类"})
    assert entries(added, "category.change").get().data == {
        "before": {"name": "生态环境类"},
        "after": {"name": "生态文明类"},
    }

    client_of.post(reverse("bodies:category_move", args=[added.pk]), {"direction": "up"})
    names = list(world.body.categories.values_list("name", flat=True))
    assert names[-2:] == ["生态文明类", "社会治理及其他类"]
    reorder = HistoryEntry.objects.for_root(world.body).get(action="category.reorder")
    assert reorder.data["after"]["order"] == names


def test_units_and_members_are_deactivated_not_deleted(world, admin, client_of):
    unit, member = world.units[1], world.cosigner_member
    client_of.post(reverse("bodies:unit_active", args=[unit.pk]), {"active": "0"})
    client_of.post(reverse("bodies:member_active", args=[member.pk]), {"active": "0"})
    assert not Unit.objects.get(pk=unit.pk).active
    assert not Member.objects.get(pk=member.pk).active
    assert entries(unit, "unit.change").get().data["after"] == {"active": False}
    assert entries(member, "member.change").get().data["after"] == {"active": False}
    client_of.post(reverse("bodies:unit_active", args=[unit.pk]), {"active": "1"})
    assert Unit.objects.get(pk=unit.pk).active


def test_a_new_deputy_is_added_through_the_page(world, admin, client_of):
    response = client_of.post(
        reverse("bodies:member_add"),
        {"member_type": "deputy", "name": "孙代表", "delegation": "西湖区代表团", "active": "on"},
    )
    assert response.status_code == 302
    member = Member.objects.get(body=world.body, name="孙代表")
    assert entries(member, "member.create").get().data["after"]["delegation"] == "西湖区代表团"


def test_the_lists_are_searched_and_paged(world, admin, client_of):
    page = client_of.get(reverse("bodies:users"), {"q": world.staff.username})
    assert [m.user for m in page.context["page"].object_list] == [world.staff]
    by_role = client_of.get(reverse("bodies:users"), {"role": "unit_leader"})
    assert {m.user for m in by_role.context["page"].object_list} == set(world.leader.values())
    units = client_of.get(reverse("bodies:units"), {"q": "交通"})
    assert [u.name for u in units.context["page"].object_list] == ["市交通局"]
    assert client_of.get(reverse("bodies:members"), {"page": "x"}).status_code == 200


def test_a_body_administrator_starts_on_the_overview(world, admin, client_of):
    # The start page (banli.desk) leads the administrator to the overview.
    response = client_of.get(reverse("home"))
    assert response.status_code == 200
    assert "desk/_body_admin.html" in [t.name for t in response.templates]
    assert f'href="{reverse("bodies:overview")}"' in response.content.decode()
    page = client_of.get(reverse("bodies:overview"))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]


# --- only their own body -----------------------------------------------------------------


def test_another_bodys_records_are_not_found_and_refused(world, other_world, admin, client_of):
    theirs = other_world.units[0]
    for name, pk in [
        ("bodies:unit", theirs.pk),
        ("bodies:member", other_world.member.pk),
        ("bodies:membership", membership_of(other_world.staff).pk),
        ("bodies:category", other_world.category.pk),
    ]:
        assert client_of.get(reverse(name, args=[pk])).status_code == 404, name
    assert (
        client_of.post(reverse("bodies:unit", args=[theirs.pk]), unit_form(theirs, name="x"))
    ).status_code == 404
    assert (
        client_of.post(
            reverse("bodies:membership_active", args=[membership_of(other_world.staff).pk]),
            {"active": "0"},
        ).status_code
        == 404
    )
    assert Unit.objects.get(pk=theirs.pk).name == "市住建局"
    assert membership_of(other_world.staff).active
    users = client_of.get(reverse("bodies:users")).context["page"].object_list
    assert {m.body_id for m in users} == {world.body.pk}


def test_the_services_refuse_another_bodys_records(world, other_world, admin):
    theirs = other_world.units[0]
    with pytest.raises(NotAllowed):
        services.save_unit(theirs, by=admin, name="改名")
    # A copy made to look like one of this body is decided on the stored row.
    theirs.body = world.body
    with pytest.raises(NotAllowed):
        services.save_unit(theirs, by=admin, name="改名")
    with pytest.raises(NotAllowed):
        services.change_rules(other_world.body, by=admin, reply_months=2)
    with pytest.raises(NotAllowed):
        services.save_member(
            Member(body=other_world.body), by=admin, name="x", member_type="deputy"
        )
    with pytest.raises(NotAllowed):
        services.change_membership(membership_of(other_world.staff), by=admin, active=False)
    with pytest.raises(NotAllowed):
        services.save_category(other_world.category, by=admin, name="x")
    newcomer = get_user_model().objects.create_user("newcomer")
    with pytest.raises(NotAllowed):
        services.grant_membership(newcomer, other_world.body, by=admin, roles=["staff"])
    with pytest.raises(NotAllowed):
        services.create_account(other_world.body, by=admin, username="zhou", roles=["staff"])
    assert Unit.objects.get(pk=theirs.pk).name == "市住建局"
    assert not HistoryEntry.objects.for_root(other_world.body).exists()


def test_a_unit_of_another_body_cannot_be_given(world, other_world, admin, client_of):
    membership = membership_of(world.handler[world.units[0].pk])
    response = client_of.post(
        reverse("bodies:membership", args=[membership.pk]),
        {"roles": ["unit_handler"], "unit": other_world.units[0].pk, "active": "on"},
    )
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert Membership.objects.get(pk=membership.pk).unit == world.units[0]


# --- never the platform's powers ------------------------------------------------------------


def test_a_body_administrator_cannot_make_anyone_superuser_or_staff(world, admin, client_of):
    user = world.staff
    for values in (
        {"is_superuser": True},
        {"is_staff": True},
        {"groups": [Group.objects.create(name="x")]},
    ):
        with pytest.raises(NotAllowed):
            services.save_account(user, by=admin, **values)
    with pytest.raises(NotAllowed):
        services.save_account(admin, by=admin, is_superuser=True)
    # The page takes the name and e-mail only, whatever else is posted.
    membership = membership_of(user)
    client_of.post(
        reverse("bodies:account_name", args=[membership.pk]),
        {"first_name": "赵静", "email": "", "is_superuser": "on", "is_staff": "on"},
    )
    user.refresh_from_db()
    assert (user.first_name, user.is_superuser, user.is_staff) == ("赵静", False, False)
    assert entries(user, "account.change").get().data == {
        "before": {"first_name": ""},
        "after": {"first_name": "赵静"},
    }


def test_an_account_shared_with_another_body_is_the_platforms(world, other_world, admin):
    shared = make_user(world.body, "staff")
    Membership.objects.create(user=shared, body=other_world.body, roles=["auditor"])
    root = get_user_model().objects.create_superuser("root", "", "pw-banli-2026")
    assert not services.manages_account(admin, shared)
    assert not services.manages_account(admin, root)
    with pytest.raises(NotAllowed):
        services.save_account(shared, by=admin, first_name="改名")
    request = Client().request().wsgi_request
    with pytest.raises(NotAllowed):
        issue_temporary_password(request, shared, by=admin)


def test_a_body_administrator_cannot_end_their_own_administration(world, admin):
    mine = membership_of(admin)
    with pytest.raises(NotAllowed):
        services.change_membership(mine, by=admin, active=False)
    with pytest.raises(NotAllowed):
        services.change_membership(mine, by=admin, roles=["staff"])
    # They may add a role, and another administrator may end theirs.
    services.change_membership(mine, by=admin, roles=["body_admin", "staff"])
    other = make_user(world.body, Role.BODY_ADMIN)
    services.change_membership(membership_of(admin), by=other, active=False)
    assert not Membership.objects.get(pk=mine.pk).active


@pytest.mark.parametrize(
    "name",
    [
        "bodies:overview",
        "bodies:users",
        "bodies:user_add",
        "bodies:units",
        "bodies:members",
        "bodies:categories",
        "bodies:rules",
        "bodies:history",
    ],
)
def test_staff_who_are_not_body_administrators_are_refused(world, client, name):
    client.force_login(world.staff)
    assert client.get(reverse(name)).status_code == 403


def test_staff_cannot_post_a_change_either(world, client):
    client.force_login(world.staff)
    unit = world.units[0]
    response = client.post(reverse("bodies:unit", args=[unit.pk]), unit_form(unit, name="x"))
    assert response.status_code == 403
    assert Unit.objects.get(pk=unit.pk).name == "市住建局"


def test_body_administrators_need_two_factor_where_the_body_requires_it(db):
    strict = make_body(require_2fa=True)
    relaxed = make_body()
    assert two_factor_required(make_user(strict, Role.BODY_ADMIN))
    assert not two_factor_required(make_user(relaxed, Role.BODY_ADMIN))


# --- rules ----------------------------------------------------------------------------------


def test_rules_that_do_not_hold_together_are_refused_next_to_the_field(world, client_of):
    response = client_of.post(
        reverse("bodies:rules"),
        rules_form(world.body, result_classes="甲, 乙, 丙", complex_reply_months=2),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "甲, 乙, 丙" in errors["planned_class"][0]
    assert "complex_reply_months" in errors
    page = response.content.decode()
    assert page.count('class="field-error"') >= 2
    assert BodyRules.objects.get(body=world.body).result_classes == ["A", "B", "C"]


def test_rules_are_saved_as_lists_and_recorded(cppcc, client):
    admin = make_user(cppcc.body, Role.BODY_ADMIN)
    client.force_login(admin)
    response = client.post(
        reverse("bodies:rules"),
        rules_form(
            cppcc.body,
            result_classes="甲，乙，丙",
            planned_class="乙",
            refusal_grounds="内容空泛、没有具体建议的\n\n属于学术研究探讨的\n",
        ),
    )
    assert response.status_code == 302
    rules = BodyRules.objects.get(body=cppcc.body)
    assert rules.result_classes == ["甲", "乙", "丙"]
    assert rules.refusal_grounds == ["内容空泛、没有具体建议的", "属于学术研究探讨的"]
    entry = entries(rules, "rules.change").get()
    assert entry.actor == admin
    assert set(entry.data["after"]) == {"result_classes", "planned_class", "refusal_grounds"}
    # A CPPCC body keeps at least one ground.
    refused = client.post(reverse("bodies:rules"), rules_form(cppcc.body, refusal_grounds=""))
    assert "refusal_grounds" in refused.context["form"].errors


# --- accounts -------------------------------------------------------------------------------


def test_a_new_account_gets_a_one_time_password_to_change_at_first_login(world, admin, client_of):
    response = client_of.post(
        reverse("bodies:user_add"),
        {
            "username": "chen-staff",
            "first_name": "陈静",
            "email": "",
            "roles": ["staff"],
            "unit": "",
            "member": "",
            "phone": "13800001111",
        },
    )
    assert response.status_code == 200
    password = response.context["password"]
    assert password in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    user = get_user_model().objects.get(username="chen-staff")
    assert not user.is_staff and not user.is_superuser
    assert membership_of(user).roles == ["staff"]
    assert AccountSecurity.objects.get(user=user).must_change_password
    assert entries(user, "account.create").get().actor == admin
    assert entries(membership_of(user), "membership.create").get().data["after"]["roles"] == [
        "staff"
    ]

    person = Client()
    login = person.post(reverse("login"), {"username": "chen-staff", "password": password})
    assert login.status_code == 302
    assert person.get(reverse("items:review"))["Location"] == reverse("accounts:password")
    person.post(
        reverse("accounts:password"),
        {"old_password": password, "new_password1": STRONG, "new_password2": STRONG},
    )
    assert person.get(reverse("items:review")).status_code == 200


def test_a_taken_username_is_refused_next_to_the_field(world, admin, client_of):
    response = client_of.post(
        reverse("bodies:user_add"),
        {"username": world.staff.username, "first_name": "重名", "roles": ["staff"]},
    )
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert get_user_model().objects.filter(first_name="重名").count() == 0


def test_a_unit_role_without_a_unit_opens_no_account(world, admin, client_of):
    response = client_of.post(
        reverse("bodies:user_add"),
        {"username": "lone-handler", "first_name": "王五", "roles": ["unit_handler"]},
    )
    assert "unit" in response.context["form"].errors
    assert not get_user_model().objects.filter(username="lone-handler").exists()


def test_a_forgotten_password_is_replaced_by_a_one_time_one(world, admin, client_of):
    user = world.handler[world.units[0].pk]
    response = client_of.post(reverse("bodies:account_password", args=[membership_of(user).pk]), {})
    assert response.status_code == 200
    assert AccountSecurity.objects.get(user=user).must_change_password
    user.refresh_from_db()
    assert user.check_password(response.context["password"])


def test_an_existing_account_of_another_body_is_given_a_membership(
    world, other_world, admin, client_of
):
    visitor = other_world.staff
    response = client_of.post(
        reverse("bodies:user_grant"), {"username": visitor.username, "roles": ["auditor"]}
    )
    assert response.status_code == 302
    granted = Membership.objects.get(user=visitor, body=world.body)
    assert granted.roles == ["auditor"]
    # The account stays the other body's: no name change nor password from here.
    assert not services.manages_account(admin, visitor)


def test_an_ended_membership_stops_its_holder_reading_the_bodys_items(world, admin, client_of):
    item = world.accepted()
    reader = Client()
    reader.force_login(world.staff)
    assert reader.get(reverse("items:detail", args=[item.pk])).status_code == 200
    membership = membership_of(world.staff)
    response = client_of.post(
        reverse("bodies:membership_active", args=[membership.pk]), {"active": "0"}
    )
    assert response.status_code == 302
    assert entries(membership, "membership.change").get().data == {
        "before": {"active": True},
        "after": {"active": False},
    }
    assert reader.get(reverse("items:detail", args=[item.pk])).status_code == 404
    assert reader.get(reverse("items:review")).status_code == 403


def test_a_member_is_offered_to_one_membership_only(world, admin, client_of):
    free = make_member(world.body, "新代表")
    page = client_of.get(reverse("bodies:user_add"))
    offered = set(page.context["form"].fields["member"].queryset)
    assert free in offered and world.member not in offered
    assert not set(page.context["form"].fields["unit"].queryset) - set(world.units)
