"""Who reads what (issue 13, "Privacy and access"): drafts are the proposers' own, an invitee
reads only the invitation, a unit reads only what it still holds, merged items' proposers
read the lead item, invisible records answer 404, the proposer's files reach every reader,
and auditors and supervising leaders read the lists without acting."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from banli.core.uploads import attach
from banli.handling import services as handling
from banli.handling.access import HELD_STATES
from banli.handling.workflow import AssignmentState
from banli.items import services as items
from banli.items.models import Item
from banli.notices.models import Notice
from banli.supervision.services import mark_key

from .factories import World, make_proposer, membership_of, on

DAY = dt.date(2026, 3, 2)  # a Monday
PDF = b"%PDF-1.4\n% survey\n"


@pytest.fixture(autouse=True)
def _on_a_working_day():
    with on(DAY):
        yield


def visible(user) -> set[Item]:
    return set(Item.objects.visible_to(user))


def page(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(name, args=args), params)


def detail(client, user, item):
    return page(client, user, "items:detail", item.pk)


def pdf(name="调研报告.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def readers(world):
    """The body's readers who are neither proposer of the item nor its unit."""
    return [world.staff, world.auditor, world.supervisor]


def replied_privately(world, item, unit, *, phone="13800001111"):
    """`unit` accepts its assignment and sends a non-public reply with a contact phone."""
    a = world.lead_assignment(item, unit)
    handling.accept_assignment(a, by=world.coord[unit.pk])
    handling.draft_reply(
        a,
        by=world.handler[unit.pk],
        text="非公开答复：经研究，拟于年内解决。",
        result_class="A",
        contact_name="王科长",
        contact_phone=phone,
    )
    handling.sign_reply(a, by=world.leader[unit.pk])
    return a


# 1. Drafts are private


def test_a_draft_is_read_only_by_its_lead_and_confirmed_cosigners(client, world):
    draft = world.draft(title="尚未提交的草稿")
    joined = world.confirmed_cosigners(draft, 1)[0]
    assert draft in visible(world.deputy) and draft in visible(joined)
    for user in readers(world):
        assert draft not in visible(user), membership_of(user).roles
        assert detail(client, user, draft).status_code == 404
        listed = page(client, user, "items:list", q="尚未提交").content.decode()
        assert "尚未提交的草稿" not in listed
    assert detail(client, joined, draft).status_code == 200


def test_a_draft_withdrawn_before_submission_stays_private(world):
    withdrawn = world.draft()
    items.withdraw(withdrawn, by=world.deputy)
    after_submission = world.draft()
    items.submit(after_submission, by=world.deputy)
    items.withdraw(after_submission, by=world.deputy)
    for user in readers(world):
        assert withdrawn not in visible(user)
        assert after_submission in visible(user)
    assert withdrawn in visible(world.deputy)


def test_a_draft_staff_entered_for_a_deputy_is_read_by_the_staff_and_the_deputy(world):
    entered = world.draft(by=world.staff, proposer=world.member, source_note="纸质原件")
    assert entered in visible(world.staff)
    assert entered in visible(world.deputy)
    assert entered not in visible(world.auditor) | visible(world.supervisor)
    own = world.draft()
    assert own not in visible(world.staff)


def test_staff_see_the_item_once_it_is_submitted(world):
    item = world.draft()
    items.submit(item, by=world.deputy)
    for user in readers(world):
        assert item in visible(user)


# 2. Invitees


def test_a_pending_invitee_reads_the_invitation_not_the_case_file(client, world):
    draft = world.draft(title="邀请附议的草稿", text="草稿正文：建议增设公交线路。")
    attach(draft, by=world.deputy, upload=pdf("草稿附件.pdf"))
    items.invite_cosigners(draft, by=world.deputy, members=[world.cosigner_member])
    assert draft not in visible(world.cosigner)
    listed = page(client, world.cosigner, "items:list").content.decode()
    assert "邀请附议的草稿" not in listed

    response = detail(client, world.cosigner, draft)
    assert response.status_code == 200
    body = response.content.decode()
    # The invitation: what is asked, by whom, and the two answers.
    assert "草稿正文：建议增设公交线路。" in body and "王代表" in body
    assert reverse("items:action", args=[draft.pk, "confirm_cosign"]) in body
    assert reverse("items:action", args=[draft.pk, "decline_cosign"]) in body
    # Not the case file: no files, no timeline, no editing.
    assert "草稿附件.pdf" not in body and "Timeline" not in body
    assert reverse("items:edit", args=[draft.pk]) not in body
    attachment_id = draft_attachment(draft)
    assert page(client, world.cosigner, "items:attachment", attachment_id).status_code == 404
    assert page(client, world.cosigner, "items:cosigners", draft.pk).status_code == 404

    # Answering works from the invitation, and a confirmed co-signer reads the case file.
    client.post(reverse("items:action", args=[draft.pk, "confirm_cosign"]))
    assert draft in visible(world.cosigner)
    assert "草稿附件.pdf" in detail(client, world.cosigner, draft).content.decode()


def draft_attachment(item) -> int:
    from banli.items.panels import item_attachments

    return item_attachments(item).get().pk


def test_an_invitee_who_never_confirmed_reads_nothing_once_submitted(client, world):
    item = world.draft(is_public=False)
    declined, _m = make_proposer(world.body, "赵代表")
    items.invite_cosigners(item, by=world.deputy, members=[membership_of(declined).member])
    items.decline_cosign(item, by=declined)
    assert item not in visible(declined)
    # While it is a draft the invitation stays readable (the invitee may change their mind).
    body = detail(client, declined, item).content.decode()
    assert "You have declined to co-sign this item." in body and "Timeline" not in body
    items.submit(item, by=world.deputy)
    items.receive(item, by=world.staff)
    items.accept(item, by=world.staff)
    handling.assign(item, by=world.staff, lead_units=[world.units[0]])
    replied_privately(world, item, world.units[0])
    assert item not in visible(declined)
    assert detail(client, declined, item).status_code == 404
    assert page(client, declined, "handling:evaluate", item.pk).status_code == 404


def test_only_confirmed_cosigners_read_a_public_items_non_public_reply(client, world):
    item = world.draft(is_public=True)
    declined, _m = make_proposer(world.body, "钱代表")
    joined = world.confirmed_cosigners(item, 1)[0]
    items.invite_cosigners(item, by=world.deputy, members=[membership_of(declined).member])
    items.decline_cosign(item, by=declined)
    items.submit(item, by=world.deputy)
    items.receive(item, by=world.staff)
    items.accept(item, by=world.staff)
    handling.assign(item, by=world.staff, lead_units=[world.units[0]])
    a = replied_privately(world, item, world.units[0])
    reply = a.replies.get()
    file = attach(reply, by=world.handler[a.unit_id], upload=pdf("答复函.pdf"), root=item)

    # The declined invitee reads the public item like any deputy of the body...
    response = detail(client, declined, item)
    assert response.status_code == 200
    body = response.content.decode()
    assert "非公开答复" not in body and "13800001111" not in body
    assert page(client, declined, "items:attachment", file.pk).status_code == 404
    # ...while the confirmed co-signer reads the reply, its contact and its file.
    body = detail(client, joined, item).content.decode()
    assert "非公开答复" in body and "13800001111" in body
    assert page(client, joined, "items:attachment", file.pk).status_code == 200


# 3. A unit that no longer holds the assignment


def reassigned_away(world):
    """The item went to units[0], which disputed; the staff gave it to units[1], which
    replied privately."""
    old, new = world.units
    item = world.assigned(lead=[old])
    first = world.lead_assignment(item, old)
    handling.dispute(first, by=world.coord[old.pk], reason="不属于本单位职责")
    handling.reassign(first, by=world.staff, to_unit=new, reason="职责调整")
    replied_privately(world, item, new, phone="13900002222")
    return item, first


def test_a_unit_reassigned_away_reads_the_item_no_more(client, world):
    item, first = reassigned_away(world)
    old = world.units[0]
    for role in (world.coord, world.handler, world.leader):
        user = role[old.pk]
        assert item not in visible(user)
        assert detail(client, user, item).status_code == 404
        assert page(client, user, "handling:reply", first.pk).status_code == 404
    client.force_login(world.coord[old.pk])
    url = reverse("handling:assignment_action", args=[first.pk, "log_contact"])
    assert (
        client.post(url, {"stage": "before", "method": "phone", "on": "2026-03-02"}).status_code
        == 404
    )
    # The unit that holds it now reads it.
    assert item in visible(world.handler[world.units[1].pk])


def test_a_former_unit_reads_a_public_item_as_the_public_does(client, world):
    old, new = world.units
    item = world.assigned(lead=[old], is_public=True)
    first = world.lead_assignment(item, old)
    handling.dispute(first, by=world.coord[old.pk], reason="不属于本单位职责")
    handling.reassign(first, by=world.staff, to_unit=new, reason="职责调整")
    replied_privately(world, item, new, phone="13900002222")
    response = detail(client, world.handler[old.pk], item)
    assert response.status_code == 200
    body = response.content.decode()
    assert "非公开答复" not in body and "13900002222" not in body
    assert reverse("handling:reply", args=[first.pk]) not in body
    assert page(client, world.handler[old.pk], "handling:reply", first.pk).status_code == 404
    # The unit holding it reads its own reply and phone.
    body = detail(client, world.handler[new.pk], item).content.decode()
    assert "非公开答复" in body and "13900002222" in body


def test_a_unit_holds_its_assignment_in_every_state_but_reassigned_or_withdrawn():
    # A new assignment state must be placed on purpose: held (the unit reads) or not. A unit
    # whose assignment the staff withdrew (given by mistake) reads the item no more.
    gone = {AssignmentState.REASSIGNED, AssignmentState.WITHDRAWN}
    assert set(HELD_STATES) == set(AssignmentState.values) - gone


# 4. Merged items (并案, 分别答复)


def test_proposers_of_a_merged_item_read_the_lead_item_and_its_reply(client, world):
    lead_item = world.draft(title="主办件")
    items.submit(lead_item, by=world.deputy)
    items.receive(lead_item, by=world.staff)
    other, other_member = make_proposer(world.body, "孙代表")
    merged = world.draft(by=other, title="被并案件")
    co_user, co_member = make_proposer(world.body, "周代表")
    items.invite_cosigners(merged, by=other, members=[co_member])
    items.confirm_cosign(merged, by=co_user)
    items.submit(merged, by=other)
    items.receive(merged, by=world.staff)
    items.merge(merged, by=world.staff, into=lead_item)
    items.accept(lead_item, by=world.staff)
    handling.assign(lead_item, by=world.staff, lead_units=[world.units[0]])
    replied_privately(world, lead_item, world.units[0])
    stranger, _m = make_proposer(world.body, "吴代表")

    for user in (other, co_user):
        assert lead_item in visible(user)
        notice = Notice.objects.get(recipient=user, kind="item.replied")
        body = page(client, user, "items:mine").content.decode()
        link = reverse("items:detail", args=[notice.item_id])
        assert link in body
        response = client.get(link)
        assert response.status_code == 200
        assert "非公开答复" in response.content.decode()
    assert lead_item not in visible(stranger)


# 5. Invisible records answer 404


def test_another_bodys_records_answer_404(client, world):
    elsewhere = World()
    item = world.draft()
    attachment = attach(item, by=world.deputy, upload=pdf())
    items.submit(item, by=world.deputy)
    items.receive(item, by=world.staff)
    items.accept(item, by=world.staff)
    handling.assign(item, by=world.staff, lead_units=[world.units[0]])
    a = world.lead_assignment(item)
    extension = handling.request_extension(
        a, by=world.coord[a.unit_id], until=dt.date(2026, 7, 1), reason="需协调"
    )
    staff = elsewhere.staff
    gets = [
        ("items:detail", item.pk),
        ("items:edit", item.pk),
        ("items:cosigners", item.pk),
        ("items:merge_candidates", item.pk),
        ("items:attachment", attachment.pk),
        ("handling:assign", item.pk),
        ("handling:evaluate", item.pk),
        ("supervision:mark_key", item.pk),
    ]
    for name, pk in gets:
        assert page(client, staff, name, pk).status_code == 404, name
    posts = [
        reverse("items:action", args=[item.pk, "receive"]),
        reverse("handling:decide_extension", args=[extension.pk]),
        reverse("handling:reassign", args=[a.pk]),
        reverse("handling:close", args=[item.pk]),
    ]
    for url in posts:
        assert client.post(url, {"decision": "approve"}).status_code == 404, url
    their_coord = elsewhere.coord[elsewhere.units[0].pk]
    assert page(client, their_coord, "handling:reply", a.pk).status_code == 404
    client.force_login(their_coord)
    url = reverse("handling:assignment_action", args=[a.pk, "accept"])
    assert client.post(url).status_code == 404


def test_another_units_assignment_answers_404(client, world):
    item = world.assigned(lead=[world.units[0]], co=[world.units[1]])
    lead = world.lead_assignment(item)
    co_coord = world.coord[world.units[1].pk]
    assert page(client, co_coord, "handling:reply", lead.pk).status_code == 404
    url = reverse("handling:assignment_action", args=[lead.pk, "accept"])
    assert client.post(url).status_code == 404


def test_a_deputy_cannot_tell_anothers_draft_exists(client, world):
    draft = world.draft()
    other, _m = make_proposer(world.body, "郑代表")
    for name in ("items:detail", "items:edit", "items:cosigners"):
        assert page(client, other, name, draft.pk).status_code == 404
    assert page(client, other, "items:detail", 10**9).status_code == 404


# 6. The proposer's files reach every reader


def test_the_proposers_files_are_listed_for_every_reader(client, world):
    item = world.draft()
    attachment = attach(item, by=world.deputy, upload=pdf("现场照片说明.pdf"))
    items.submit(item, by=world.deputy)
    items.receive(item, by=world.staff)
    items.accept(item, by=world.staff)
    handling.assign(item, by=world.staff, lead_units=[world.units[0]], co_units=[world.units[1]])
    download = reverse("items:attachment", args=[attachment.pk])
    unit_people = [world.handler[world.units[0].pk], world.coord[world.units[1].pk]]
    for user in [world.deputy, *readers(world), *unit_people]:
        body = detail(client, user, item).content.decode()
        assert "现场照片说明.pdf" in body and download in body, membership_of(user).roles
        assert client.get(download).status_code == 200


# 7. Auditors and supervising leaders read the lists, and cannot act


@pytest.fixture
def office(world):
    """A disputed assignment, a pending extension, a key item under the supervisor."""
    disputed_item = world.assigned(title="有争议的建议")
    disputed = world.lead_assignment(disputed_item)
    handling.dispute(disputed, by=world.coord[disputed.unit_id], reason="非本单位职责")
    key_item = world.assigned(title="重点督办的建议", lead=[world.units[1]])
    mark_key(key_item, by=world.staff, supervisor=world.supervisor)
    a = world.lead_assignment(key_item, world.units[1])
    handling.accept_assignment(a, by=world.coord[a.unit_id])
    extension = handling.request_extension(
        a, by=world.coord[a.unit_id], until=dt.date(2026, 7, 1), reason="需协调"
    )
    return {"disputed": disputed, "key_item": key_item, "extension": extension}


def test_the_auditor_reads_every_list_without_buttons(client, world, office):
    auditor = world.auditor
    for name, title in [
        ("handling:disputes", "有争议的建议"),
        ("handling:extensions", "重点督办的建议"),
        ("supervision:key_items", "重点督办的建议"),
        ("handling:board", None),
    ]:
        response = page(client, auditor, name)
        assert response.status_code == 200, name
        body = response.content.decode()
        if title:
            assert title in body, name
    disputes = page(client, auditor, "handling:disputes").content.decode()
    assert reverse("handling:reassign", args=[office["disputed"].pk]) not in disputes
    extensions = page(client, auditor, "handling:extensions").content.decode()
    assert reverse("handling:decide_extension", args=[office["extension"].pk]) not in extensions
    refused = [
        reverse("handling:reassign", args=[office["disputed"].pk]),
        reverse("handling:dismiss", args=[office["disputed"].pk]),
        reverse("handling:decide_extension", args=[office["extension"].pk]),
        reverse("supervision:mark_key", args=[office["disputed"].item_id]),
    ]
    for url in refused:
        assert client.post(url, {"decision": "approve", "reason": "x"}).status_code == 403, url
    names = [link["name"] for link in page(client, auditor, "handling:board").context["nav_links"]]
    for name in ("handling:disputes", "handling:extensions", "supervision:key_items"):
        assert name in names


def test_the_supervisor_reads_the_lists_of_their_items(client, world, office):
    leader = world.supervisor
    extensions = page(client, leader, "handling:extensions")
    assert extensions.status_code == 200
    assert "重点督办的建议" in extensions.content.decode()
    assert reverse("handling:decide_extension", args=[office["extension"].pk]) not in (
        extensions.content.decode()
    )
    disputes = page(client, leader, "handling:disputes")
    assert disputes.status_code == 200
    # The disputed item is not one of theirs.
    assert "有争议的建议" not in disputes.content.decode()
    key_items = page(client, leader, "supervision:key_items")
    assert key_items.status_code == 200 and "重点督办的建议" in key_items.content.decode()
    # The deadline board shows their items unless they ask for the whole body.
    board = page(client, leader, "handling:board")
    assert board.context["counts"]["open"] == 1
    whole = page(client, leader, "handling:board", scope="body")
    assert whole.context["counts"]["open"] == 2
    client.force_login(leader)
    url = reverse("handling:decide_extension", args=[office["extension"].pk])
    assert client.post(url, {"decision": "approve"}).status_code == 403


# Efficiency


def test_visible_to_is_one_query_without_per_row_checks(world):
    for _ in range(3):
        world.assigned()
    world.confirmed_cosigners(world.draft(), 1)
    for user in [world.deputy, world.coord[world.units[0].pk], world.staff]:
        with CaptureQueriesContext(connection) as queries:
            list(Item.objects.visible_to(user))
        # memberships (cached afterwards) + the items themselves
        assert len(queries) <= 2
        assert "DISTINCT" not in queries.captured_queries[-1]["sql"].upper()
