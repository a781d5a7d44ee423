"""In production a request that fails is logged with its traceback (stderr and/or a rotating
file under var/), and the user still gets banli's own error page.

Logging is configured once per process from the environment, so each story runs banli in a
fresh Python with production settings (see test_security_settings.py)."""

from django.test import Client
from django.urls import path

import banli.urls

from .test_security_settings import PRODUCTION, banli_python

# A view that fails, served next to banli's own pages, with banli's handler500.
FAILING_REQUEST = """
import django
django.setup()
from django.test import Client, override_settings
from django.urls import path
import banli.urls

def boom(request):
    raise RuntimeError("the database said no: boom-4711")

urlpatterns = [path("boom/", boom), *banli.urls.urlpatterns]
handler500 = banli.urls.handler500
with override_settings(ROOT_URLCONF=__name__):
    client = Client(raise_request_exception=False, HTTP_HOST="example.org")
    response = client.get("/boom/", secure=True)
print(response.status_code, response["Content-Type"].split(";")[0])
print("Traceback" in response.content.decode(), "boom-4711" in response.content.decode())
"""


def test_a_failing_request_is_logged_with_its_traceback_to_the_file(tmp_path):
    result = banli_python(
        tmp_path,
        FAILING_REQUEST,
        **PRODUCTION,
        BANLI_LOG_FILE="log/banli.log",
        BANLI_LOG_TO_STDERR="0",
    )
    assert result.returncode == 0, result.stderr
    # banli's error page, which shows neither the traceback nor the error's text.
    assert result.stdout.splitlines() == ["500 text/html", "False False"]
    log = (tmp_path / "var" / "log" / "banli.log").read_text()
    assert "ERROR django.request" in log and "Internal Server Error: /boom/" in log
    assert "Traceback (most recent call last)" in log
    assert "RuntimeError: the database said no: boom-4711" in log
    assert "boom-4711" not in result.stderr


def test_or_to_stderr_for_the_service_manager_s_journal(tmp_path):
    result = banli_python(tmp_path, FAILING_REQUEST, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "Internal Server Error: /boom/" in result.stderr
    assert "RuntimeError: the database said no: boom-4711" in result.stderr
    assert not (tmp_path / "var" / "banli.log").exists()


def test_a_file_rotated_by_logrotate_is_reopened_rather_than_rotated_twice(tmp_path):
    code = (
        "import logging, django; django.setup();"
        "print(*sorted(type(h).__name__ for h in logging.getLogger('django.request').handlers))"
    )
    result = banli_python(
        tmp_path, code, **PRODUCTION, BANLI_LOG_FILE="banli.log", BANLI_LOG_MAX_BYTES="0"
    )
    assert result.stdout.split() == ["StreamHandler", "WatchedFileHandler"]
    rotating = banli_python(tmp_path, code, **PRODUCTION, BANLI_LOG_FILE="banli.log")
    assert rotating.stdout.split() == ["RotatingFileHandler", "StreamHandler"]


def boom(request):
    raise RuntimeError("boom-4712")


urlpatterns = [path("boom/", boom), *banli.urls.urlpatterns]
handler500 = banli.urls.handler500


def test_when_the_error_page_itself_fails_a_plain_answer_still_goes_out(tmp_path, settings):
    # The usual cause of a 500 (the database is gone) can break the page's navigation too.
    (tmp_path / "error.html").write_text("{% url 'no-such-page' %}")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/plain")
    assert "Something went wrong on our side" in response.content.decode()
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
