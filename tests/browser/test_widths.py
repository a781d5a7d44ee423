"""The item page, the list and a form in Chinese at phone (390px), tablet (820px) and desktop
(1280px) widths: no page wider than the screen, no table column squeezed to one character a
line, and the print stylesheet leaves the item without the navigation, forms and buttons.
Screenshots are saved under var/screenshots/ to look at."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from banli.handling import services as handling
from banli.items import services as items

pytestmark = pytest.mark.browser

WIDTHS = {"phone": 390, "tablet": 820, "desktop": 1280}
SHOTS = Path(settings.VAR_DIR) / "screenshots"

# Table cells and definition-list values narrower than two Chinese characters that hold
# more than one line of text: a column squeezed to one character a line.
SQUEEZED = """() => {
  const out = [];
  for (const el of document.querySelectorAll("main td, main th, main dd, main dt, .mainnav a")) {
    const r = el.getBoundingClientRect();
    const lh = parseFloat(getComputedStyle(el).lineHeight) || 20;
    const text = el.innerText.trim();
    const em = parseFloat(getComputedStyle(el).fontSize);
    if (text.length > 2 && r.width && r.width < 2.2 * em && r.height > 2.5 * lh)
      out.push(`${el.tagName} "${text.slice(0, 12)}" w=${Math.round(r.width)}`);
  }
  return {scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth,
          out: out.slice(0, 5)};
}"""


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_item_page_the_list_and_a_form_at_three_widths(visits, world):
    with_reply = world.draft(title="关于加快推进老旧小区加装电梯工作的建议")
    world.confirmed_cosigners(with_reply, 2)
    items.submit(with_reply, by=world.deputy)
    items.receive(with_reply, by=world.staff)
    items.accept(with_reply, by=world.staff)
    lead = world.units[0]
    handling.assign(with_reply, by=world.staff, lead_units=[lead], co_units=[world.units[1]])
    assignment = world.lead_assignment(with_reply)
    handling.accept_assignment(assignment, by=world.coord[lead.pk])
    handling.draft_reply(
        assignment,
        by=world.handler[lead.pk],
        text="经研究，拟在明年完成二十个小区的加装工作。",
        result_class="B",
        planned_on=dt.date(2027, 6, 30),
    )
    handling.sign_reply(assignment, by=world.leader[lead.pk])
    for title in ("关于优化城区公交线路的建议", "关于规范共享单车停放管理的建议"):
        world.accepted(title=title)

    pages = {
        "item": reverse("items:detail", args=[with_reply.pk]),
        "list": reverse("items:list"),
        "form": reverse("items:create"),
    }
    problems = {}
    for size, width in WIDTHS.items():
        viewport = {"width": width, "height": 900}
        staff = visits.login(world.staff, language="zh-hans", viewport=viewport)
        deputy = visits.login(world.deputy, language="zh-hans", viewport=viewport)
        for name, path in pages.items():
            page = deputy if name == "form" else staff
            response = page.goto(visits.url(path))
            assert response is not None and response.status == 200, (name, size)
            expect(page.locator("main h1").first).to_be_visible()
            _shot(page, f"{name}-{size}")
            found = page.evaluate(SQUEEZED)
            if found["scroll"] > found["width"] or found["out"]:
                problems[f"{name}-{size}"] = found
        # The item as it prints: the item, its proposers, assignments and replies; no
        # navigation, forms or buttons.
        staff.goto(visits.url(pages["item"]))
        staff.emulate_media(media="print")
        for hidden in (".topbar", "main form", ".skip-link", "footer"):
            for element in staff.locator(hidden).all():
                assert not element.is_visible(), (hidden, size)
        expect(staff.locator("main h1")).to_contain_text("关于加快推进老旧小区加装电梯工作的建议")
        expect(staff.locator("main")).to_contain_text("领衔代表")
        expect(staff.locator("main")).to_contain_text(lead.name)
        expect(staff.get_by_text("经研究，拟在明年完成二十个小区的加装工作。")).to_be_visible()
        for step in ("#handling-steps", "#item-actions"):
            assert not staff.locator(step).is_visible(), (step, size)
        _shot(staff, f"item-print-{size}")
        staff.emulate_media(media="screen")
    assert problems == {}


def test_the_squeeze_check_sees_a_squeezed_column(visits):
    page = visits.new_page(viewport={"width": 390, "height": 600})
    page.set_content(
        '<main><table style="width: 150px"><tr><td>'
        "关于加快推进老旧小区加装电梯工作的建议，关于加快推进老旧小区加装电梯工作的建议"
        "</td><td>经济发展类</td></tr></table></main>"
    )
    assert page.evaluate(SQUEEZED)["out"]
