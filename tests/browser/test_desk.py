"""The start page (工作台) of each demo role, in Chromium: what waits shows with its counts,
nothing sticks out of a tablet's screen, and screenshots at desktop (1280) and tablet (820)
widths are saved under var/screenshots/desk/ to look at."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from banli.demo.builder import PASSWORD

from .test_screens import OVERFLOW

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "desk"
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "tablet": {"width": 820, "height": 1180}}
# The demo's accounts (banli.demo.builder.ACCOUNTS) and what their start page must show.
ROLES = {
    "staff": ("staff", "#desk-staff"),
    "unit-coordinator": ("unit-zj-coord", "#desk-unit"),
    "unit-leader": ("unit-zj-leader", "#desk-unit"),
    "supervisor": ("leader", "#desk-supervisor"),
    "deputy": ("deputy", "#desk-proposer"),
    "auditor": ("auditor", "#desk-overview"),
    "body-admin": ("body-admin", "#desk-body-admin"),
}
# Read-only sections: counts, no rows to act on.
NO_ROWS = {"auditor", "body-admin"}


@pytest.fixture
def demo(transactional_db):
    call_command("demo", stdout=StringIO())


def log_in(visits, username: str, viewport, language="zh-hans"):
    page = visits.new_page(language, viewport)
    page.goto(visits.url(reverse("login")))
    form = page.locator("main form:has(#id_password)")
    form.locator("#id_username").fill(username)
    form.locator("#id_password").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


def test_every_demo_role_starts_on_its_desk(visits, demo):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    too_wide = {}
    for role, (username, section) in ROLES.items():
        for width, viewport in WIDTHS.items():
            page = log_in(visits, username, viewport)
            expect(page).to_have_url(visits.url(reverse("home")))
            expect(page.locator(f"main {section}")).to_be_visible()
            # Something waits for every demo role, and its count links to where it is done.
            if role not in NO_ROWS:
                expect(page.locator(f"main {section} a.stat").first).to_be_visible()
                expect(page.locator(f"main {section} .desk-row").first).to_be_visible()
            found = page.evaluate(OVERFLOW)
            if found["scroll"] > found["width"] or found["out"]:
                too_wide[f"{role}-{width}"] = found
            page.screenshot(path=str(SCREENSHOTS / f"{role}-{width}.png"), full_page=True)
            if role == "staff":
                # 待交办: the queue the desk's "To assign" leads to, each row with its 交办.
                page.locator(f'main #desk-staff a.stat[href="{reverse("desk:to_assign")}"]').click()
                expect(page).to_have_url(visits.url(reverse("desk:to_assign")))
                expect(page.locator("main table.list a.button.primary").first).to_be_visible()
                page.screenshot(path=str(SCREENSHOTS / f"to-assign-{width}.png"), full_page=True)
            page.context.close()
            visits.contexts.remove(page.context)
    assert too_wide == {}, f"start pages wider than the screen: {too_wide}"
