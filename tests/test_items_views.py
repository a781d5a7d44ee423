"""The proposer's pages (start page, write, edit), the staff's review queue, the one action
view of the item workflow, the item-actions panel and attachment downloads."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from banli.bodies.models import MemberType, SessionPeriod
from banli.core.models import Attachment, HistoryEntry
from banli.core.uploads import attach
from banli.handling import services as handling
from banli.items import services as items
from banli.items.models import CoSigner, Item

from .factories import make_proposer, make_session, membership_of, on

DAY = dt.date(2026, 3, 2)
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _on_a_session_day():
    with on(DAY):
        yield


@pytest.fixture(autouse=True)
def _english(settings):
    """Assert the English source strings, whatever the Chinese catalogue says."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT


def pdf(name="说明材料.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def act(client, item, action, **data):
    return client.post(reverse("items:action", args=[item.pk, action]), data)


def last_entry(item) -> HistoryEntry:
    return HistoryEntry.objects.for_root(item).order_by("id").last()


def reviewed(world, **kw) -> Item:
    item = world.draft(**kw)
    items.submit(item, by=world.deputy)
    items.receive(item, by=world.staff)
    return item


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# The proposer's start page


def test_start_page_puts_what_waits_first(client, world):
    other_item = world.draft(by=world.cosigner, title="关于建设社区食堂的建议")
    items.invite_cosigners(other_item, by=world.cosigner, members=[world.member])
    replied = world.replied("A", title="关于增设公交站点的建议")
    client.force_login(world.deputy)

    response = client.get(reverse("items:mine"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "关于建设社区食堂的建议" in page
    assert reverse("items:action", args=[other_item.pk, "confirm_cosign"]) in page
    assert reverse("items:action", args=[other_item.pk, "decline_cosign"]) in page
    assert f"/handling/item/{replied.pk}/evaluate/" in page
    assert f"has replied to {replied.display_number} “关于增设公交站点的建议”" in page
    assert page.index("Waiting for me") < page.index("Items I propose or co-sign")
    assert response.context["total"] == 1  # an invitation not yet answered is not my item


def test_start_page_counts_and_filters_my_items_by_state(client, world):
    draft = world.draft(title="关于加强社区养老服务的建议")
    submitted = world.draft(title="关于治理噪声扰民的建议")
    items.submit(submitted, by=world.deputy)
    someone_elses = world.draft(by=world.cosigner, title="别人的草稿")
    client.force_login(world.deputy)

    everything = client.get(reverse("items:mine")).content.decode()
    drafts = client.get(reverse("items:mine"), {"state": "draft"}).content.decode()

    assert draft.title in everything and submitted.title in everything
    assert someone_elses.title not in everything
    assert "All 2" in everything and "Draft 1" in everything and "Submitted 1" in everything
    assert draft.title in drafts and submitted.title not in drafts
    assert client.get(reverse("items:mine"), {"state": "nonsense", "page": "x"}).status_code == 200


def test_start_page_lists_confirmed_co_signed_items(client, world):
    item = world.draft(by=world.cosigner, title="关于建设社区食堂的建议")
    items.invite_cosigners(item, by=world.cosigner, members=[world.member])
    items.confirm_cosign(item, by=world.deputy)
    client.force_login(world.deputy)
    page = client.get(reverse("items:mine")).content.decode()
    assert reverse("items:action", args=[item.pk, "confirm_cosign"]) not in page
    assert item.title in page


def test_co_signer_is_asked_to_evaluate_until_they_have(client, world):
    item = world.draft()
    items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    items.confirm_cosign(item, by=world.cosigner)
    items.submit(item, by=world.deputy)
    items.receive(item, by=world.staff)
    items.accept(item, by=world.staff)
    handling.assign(item, by=world.staff, lead_units=[world.units[0]], co_units=[])
    assignment = world.lead_assignment(item)
    handling.accept_assignment(assignment, by=world.coord[assignment.unit_id])
    handling.draft_reply(
        assignment, by=world.handler[assignment.unit_id], text="答复", result_class="A"
    )
    handling.sign_reply(assignment, by=world.leader[assignment.unit_id])

    def waiting(user):
        client.force_login(user)
        sections = client.get(reverse("items:mine")).context["sections"]["waiting"]
        return [i for s in sections for i in s["context"].get("to_evaluate", [])]

    assert waiting(world.cosigner) == [item] and waiting(world.deputy) == [item]
    handling.evaluate(item, by=world.cosigner, attitude="satisfied", result="satisfied")
    assert waiting(world.cosigner) == [] and waiting(world.deputy) == [item]


def test_start_page_is_for_proposers_only(client, world):
    client.force_login(world.staff)
    assert client.get(reverse("items:mine")).status_code == 403
    client.logout()
    assert client.get(reverse("items:mine")).status_code == 302


def test_co_signer_confirms_from_the_start_page(client, world):
    item = world.draft(by=world.cosigner)
    items.invite_cosigners(item, by=world.cosigner, members=[world.member])
    client.force_login(world.deputy)

    response = act(client, item, "confirm_cosign", next=reverse("items:mine"))

    assert response.status_code == 302 and response.url == reverse("items:mine")
    assert "You confirmed co-signing this item." in flashed(response)
    invitation = CoSigner.objects.get(item=item, member=world.member)
    assert invitation.status == "confirmed"
    assert last_entry(item).action == "item.confirm_cosign"


def test_co_signer_declines(client, world):
    item = world.draft(by=world.cosigner)
    items.invite_cosigners(item, by=world.cosigner, members=[world.member])
    client.force_login(world.deputy)
    act(client, item, "decline_cosign", reason="不熟悉该领域")
    assert CoSigner.objects.get(item=item, member=world.member).status == "declined"
    assert last_entry(item).reason == "不熟悉该领域"


# Writing an item


def write(client, world, **overrides):
    data = {
        "kind": "suggestion",
        "session": world.session.pk,
        "title": "关于增加老旧小区停车位的建议",
        "text": "老旧小区停车难问题突出，建议挖潜增加停车泊位。",
        "category": world.category.pk,
    }
    data.update(overrides)
    return client.post(reverse("items:create"), {k: v for k, v in data.items() if v is not None})


def test_deputy_writes_a_draft_with_a_co_signer_and_a_file(client, world, _uploads):
    client.force_login(world.deputy)

    response = write(
        client, world, cosigners=[world.cosigner_member.pk], is_public="on", attachments=[pdf()]
    )

    item = Item.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("items:detail", args=[item.pk])
    assert (item.state, item.proposer, item.is_public) == ("draft", world.member, True)
    assert [c.member for c in item.cosigners.all()] == [world.cosigner_member]
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.content_type) == ("说明材料.pdf", "application/pdf")
    assert len(stored_files(_uploads)) == 1
    actions = list(HistoryEntry.objects.for_root(item).values_list("action", flat=True))
    assert actions == ["item.create", "item.invite_cosigners", "attachment.add"]


def test_write_form_offers_the_bodys_kinds_and_the_latest_session(client, world, cppcc):
    later = make_session(world.body, period=SessionPeriod.INTERIM, number=1)
    client.force_login(world.deputy)
    form = client.get(reverse("items:create")).context["form"]
    assert [value for value, _ in form.fields["kind"].choices] == ["motion", "suggestion"]
    assert form.fields["session"].initial == later.pk
    assert "proposer" not in form.fields

    client.force_login(cppcc.deputy)
    form = client.get(reverse("items:create")).context["form"]
    assert [value for value, _ in form.fields["kind"].choices] == ["proposal"]


def test_motions_are_not_offered_without_a_plenary_session(client, world):
    world.session.period = SessionPeriod.INTERIM
    world.session.save()
    client.force_login(world.deputy)
    form = client.get(reverse("items:create")).context["form"]
    assert [value for value, _ in form.fields["kind"].choices] == ["suggestion"]
    response = write(client, world, kind="motion")
    assert response.status_code == 200
    assert "kind" in response.context["form"].errors
    assert not Item.objects.exists()


def test_a_motion_needs_a_plenary_session(client, world):
    interim = make_session(world.body, period=SessionPeriod.INTERIM, number=1)
    client.force_login(world.deputy)
    response = write(client, world, kind="motion", session=interim.pk)
    assert "Motions can only be raised for a plenary session." in response.content.decode()
    assert not Item.objects.exists()


def test_staff_enter_an_item_for_a_deputy_saying_where_it_comes_from(client, world):
    client.force_login(world.staff)
    page = client.get(reverse("items:create"))
    assert "proposer" in page.context["form"].fields
    assert 'name="source_note"' in page.content.decode()

    silent = write(client, world, proposer=world.member.pk)
    assert silent.status_code == 200
    assert "source_note" in silent.context["form"].errors
    response = write(client, world, proposer=world.member.pk, source_note="据纸质原件录入")

    item = Item.objects.get()
    assert response.status_code == 302
    assert (item.proposer, item.created_by, item.entered_by_staff) == (
        world.member,
        world.staff,
        True,
    )
    entry = last_entry(item)
    assert (entry.action, entry.reason, entry.data["for"]) == (
        "item.enter_on_behalf",
        "据纸质原件录入",
        world.member.name,
    )
    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert "entered by staff for the proposer" in page and "据纸质原件录入" in page


def test_a_deputy_is_not_offered_the_proposer_or_source_fields(client, world):
    client.force_login(world.deputy)
    form = client.get(reverse("items:create")).context["form"]
    assert "proposer" not in form.fields and "source_note" not in form.fields


def test_staff_must_name_the_proposer(client, world):
    client.force_login(world.staff)
    response = write(client, world)
    assert response.status_code == 200
    assert "proposer" in response.context["form"].errors
    assert not Item.objects.exists()


def test_the_lead_cannot_be_invited_as_co_signer(client, world):
    client.force_login(world.staff)
    response = write(
        client, world, proposer=world.member.pk, source_note="纸质", cosigners=[world.member.pk]
    )
    assert "The lead proposer cannot co-sign their own item." in response.content.decode()
    assert not Item.objects.exists()


def test_write_refuses_bad_input_with_form_errors(client, world, other_world):
    client.force_login(world.deputy)
    for overrides in (
        {"title": ""},
        {"title": "长" * 201},
        {"text": "  "},
        {"kind": "proposal"},
        {"session": "x"},
        {"session": other_world.session.pk},
        {"category": other_world.category.pk},
        {"cosigners": [other_world.member.pk]},
        {"cosigners": ["999999999999999999999"]},
    ):
        response = write(client, world, **overrides)
        assert response.status_code == 200, overrides
        assert response.context["form"].errors, overrides
    assert not Item.objects.exists()


def test_a_service_refusal_is_shown_on_the_form(client, world):
    _, delegation = make_proposer(world.body, "某代表团", member_type=MemberType.DELEGATION)
    _, sector = make_proposer(world.body, "某界别", member_type=MemberType.SECTOR)
    client.force_login(world.staff)
    # A delegation may propose a suggestion; a sector may not (docs/domain.md, items).
    assert write(client, world, proposer=delegation.pk, source_note="纸质").status_code == 302
    response = write(client, world, proposer=sector.pk, source_note="纸质")
    assert response.status_code == 200
    assert "A Sector cannot propose a Suggestion." in response.content.decode()
    assert Item.objects.count() == 1


def test_oversize_upload_is_refused_and_nothing_is_stored(client, world, settings, _uploads):
    settings.UPLOAD_MAX_BYTES = 1024
    client.force_login(world.deputy)
    response = write(client, world, attachments=[pdf(content=PDF + b"0" * 2048)])
    assert response.status_code == 200
    assert "The file is too large" in response.content.decode()
    assert not Item.objects.exists() and not Attachment.objects.exists()
    assert stored_files(_uploads) == []


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("setup.exe", b"MZ\x90\x00", content_type="application/octet-stream"),
        SimpleUploadedFile("renamed.pdf", b"MZ\x90\x00", content_type="application/pdf"),
        SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf"),
    ],
)
def test_wrongly_typed_upload_is_refused_and_nothing_is_stored(client, world, _uploads, upload):
    client.force_login(world.deputy)
    response = write(client, world, attachments=[pdf(), upload])
    assert response.status_code == 200
    assert response.context["form"].errors["attachments"]
    assert not Item.objects.exists() and not Attachment.objects.exists()
    assert stored_files(_uploads) == []


def test_people_without_a_proposer_or_staff_role_cannot_write(client, world, other_world):
    coordinator = world.coord[world.units[0].pk]
    client.force_login(coordinator)
    assert client.get(reverse("items:create")).status_code == 403
    assert write(client, world).status_code == 403
    client.force_login(other_world.deputy)
    response = write(client, world)
    assert response.status_code == 200  # the other body's session is not a valid choice
    assert not Item.objects.exists()


# Editing a draft


def test_lead_revises_a_returned_item_and_invites_more(client, world, _uploads):
    item = reviewed(world)
    items.return_for_revision(item, by=world.staff, reason="请补充数据")
    client.force_login(world.deputy)
    assert "请补充数据" in client.get(reverse("items:edit", args=[item.pk])).content.decode()

    response = client.post(
        reverse("items:edit", args=[item.pk]),
        {
            "title": "关于增加老旧小区停车位的建议（修改稿）",
            "text": "补充了调查数据。",
            "category": world.category.pk,
            "cosigners": [world.cosigner_member.pk],
            "attachments": [pdf("调查数据.pdf")],
        },
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title.endswith("（修改稿）") and item.state == "returned"
    assert item.cosigners.get().member == world.cosigner_member
    assert Attachment.objects.get().name == "调查数据.pdf"
    assert "Your changes are saved." in flashed(response)


def test_edit_form_hides_members_already_invited(client, world):
    item = world.draft()
    items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    client.force_login(world.deputy)
    form = client.get(reverse("items:edit", args=[item.pk])).context["form"]
    queryset = form.fields["cosigners"].queryset
    assert world.cosigner_member not in queryset and world.member not in queryset


def test_a_submitted_item_can_no_longer_be_edited(client, world):
    item = world.draft()
    items.submit(item, by=world.deputy)
    client.force_login(world.deputy)
    response = client.post(reverse("items:edit", args=[item.pk]), {"title": "改了", "text": "改了"})
    assert response.status_code == 302
    assert "This item can no longer be edited." in flashed(response)
    item.refresh_from_db()
    assert item.title != "改了"


def test_only_the_lead_edits_a_deputys_draft_and_staff_the_one_they_entered(
    client, world, other_world
):
    item = world.draft()
    items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    url = reverse("items:edit", args=[item.pk])
    # A deputy's own draft is private: an invitee, the staff and another body do not
    # even learn it exists (test_privacy.py); the staff never silently edit it.
    for user in (world.cosigner, world.staff, other_world.staff):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"title": "改了", "text": "改了"}).status_code == 404
    assert Item.objects.get(pk=item.pk).title != "改了"
    # The staff edit the drafts they entered for a proposer (代录入).
    entered = world.draft(by=world.staff, proposer=world.member, source_note="纸质原件")
    client.force_login(world.staff)
    assert client.get(reverse("items:edit", args=[entered.pk])).status_code == 200
    client.force_login(world.confirmed_cosigners(item, 1)[0])
    assert client.get(url).status_code == 403
    assert client.get(reverse("items:edit", args=[10**12])).status_code == 404


def test_edit_refuses_bad_input(client, world):
    item = world.draft()
    client.force_login(world.deputy)
    response = client.post(reverse("items:edit", args=[item.pk]), {"title": "", "text": ""})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "text"}


# The action view


def test_lead_submits(client, world):
    item = world.draft()
    client.force_login(world.deputy)
    response = act(client, item, "submit")
    assert response.status_code == 302
    assert response.url == reverse("items:detail", args=[item.pk])
    assert "The item was submitted." in flashed(response)
    item.refresh_from_db()
    assert item.state == "submitted"
    assert (last_entry(item).action, last_entry(item).actor) == ("item.submit", world.deputy)


def test_submission_waits_for_co_signers(client, world):
    item = world.draft()
    items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    client.force_login(world.deputy)
    response = act(client, item, "submit")
    assert response.status_code == 302
    assert "1 invited co-signers have not answered yet." in flashed(response)
    item.refresh_from_db()
    assert item.state == "draft"


def test_lead_withdraws_and_an_outside_next_is_ignored(client, world):
    item = world.draft()
    client.force_login(world.deputy)
    response = act(
        client, item, "withdraw", reason="已通过其他渠道解决", next="https://evil.example/"
    )
    assert response.url == reverse("items:detail", args=[item.pk])
    item.refresh_from_db()
    assert item.state == "withdrawn"
    assert last_entry(item).reason == "已通过其他渠道解决"


def test_staff_take_an_item_into_review_and_accept_it(client, world):
    item = world.draft(category=None)
    items.submit(item, by=world.deputy)
    client.force_login(world.staff)

    act(client, item, "receive")
    item.refresh_from_db()
    assert item.state == "under_review"

    category = world.body.categories.last()
    response = act(client, item, "accept", category=category.pk, is_public="on")

    item.refresh_from_db()
    assert (item.state, item.number, item.category, item.is_public) == (
        "accepted",
        1,
        category,
        True,
    )
    assert f"The item was accepted as {item.display_number}." in flashed(response)


def test_accepting_without_a_category_puts_the_error_next_to_the_field(client, world):
    item = reviewed(world, category=None)
    client.force_login(world.staff)
    response = act(client, item, "accept", category="")
    assert response.status_code == 200
    assert response.context["action"]["form"].errors["category"] == [
        "Choose a category before accepting."
    ]
    item.refresh_from_db()
    assert item.state == "under_review"


def test_rejecting_needs_a_reason(client, world):
    item = reviewed(world)
    client.force_login(world.staff)
    response = act(client, item, "reject", reason="  ")
    assert response.status_code == 200
    assert "reason" in response.context["action"]["form"].errors
    item.refresh_from_db()
    assert item.state == "under_review"

    act(client, item, "reject", reason="属于个人家庭事务")
    item.refresh_from_db()
    assert item.state == "rejected"
    assert last_entry(item).reason == "属于个人家庭事务"


def test_returned_item_waits_for_the_proposer(client, world):
    item = reviewed(world)
    client.force_login(world.staff)
    act(client, item, "return", reason="请补充具体建议", next=reverse("items:review"))
    item.refresh_from_db()
    assert item.state == "returned"
    client.force_login(world.deputy)
    page = client.get(reverse("items:mine")).content.decode()
    assert "Returned for revision" in page and "请补充具体建议" in page
    assert reverse("items:edit", args=[item.pk]) in page


def test_staff_merge_into_a_lead_item(client, world):
    lead = reviewed(world, title="关于老旧小区加装电梯的建议")
    item = reviewed(world, title="关于加装电梯补贴的建议")
    client.force_login(world.staff)
    response = act(client, item, "merge", into=lead.pk, reason="内容相近")
    assert "The item was merged." in flashed(response)
    item.refresh_from_db()
    assert (item.state, item.merged_into) == ("merged", lead)


def test_merge_refusals_are_shown_on_the_form(client, world, other_world):
    item = reviewed(world)
    foreign = other_world.draft()
    draft = world.draft()
    client.force_login(world.staff)
    for into, error in (
        ("", "Choose the item to merge into."),
        (foreign.pk, "Select a valid choice."),
        ("abc", "Select a valid choice."),
        (draft.pk, "The lead item is not open for merging."),
    ):
        response = act(client, item, "merge", into=into)
        assert response.status_code == 200, into
        assert error in " ".join(response.context["action"]["form"].errors["into"]), into
    item.refresh_from_db()
    assert item.state == "under_review"


def test_staff_convert_a_motion_to_a_suggestion(client, world):
    delegation_user, _ = make_proposer(world.body, "某代表团", member_type=MemberType.DELEGATION)
    motion = world.draft(by=delegation_user, kind="motion")
    items.submit(motion, by=delegation_user)
    items.receive(motion, by=world.staff)
    client.force_login(world.staff)
    act(client, motion, "convert", reason="未列入议案")
    motion.refresh_from_db()
    assert (motion.kind, motion.converted_from_motion) == ("suggestion", True)


def test_wrong_state_gives_a_message_and_changes_nothing(client, world):
    item = world.draft()
    items.submit(item, by=world.deputy)
    client.force_login(world.staff)
    response = act(client, item, "accept", category=world.category.pk)
    assert response.status_code == 302
    assert "Cannot accept: not possible in this state." in flashed(response)
    item.refresh_from_db()
    assert (item.state, item.number) == ("submitted", None)
    assert last_entry(item).action == "item.submit"


def test_forbidden_roles_get_403(client, world, other_world):
    item = world.draft()
    items.submit(item, by=world.deputy)
    cases = [
        (world.deputy, "receive"),
        (world.auditor, "reject"),
        (world.staff, "withdraw"),
    ]
    for user, action in cases:
        client.force_login(user)
        assert act(client, item, action, reason="x").status_code == 403, (user, action)
    # Those who may not read the item do not learn it exists.
    for user in (other_world.staff, world.coord[world.units[0].pk]):
        client.force_login(user)
        assert act(client, item, "receive", reason="x").status_code == 404
    draft = world.draft()
    items.invite_cosigners(draft, by=world.deputy, members=[world.cosigner_member])
    client.force_login(world.cosigner)
    assert act(client, draft, "submit").status_code == 404
    items.confirm_cosign(draft, by=world.cosigner)
    assert act(client, draft, "submit").status_code == 403
    item.refresh_from_db()
    assert item.state == "submitted"


def test_action_url_refuses_get_unknown_actions_and_unknown_items(client, world):
    item = world.draft()
    client.force_login(world.deputy)
    assert client.get(reverse("items:action", args=[item.pk, "submit"])).status_code == 405
    assert act(client, item, "assign").status_code == 404
    assert act(client, item, "explode").status_code == 404
    assert client.post(f"/items/{10**12}/do/submit/").status_code == 404
    item.refresh_from_db()
    assert item.state == "draft"


def test_every_button_of_the_panel_has_its_action():
    from banli.items.panels import PAGE_ACTIONS
    from banli.items.views.actions import ACTIONS
    from banli.items.workflow import ITEM_WORKFLOW

    assert set(ACTIONS) == set(PAGE_ACTIONS)
    assert all(ITEM_WORKFLOW[action] for action in ACTIONS)


# The review queue


def test_review_queue_lists_oldest_first_with_counts(client, world, other_world):
    with on(DAY - dt.timedelta(days=3)):
        older = world.draft(title="较早提交的建议")
        items.submit(older, by=world.deputy)
    newer = reviewed(world, title="较晚提交的建议")
    returned = reviewed(world, title="退回的建议")
    items.return_for_revision(returned, by=world.staff, reason="补充")
    world.draft(title="草稿不在队列")
    foreign = other_world.draft(title="外单位的建议")
    items.submit(foreign, by=other_world.deputy)
    client.force_login(world.staff)

    response = client.get(reverse("items:review"))

    page = response.content.decode()
    assert response.context["counts"] == {"submitted": 1, "under_review": 1, "returned": 1}
    assert [item for item, _ in response.context["rows"]] == [older, newer]
    assert "草稿不在队列" not in page and "外单位的建议" not in page
    assert reverse("items:action", args=[older.pk, "receive"]) in page
    for action in ("accept", "reject", "return", "merge"):
        assert reverse("items:action", args=[newer.pk, action]) in page
    assert reverse("items:action", args=[newer.pk, "convert"]) not in page  # not a motion
    under_review = client.get(reverse("items:review"), {"state": "under_review"})
    assert [item for item, _ in under_review.context["rows"]] == [newer]


def test_review_queue_is_for_staff(client, world):
    for user in (world.deputy, world.auditor, world.coord[world.units[0].pk]):
        client.force_login(user)
        assert client.get(reverse("items:review")).status_code == 403


def test_merge_candidates_are_open_items_of_the_same_kind(client, world, other_world):
    item = reviewed(world, title="关于加装电梯补贴的建议")
    lead = reviewed(world, title="关于老旧小区加装电梯的建议")
    unrelated = reviewed(world, title="关于治理噪声扰民的建议")
    draft = world.draft(title="关于电梯维保的建议")
    client.force_login(world.staff)
    url = reverse("items:merge_candidates", args=[item.pk])

    everything = client.get(url).content.decode()
    found = client.get(url, {"q": "电梯"}).content.decode()

    assert lead.title in everything and unrelated.title in everything
    assert item.title not in everything and draft.title not in everything
    assert lead.title in found and unrelated.title not in found
    assert f'value="{lead.pk}"' in found
    assert client.get(url, {"q": str(lead.pk)}).context["candidates"][0] == lead
    assert client.get(url, {"q": "))) OR 1=1 --"}).status_code == 200

    client.force_login(world.deputy)
    assert client.get(url).status_code == 403
    client.force_login(other_world.staff)
    assert client.get(url).status_code == 404
    assert client.get(reverse("items:merge_candidates", args=[10**12])).status_code == 404


# The item-actions panel


def test_lead_sees_the_draft_actions_on_the_item_page(client, world):
    item = world.draft()
    client.force_login(world.deputy)
    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert reverse("items:edit", args=[item.pk]) in page
    assert reverse("items:action", args=[item.pk, "submit"]) in page
    assert reverse("items:action", args=[item.pk, "withdraw"]) in page
    assert reverse("items:action", args=[item.pk, "accept"]) not in page


def test_staff_see_the_review_actions_and_others_see_no_panel(client, world):
    item = reviewed(world)
    client.force_login(world.staff)
    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    for action in ("accept", "reject", "return", "merge"):
        assert reverse("items:action", args=[item.pk, action]) in page
    assert reverse("items:action", args=[item.pk, "submit"]) not in page
    client.force_login(world.auditor)
    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert 'id="item-actions"' not in page


def test_co_signers_answers_are_polled_while_pending(client, world):
    item = world.draft()
    items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    client.force_login(world.deputy)
    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    fragment_url = reverse("items:cosigners", args=[item.pk])
    assert fragment_url in page and 'hx-trigger="every 10s"' in page

    items.confirm_cosign(item, by=world.cosigner)
    fragment = client.get(fragment_url).content.decode()
    assert "confirmed" in fragment and "every 10s" not in fragment

    client.force_login(make_proposer(world.body)[0])
    assert client.get(fragment_url).status_code == 404


def test_co_signer_sees_confirm_and_decline(client, world):
    item = world.draft()
    items.invite_cosigners(item, by=world.deputy, members=[world.cosigner_member])
    client.force_login(world.cosigner)
    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert reverse("items:action", args=[item.pk, "confirm_cosign"]) in page
    assert reverse("items:action", args=[item.pk, "decline_cosign"]) in page
    items.confirm_cosign(item, by=world.cosigner)
    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert reverse("items:action", args=[item.pk, "confirm_cosign"]) not in page
    assert reverse("items:action", args=[item.pk, "decline_cosign"]) in page


# Co-signer search


def test_co_signer_search_keeps_the_chosen_and_leaves_out_myself(client, world):
    zhao, _ = make_proposer(world.body, "赵代表")
    client.force_login(world.deputy)
    response = client.get(
        reverse("items:member_options"),
        {"cosigner_search": "李", "cosigners": [membership_of(zhao).member.pk, "x"]},
    )
    options = [(member.name, selected) for member, selected in response.context["options"]]
    assert options == [("赵代表", True), ("李代表", False)]
    everyone = client.get(reverse("items:member_options")).context["options"]
    assert world.member not in [member for member, _ in everyone]


# Attachments


def test_readers_download_an_attachment_under_its_name(client, world):
    item = world.assigned()
    attachment = attach(item, by=world.deputy, upload=pdf("调研报告.pdf"))
    url = reverse("items:attachment", args=[attachment.pk])
    for user in (world.deputy, world.staff, world.coord[world.units[0].pk]):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (
            "attachment; filename*=utf-8''%E8%B0%83%E7%A0%94%E6%8A%A5%E5%91%8A.pdf"
        )
        assert response["X-Content-Type-Options"] == "nosniff"


def test_attachment_download_is_refused_to_others(client, world, other_world):
    item = world.draft()
    attachment = attach(item, by=world.deputy, upload=pdf())
    url = reverse("items:attachment", args=[attachment.pk])
    others = (other_world.staff, make_proposer(world.body)[0], world.coord[world.units[1].pk])
    for user in (*others, world.staff):
        client.force_login(user)
        assert client.get(url).status_code == 404
    assert client.get(reverse("items:attachment", args=[10**12])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_panel_lists_the_items_files(client, world):
    item = world.draft()
    attachment = attach(item, by=world.deputy, upload=pdf("附件一.pdf"))
    client.force_login(world.deputy)
    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert reverse("items:attachment", args=[attachment.pk]) in page
    assert "附件一.pdf" in page


def test_another_body_cannot_act_even_on_a_public_item(client, world, other_world):
    item = world.accepted(is_public=True)
    client.force_login(other_world.staff)
    assert act(client, item, "accept").status_code == 404
    assert client.get(reverse("items:edit", args=[item.pk])).status_code == 404


def test_huge_or_unknown_ids_are_404_never_500(client, world):
    client.force_login(world.staff)
    huge = "9" * 25
    for url in (
        f"/items/{huge}/edit/",
        f"/items/{huge}/cosigners/",
        f"/items/{huge}/merge-candidates/",
        f"/items/attachments/{huge}/",
        f"/items/members/?item={huge}",
        "/items/members/?item=abc",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/items/{huge}/do/receive/").status_code == 404


def test_proposer_marks_notices_read(client, world):
    from banli.core import clock
    from banli.notices.models import Notice

    with clock.frozen(dt.date(2026, 3, 2)):
        world.replied("A")
    unread = Notice.objects.filter(recipient=world.deputy, read_at__isnull=True)
    assert unread.count() > 0
    client.force_login(world.deputy)
    page = client.get(reverse("items:mine"))
    assert reverse("notices:read_all") in page.content.decode()
    assert client.get(reverse("notices:read_all")).status_code == 405
    response = client.post(reverse("notices:read_all"))
    assert response.status_code == 302
    assert not unread.exists()
    # Another reader's notice is not found.
    client.force_login(world.staff)
    other = Notice.objects.filter(recipient=world.deputy).first()
    assert client.post(reverse("notices:read", args=[other.pk])).status_code == 404


def test_the_review_queue_links_each_step_with_input_to_its_own_form_page(client, world):
    """No form per row: the queue links "not accepted" to a page with the reason's form,
    which returns to the queue; a step without input stays a button."""
    item = reviewed(world)
    client.force_login(world.staff)
    queue = client.get(reverse("items:review")).content.decode()
    reject = reverse("items:action", args=[item.pk, "reject"])
    assert f'href="{reject}?next=' in queue
    assert 'name="reason"' not in queue

    page = client.get(reject, {"next": reverse("items:review")})
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()
    assert f'name="next" value="{reverse("items:review")}"' in page.content.decode()
    response = client.post(
        reject, {"reason": "不属于本级职权范围。", "next": reverse("items:review")}
    )
    assert response.status_code == 302 and response.url == reverse("items:review")
    item.refresh_from_db()
    assert item.state == "rejected"


def test_a_step_without_input_is_never_taken_by_a_get(client, world):
    item = world.draft()
    items.submit(item, by=world.deputy)
    client.force_login(world.staff)
    response = client.get(reverse("items:action", args=[item.pk, "receive"]))
    assert response.status_code == 405
    item.refresh_from_db()
    assert item.state == "submitted"


def test_another_role_cannot_open_a_steps_form(client, world):
    item = reviewed(world)
    client.force_login(world.deputy)
    response = client.get(reverse("items:action", args=[item.pk, "reject"]))
    assert response.status_code == 403
