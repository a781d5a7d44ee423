"""The shared item pages: the list with its filters and the item page with its timeline."""

import datetime as dt

import pytest
from django.urls import reverse

from .factories import World, make_proposer, on


@pytest.fixture
def items(world):
    with on(dt.date(2026, 3, 2)):
        replied = world.replied("B", title="关于增加老旧小区停车位的建议")
        draft = world.draft(title="关于加强社区养老服务的建议")
    return replied, draft


def test_staff_filter_by_state_and_see_counts(client, world, items):
    replied, draft = items
    client.force_login(world.staff)
    response = client.get(reverse("items:list"), {"state": "replied"})
    assert response.status_code == 200
    assert replied.title in response.content.decode()
    assert draft.title not in response.content.decode()


def test_list_ignores_malformed_filters(client, world, items):
    client.force_login(world.staff)
    for params in (
        {"session": "x"},
        {"date_from": "2026-13-45"},
        {"page": "999"},
        {"sort": "'; drop table"},
        {"unit": "99999999999999999999"},
        {"date_from": "2026-05-01", "date_to": "2026-01-01"},
    ):
        assert client.get(reverse("items:list"), params).status_code == 200


def test_item_page_shows_timeline(client, world, items):
    replied, _ = items
    client.force_login(world.deputy)
    response = client.get(reverse("items:detail", args=[replied.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert replied.title in body
    assert body.count('class="when"') == replied_entries(replied)


def replied_entries(item):
    from banli.core.models import HistoryEntry

    return HistoryEntry.objects.for_root(item).count()


def test_other_body_and_unknown_item_both_get_404(client, world, items):
    replied, _ = items
    other = World()
    client.force_login(other.staff)
    assert client.get(reverse("items:detail", args=[replied.pk])).status_code == 404
    assert client.get(reverse("items:detail", args=[10**12])).status_code == 404


def test_deputy_does_not_see_others_private_drafts(client, world, items):
    _, draft = items
    user, _member = make_proposer(world.body, "赵代表")
    client.force_login(user)
    assert client.get(reverse("items:detail", args=[draft.pk])).status_code == 404


def test_list_queries_do_not_grow_with_items(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.staff)

    def queries_for_list():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("items:list"), {"q": "停车", "sort": "due"})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    with on(dt.date(2026, 3, 2)):
        world.replied("A", title="关于第一个停车问题的建议")
    few = queries_for_list()
    with on(dt.date(2026, 3, 3)):
        for n in range(10):
            world.replied("B", title=f"关于第{n}个停车问题的建议")
    assert queries_for_list() == few
