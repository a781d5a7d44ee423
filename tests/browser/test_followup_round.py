"""A follow-up round (回头看) in a real browser: staff count and open the round of 2023, the
unit reports its item's progress, the staff confirm B→A and the summary says so."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from ..factories_h4 import closed_item, year_world

pytestmark = pytest.mark.browser


def test_a_follow_up_round_from_opening_to_a_confirmed_conversion(
    visits, screenshot, transactional_db
):
    w = year_world(2023)
    unit = w.units[0]
    item = closed_item(w, "B", unit=unit)
    closed_item(w, "C", unit=w.units[1])

    staff = visits.login(w.staff)
    staff.goto(visits.url(reverse("followup:open_round")))
    form = staff.locator("main form")
    form.locator("#id_year").fill("2023")
    form.locator("#id_title").fill("2023年建议回头看")
    form.locator("#id_due_on").fill("2099-05-31")
    form.locator("button[type=submit]").click()
    expect(staff.locator("main")).to_contain_text("The round will take 2 items.")
    staff.locator("main form button.primary").click()
    expect(staff.locator("h1")).to_contain_text("2023年建议回头看")
    expect(staff.locator("[data-summary]")).to_contain_text(
        "Of the 1 class B item of 2023, none has changed class yet"
    )

    coordinator = visits.login(w.coord[unit.pk])
    coordinator.goto(visits.url(reverse("followup:unit_items")))
    card = coordinator.locator("section.card", has_text=item.title)
    expect(card).to_have_count(1)
    card.locator("textarea").fill("停车场已建成投用，问题已解决。")
    card.locator("select").select_option("A")
    card.locator("button[type=submit]").click()
    expect(coordinator.locator("main")).to_contain_text("停车场已建成投用，问题已解决。")
    screenshot(coordinator, "followup-unit-reported")

    staff.reload()
    entry = staff.locator("section.card", has_text="停车场已建成投用")
    entry.locator("summary").click()
    entry.locator("select").select_option("A")
    entry.locator("textarea").fill("经现场核实，已解决")
    entry.locator("button[type=submit]").click()
    expect(staff.locator("[data-summary]")).to_contain_text(
        "Of the 1 class B item of 2023, 1 became class A"
    )
    screenshot(staff, "followup-round-converted")
    item.refresh_from_db()
    assert item.result_class == "A"
