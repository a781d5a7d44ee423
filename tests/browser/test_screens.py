"""Every role's pages on a phone: nothing may push the page wider than the screen (wide tables
scroll inside their own frame). A phone-size screenshot of each page is saved under
test-artifacts/screenshots/phone/ to look at."""

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from banli.handling import services as handling
from banli.items import services as items
from banli.supervision import services as supervision

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

# The elements sticking out to the right of the screen, unless a scrolling frame holds them.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (["auto", "scroll", "hidden"].includes(s.overflowX)) return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1 && !clipped(el)) {
      const name = [el.tagName.toLowerCase(), ...el.classList].join(".");
      out.push(`${name} right=${Math.round(r.right)}`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 5)};
}"""


def test_every_role_page_fits_a_phone_screen(visits, screenshot, world):
    lead_unit = world.units[0]
    coord, handler = world.coord[lead_unit.pk], world.handler[lead_unit.pk]
    leader = world.leader[lead_unit.pk]

    # One item at each stage a page shows: to review, to assign, to accept, to sign, to
    # evaluate; the one to evaluate is a key item with a co-signer and a co-handling unit.
    to_review = world.draft(title="关于在老旧小区加装电梯的建议")
    items.submit(to_review, by=world.deputy)
    to_assign = world.accepted(title="关于优化公交线路的建议")
    world.assigned(title="关于建设口袋公园的建议")
    to_sign = world.assigned(title="关于规范共享单车停放的建议")
    signing = world.lead_assignment(to_sign)
    handling.accept_assignment(signing, by=coord)
    handling.name_handler(signing, by=coord, handler=handler, phone="0514-87654321")
    handling.draft_reply(signing, by=handler, text="经研究，答复如下……", result_class="A")
    to_evaluate = world.draft(title="关于增加老旧小区停车位的建议（联名）")
    world.confirmed_cosigners(to_evaluate, 1)
    items.submit(to_evaluate, by=world.deputy)
    items.receive(to_evaluate, by=world.staff)
    items.accept(to_evaluate, by=world.staff)
    handling.assign(to_evaluate, by=world.staff, lead_units=[lead_unit], co_units=[world.units[1]])
    replied = world.lead_assignment(to_evaluate)
    handling.accept_assignment(replied, by=coord)
    handling.draft_reply(
        replied,
        by=handler,
        text="经研究，拟在明年建设两处立体停车设施。",
        result_class="B",
        planned_on=dt.date(2027, 6, 30),
    )
    handling.sign_reply(replied, by=leader)
    supervision.mark_key(to_evaluate, by=world.staff, supervisor=world.supervisor)

    pages = {
        world.deputy: {
            "deputy-my-items": reverse("items:mine"),
            "deputy-write": reverse("items:create"),
            "deputy-evaluate": reverse("handling:evaluate", args=[to_evaluate.pk]),
            "item-page": reverse("items:detail", args=[to_evaluate.pk]),
        },
        world.staff: {
            "staff-review": reverse("items:review"),
            "staff-assign": reverse("handling:assign", args=[to_assign.pk]),
            "staff-board": reverse("handling:board"),
            "staff-key-items": reverse("supervision:key_items"),
            "item-page-staff": reverse("items:detail", args=[to_evaluate.pk]),
        },
        coord: {"unit-coordinator-inbox": reverse("handling:inbox")},
        handler: {
            "unit-handler-items": reverse("handling:unit_items"),
            "unit-handler-reply": reverse("handling:reply", args=[signing.pk]),
            "item-page-unit": reverse("items:detail", args=[to_sign.pk]),
        },
        leader: {"unit-leader-signing": reverse("handling:signing")},
        world.supervisor: {"supervisor-mine": reverse("supervision:mine")},
    }
    too_wide = {}
    for user, named in pages.items():
        page = visits.login(user, viewport=PHONE)
        for name, path in named.items():
            response = page.goto(visits.url(path))
            assert response is not None and response.status == 200, (name, response)
            expect(page.locator("main h1").first).to_be_visible()
            screenshot(page, f"phone/{name}")
            found = page.evaluate(OVERFLOW)
            if found["scroll"] > found["width"] or found["out"]:
                too_wide[name] = found
    assert too_wide == {}, f"pages wider than a {PHONE['width']}px phone: {too_wide}"
