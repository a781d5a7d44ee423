"""`banli demo` on a production installation: it refuses, and when told it is on purpose (a
training database) every account gets a random password, printed once.

The build with random passwords runs once for the module inside a transaction rolled back at
the end, as in test_demo.py."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.http import HttpRequest
from django.test import override_settings

from banli.bodies.models import Body
from banli.demo import builder

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PRODUCTION = {"BANLI_PRODUCTION": True, "PASSWORD_HASHERS": FAST_HASHERS, "LANGUAGE_CODE": "en"}
USERNAMES = {account.username for account in builder.ACCOUNTS}


def printed_passwords(output: str) -> dict[str, str]:
    """username -> password from the accounts table the command prints."""
    table = output[output.index("Demo accounts:") :].splitlines()[3:]
    rows = [line.split()[:2] for line in table if line.strip()]
    return {username: password for username, password in rows if username in USERNAMES}


def test_the_demo_refuses_to_run_on_production(db):
    out = StringIO()
    with override_settings(**PRODUCTION), pytest.raises(CommandError, match="production"):
        call_command("demo", stdout=out)
    assert not Body.objects.exists()
    assert not get_user_model().objects.exists()
    assert builder.PASSWORD not in out.getvalue()


@pytest.fixture(scope="module")
def built_on_production(django_db_setup, django_db_blocker):
    with override_settings(**PRODUCTION), django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("demo", i_know_this_is_production=True, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def production_demo(built_on_production, db, settings):
    for name, value in PRODUCTION.items():
        setattr(settings, name, value)
    return built_on_production


def test_on_purpose_every_account_gets_its_own_random_password_shown_once(production_demo):
    passwords = printed_passwords(production_demo)
    assert set(passwords) == USERNAMES
    assert len(set(passwords.values())) == len(passwords)
    assert builder.PASSWORD not in production_demo
    assert "shown only now" in production_demo
    accounts = get_user_model().objects.in_bulk(list(passwords), field_name="username")
    for username, password in passwords.items():
        # The password checks themselves: logging in wrongly 30 times from one address would
        # only meet the lockout.
        assert accounts[username].check_password(password), username
        assert not accounts[username].check_password(builder.PASSWORD), username
    assert authenticate(HttpRequest(), username="staff", password=passwords["staff"])
    assert get_user_model().objects.get(username="admin").is_superuser


def test_running_it_again_does_not_show_the_passwords_again(production_demo):
    passwords = printed_passwords(production_demo)
    out = StringIO()
    call_command("demo", i_know_this_is_production=True, stdout=out)
    assert "nothing was changed" in out.getvalue()
    assert not set(passwords.values()) & set(out.getvalue().split())
    assert builder.PASSWORD not in out.getvalue()


def test_outside_production_the_demo_keeps_its_shared_password():
    rows = builder.account_rows()
    assert {password for _u, password, _r, _b in rows} == {builder.PASSWORD}
