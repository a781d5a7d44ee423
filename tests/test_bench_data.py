"""The benchmark's dataset (banli bench_data) holds together as the real pages see it."""

import json
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count

from banli.bench.generate import ALL_STATES, Options, generate
from banli.bodies.models import Session
from banli.core.models import HistoryEntry
from banli.items.models import Item
from banli.items.search import index_text, search_items
from banli.items.services import session_is_open

pytestmark = pytest.mark.django_db

SMALL = 300


@pytest.fixture
def manifest(tmp_path):
    from io import StringIO

    path = tmp_path / "manifest.json"
    call_command("bench_data", "--items", str(SMALL), "--manifest", str(path), stdout=StringIO())
    return json.loads(path.read_text(encoding="utf-8"))


def test_manifest_describes_the_dataset(manifest):
    assert manifest["items"] == SMALL == Item.objects.count()
    assert manifest["bodies"] == 3
    assert manifest["users"] == get_user_model().objects.count()
    assert set(manifest["users_by_role"]) == {
        "staff",
        "leader",
        "auditor",
        "deputy",
        "submitter",
        "unit_coordinator",
        "unit_handler",
        "unit_leader",
        "evaluator",
    }
    # The deputy whose start page is measured is not the one who posts the suggestions.
    assert manifest["users_by_role"]["submitter"] != manifest["users_by_role"]["deputy"]
    target = manifest["target"]
    sizes = Counter(Item.objects.values_list("body_id", flat=True))
    assert sizes.most_common(1)[0][0] == target["body_id"]
    assert manifest["search"] == {"two_char": "停车", "multi_word": "老旧小区 停车 改造"}
    assert set(manifest["phases"]) >= {"layout", "items"}


def test_every_state_occurs_and_search_text_is_the_index(manifest):
    states = set(Item.objects.values_list("state", flat=True))
    assert states == set(ALL_STATES)
    for item in Item.objects.only("title", "text", "search_text"):
        assert item.search_text == index_text(item.title, item.text)
        assert 15 <= len(item.title) <= 40


def test_search_finds_the_words_in_the_target_body(manifest):
    target = Item.objects.filter(body_id=manifest["target"]["body_id"])
    assert search_items(target, manifest["search"]["two_char"]).exists()
    assert search_items(target, manifest["search"]["multi_word"]).exists()


def test_history_is_several_entries_an_item_and_long_for_one(manifest):
    per_item = dict(
        HistoryEntry.objects.values_list("root_id")
        .annotate(n=Count("id"))
        .values_list("root_id", "n")
    )
    assert len(per_item) == SMALL
    assert sum(per_item.values()) / SMALL >= 5
    assert per_item[manifest["target"]["long_timeline_item_id"]] >= 100


def test_target_deputy_writes_a_suggestion(manifest, client):
    users = get_user_model().objects
    session = Session.objects.get(pk=manifest["target"]["session_id"])
    assert session_is_open(session, __import__("datetime").date.fromisoformat(manifest["today"]))
    client.force_login(users.get(username=manifest["users_by_role"]["deputy"]))
    assert client.get("/items/new/").status_code == 200
    before = Item.objects.count()
    response = client.post(
        "/items/new/",
        {
            "kind": manifest["target"]["kind"],
            "session": session.pk,
            "title": "关于优化老旧小区停车管理的建议",
            "text": "建议结合老旧小区改造增加停车泊位。",
            "category": manifest["target"]["category_id"],
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert Item.objects.count() == before + 1


def test_long_timeline_page_answers_for_staff(manifest, client):
    users = get_user_model().objects
    client.force_login(users.get(username=manifest["users_by_role"]["staff"]))
    item = manifest["target"]["long_timeline_item_id"]
    assert client.get(f"/items/{item}/").status_code == 200


def test_same_seed_same_titles():
    def titles():
        with transaction.atomic():
            generate(Options(items=120, bodies=3), log=lambda *a, **k: None)
            found = list(Item.objects.order_by("pk").values_list("title", "state"))
            transaction.set_rollback(True)
        return found

    first = titles()
    assert first and first == titles()
