"""The body administrator's journey in a browser: open an account and read its one-time
password, rename a unit, refuse rules that do not hold together, read the history; every
page fits a phone and breaks no rule of the Content-Security-Policy."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from banli.bodies.models import Role, Unit

from ..factories import make_user
from .test_screens import OVERFLOW, PHONE

pytestmark = pytest.mark.browser


def _watch_console(page) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" or "Content Security Policy" in message.text
            else None
        ),
    )
    return problems


def test_a_body_administrator_manages_the_body_in_the_pages(visits, screenshot, world):
    admin = make_user(world.body, Role.BODY_ADMIN, username="body-admin")
    page = visits.login(admin)
    problems = _watch_console(page)
    # The start page (工作台) leads to the administration.
    page.locator(f'main a[href="{reverse("bodies:overview")}"]').first.click()
    expect(page.locator("main h1")).to_contain_text("Body administration")

    page.goto(visits.url(reverse("bodies:user_add")))
    page.fill("#id_username", "new-staff")
    page.fill("#id_first_name", "陈静")
    page.check("input[name=roles][value=staff]")
    page.click("main form button[type=submit]")
    expect(page.locator("code.secret")).to_be_visible()
    screenshot(page, "body-admin/password-issued")
    page.click("text=Done")
    expect(page.locator("main h1")).to_contain_text("陈静")
    screenshot(page, "body-admin/membership")

    unit = world.units[0]
    page.goto(visits.url(reverse("bodies:unit", args=[unit.pk])))
    page.fill("#id_name", "市住房和城乡建设局")
    page.click("main form button[type=submit]")
    expect(page.locator(".msg-success")).to_be_visible()
    assert Unit.objects.get(pk=unit.pk).name == "市住房和城乡建设局"

    page.goto(visits.url(reverse("bodies:rules")))
    page.fill("#id_result_classes", "甲, 乙, 丙")
    page.click("main form button[type=submit]")
    expect(page.locator(".field-error .errorlist").first).to_contain_text("甲, 乙, 丙")
    screenshot(page, "body-admin/rules-refused")

    page.goto(visits.url(reverse("bodies:history")))
    expect(page.locator(".old-value").first).to_be_visible()
    screenshot(page, "body-admin/history")
    for name in ("overview", "users", "categories"):
        page.goto(visits.url(reverse(f"bodies:{name}")))
        screenshot(page, f"body-admin/{name}")
    assert problems == []


def test_the_body_administration_pages_fit_a_phone(visits, screenshot, world):
    admin = make_user(world.body, Role.BODY_ADMIN, username="body-admin")
    page = visits.login(admin, viewport=PHONE)
    problems = _watch_console(page)
    too_wide = {}
    for name in ("overview", "users", "units", "members", "categories", "rules", "history"):
        response = page.goto(visits.url(reverse(f"bodies:{name}")))
        assert response is not None and response.status == 200, name
        screenshot(page, f"phone/body-admin-{name}")
        found = page.evaluate(OVERFLOW)
        if found["scroll"] > found["width"] or found["out"]:
            too_wide[name] = found
    assert too_wide == {}
    assert problems == []
