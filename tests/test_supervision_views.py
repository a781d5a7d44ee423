"""Key items (重点督办) through the pages: the staff's list and marking, the supervising
leader's start page, and the key-item panel of the item page."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from banli.core.models import HistoryEntry
from banli.handling import services as handling
from banli.items import services as items
from banli.supervision.models import KeyItem
from banli.supervision.services import mark_key

from .factories import make_user, on

DAY = dt.date(2026, 3, 2)
TODAY = dt.date(2026, 6, 10)


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_staff_mark_an_item_key_from_its_page(client, world):
    world.supervisor.first_name = "市长"
    world.supervisor.save()
    with on(DAY):
        item = world.assigned()
    client.force_login(world.staff)
    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert reverse("supervision:mark_key", args=[item.pk]) in page
    with on(DAY):
        response = client.post(
            reverse("supervision:mark_key", args=[item.pk]),
            {"supervisor": world.supervisor.pk, "lead_handler": "副市长 张三", "note": "年度重点"},
        )
    assert response.status_code == 302 and response.url == reverse("items:detail", args=[item.pk])
    assert f"{item.display_number} is a key item, supervised by 市长." in messages_of(response)
    key = KeyItem.objects.get(item=item)
    assert (key.supervisor, key.lead_handler, key.note, key.year) == (
        world.supervisor,
        "副市长 张三",
        "年度重点",
        2026,
    )
    assert HistoryEntry.objects.for_target(item).filter(action="item.set_key").exists()
    page = client.get(reverse("items:detail", args=[item.pk])).content.decode()
    assert "副市长 张三" in page
    assert reverse("supervision:mark_key", args=[item.pk]) not in page


def test_mark_key_input_errors_stay_on_the_form(client, world):
    with on(DAY):
        item = world.accepted()
    other_leader = make_user(world.body, "staff")
    client.force_login(world.staff)
    url = reverse("supervision:mark_key", args=[item.pk])
    for data in (
        {},
        {"supervisor": "x"},
        {"supervisor": other_leader.pk},  # staff, not a supervising leader
        {"supervisor": "99999999999999999999"},
        {"supervisor": world.supervisor.pk, "lead_handler": "长" * 61},
    ):
        response = client.post(url, data)
        assert response.status_code == 200
        assert 'class="errorlist"' in response.content.decode()
    assert not KeyItem.objects.exists()


def test_an_item_is_key_once(client, world):
    with on(DAY):
        item = world.accepted()
        mark_key(item, by=world.staff, supervisor=world.supervisor)
    client.force_login(world.staff)
    response = client.post(
        reverse("supervision:mark_key", args=[item.pk]), {"supervisor": world.supervisor.pk}
    )
    assert response.status_code == 200
    assert "This item is already a key item, supervised by" in response.content.decode()
    assert KeyItem.objects.count() == 1


def test_only_the_bodys_staff_mark_key_items(client, world, other_world):
    with on(DAY):
        item = world.accepted(is_public=True)
        draft = world.draft()
        items.submit(draft, by=world.deputy)
    url = reverse("supervision:mark_key", args=[item.pk])
    for user in (world.supervisor, world.deputy, world.auditor):
        client.force_login(user)
        assert client.post(url, {"supervisor": world.supervisor.pk}).status_code == 403
    client.force_login(other_world.staff)
    assert client.post(url, {"supervisor": world.supervisor.pk}).status_code == 404
    client.force_login(world.staff)
    draft_url = reverse("supervision:mark_key", args=[draft.pk])
    assert client.post(draft_url, {"supervisor": world.supervisor.pk}).status_code == 409
    assert client.get("/supervision/item/99999999999999999999/mark-key/").status_code == 404
    assert not KeyItem.objects.exists()


def test_the_key_item_list(client, world, other_world):
    with on(DAY):
        key = world.assigned(title="关于治理河道污染的建议", co=[world.units[1]])
        world.assigned(title="关于普通事项的建议")
        mark_key(key, by=world.staff, supervisor=world.supervisor, lead_handler="副市长 李四")
        elsewhere = other_world.assigned(title="他处的重点建议")
        mark_key(elsewhere, by=other_world.staff, supervisor=other_world.supervisor)
    client.force_login(world.staff)
    with on(TODAY):
        response = client.get(reverse("supervision:key_items"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "关于治理河道污染的建议" in body and "副市长 李四" in body
    assert "市住建局" in body and "市交通局" in body
    assert "2026-06-02" in body and "8 days overdue" in body
    assert "关于普通事项的建议" not in body and "他处的重点建议" not in body
    for params in ({"year": "2026"}, {"year": "abc"}, {"year": "1999"}, {"page": "x"}):
        assert client.get(reverse("supervision:key_items"), params).status_code == 200
    years = response.context["form"].fields["year"].choices
    assert [y for y, _label in years] == ["", 2026]
    for user in (world.deputy, world.coord[world.units[0].pk]):
        client.force_login(user)
        assert client.get(reverse("supervision:key_items")).status_code == 403
    # The auditor reads the list; the leader reads the key items they supervise.
    for user in (world.auditor, world.supervisor):
        client.force_login(user)
        with on(TODAY):
            listed = client.get(reverse("supervision:key_items")).content.decode()
        assert "关于治理河道污染的建议" in listed and "他处的重点建议" not in listed


def test_a_supervisor_sees_only_their_items_overdue_first(client, world):
    second = make_user(world.body, "supervisor")
    made = {}
    for name, day in [("due_later", dt.date(2026, 5, 1)), ("overdue", dt.date(2026, 2, 1))]:
        with on(day):
            made[name] = world.assigned(title=f"重点 {name}")
            mark_key(made[name], by=world.staff, supervisor=world.supervisor)
    with on(DAY):
        made["closed"] = world.replied(title="重点 closed")
        mark_key(made["closed"], by=world.staff, supervisor=world.supervisor)
        handling.evaluate(made["closed"], by=world.deputy, attitude="satisfied", result="satisfied")
        theirs = world.assigned(title="重点 of another leader")
        mark_key(theirs, by=world.staff, supervisor=second)
    client.force_login(world.supervisor)
    with on(TODAY):
        response = client.get(reverse("supervision:mine"))
    assert response.status_code == 200
    titles = [i.title for i in response.context["page"].object_list]
    assert titles == ["重点 overdue", "重点 due_later", "重点 closed"]
    assert response.context["counts"] == {
        "total": 3,
        "overdue": 1,
        "soon": 0,
        "replied": 0,
        "closed": 1,
    }
    assert "重点 of another leader" not in response.content.decode()
    assert "40 days overdue" in response.content.decode()  # due 2026-05-01


def test_the_supervisors_page_is_theirs(client, world):
    for user in (world.staff, world.deputy, world.auditor):
        client.force_login(user)
        assert client.get(reverse("supervision:mine")).status_code == 403
    client.force_login(world.supervisor)
    response = client.get(reverse("supervision:mine"))
    assert response.status_code == 200
    assert "No item is under your supervision yet." in response.content.decode()


def test_the_supervisors_start_page_is_their_items(client, world):
    client.force_login(world.supervisor)
    # The start page (banli.desk) has their key items and leads to the whole list.
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Key items under my supervision" in response.content.decode()
    assert f'href="{reverse("supervision:mine")}"' in response.content.decode()
