"""Two-factor authentication in a real browser: staff of a body that requires it are led
from the login to the enrolment page, set up the authenticator, keep the recovery codes and
then log in with the password and a code."""

import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from .conftest import PASSWORD

pytestmark = pytest.mark.browser


def code(device, steps_later=0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_later * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def strict(transactional_db):
    from ..factories import World

    return World(require_2fa=True)


def test_staff_enrol_and_then_log_in_with_a_code(visits, screenshot, strict):
    staff = strict.staff
    page = visits.login(staff)
    assert reverse("accounts:two_factor") in page.url
    expect(page.locator("main svg")).to_be_visible()
    screenshot(page, "two-factor-enrolment")
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    page.locator("#id_token").fill(code(device))
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    screenshot(page, "two-factor-recovery-codes")
    page.get_by_role("link", name="I have kept them").click()
    expect(page.get_by_role("heading", name="My account")).to_be_visible()

    # The next day, in another browser: the password, then the code.
    other = visits.new_page()
    other.goto(visits.url(reverse("login")))
    other.locator("#id_username").fill(staff.username)
    other.locator("#id_password").fill(PASSWORD)
    other.locator("main form button[type=submit]").click()
    expect(other.get_by_role("heading", name="Enter your code")).to_be_visible()
    screenshot(other, "two-factor-login-step")
    other.locator("#id_token").fill(code(device, steps_later=1))
    other.locator("main form button[type=submit]").click()
    other.goto(visits.url(reverse("items:review")))
    expect(other.get_by_role("heading", name="Review")).to_be_visible()
