"""Safe defaults: no usable secret key in the code, production refuses to start half-configured,
and `banli check --deploy` is clean in production mode.

Settings are read once per process, so each story starts banli in a fresh Python with the
environment it describes (docs/security.md lists the variables)."""

import os
import secrets
import stat
import subprocess
import sys

import pytest

from banli import settings as running

KEY = secrets.token_urlsafe(48)
PRODUCTION = {
    "BANLI_PRODUCTION": "1",
    "BANLI_SECRET_KEY": KEY,
    "BANLI_ALLOWED_HOSTS": "example.org",
}


def banli_python(tmp_path, code: str, **env: str) -> subprocess.CompletedProcess:
    """Run `code` in a new interpreter with banli's settings and only the given BANLI_* vars."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BANLI_") and k != "DATABASE_URL"  # an empty SQLite under tmp_path
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="banli.settings", BANLI_VAR_DIR=str(tmp_path / "var"), **env
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def start(tmp_path, **env: str) -> subprocess.CompletedProcess:
    return banli_python(
        tmp_path, "from django.conf import settings; print(settings.SECRET_KEY)", **env
    )


def refused(result: subprocess.CompletedProcess, message: str) -> bool:
    return (
        result.returncode != 0
        and "ImproperlyConfigured" in result.stderr
        and message in result.stderr
    )


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    result = start(tmp_path, BANLI_PRODUCTION="1", BANLI_ALLOWED_HOSTS="example.org")
    assert refused(result, "BANLI_SECRET_KEY must be set")


def test_debug_does_not_open_a_way_round_the_secret_key(tmp_path):
    # It used to: BANLI_DEBUG=1 let production start with the published key.
    result = start(
        tmp_path, BANLI_PRODUCTION="1", BANLI_DEBUG="1", BANLI_ALLOWED_HOSTS="example.org"
    )
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr
    # And debugging is never on in production, key or not: its pages show personal data.
    assert refused(start(tmp_path, **PRODUCTION, BANLI_DEBUG="1"), "BANLI_DEBUG=1 cannot")


@pytest.mark.parametrize(
    "key",
    [
        "too-short-" + "x" * 20,
        "banli-insecure-development-key-do-not-use-in-production",
        "django-insecure-" + secrets.token_urlsafe(48),
        "a" * 60,
    ],
    ids=["short", "the old published key", "django's placeholder", "one letter"],
)
def test_production_refuses_a_weak_or_published_key(tmp_path, key):
    result = start(tmp_path, **{**PRODUCTION, "BANLI_SECRET_KEY": key})
    assert refused(result, "BANLI_SECRET_KEY must be a random string of at least 50")


def test_production_needs_its_host_names(tmp_path):
    result = start(tmp_path, BANLI_PRODUCTION="1", BANLI_SECRET_KEY=KEY)
    assert refused(result, "BANLI_ALLOWED_HOSTS must name")


def test_production_starts_with_its_own_key(tmp_path):
    result = start(tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == KEY
    assert not (tmp_path / "var" / "secret_key").exists()


def test_outside_production_a_key_is_generated_once_and_kept_private(tmp_path):
    first, second = start(tmp_path), start(tmp_path)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "var" / "secret_key"
    assert first.stdout.strip() == second.stdout.strip() == key_file.read_text().strip()
    assert len(first.stdout.strip()) >= 50
    assert first.stdout.strip() not in running.PUBLISHED_SECRET_KEYS
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # Another installation gets another key.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert start(elsewhere).stdout.strip() != first.stdout.strip()


def test_no_published_key_is_in_the_running_settings():
    assert running.SECRET_KEY not in running.PUBLISHED_SECRET_KEYS
    assert len(running.SECRET_KEY) >= 50


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    code = (
        "import django; django.setup();"
        "from django.core.management import call_command;"
        "call_command('check', deploy=True, fail_level='WARNING')"
    )
    result = banli_python(tmp_path, code, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_sends_hsts_and_redirects_to_https(tmp_path):
    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        "c = Client(HTTP_HOST='example.org');"
        "plain = c.get('/login/');"
        "print(plain.status_code, plain['Location']);"
        "secure = c.get('/login/', secure=True);"
        "print(secure.status_code, secure['Strict-Transport-Security']);"
        "print(secure.cookies['csrftoken']['secure'])"
    )
    result = banli_python(tmp_path, code, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "301 https://example.org/login/",
        "200 max-age=31536000; includeSubDomains",
        "True",
    ]


def test_an_intranet_behind_a_tls_proxy_trusts_its_header_only_when_told(tmp_path):
    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        "c = Client(HTTP_HOST='example.org', HTTP_X_FORWARDED_PROTO='https');"
        "print(c.get('/login/').status_code)"
    )
    # A client's own X-Forwarded-Proto proves nothing unless a proxy in front sets it.
    assert banli_python(tmp_path, code, **PRODUCTION).stdout.strip() == "301"
    behind = banli_python(tmp_path, code, **PRODUCTION, BANLI_BEHIND_PROXY="1")
    assert behind.stdout.strip() == "200", behind.stderr
