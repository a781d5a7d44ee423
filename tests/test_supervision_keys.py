"""Key items (重点督办) with the leader who lead-handles them and the supervising committee,
named in each body's words: at a congress a government leader lead-handles (领办) and a
special committee supervises; at a CPPCC a chair owns the item (包案督办)."""

import datetime as dt

import pytest
from django.urls import reverse

from banli.core.errors import ValidationFailed
from banli.core.models import HistoryEntry
from banli.supervision.models import KeyItem
from banli.supervision.services import change_supervisor, mark_key, unmark_key

from .factories import on
from .factories_h3 import second_leader
from .test_batch import run_batch, select

DAY = dt.date(2026, 3, 16)


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def test_a_congress_marks_a_key_item_with_its_lead_handler_and_committee(client, world):
    with on(DAY):
        item = world.assigned()
    client.force_login(world.staff)
    form = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert "Government leader who lead-handles it" in form
    assert "Supervising special committee" in form
    with on(DAY):
        client.post(
            reverse("supervision:mark_key", args=[item.pk]),
            {
                "supervisor": world.supervisor.pk,
                "lead_handler": "副市长 张三",
                "committee": "城建环保工委",
            },
        )
    key = KeyItem.objects.get(item=item)
    assert (key.lead_handler, key.committee) == ("副市长 张三", "城建环保工委")
    entry = HistoryEntry.objects.for_root(item).get(action="item.set_key")
    assert entry.data["committee"] == "城建环保工委"
    shown = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert "城建环保工委" in shown and "副市长 张三" in shown


def test_a_cppcc_names_the_chair_who_owns_the_proposal(client, cppcc):
    with on(DAY):
        item = cppcc.assigned()
        mark_key(
            item,
            by=cppcc.staff,
            supervisor=cppcc.supervisor,
            lead_handler="副主席 李四",
            committee="提案委员会",
        )
    client.force_login(cppcc.staff)
    shown = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert "Chair who owns it" in shown and "副主席 李四" in shown
    assert "lead-handles" not in shown
    listing = client.get(reverse("supervision:key_items")).content.decode()
    assert "Chair who owns it" in listing and "提案委员会" in listing


def test_the_committee_changes_with_a_reason_and_the_history_keeps_both(world):
    with on(DAY):
        item = world.assigned()
        mark_key(item, by=world.staff, supervisor=world.supervisor, committee="财经工委")
        with pytest.raises(ValidationFailed, match="Nothing was changed"):
            change_supervisor(
                item, by=world.staff, supervisor=world.supervisor, committee="财经工委", reason="无"
            )
        change_supervisor(
            item,
            by=world.staff,
            supervisor=world.supervisor,
            committee="城建环保工委",
            reason="职责调整",
        )
        entry = HistoryEntry.objects.for_root(item).get(action="item.change_key_leader")
        assert entry.data["committee"] == {"from": "财经工委", "to": "城建环保工委"}
        # Leaving the committee out keeps it.
        change_supervisor(item, by=world.staff, supervisor=second_leader(world), reason="换领导")
        assert KeyItem.objects.get(item=item).committee == "城建环保工委"
        unmark_key(item, by=world.staff, reason="已解决")
    removed = HistoryEntry.objects.for_root(item).get(action="item.unset_key")
    assert removed.data["committee"] == "城建环保工委"


def test_names_are_bounded(world):
    with on(DAY):
        item = world.assigned()
        with pytest.raises(ValidationFailed, match="at most 60"):
            mark_key(item, by=world.staff, supervisor=world.supervisor, committee="委" * 61)
    assert not KeyItem.objects.exists()


def test_change_the_committee_through_the_page(client, world):
    with on(DAY):
        item = world.assigned()
        mark_key(item, by=world.staff, supervisor=world.supervisor)
    client.force_login(world.staff)
    url = reverse("supervision:change_leader", args=[item.pk])
    assert "Supervising special committee" in client.get(url).content.decode()
    with on(DAY):
        response = client.post(
            url,
            {"supervisor": world.supervisor.pk, "committee": "农业农村工委", "reason": "分工调整"},
        )
    assert response.status_code == 302
    assert KeyItem.objects.get(item=item).committee == "农业农村工委"


def test_batch_mark_key_carries_the_committee(client, world):
    with on(DAY):
        chosen = [world.assigned(title=f"重点{n}") for n in range(2)]
    client.force_login(world.staff)
    select(client, "items", [i.pk for i in chosen])
    with on(DAY):
        run_batch(
            client,
            "items",
            "mark_key",
            {"supervisor": world.supervisor.pk, "committee": "教科文卫工委"},
        )
    assert set(KeyItem.objects.values_list("committee", flat=True)) == {"教科文卫工委"}
