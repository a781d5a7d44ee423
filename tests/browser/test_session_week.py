"""One morning of a session week, in a real browser: twenty suggestions arrive; the staff take
them into review, accept and assign them in three batches; each unit's coordinator finds
the assignments in their notices and accepts them in one batch; the lead unit's handler
drafts a reply; the leader is warned that the co-handling unit's opinion is missing, sends
the draft back once, and signs the revised draft after confirming.

Each role's start page (工作台) is saved at desktop and tablet widths under
test-artifacts/screenshots/week-*.png."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from banli.core.models import HistoryEntry
from banli.handling.models import Assignment, Reply
from banli.items import services as items
from banli.items.models import Item
from banli.notices.models import Notice

pytestmark = pytest.mark.browser

COUNT = 20
TABLET = {"width": 820, "height": 1100}
FIRST_DRAFT = "经研究，我局将在老旧小区改造中统筹增加停车泊位。"
REVISED = "经研究，我局将在2027年底前于老旧小区改造中新增停车泊位300个，并同步完善交通组织。"


def success(page):
    return page.locator(".messages .msg-success")


def start_pages(visits, page, screenshot, name: str) -> None:
    """The role's start page at desktop width, then at tablet width."""
    page.goto(visits.url(reverse("home")))
    expect(page.locator("h1")).to_be_visible()
    screenshot(page, f"week-{name}-desktop")
    page.set_viewport_size(TABLET)
    screenshot(page, f"week-{name}-tablet")
    page.set_viewport_size({"width": 1280, "height": 900})


def run_batch(page, visits, list_path: str, step: str, fill=None) -> None:
    """Select every row of the list's page, open the batch page and run `step` to its end."""
    page.goto(visits.url(list_path))
    bar = page.locator("#batch-bar")
    page.locator('#batch-bar button[data-batch="page"]').click()
    expect(bar).to_contain_text(f"{COUNT} selected")
    bar.locator("a.primary").click()
    form = page.locator(f"#step-{step}")
    expect(form).to_contain_text(f"{COUNT} of the {COUNT} selected can take this step now")
    if fill is not None:
        fill(form)
    form.locator("button[type=submit]").click()
    progress = page.locator("#batch-progress")
    expect(progress).to_contain_text("The batch is finished.", timeout=60_000)
    expect(progress).to_contain_text(f"Done: {COUNT}")


def test_a_session_week_morning(visits, screenshot, world):
    lead_unit, co_unit = world.units
    lead_coord, co_coord = world.coord[lead_unit.pk], world.coord[co_unit.pk]
    handler, leader = world.handler[lead_unit.pk], world.leader[lead_unit.pk]
    for n in range(COUNT):
        item = world.draft(title=f"关于第{n + 1}片区老旧小区增设停车泊位的建议")
        items.submit(item, by=world.deputy)

    # The staff: receive, accept with a category and assign, twenty at a time.
    staff = visits.login(world.staff)
    start_pages(visits, staff, screenshot, "staff")
    expect(staff.locator("main")).to_contain_text(str(COUNT))
    listing = reverse("items:list")
    run_batch(staff, visits, f"{listing}?state=submitted", "receive")
    run_batch(
        staff,
        visits,
        f"{listing}?state=under_review",
        "accept",
        lambda form: form.locator("select").select_option(label=world.category.name),
    )

    def units(form):
        form.locator(f'input[name=lead_units][value="{lead_unit.pk}"]').check()
        form.locator(f'input[name=co_units][value="{co_unit.pk}"]').check()

    run_batch(staff, visits, f"{listing}?state=accepted", "assign", units)
    assigned = Item.objects.filter(body=world.body, state="assigned")
    assert assigned.count() == COUNT
    # Each item went through its own step: one history entry each, naming the staff member.
    for action in ("item.receive", "item.accept", "item.assign"):
        entries = HistoryEntry.objects.filter(action=action, actor=world.staff)
        assert entries.count() == COUNT, action
    assert sorted(assigned.values_list("number", flat=True)) == list(range(1, COUNT + 1))

    # Each coordinator sees the count in the header, reads the notices, accepts in one batch.
    for coord, name in ((lead_coord, "lead-coordinator"), (co_coord, "co-coordinator")):
        page = visits.login(coord)
        count = page.locator(".notices-link .count")
        expect(count).to_have_text(str(COUNT))
        start_pages(visits, page, screenshot, name)
        page.locator(".notices-link").click()
        expect(page.locator("ul.notices li.notice.unread")).to_have_count(COUNT)
        expect(page.locator("ul.notices")).to_contain_text("was assigned to")
        page.locator('button[form="read-all"]').click()
        expect(page.locator(".notices-link .count")).to_have_count(0)
        run_batch(page, visits, reverse("handling:inbox"), "accept_assignment")
        taken = Assignment.objects.filter(unit=coord.memberships.get().unit, state="handling")
        assert taken.count() == COUNT
    first = Item.objects.filter(body=world.body).order_by("number").first()
    lead = first.assignments.get(unit=lead_unit)
    item_url = reverse("items:detail", args=[first.pk])
    reply_url = reverse("handling:reply", args=[lead.pk])

    # The handler drafts the reply of the first item.
    as_handler = visits.login(handler)
    start_pages(visits, as_handler, screenshot, "handler")
    as_handler.goto(visits.url(reply_url))
    draft = as_handler.locator("form.unit-reply-form")
    draft.locator('input[name=result_class][value="A"]').check()
    draft.locator("textarea[name=text]").fill(FIRST_DRAFT)
    draft.locator("button[type=submit].primary").click()
    expect(success(as_handler)).to_contain_text("The reply is saved.")

    # The leader: told a draft waits, warned that the co-handling opinion is missing.
    as_leader = visits.login(leader)
    expect(as_leader.locator(".notices-link .count")).to_have_text("1")
    start_pages(visits, as_leader, screenshot, "leader")
    as_leader.goto(visits.url(reverse("handling:signing")))
    signing = as_leader.locator(f"#signing-{lead.pk}")
    expect(signing.locator(".msg-warning[role=alert]")).to_contain_text(co_unit.name)
    expect(as_leader.locator(f"section.card:has(#signing-{lead.pk})")).to_contain_text(FIRST_DRAFT)
    screenshot(as_leader, "week-leader-signing")
    signing.locator("details.action summary").click()
    back = signing.locator(
        f'form[action="{reverse("handling:assignment_action", args=[lead.pk, "return_draft"])}"]'
    )
    back.locator("textarea").fill("请写明新增泊位的数量和完成时限。")
    back.locator("button[type=submit]").click()
    expect(success(as_leader)).to_be_visible()
    assert Reply.objects.get(assignment=lead).returned_at is not None

    # The handler reads why, revises; the leader confirms and signs.
    as_handler.goto(visits.url(item_url))
    expect(as_handler.locator("main")).to_contain_text("请写明新增泊位的数量和完成时限。")
    assert Notice.objects.filter(kind="reply.returned", recipient=handler).exists()
    as_handler.goto(visits.url(reply_url))
    draft = as_handler.locator("form.unit-reply-form")
    draft.locator("textarea[name=text]").fill(REVISED)
    draft.locator("button[type=submit].primary").click()
    expect(success(as_handler)).to_contain_text("The reply is saved.")

    as_leader.goto(visits.url(reverse("handling:signing")))
    signing = as_leader.locator(f"#signing-{lead.pk}")
    expect(as_leader.locator(f"section.card:has(#signing-{lead.pk})")).to_contain_text(REVISED)
    sign = reverse("handling:assignment_action", args=[lead.pk, "sign_reply"])
    signing.locator(f'form[action="{sign}"] button[type=submit]').click()
    # Without the confirmation nothing is signed.
    assert Reply.objects.get(assignment=lead).signed_at is None
    as_leader.goto(visits.url(reverse("handling:signing")))
    signing = as_leader.locator(f"#signing-{lead.pk}")
    signing.locator(f"#id_a{lead.pk}_confirm").check()
    signing.locator(f'form[action="{sign}"] button[type=submit]').click()
    expect(success(as_leader)).to_contain_text("The reply is signed and sent to the proposers.")
    reply = Reply.objects.get(assignment=lead)
    assert reply.signed_by == leader and reply.text == REVISED
    first.refresh_from_db()
    assert first.state == "replied"
    assert Notice.objects.filter(kind="item.replied", recipient=world.deputy).count() == 1
