"""Two-factor authentication: required for staff, unit leaders and admins where the body
says so, optional for everyone else; enrolment with a QR code, a second login step, and ten
recovery codes that each work once."""

import logging
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .factories import World

PASSWORD = "pw-banli-2026"


@pytest.fixture
def strict(db):
    """A congress whose rules require two-factor authentication (the default outside tests)."""
    return World(require_2fa=True)


def code(device, *, steps_later=0) -> str:
    """What the user's authenticator app shows now (or that many 30-second steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_later * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(client) -> tuple[TOTPDevice, list[str]]:
    """Set up the authenticator on the enrolment page as the logged-in user would."""
    page = client.get(reverse("accounts:two_factor"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(confirmed=False, user=page.wsgi_request.user)
    done = client.post(reverse("accounts:two_factor"), {"token": code(device)})
    assert done.status_code == 200
    return device, done.context["codes"]


def password_step(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": PASSWORD})


def test_staff_without_2fa_cannot_reach_staff_pages_where_the_body_requires_it(client, strict):
    client.force_login(strict.staff)
    review = reverse("items:review")
    response = client.get(review)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:two_factor')}?next={review}"
    # Nor any other page, the admin and the search included.
    for path in (reverse("items:list"), reverse("handling:board"), "/admin/"):
        assert client.get(path)["Location"].startswith(reverse("accounts:two_factor")), path
    # Once enrolled the same session goes on.
    device, codes = enrol(client)
    assert device.__class__.objects.get(pk=device.pk).confirmed
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(review).status_code == 200


def test_unit_leaders_and_admins_need_it_too_and_others_do_not(client, strict):
    leader = strict.leader[strict.units[0].pk]
    client.force_login(leader)
    assert client.get(reverse("handling:signing")).status_code == 302
    admin = get_user_model().objects.create_superuser("root", "r@example.org", PASSWORD)
    admin_client = Client()
    admin_client.force_login(admin)
    assert admin_client.get("/admin/")["Location"].startswith(reverse("accounts:two_factor"))
    for user, page in [
        (strict.deputy, "items:mine"),
        (strict.coord[strict.units[0].pk], "handling:inbox"),
        (strict.auditor, "handling:board"),
    ]:
        other = Client()
        other.force_login(user)
        assert other.get(reverse(page)).status_code == 200, user


def test_a_body_that_does_not_require_it_lets_staff_in(client, world):
    client.force_login(world.staff)
    assert client.get(reverse("items:review")).status_code == 200


def test_the_enrolment_page_shows_the_qr_code_and_the_key(client, strict):
    client.force_login(strict.staff)
    page = client.get(reverse("accounts:two_factor"))
    html = page.content.decode()
    assert "<svg" in html and "<path" in html
    device = TOTPDevice.objects.get(user=strict.staff)
    assert page.context["secret"].replace(" ", "") in device.config_url
    assert "no-store" in page["Cache-Control"]
    # A reload keeps the same secret; a wrong code changes nothing.
    assert client.get(reverse("accounts:two_factor")).context["secret"] == page.context["secret"]
    wrong = client.post(reverse("accounts:two_factor"), {"token": "000000"})
    assert "The code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=strict.staff, confirmed=True).exists()


def test_the_login_asks_for_the_code_after_the_password(client, strict, caplog, settings):
    caplog.set_level(logging.INFO, logger="banli.security")
    # django-otp makes the user wait a second after a wrong code; this test does not wait.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    setup = Client()
    setup.force_login(strict.staff)
    device, _codes = enrol(setup)

    response = password_step(client, strict.staff)
    assert response["Location"] == reverse("accounts:verify")
    # Not logged in before the code: a staff page sends back to the login.
    assert client.get(reverse("items:review"))["Location"].startswith(reverse("login"))
    wrong = client.post(reverse("accounts:verify"), {"token": "123456"})
    assert "The code is not right" in wrong.content.decode()
    right = client.post(reverse("accounts:verify"), {"token": code(device, steps_later=1)})
    assert right.status_code == 302
    assert client.get(reverse("items:review")).status_code == 200
    events = [r.security_event for r in caplog.records if hasattr(r, "security_event")]
    # The accounts' own lines are dotted kinds; the login itself is core's (the auth signal).
    kinds = [e if isinstance(e, str) else e["kind"] for e in events]
    assert [k for k in kinds if "." in k] == ["2fa.enrolled", "2fa.failed"]
    assert kinds[-1] == "login"


def test_each_recovery_code_works_once(strict):
    setup = Client()
    setup.force_login(strict.staff)
    _device, codes = enrol(setup)

    first = Client()
    password_step(first, strict.staff)
    assert first.post(reverse("accounts:verify"), {"token": codes[0].upper()}).status_code == 302
    assert first.get(reverse("items:review")).status_code == 200
    assert StaticToken.objects.filter(device__user=strict.staff).count() == 9

    second = Client()
    password_step(second, strict.staff)
    assert second.post(reverse("accounts:verify"), {"token": codes[1]}).status_code == 302

    again = Client()
    password_step(again, strict.staff)
    reused = again.post(reverse("accounts:verify"), {"token": codes[0]})
    assert reused.status_code == 200
    assert "The code is not right" in reused.content.decode()
    assert again.get(reverse("items:review"))["Location"].startswith(reverse("login"))


def test_new_recovery_codes_replace_the_old_ones(client, strict):
    client.force_login(strict.staff)
    _device, old = enrol(client)
    response = client.post(reverse("accounts:recovery_codes"))
    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert set(
        StaticToken.objects.filter(device__user=strict.staff).values_list("token", flat=True)
    ) == set(new)


def test_a_deputy_may_turn_it_on_and_off(client, strict):
    client.force_login(strict.deputy)
    device, _codes = enrol(client)
    other = Client()
    password_step(other, strict.deputy)
    assert other.get(reverse("items:mine"))["Location"].startswith(reverse("login"))
    other.post(reverse("accounts:verify"), {"token": code(device, steps_later=1)})
    assert other.get(reverse("items:mine")).status_code == 200

    client.post(reverse("accounts:disable_two_factor"))
    assert not TOTPDevice.objects.filter(user=strict.deputy).exists()
    assert password_step(Client(), strict.deputy)["Location"] == reverse("home")


def test_staff_cannot_turn_off_what_the_body_requires(client, strict):
    client.force_login(strict.staff)
    enrol(client)
    response = client.post(reverse("accounts:disable_two_factor"), follow=True)
    assert "Your body requires two-factor authentication" in response.content.decode()
    assert TOTPDevice.objects.filter(user=strict.staff, confirmed=True).exists()


def test_a_session_begun_outside_the_login_page_must_give_the_code(client, strict):
    setup = Client()
    setup.force_login(strict.staff)
    device, _codes = enrol(setup)
    client.force_login(strict.staff)
    response = client.get(reverse("items:review"))
    assert response["Location"] == f"{reverse('accounts:verify')}?next={reverse('items:review')}"
    done = client.post(
        f"{reverse('accounts:verify')}?next={reverse('items:review')}",
        {"token": code(device, steps_later=1)},
    )
    assert done["Location"] == reverse("items:review")
    assert client.get(reverse("items:review")).status_code == 200


def test_wrong_codes_count_towards_the_lockout(strict, settings):
    setup = Client()
    setup.force_login(strict.staff)
    enrol(setup)
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    client = Client()
    password_step(client, strict.staff)
    statuses = [
        client.post(reverse("accounts:verify"), {"token": "000000"}).status_code for _ in range(10)
    ]
    assert statuses == [200] * 9 + [429]
    assert password_step(Client(), strict.staff).status_code == 429
    # axes keeps what was posted, but not the codes.
    posted = "".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "token=" in posted and "000000" not in posted
