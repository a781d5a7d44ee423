"""Passwords: the validators refuse what Chinese users commonly pick, a user changes their
own password, and an admin issues a one-time password or a reset link."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from banli.accounts.models import AccountSecurity
from banli.accounts.validators import is_pinyin_name

from .factories import make_user

PASSWORD = "pw-banli-2026"
STRONG = "lantern-orchard-river-58"


def refused(password, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return error.messages
    return []


@pytest.mark.parametrize(
    "password",
    [
        "zhangwei123",
        "wangfang2024",
        "Zhangwei@1990",
        "ouyangxiaoming88",
        "liuyang19900101",
        "123456abc",
        "abc123456",
        "a123456789",
        "qwerty123456",
        "1qaz2wsx3edc",
        "1q2w3e4r5t6y",
        "woaini1314520",
        "5201314woaini",
        "aaaaaa111111",
    ],
)
def test_common_chinese_passwords_are_refused(password, db):
    assert refused(password), password


@pytest.mark.parametrize(
    "password", [STRONG, "Tr0ub4dor&3-horse", "mango-island-42x", "我的办理系统密码很长2026"]
)
def test_good_passwords_pass(password, db):
    assert refused(password) == []


def test_the_reasons_are_clear(db):
    assert "a name in pinyin" in " ".join(refused("zhangwei123"))
    assert "keyboard pattern" in " ".join(refused("1qaz2wsx3edc"))


def test_pinyin_names_are_recognised():
    assert is_pinyin_name("zhangwei") and is_pinyin_name("xiaoming")
    assert not is_pinyin_name("lantern")


def test_the_body_code_and_name_and_the_username_are_refused(world):
    user = world.staff
    body = world.body
    for password in (
        f"{body.code}2026!",
        f"{body.code.replace('-', '')}@2026",
        f"{body.name}2026!!",
        f"{user.username}2026!!",
        f"!!{body.code.upper()}123456",
    ):
        assert "built on your username or your body's code or name" in " ".join(
            refused(password, user)
        ), password
    # Long enough once the code is taken out: allowed.
    assert refused(f"{body.code}-{STRONG}", user) == []


def test_a_user_changes_their_own_password(client, world, caplog):
    caplog.set_level(logging.INFO, logger="banli.security")
    client.force_login(world.staff)
    other = Client()
    other.force_login(world.staff)
    weak = client.post(
        reverse("accounts:password"),
        {"old_password": PASSWORD, "new_password1": "zhangwei123", "new_password2": "zhangwei123"},
    )
    assert "a name in pinyin" in weak.content.decode()
    response = client.post(
        reverse("accounts:password"),
        {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG},
    )
    assert response["Location"] == reverse("accounts:account")
    world.staff.refresh_from_db()
    assert world.staff.check_password(STRONG)
    # This session goes on; the other one ended with the old password.
    assert client.get(reverse("items:review")).status_code == 200
    assert other.get(reverse("items:review"))["Location"].startswith(reverse("login"))
    assert "password.changed" in [getattr(r, "security_event", "") for r in caplog.records]


@pytest.fixture
def admin_client(db):
    client = Client()
    admin = get_user_model().objects.create_superuser("root", "r@example.org", PASSWORD)
    client.force_login(admin)
    return client


def test_a_one_time_password_must_be_changed_at_the_next_login(admin_client, world):
    user = make_user(world.body, "staff")
    before = Client()
    before.force_login(user)
    response = admin_client.post(
        reverse("accounts:support"), {"username": user.username, "method": "temporary"}
    )
    temporary = response.context["issued"]["secret"]
    assert temporary in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    # The user's open sessions end; the old password no longer works.
    assert before.get(reverse("items:review"))["Location"].startswith(reverse("login"))
    old = Client().post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert old.status_code == 200

    client = Client()
    login = client.post(reverse("login"), {"username": user.username, "password": temporary})
    assert login.status_code == 302
    blocked = client.get(reverse("items:review"))
    assert blocked["Location"] == reverse("accounts:password")
    page = client.get(reverse("accounts:password"))
    assert "one-time password" in page.content.decode()
    client.post(
        reverse("accounts:password"),
        {"old_password": temporary, "new_password1": STRONG, "new_password2": STRONG},
    )
    assert client.get(reverse("items:review")).status_code == 200
    assert not AccountSecurity.objects.get(user=user).must_change_password


def test_a_reset_link_sets_a_new_password_once(admin_client, world):
    user = make_user(world.body, "unit_handler", unit=world.units[0])
    response = admin_client.post(
        reverse("accounts:support"), {"username": user.username, "method": "link"}
    )
    link = response.context["issued"]["secret"]
    assert link.startswith("http://testserver/account/reset/")
    client = Client()
    form = client.get(link, follow=True)
    assert form.context["validlink"]
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": STRONG, "new_password2": STRONG}
    )
    assert done["Location"] == reverse("login")
    assert (
        client.post(reverse("login"), {"username": user.username, "password": STRONG}).status_code
        == 302
    )
    assert not Client().get(link, follow=True).context["validlink"]


def test_an_admin_resets_a_lost_phone(admin_client, world):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=world.staff, name="authenticator", confirmed=True)
    admin_client.post(
        reverse("accounts:support"),
        {"username": world.staff.username, "method": "temporary", "reset_two_factor": "on"},
    )
    assert not TOTPDevice.objects.filter(user=world.staff).exists()


def test_an_unknown_username_is_a_form_error(admin_client):
    response = admin_client.post(
        reverse("accounts:support"), {"username": "nobody", "method": "temporary"}
    )
    assert "There is no active account with this username." in response.content.decode()
