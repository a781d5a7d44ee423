"""Key supervision in a real browser: the staff mark an item key with its leader and
committee; the supervising leader records a meeting from the item's panel and sees it on
their board; the staff chase the overdue unit from the deadline board's row (催办)."""

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from banli.core import clock
from banli.notices.models import Notice
from banli.supervision.models import KeyItem, SupervisionActivity

from ..factories import on

pytestmark = pytest.mark.browser


def test_a_key_items_supervision_and_a_chase_from_the_board(visits, screenshot, world):
    world.supervisor.first_name = "副主任"
    world.supervisor.save()
    # Assigned four months ago: overdue today, on the deadline board.
    with on(clock.today() - dt.timedelta(days=120)):
        item = world.assigned(title="关于加快老旧小区加装电梯的建议")
    staff = visits.login(world.staff)
    staff.goto(visits.url(reverse("items:detail", args=[item.pk])))
    panel = staff.locator("#key-item")
    panel.locator("summary").click()
    panel.locator("select[name=supervisor]").select_option(label="副主任")
    panel.locator("input[name=lead_handler]").fill("副市长 王五")
    panel.locator("input[name=committee]").fill("城建环保工委")
    panel.locator("button[type=submit]").click()
    expect(staff.locator("#key-item")).to_contain_text("城建环保工委")
    expect(staff.locator("#key-item")).to_contain_text("No supervision activity recorded yet.")
    assert KeyItem.objects.get(item=item).committee == "城建环保工委"

    leader = visits.login(world.supervisor)
    leader.goto(visits.url(reverse("items:detail", args=[item.pk])))
    leader.locator("#key-item a", has_text="Record a supervision activity").click()
    expect(leader.locator(f'input[name=items][value="{item.pk}"]')).to_be_checked()
    leader.locator("select[name=kind]").select_option("meeting")
    leader.locator("input[name=title]").fill("加装电梯专题督办座谈会")
    leader.locator("textarea[name=participants]").fill("副主任、市住建局")
    screenshot(leader, "supervision-record-activity")
    leader.locator("main form button[type=submit]").click()
    expect(leader.locator("h1")).to_contain_text("加装电梯专题督办座谈会")
    assert SupervisionActivity.objects.get().recorded_by == world.supervisor
    leader.goto(visits.url(reverse("supervision:mine")))
    expect(leader.locator(".last-activity")).to_contain_text("Supervision meeting")
    screenshot(leader, "supervision-leaders-board")

    staff.goto(visits.url(reverse("handling:board")))
    staff.locator("a.chase").first.click()
    expect(staff.locator("h1")).to_contain_text("Remind the units")
    staff.locator("textarea[name=note]").fill("已逾期，请本周内答复。")
    staff.locator("main form button[type=submit]").click()
    staff.wait_for_url(lambda url: "/handling/board/" in url)
    expect(staff.locator("body")).to_contain_text("市住建局 reminded of")
    coordinator = world.coord[world.units[0].pk]
    assert Notice.objects.filter(recipient=coordinator, kind="supervision.chase").count() == 1
    screenshot(staff, "supervision-chased-from-board")
