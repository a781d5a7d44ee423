"""Batch work in a real browser: staff tick items on two pages of the item list, the
selection follows them across the pages, and one batch accepts them all with its progress
shown until the report."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from banli.items import services as items
from banli.items.models import Item
from banli.items.workflow import ItemState

pytestmark = pytest.mark.browser


def test_select_across_two_pages_and_batch_accept(visits, screenshot, world):
    made = []
    for n in range(30):
        item = world.draft(title=f"关于第{n}个社区养老服务站的建议")
        items.submit(item, by=world.deputy)
        items.receive(item, by=world.staff)
        made.append(item)
    page = visits.login(world.staff)
    page.goto(visits.url(reverse("items:list")))
    bar = page.locator("#batch-bar")
    expect(bar).to_contain_text("0 selected")
    boxes = page.locator("#results input.batch-pick")
    expect(boxes).to_have_count(25)
    boxes.nth(0).check()
    expect(bar).to_contain_text("1 selected")
    boxes.nth(1).check()
    expect(bar).to_contain_text("2 selected")
    # The next page: the selection is still there; select the whole page.
    page.locator('#results a[rel="next"]').click()
    expect(page.locator("#results input.batch-pick")).to_have_count(5)
    expect(page.locator("#batch-bar")).to_contain_text("2 selected")
    # Ticking rows must not run the list's filter search again (it would redraw the table).
    page.evaluate("document.querySelector('#results table').dataset.drawn = 'once'")
    page.locator('#batch-bar button[data-batch="page"]').click()
    expect(page.locator("#batch-bar")).to_contain_text("7 selected")
    expect(page.locator("#results input.batch-pick:checked")).to_have_count(5)
    page.locator("#results input.batch-pick").nth(4).uncheck()
    expect(page.locator("#batch-bar")).to_contain_text("6 selected")
    page.locator("#results input.batch-pick").nth(4).check()
    expect(page.locator("#batch-bar")).to_contain_text("7 selected")
    expect(page.locator('#results table[data-drawn="once"]')).to_have_count(1)
    screenshot(page, "batch-list-selected")
    page.set_viewport_size({"width": 820, "height": 1000})
    screenshot(page, "batch-list-selected-tablet")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#batch-bar a.primary").click()
    expect(page.locator("h1")).to_contain_text("7 selected")
    step = page.locator("#step-accept")
    expect(step).to_contain_text("7 of the 7 selected can take this step now")
    step.locator("select").select_option(label="社会事业类")
    step.locator("button[type=submit]").click()
    progress = page.locator("#batch-progress")
    expect(progress).to_contain_text("The batch is finished.")
    expect(progress).to_contain_text("Done: 7")
    screenshot(page, "batch-run-finished")
    accepted = Item.objects.filter(state=ItemState.ACCEPTED, category__name="社会事业类")
    assert accepted.count() == 7
    # What was done left the selection.
    page.goto(visits.url(reverse("items:list")))
    expect(page.locator("#batch-bar")).to_contain_text("0 selected")
