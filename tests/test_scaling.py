"""Several web servers on one database: what they must share, and the database settings that
made a trivial page four times faster (docs/scaling.md, docs/benchmark.md)."""

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import uuid

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from banli.core import uploads

REDIS = ("127.0.0.1", 6379)


def _answers(address) -> bool:
    try:
        socket.create_connection(address, 1).close()
    except OSError:
        return False
    return True


def _settings_in_a_new_process(tmp_path, code: str, **env) -> dict:
    """Run `code` in a fresh interpreter with banli's settings read from `env`, as another
    web server would; `code` prints one JSON line."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("BANLI_", "DATABASE_URL"))},
        "DJANGO_SETTINGS_MODULE": "banli.settings",
        "BANLI_VAR_DIR": str(tmp_path),
        **env,
    }
    script = f"import django, json\ndjango.setup()\n{code}"
    out = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_postgresql_connections_are_kept_checked_and_never_jit_compiled(tmp_path):
    code = (
        "from django.conf import settings as s\n"
        "d = s.DATABASES['default']\n"
        "print(json.dumps({'age': d['CONN_MAX_AGE'], 'checks': d['CONN_HEALTH_CHECKS'],"
        " 'options': d['OPTIONS'].get('options', '')}))"
    )
    seen = _settings_in_a_new_process(
        tmp_path, code, DATABASE_URL="postgres://postgres@127.0.0.1:5432/banli"
    )
    assert seen == {"age": 600, "checks": True, "options": "-c jit=off -c work_mem=32MB"}
    # A pooler in front (PgBouncer in transaction mode) wants no persistent connections.
    seen = _settings_in_a_new_process(
        tmp_path,
        code,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/banli",
        BANLI_CONN_MAX_AGE="0",
    )
    assert seen["age"] == 0


@pytest.mark.django_db
def test_the_live_postgresql_connection_has_jit_off():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no JIT")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_one_server_needs_no_redis_and_several_share_it(tmp_path):
    code = (
        "from django.conf import settings as s\n"
        "print(json.dumps({'cache': s.CACHES['default']['BACKEND'],"
        " 'sessions': s.SESSION_ENGINE}))"
    )
    alone = _settings_in_a_new_process(tmp_path, code)
    assert alone["cache"].endswith("LocMemCache")
    assert alone["sessions"] == "django.contrib.sessions.backends.db"
    shared = _settings_in_a_new_process(tmp_path, code, BANLI_REDIS_URL="redis://127.0.0.1:6379/9")
    assert shared["cache"] == "django.core.cache.backends.redis.RedisCache"
    # Written through to the database: a Redis restart logs nobody out.
    assert shared["sessions"] == "django.contrib.sessions.backends.cached_db"


def test_what_one_server_caches_another_reads(tmp_path):
    if not _answers(REDIS):
        if os.environ.get("CI") == "true":
            pytest.fail("Redis does not answer at 127.0.0.1:6379 (it does on CI machines)")
        pytest.skip("Redis does not answer at 127.0.0.1:6379")
    key = f"scaling-test-{uuid.uuid4().hex}"
    redis_env = {"BANLI_REDIS_URL": "redis://127.0.0.1:6379/9"}
    written = _settings_in_a_new_process(
        tmp_path,
        "from django.core.cache import cache\n"
        f"cache.set({key!r}, 'from server one', 60)\n"
        "print(json.dumps({'ok': True}))",
        **redis_env,
    )
    assert written == {"ok": True}
    read = _settings_in_a_new_process(
        tmp_path,
        "from django.core.cache import cache\n"
        f"print(json.dumps({{'value': cache.get({key!r})}}))\n"
        f"cache.delete({key!r})",
        **redis_env,
    )
    assert read == {"value": "from server one"}


@pytest.mark.django_db
def test_staged_files_left_by_a_dead_process_are_moved_or_removed(settings, tmp_path, world):
    """The sweep walks the storage through its own API (a shared folder or object storage):
    a staged file whose row committed goes into place, an orphan goes, a fresh one stays."""
    from django.contrib.contenttypes.models import ContentType

    from banli.core.models import Attachment

    settings.MEDIA_ROOT = tmp_path / "media"
    storage = Attachment._meta.get_field("file").storage
    item = world.draft()
    item_type = ContentType.objects.get_for_model(item)
    Attachment.objects.create(
        root_type=item_type,
        root_id=item.pk,
        target_type=item_type,
        target_id=item.pk,
        file="2026/12/committed.pdf",
        name="committed.pdf",
        content_type="application/pdf",
        size=3,
        uploaded_by=world.deputy,
    )
    staged = {name: f"{uploads.STAGING}/2026/12/{name}.pdf" for name in ("committed", "orphan")}
    staged["fresh"] = f"{uploads.STAGING}/2026/12/fresh.pdf"
    for path in staged.values():
        storage.save(path, ContentFile(b"pdf"))
    two_hours_ago = (dt.datetime.now() - dt.timedelta(hours=2)).timestamp()
    for name in ("committed", "orphan"):
        os.utime(storage.path(staged[name]), (two_hours_ago, two_hours_ago))

    moved, removed = uploads.clean_staged(older_than=dt.timedelta(hours=1))

    assert (moved, removed) == (1, 1)
    assert storage.exists("2026/12/committed.pdf")
    assert not storage.exists(staged["committed"]) and not storage.exists(staged["orphan"])
    assert storage.exists(staged["fresh"])
