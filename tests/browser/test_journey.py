"""The whole loop through the pages, in a real browser: a deputy's suggestion is drafted,
co-signed, submitted, accepted, assigned to a lead and a co-handling unit, handled, replied to,
found unsatisfactory, handled again and closed; a user of another body is refused the item.

Each person works in a browser context of their own and logs in through the login page.
Screenshots of each role's main page are saved under test-artifacts/screenshots/."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from banli.handling import services as handling
from banli.handling.models import CoHandlingOpinion, Contact, Evaluation, Reply
from banli.items.models import CoSigner, Item

pytestmark = pytest.mark.browser

TITLE = "关于增加老旧小区停车位的建议"
TEXT = "老旧小区停车难问题突出，建议挖潜增加停车泊位，利用边角地建设立体停车设施。"
OPINION = "我局同意在小区周边道路施划夜间临时停车泊位，并配合做好交通组织。"
FIRST_REPLY = "经研究，拟在明年建设两处立体停车设施，预计2027年6月底完工。"
SECOND_REPLY = "经再次研究，已在三个老旧小区新增停车泊位320个，并已投入使用。"
PLANNED = dt.date(2027, 6, 30)


def success(page):
    """The flash message telling the user that what they did worked."""
    return page.locator(".messages .msg-success")


def action_button(page, path: str):
    """The submit button of the form that posts to `path`."""
    return page.locator(f'form[action="{path}"] button[type=submit]')


def unfold(page, form_path: str):
    """Open the folded form (<details>) that posts to `form_path`."""
    # The innermost <details> around the form (the last in document order).
    details = page.locator(f'details:has(form[action="{form_path}"])').last
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details.locator(f'form[action="{form_path}"]')


def from_today(visits, page, path: str):
    """Every role starts the day on the start page (工作台); its menu leads to the role's pages."""
    expect(page).to_have_url(visits.url(reverse("home")))
    page.locator(f'nav.mainnav a[href="{path}"]').first.click()
    expect(page).to_have_url(visits.url(path))


def state_of(item) -> str:
    item.refresh_from_db()
    return item.state


def test_a_suggestion_goes_round_the_whole_loop(visits, screenshot, world, other_world):
    deputy, cosigner, staff = world.deputy, world.cosigner, world.staff
    lead_unit, co_unit = world.units
    lead_coord, co_coord = world.coord[lead_unit.pk], world.coord[co_unit.pk]
    handler, leader = world.handler[lead_unit.pk], world.leader[lead_unit.pk]

    # 1. The deputy writes the suggestion and invites a co-signer.
    as_deputy = visits.login(deputy)
    from_today(visits, as_deputy, reverse("items:mine"))
    as_deputy.locator(f'nav.mainnav a[href="{reverse("items:create")}"]').click()
    form = as_deputy.locator("main form.form")
    form.locator("#id_kind").select_option("suggestion")
    form.locator("#id_session").select_option(str(world.session.pk))
    form.locator("#id_title").fill(TITLE)
    form.locator("#id_text").fill(TEXT)
    form.locator("#id_category").select_option(str(world.category.pk))
    form.locator("#id_cosigners").select_option(str(world.cosigner_member.pk))
    form.locator("button[type=submit].primary").click()
    expect(success(as_deputy)).to_contain_text("The draft is saved")

    item = Item.objects.get(title=TITLE)
    item_url = reverse("items:detail", args=[item.pk])
    expect(as_deputy).to_have_url(visits.url(item_url))
    assert item.state == "draft" and item.proposer == world.member
    invitation = CoSigner.objects.get(item=item)
    assert invitation.member == world.cosigner_member and invitation.status == "pending"
    expect(as_deputy.locator(f"#cosigners-{item.pk} .badge.state-pending")).to_have_count(1)

    # 2. The co-signer confirms from their start page.
    as_cosigner = visits.login(cosigner)
    from_today(visits, as_cosigner, reverse("items:mine"))
    confirm = reverse("items:action", args=[item.pk, "confirm_cosign"])
    action_button(as_cosigner, confirm).click()
    expect(success(as_cosigner)).to_contain_text("You confirmed co-signing this item.")
    expect(action_button(as_cosigner, confirm)).to_have_count(0)
    invitation.refresh_from_db()
    assert invitation.status == "confirmed"

    # 3. The deputy sees the confirmation and submits.
    as_deputy.goto(visits.url(item_url))
    expect(as_deputy.locator(f"#cosigners-{item.pk} .badge.state-closed")).to_have_count(1)
    action_button(as_deputy, reverse("items:action", args=[item.pk, "submit"])).click()
    expect(success(as_deputy)).to_contain_text("The item was submitted.")
    assert state_of(item) == "submitted"

    # 4. The staff take it in, accept it, mark it key and assign it.
    as_staff = visits.login(staff)
    review = reverse("items:review")
    from_today(visits, as_staff, review)
    expect(as_staff.locator(f'main article a[href="{item_url}"]')).to_be_visible()
    screenshot(as_staff, "staff-review")
    action_button(as_staff, reverse("items:action", args=[item.pk, "receive"])).click()
    expect(success(as_staff)).to_contain_text("The review has started.")
    expect(as_staff).to_have_url(visits.url(review))
    assert state_of(item) == "under_review"

    # The queue links each step that takes input to its form's own page.
    accept_path = reverse("items:action", args=[item.pk, "accept"])
    as_staff.locator(f'main a[href^="{accept_path}?next="]').click()
    accept = as_staff.locator(f'main form[action="{accept_path}"]')
    accept.locator("select[name=category]").select_option(str(world.category.pk))
    accept.locator("button[type=submit]").click()
    expect(success(as_staff)).to_contain_text("The item was accepted as")
    item.refresh_from_db()
    assert item.state == "accepted" and item.number is not None
    with translation.override("en"):
        expect(success(as_staff)).to_have_text(f"The item was accepted as {item.display_number}.")

    as_staff.goto(visits.url(item_url))
    key = unfold(as_staff, reverse("supervision:mark_key", args=[item.pk]))
    key.locator("select[name=supervisor]").select_option(str(world.supervisor.pk))
    key.locator("input[name=lead_handler]").fill("分管副市长")
    key.locator("button[type=submit]").click()
    expect(success(as_staff)).to_contain_text("is a key item")
    expect(as_staff.locator("#key-item .badge.key")).to_be_visible()

    assign = reverse("handling:assign", args=[item.pk])
    as_staff.locator(f'#handling-steps a[href="{assign}"]').click()
    expect(as_staff).to_have_url(visits.url(assign))
    due = handling.planned_due_dates(item, complex=False)
    preview = as_staff.locator("#preview")
    expect(preview.locator(".due-co")).to_have_count(0)
    as_staff.locator(f'input[name=lead_units][value="{lead_unit.pk}"]').check()
    as_staff.locator(f'input[name=co_units][value="{co_unit.pk}"]').check()
    # The preview follows the ticks (htmx): both units and their due dates, before confirming.
    expect(preview.locator(".due-co")).to_have_text(due.co.isoformat())
    expect(preview.locator(".due-lead")).to_have_text(due.lead.isoformat())
    expect(preview.locator(".due-dispute")).to_have_text(due.dispute.isoformat())
    expect(preview).to_contain_text(lead_unit.name)
    expect(preview).to_contain_text(co_unit.name)
    as_staff.locator("main form.form button[type=submit].primary").click()
    expect(success(as_staff)).to_contain_text(
        f"The item was assigned. The reply is due on {due.lead.isoformat()}."
    )
    expect(as_staff).to_have_url(visits.url(item_url))
    assert state_of(item) == "assigned"
    lead = item.assignments.get(unit=lead_unit, role="lead")
    co = item.assignments.get(unit=co_unit, role="co")
    assert (lead.state, lead.due_on) == ("pending", due.lead)
    assert (co.state, co.due_on) == ("pending", due.co)

    # 5. The co-handling unit accepts in its inbox and sends its opinion to the lead unit.
    as_co = visits.login(co_coord)
    inbox = reverse("handling:inbox")
    from_today(visits, as_co, inbox)
    action_button(as_co, reverse("handling:assignment_action", args=[co.pk, "accept"])).click()
    expect(success(as_co)).to_contain_text("The assignment is accepted")
    as_co.goto(visits.url(item_url))
    opinion = unfold(as_co, reverse("handling:assignment_action", args=[co.pk, "send_opinion"]))
    opinion.locator("textarea[name=text]").fill(OPINION)
    opinion.locator("button[type=submit]").click()
    expect(success(as_co)).to_contain_text("The opinion is sent to the lead unit.")
    co.refresh_from_db()
    assert co.state == "opinion_sent"
    assert CoHandlingOpinion.objects.get(assignment=co).text == OPINION

    # 6. The lead unit accepts, names the handler; the handler meets the deputy and drafts.
    as_coord = visits.login(lead_coord)
    from_today(visits, as_coord, inbox)
    expect(as_coord.locator(f'main a[href="{item_url}"]')).to_be_visible()
    screenshot(as_coord, "unit-coordinator-inbox")
    action_button(as_coord, reverse("handling:assignment_action", args=[lead.pk, "accept"])).click()
    expect(success(as_coord)).to_contain_text("The assignment is accepted")
    assert state_of(item) == "in_handling"
    as_coord.goto(visits.url(item_url))
    workspace = as_coord.locator(f"#unit-assignment-{lead.pk}")
    expect(workspace).to_contain_text(OPINION)  # the co-handling unit's opinion reached it
    naming = unfold(as_coord, reverse("handling:assignment_action", args=[lead.pk, "name_handler"]))
    naming.locator("select[name=handler]").select_option(str(handler.pk))
    naming.locator("input[name=phone]").fill("0514-87654321")
    naming.locator("button[type=submit]").click()
    expect(success(as_coord)).to_contain_text("The handler is named.")
    lead.refresh_from_db()
    assert lead.handler == handler and lead.state == "handling"

    as_handler = visits.login(handler)
    from_today(visits, as_handler, reverse("handling:unit_items"))
    expect(as_handler.locator("tr.unit-mine-row")).to_have_count(1)
    screenshot(as_handler, "unit-handler-items")
    as_handler.locator(f'tr.unit-mine-row a[href="{item_url}"]').click()
    contact = unfold(
        as_handler, reverse("handling:assignment_action", args=[lead.pk, "log_contact"])
    )
    expect(contact.locator("select[name=stage]")).to_have_value("before")
    contact.locator("select[name=method]").select_option("site_visit")
    contact.locator("textarea[name=notes]").fill("与王代表到小区现场查看停车情况。")
    contact.locator("button[type=submit]").click()
    expect(success(as_handler)).to_contain_text("The contact with the proposer is logged.")
    assert Contact.objects.filter(assignment=lead, stage="before", method="site_visit").exists()

    reply_url = reverse("handling:reply", args=[lead.pk])
    as_handler.locator(f'#unit-assignment-{lead.pk} a[href="{reply_url}"]').click()
    expect(as_handler).to_have_url(visits.url(reply_url))
    draft_reply(as_handler, "B", FIRST_REPLY, planned=PLANNED)
    first = Reply.objects.get(assignment=lead, round=1)
    assert (first.result_class, first.planned_on, first.signed_at) == ("B", PLANNED, None)

    # 7. The unit leader signs it in the signing queue: the reply goes to the deputies.
    as_leader = visits.login(leader)
    signing = reverse("handling:signing")
    from_today(visits, as_leader, signing)
    expect(as_leader.locator("main .unit-reply .badge.cls")).to_have_text("B")
    screenshot(as_leader, "unit-leader-signing")
    sign = reverse("handling:assignment_action", args=[lead.pk, "sign_reply"])
    # Signing is confirmed: the box beside the button says the draft was read.
    as_leader.locator(f"#id_a{lead.pk}_confirm").check()
    action_button(as_leader, sign).click()
    expect(success(as_leader)).to_contain_text("The reply is signed and sent to the proposers.")
    expect(action_button(as_leader, sign)).to_have_count(0)
    assert state_of(item) == "replied"
    first.refresh_from_db()
    assert first.signed_by == leader

    # 8. The deputy is not satisfied with the result.
    evaluate = reverse("handling:evaluate", args=[item.pk])
    as_deputy.goto(visits.url(reverse("items:mine")))
    expect(as_deputy.locator(f'main a[href="{evaluate}"]')).to_be_visible()
    screenshot(as_deputy, "deputy-my-items")
    as_deputy.locator(f'main a[href="{evaluate}"]').click()
    expect(as_deputy.locator("main")).to_contain_text(FIRST_REPLY)
    send_evaluation(as_deputy, attitude="satisfied", result="unsatisfied")
    expect(success(as_deputy)).to_contain_text("The units will handle the item again")
    assert state_of(item) == "rehandling"
    lead.refresh_from_db()
    assert lead.state == "rehandling"
    expect(success(as_deputy)).to_contain_text(lead.due_on.isoformat())

    # 9. The unit handles it again: a second reply, signed by the leader.
    as_handler.goto(visits.url(reply_url))
    draft_reply(as_handler, "A", SECOND_REPLY)
    as_leader.goto(visits.url(signing))
    expect(as_leader.locator("main .unit-reply .badge.cls")).to_have_text("A")
    as_leader.locator(f"#id_a{lead.pk}_confirm").check()
    action_button(as_leader, sign).click()
    expect(success(as_leader)).to_contain_text("The reply is signed and sent to the proposers.")
    assert state_of(item) == "replied"
    assert Reply.objects.get(assignment=lead, round=2).signed_by == leader

    # 10. The deputy is satisfied: the item is closed, its history on the page.
    as_deputy.goto(visits.url(evaluate))
    expect(as_deputy.locator("main")).to_contain_text(SECOND_REPLY)
    send_evaluation(as_deputy, attitude="satisfied", result="satisfied")
    expect(success(as_deputy)).to_contain_text("The item is closed.")
    expect(as_deputy).to_have_url(visits.url(item_url))
    item.refresh_from_db()
    assert (item.state, item.result_class) == ("closed", "A")
    assert list(
        Evaluation.objects.filter(item=item).order_by("round").values_list("round", "result")
    ) == [(1, "unsatisfied"), (2, "satisfied")]
    header = as_deputy.locator("main > .spread")
    expect(header.locator(".badge.state-closed").first).to_be_visible()
    expect(header.locator(".badge.cls")).to_contain_text("A")
    expect(as_deputy.locator("#handling-progress")).to_contain_text(SECOND_REPLY)
    screenshot(as_deputy, "item-page")
    # The item page shows the newest entries; the whole story is one link away.
    as_deputy.locator("aside ol.timeline .timeline-more a").click()
    timeline = as_deputy.locator("main ol.timeline")
    for state in (
        "submitted",
        "under_review",
        "accepted",
        "assigned",
        "in_handling",
        "replied",
        "rehandling",
        "closed",
    ):
        expect(timeline.locator(f".badge.state-{state}").first).to_be_visible()

    # The deputy's start page and the item page, in Chinese (the default language).
    in_chinese = visits.login(deputy, language="zh-hans")
    expect(in_chinese.locator("html")).to_have_attribute("lang", "zh-hans")
    screenshot(in_chinese, "deputy-my-items.zh-hans")
    in_chinese.goto(visits.url(item_url))
    expect(in_chinese.locator("aside ol.timeline .badge.state-closed").first).to_be_visible()
    screenshot(in_chinese, "item-page.zh-hans")

    # The supervising leader follows the key item from their start page.
    as_supervisor = visits.login(world.supervisor)
    from_today(visits, as_supervisor, reverse("supervision:mine"))
    expect(as_supervisor.locator(f'main a[href="{item_url}"]')).to_be_visible()
    expect(as_supervisor.locator("#count-closed")).to_have_text("1")
    screenshot(as_supervisor, "supervisor-mine")

    # 11. A user of another body is not even told the item exists.
    stranger = visits.login(other_world.staff)
    response = stranger.goto(visits.url(item_url))
    assert response is not None and response.status == 404
    expect(stranger.locator(".error-card .error-code")).to_have_text("404")
    expect(stranger.locator(".error-card")).not_to_contain_text(TITLE)


def draft_reply(page, result_class: str, text: str, *, planned: dt.date | None = None):
    """Fill in and save the reply editor of the unit's pages."""
    form = page.locator("form.unit-reply-form")
    form.locator(f'input[name=result_class][value="{result_class}"]').check()
    planned_field = form.locator("input[name=planned_on]")
    if planned is not None:
        planned_field.fill(planned.isoformat())
    else:
        # Only the planned class asks for a completion date.
        expect(planned_field).to_be_hidden()
    form.locator("textarea[name=text]").fill(text)
    form.locator("button[type=submit].primary").click()
    expect(success(page)).to_contain_text("The reply is saved.")


def send_evaluation(page, *, attitude: str, result: str):
    form = page.locator("main form.form:has(input[name=result])")
    form.locator(f'input[name=attitude][value="{attitude}"]').check()
    form.locator(f'input[name=result][value="{result}"]').check()
    form.locator("textarea[name=comment]").fill("谢谢。")
    form.locator("button[type=submit]").click()
