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


def test_the_supervision_year_is_in_the_target_body(manifest):
    from banli.assessment.models import AssessedItem, Assessment, Score
    from banli.delivery.models import Delivery
    from banli.followup.models import FollowUpRound, RoundItem
    from banli.followup.services import summary
    from banli.handling.models import ResultClassChange
    from banli.notices.models import Notice
    from banli.reminders.models import ReminderSent
    from banli.supervision.models import KeyItem, SupervisionActivity

    body = manifest["target"]["body_id"]
    ids = manifest["supervision"]
    # Activities on the body's key items, through the many-to-many table, with committees.
    activities = SupervisionActivity.objects.filter(body_id=body)
    assert activities.exists() and ids["activity_id"] in set(
        activities.values_list("id", flat=True)
    )
    through = SupervisionActivity.items.through.objects.filter(supervisionactivity__body_id=body)
    assert through.exists()
    assert set(through.values_list("item_id", flat=True)) <= set(
        KeyItem.objects.values_list("item_id", flat=True)
    )
    assert not KeyItem.objects.filter(committee="").exists()
    assert Item.objects.get(pk=ids["open_key_item_id"]).state in {
        "assigned",
        "in_handling",
        "rehandling",
    }
    # Closed rounds; each conversion is a follow-up class change naming its round, and the
    # round's summary counts them.
    rounds = FollowUpRound.objects.filter(body_id=body)
    assert rounds.count() >= 1 and set(rounds.values_list("state", flat=True)) == {"closed"}
    converted = RoundItem.objects.exclude(class_confirmed="").select_related("change", "round")
    for entry in converted:
        assert entry.change.source == "follow_up"
        assert entry.change.round_ref == f"followup:{entry.round_id}"
        assert entry.change.to_class == entry.class_confirmed == entry.item.result_class
    for round_ in FollowUpRound.objects.all():
        moved = sum(n for row in summary(round_).rows for _cls, n in row.conversions)
        assert moved == RoundItem.objects.filter(round=round_).exclude(class_confirmed="").count()
    assert ResultClassChange.objects.filter(source="follow_up").count() == converted.count()
    # Cross-year: class B planned past the year.
    assert Item.objects.filter(is_cross_year=True).exclude(result_class__in=["A", "B"]).count() == 0
    # One SMS per notice, most sent; failures say why.
    assert Delivery.objects.count() == Notice.objects.count() > 0
    assert Delivery.objects.filter(state="sent").count() > Delivery.objects.count() / 2
    assert not Delivery.objects.filter(state="failed", last_error="").exists()
    # Reminders of assignments, once per rule, subject, date and step (the constraint).
    assert ReminderSent.objects.exists()
    # One submitted evaluation per body with its scored items.
    assessment = Assessment.objects.get(pk=ids["assessment_id"])
    assert assessment.body_id == body and assessment.state == "submitted"
    entries = AssessedItem.objects.filter(assessment=assessment)
    assert 1 <= entries.count() <= 4
    assert Score.objects.filter(entry__in=entries).count() == 4 * entries.count()


def test_every_get_endpoint_answers_its_role(manifest, client):
    from banli.bench.endpoints import REGISTRY, Context

    users = get_user_model().objects
    ctx = Context(manifest)
    for endpoint in REGISTRY:
        if endpoint.method != "GET" or endpoint.name == "floor":
            continue
        client.force_login(users.get(username=manifest["users_by_role"][endpoint.role]))
        response = client.get(endpoint.path(ctx), follow=endpoint.follow)
        assert response.status_code == endpoint.expect, endpoint.name


def test_item_pages_show_the_supervision_year(manifest, client):
    from banli.assessment.models import AssessedItem
    from banli.followup.models import RoundItem
    from banli.supervision.models import SupervisionActivity

    client.force_login(get_user_model().objects.get(username=manifest["users_by_role"]["staff"]))
    body = manifest["target"]["body_id"]
    shown = [
        RoundItem.objects.filter(round__body_id=body).values_list("item_id", flat=True).first(),
        AssessedItem.objects.filter(assessment__body_id=body).values_list("item_id", flat=True)[0],
        SupervisionActivity.items.through.objects.filter(supervisionactivity__body_id=body)
        .values_list("item_id", flat=True)
        .first(),
    ]
    for item_id in filter(None, shown):
        assert client.get(f"/items/{item_id}/").status_code == 200, item_id
    activity = manifest["supervision"]["activity_id"]
    assert client.get(f"/supervision/activities/{activity}/").status_code == 200
