"""The admin shows bodies, units, users, items and their history. It cannot bypass the
workflow: records that have a workflow are read-only there, nothing with a history is deleted,
and configuration is saved through the services, on the record."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from banli.bodies.models import BodyRules, Membership, Unit
from banli.core.models import HistoryEntry
from banli.supervision.models import KeyItem
from banli.supervision.services import mark_key

from .factories import membership_of, on


@pytest.fixture
def root(db):
    return get_user_model().objects.create_superuser("root", "root@example.org", "pw-banli-2026")


@pytest.fixture
def admin(client, root):
    client.force_login(root)
    return client


def form_data(page) -> dict:
    """What the browser would post back from an admin change page, unchanged."""
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False or field.field.disabled:
                continue
            data[field.html_name] = "on" if value is True else value
    return data


def test_admin_lists_the_foundation(admin, world):
    with on(dt.date(2026, 3, 2)):
        item = world.replied("A")
    for name in (
        "bodies_body",
        "bodies_unit",
        "bodies_membership",
        "auth_user",
        "items_item",
        "core_historyentry",
        "handling_assignment",
        "supervision_keyitem",
    ):
        response = admin.get(reverse(f"admin:{name}_changelist"))
        assert response.status_code == 200, name
    page = admin.get(reverse("admin:items_item_change", args=[item.pk]))
    assert page.status_code == 200
    assert "item.assign" in page.content.decode()
    assert admin.get(reverse("admin:bodies_body_change", args=[world.body.pk])).status_code == 200


# --- records with a workflow ----------------------------------------------------------------


def test_an_item_is_shown_without_a_form(admin, world):
    with on(dt.date(2026, 3, 2)):
        item = world.replied("B")
    url = reverse("admin:items_item_change", args=[item.pk])
    page = admin.get(url).content.decode()
    for field in ("state", "number", "proposer", "result_class", "closure", "reply_round"):
        assert f'name="{field}"' not in page, field
    posted = admin.post(url, {"state": "closed", "number": 999, "result_class": "A"})
    assert posted.status_code == 403
    item.refresh_from_db()
    assert (item.state, item.result_class) == ("replied", "B")
    assert (
        admin.post(reverse("admin:items_item_delete", args=[item.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert admin.get(reverse("admin:items_item_add")).status_code == 403


def test_a_key_item_changes_only_through_supervision(admin, world):
    with on(dt.date(2026, 3, 2)):
        item = world.assigned()
        mark_key(item, by=world.staff, supervisor=world.supervisor)
    key = KeyItem.objects.get(item=item)
    assert admin.get(reverse("admin:supervision_keyitem_add")).status_code == 403
    change = reverse("admin:supervision_keyitem_change", args=[key.pk])
    assert 'name="supervisor"' not in admin.get(change).content.decode()
    assert (
        admin.post(change, {"item": item.pk, "year": 2020, "lead_handler": "x"}).status_code == 403
    )
    delete = reverse("admin:supervision_keyitem_delete", args=[key.pk])
    assert admin.post(delete, {"post": "yes"}).status_code == 403
    key.refresh_from_db()
    assert key.year == 2026


def test_handling_records_are_never_deleted(admin, world):
    with on(dt.date(2026, 3, 2)):
        item = world.replied("A")
    assignment = world.lead_assignment(item)
    reply = assignment.replies.get()
    for name, pk in (("handling_assignment", assignment.pk), ("handling_reply", reply.pk)):
        assert (
            admin.post(reverse(f"admin:{name}_delete", args=[pk]), {"post": "yes"}).status_code
            == 403
        )
    changelist = reverse("admin:handling_assignment_changelist")
    admin.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [assignment.pk], "post": "yes"},
    )
    assert type(assignment).objects.filter(pk=assignment.pk).exists()


def test_history_cannot_be_changed_in_the_admin(admin, world):
    with on(dt.date(2026, 3, 2)):
        world.draft()
    entry = HistoryEntry.objects.first()
    url = reverse("admin:core_historyentry_change", args=[entry.pk])
    admin.post(url, {"action": "forged", "reason": "x"})
    entry.refresh_from_db()
    assert entry.action == "item.create"
    delete = reverse("admin:core_historyentry_delete", args=[entry.pk])
    assert admin.post(delete, {"post": "yes"}).status_code == 403
    assert HistoryEntry.objects.filter(pk=entry.pk).exists()


# --- body rules -----------------------------------------------------------------------------


def body_page(admin, body):
    url = reverse("admin:bodies_body_change", args=[body.pk])
    return url, form_data(admin.get(url))


def test_result_classes_and_grounds_are_edited_as_lists(admin, cppcc):
    url, data = body_page(admin, cppcc.body)
    assert data["rule_set-0-result_classes"] == "A, B, C"
    data["rule_set-0-result_classes"] = "甲，乙、丙"
    data["rule_set-0-planned_class"] = "乙"
    data["rule_set-0-refusal_grounds"] = "属于学术研究探讨的\n\n内容空泛、没有具体建议的\n"
    response = admin.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    rules = BodyRules.objects.get(body=cppcc.body)
    assert rules.result_classes == ["甲", "乙", "丙"]
    assert rules.refusal_grounds == ["属于学术研究探讨的", "内容空泛、没有具体建议的"]
    entry = HistoryEntry.objects.for_target(rules).get(action="rules.change")
    assert entry.actor.username == "root"
    before, after = entry.data["before"], entry.data["after"]
    assert set(before) == {"result_classes", "planned_class", "refusal_grounds"}
    assert (before["result_classes"], before["planned_class"]) == (["A", "B", "C"], "B")
    assert len(before["refusal_grounds"]) == 10
    assert after["planned_class"] == "乙"


def test_rules_that_do_not_hold_together_are_refused_next_to_the_field(admin, world):
    url, data = body_page(admin, world.body)
    data["rule_set-0-result_classes"] = "甲, 乙, 丙"  # planned_class still "B"
    data["rule_set-0-max_reply_months"] = "2"
    response = admin.post(url, data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors[0]
    assert "must be one of the result classes (甲, 乙, 丙)" in errors["planned_class"][0]
    assert "max_reply_months" in errors
    assert BodyRules.objects.get(body=world.body).result_classes == ["A", "B", "C"]
    assert not HistoryEntry.objects.filter(action="rules.change").exists()


def test_a_cppcc_body_cannot_drop_all_its_grounds(admin, cppcc):
    url, data = body_page(admin, cppcc.body)
    data["rule_set-0-refusal_grounds"] = "\n"
    response = admin.post(url, data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors[0]
    assert "needs at least one ground" in errors["refusal_grounds"][0]
    assert len(BodyRules.objects.get(body=cppcc.body).refusal_grounds) == 10


def test_a_new_cppcc_body_is_checked_with_its_rules(admin, db):
    url = reverse("admin:bodies_body_add")
    data = form_data(admin.get(url))
    # The new body's rules start from the defaults.
    assert data["rule_set-0-result_classes"] == "A, B, C"
    data.update({"code": "zx-city", "name": "市政协", "body_type": "cppcc", "level": "city"})
    data["rule_set-0-refusal_grounds"] = ""
    response = admin.post(url, data)
    assert response.status_code == 200
    assert "refusal_grounds" in response.context["inline_admin_formsets"][0].formset.errors[0]

    data["rule_set-0-refusal_grounds"] = "属于学术研究探讨的"
    assert admin.post(url, data).status_code == 302
    rules = BodyRules.objects.get(body__code="zx-city")
    assert rules.refusal_grounds == ["属于学术研究探讨的"]
    assert (
        HistoryEntry.objects.for_target(rules).get(action="rules.change").root_id == rules.body_id
    )


# --- people, units, accounts ----------------------------------------------------------------


def user_page(admin, user):
    url = reverse("admin:auth_user_change", args=[user.pk])
    return url, form_data(admin.get(url))


def test_a_role_change_in_the_admin_is_recorded(admin, world, root):
    url, data = user_page(admin, world.staff)
    assert data["memberships-0-roles"] == ["staff"]
    data["memberships-0-roles"] = ["staff", "auditor"]
    response = admin.post(url, data)
    assert response.status_code == 302
    membership = membership_of(world.staff)
    assert membership.roles == ["staff", "auditor"]
    entry = HistoryEntry.objects.for_target(membership).get(action="membership.change")
    assert entry.actor == root
    assert entry.data == {"before": {"roles": ["staff"]}, "after": {"roles": ["staff", "auditor"]}}
    # The account itself did not change: no entry for it.
    assert not HistoryEntry.objects.for_target(world.staff).exists()


def test_a_membership_added_in_the_admin_is_recorded(admin, world, other_world):
    url, data = user_page(admin, world.staff)
    data.update(
        {
            "memberships-TOTAL_FORMS": "2",
            "memberships-1-user": str(world.staff.pk),
            "memberships-1-body": str(other_world.body.pk),
            "memberships-1-roles": ["auditor"],
            "memberships-1-active": "on",
        }
    )
    assert admin.post(url, data).status_code == 302
    added = Membership.objects.get(user=world.staff, body=other_world.body)
    assert HistoryEntry.objects.for_target(added).get(action="membership.create").data["after"][
        "roles"
    ] == ["auditor"]


def test_a_unit_role_without_its_unit_is_refused_in_the_admin(admin, world):
    url, data = user_page(admin, world.staff)
    data["memberships-0-roles"] = ["unit_handler"]
    response = admin.post(url, data)
    assert response.status_code == 200
    assert "unit" in response.context["inline_admin_formsets"][0].formset.errors[0]
    assert membership_of(world.staff).roles == ["staff"]


def test_account_flags_changed_in_the_admin_are_recorded(admin, world, root):
    url, data = user_page(admin, world.staff)
    data["is_staff"] = "on"
    data.pop("is_active")
    assert admin.post(url, data).status_code == 302
    entry = HistoryEntry.objects.for_target(world.staff).get(action="account.change")
    assert entry.actor == root
    assert entry.data == {
        "before": {"is_active": True, "is_staff": False},
        "after": {"is_active": False, "is_staff": True},
    }


def test_an_account_added_in_the_admin_is_recorded(admin, root):
    response = admin.post(
        reverse("admin:auth_user_add"),
        {
            "username": "zhou",
            "password1": "pw-banli-2026-zhou",
            "password2": "pw-banli-2026-zhou",
            "usable_password": "true",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(username="zhou")
    assert user.check_password("pw-banli-2026-zhou")
    entry = HistoryEntry.objects.for_target(user).get(action="account.create")
    assert entry.actor == root
    assert entry.data["after"]["username"] == "zhou"
    assert not any("pbkdf2" in str(v) or "md5" in str(v) for v in entry.data["after"].values())


def test_an_account_is_deactivated_not_deleted(admin, world):
    delete = reverse("admin:auth_user_delete", args=[world.staff.pk])
    response = admin.post(delete, {"post": "yes"}, follow=True)
    assert "Accounts are not deleted" in response.content.decode()
    assert get_user_model().objects.filter(pk=world.staff.pk).exists()
    changelist = reverse("admin:auth_user_changelist")
    admin.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [world.staff.pk], "post": "yes"},
    )
    assert get_user_model().objects.filter(pk=world.staff.pk).exists()


def test_a_unit_change_in_the_admin_is_recorded(admin, world):
    unit = world.units[0]
    url = reverse("admin:bodies_unit_change", args=[unit.pk])
    data = form_data(admin.get(url))
    data["contact_phone"] = "0571-8888"
    assert admin.post(url, data).status_code == 302
    entry = HistoryEntry.objects.for_target(unit).get(action="unit.change")
    assert entry.data == {"before": {"contact_phone": ""}, "after": {"contact_phone": "0571-8888"}}
    assert (
        admin.post(reverse("admin:bodies_unit_delete", args=[unit.pk]), {"post": "yes"}).status_code
        == 403
    )


def test_a_unit_added_in_the_admin_is_recorded(admin, world):
    url = reverse("admin:bodies_unit_add")
    response = admin.post(url, {"body": world.body.pk, "name": "市水务局", "active": "on"})
    assert response.status_code == 302
    unit = Unit.objects.get(name="市水务局")
    assert HistoryEntry.objects.for_target(unit).get(action="unit.create").root_id == world.body.pk


def test_a_member_change_in_the_admin_is_recorded(admin, world):
    url = reverse("admin:bodies_member_change", args=[world.member.pk])
    data = form_data(admin.get(url))
    data["delegation"] = "西湖区代表团"
    assert admin.post(url, data).status_code == 302
    entry = HistoryEntry.objects.for_target(world.member).get(action="member.change")
    assert entry.data["after"] == {"delegation": "西湖区代表团"}


def test_profile_must_stay_in_its_body(world):
    from django.core.exceptions import ValidationError

    from .factories import World

    other = World()
    profile = membership_of(world.staff)
    profile.unit = other.units[0]
    profile.roles = ["unit_handler"]
    with pytest.raises(ValidationError):
        profile.clean()


def test_refusals_and_forwardings_are_read_only_in_the_admin(client, db):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    admin_user = get_user_model().objects.create_superuser("root-ro", password="pw-banli-2026")
    client.force_login(admin_user)
    for name in ("refusal", "forwarding"):
        assert client.get(reverse(f"admin:items_{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:items_{name}_add")).status_code == 403
