"""Keyset pagination and bounded counts (banli.core.paging): every sort of the item list
pages through every row exactly once, forwards and back, whatever the ties and nulls; a
cursor that is not ours gives the first page; counts stop at their bound."""

import datetime as dt

import pytest
from django.db.models import F
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from banli.core import paging
from banli.items.filters import SORTS
from banli.items.listing import deep_page_url
from banli.items.models import Item

from .factories import World


def _token_url(token):
    return token or ""


def walk(queryset, per_page):
    """Every page from the first by "next", then back by "previous": the rows of each."""
    forward, token, pages = [], None, []
    while True:
        page = paging.keyset_page(queryset, token, per_page=per_page, url=_token_url)
        pages.append(page)
        forward.append([row.pk for row in page.object_list])
        if not page.has_next:
            break
        token = page.next_url
        assert len(pages) < 100
    backward = []
    page = pages[-1]
    while page.has_previous:
        page = paging.keyset_page(queryset, page.previous_url, per_page=per_page, url=_token_url)
        backward.append([row.pk for row in page.object_list])
    return pages, forward, backward


@pytest.fixture
def many(world):
    """13 items with ties on created_at, titles and due dates, and null numbers and dues."""
    base = timezone.now().replace(microsecond=0)
    created = []
    for i in range(13):
        item = world.draft(title=f"关于第{i % 4}件事的建议")
        created.append(item)
        Item.objects.filter(pk=item.pk).update(
            created_at=base - dt.timedelta(hours=i // 3),  # threes share a timestamp
            next_due_on=None if i % 3 == 0 else dt.date(2026, 5, 1 + i % 4),
            number=None if i % 4 == 0 else 100 - i,
            state="submitted",  # the staff read them
            submitted_at=base,
        )
    return Item.objects.filter(body=world.body)


@pytest.mark.parametrize("sort", sorted(SORTS))
@pytest.mark.parametrize("per_page", [1, 4, 5, 13, 20])
def test_every_sort_pages_through_every_row_once_and_back(many, sort, per_page):
    queryset = many.order_by(*SORTS[sort])
    expected = [item.pk for item in queryset]
    pages, forward, backward = walk(queryset, per_page)
    assert [pk for page in forward for pk in page] == expected
    # "Previous" from the last page gives the same pages in reverse order.
    assert backward == forward[:-1][::-1]
    # Positions for "26–50 of …" follow the pages.
    assert [p.start_index for p in pages] == [1 + i * per_page for i in range(len(pages))]
    assert pages[-1].end_index == len(expected)
    assert not pages[0].has_previous and not pages[-1].has_next


def test_nulls_last_on_due_date_and_the_database_default_elsewhere(many):
    rows = [
        row.next_due_on
        for page in walk(many.order_by(*SORTS["due"]), 2)[0]
        for row in page.object_list
    ]
    assert rows[-1] is None and rows[0] is not None
    assert rows == sorted(rows, key=lambda d: (d is None, d))


def test_an_annotation_with_nulls_first_pages_too(many):
    queryset = many.annotate(due=F("next_due_on")).order_by(F("due").desc(nulls_first=True), "-id")
    expected = [item.pk for item in queryset]
    _, forward, backward = walk(queryset, 3)
    assert [pk for page in forward for pk in page] == expected
    assert backward == forward[:-1][::-1]


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "",
        "x" * 5000,
        "eyJ2IjpbWyJpIiwxXV0sImYiOnRydWUsIm8iOjV9:1abc:def",  # unsigned JSON
    ],
)
def test_a_malformed_or_forged_cursor_gives_the_first_page(many, token):
    queryset = many.order_by(*SORTS["-created"])
    page = paging.keyset_page(queryset, token, per_page=4, url=_token_url)
    assert [r.pk for r in page.object_list] == [i.pk for i in queryset[:4]]
    assert page.start_index == 1 and not page.has_previous


def test_a_cursor_of_another_sort_gives_the_first_page(many):
    by_title = many.order_by(*SORTS["title"])
    token = paging.keyset_page(by_title, None, per_page=4, url=_token_url).next_url
    by_date = many.order_by(*SORTS["-created"])
    page = paging.keyset_page(by_date, token, per_page=4, url=_token_url)
    assert [r.pk for r in page.object_list] == [i.pk for i in by_date[:4]]


def test_a_tampered_cursor_gives_the_first_page(many):
    queryset = many.order_by(*SORTS["-created"])
    token = paging.keyset_page(queryset, None, per_page=4, url=_token_url).next_url
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    page = paging.keyset_page(queryset, tampered, per_page=4, url=_token_url)
    assert page.start_index == 1


def test_the_last_page_and_an_empty_list(many, world):
    queryset = many.order_by(*SORTS["-created"])
    pages, forward, _ = walk(queryset, 6)
    assert [len(p) for p in forward] == [6, 6, 1]
    empty = paging.keyset_page(queryset.none(), None, per_page=6, url=_token_url)
    assert empty.object_list == [] and empty.start_index == 0 and not empty.has_other_pages


def test_the_list_page_links_first_previous_next(client, world, many):
    client.force_login(world.staff)
    first = client.get(reverse("items:list"), {"sort": "title"})
    page = first.context["page"]
    assert page.has_next is False or page.next_url  # 13 rows, 25 a page: one page
    # A page deep in the list, from the function the benchmark calls.
    url = deep_page_url(world.staff, {"sort": "title"}, 1)
    assert url == reverse("items:list") + "?sort=title"
    with override_settings(BANLI_LIST_COUNT_BOUND=5):
        assert client.get(url).status_code == 200


def test_deep_page_url_points_at_the_nth_page(client, world, many, monkeypatch):
    from banli.items import listing

    monkeypatch.setattr(listing, "PER_PAGE", 4)
    client.force_login(world.staff)
    expected = [i.pk for i in Item.objects.visible_to(world.staff).order_by(*SORTS["due"])]
    url = deep_page_url(world.staff, {"sort": "due"}, 3)
    response = client.get(url)
    page = response.context["page"]
    assert [r.pk for r in page.object_list] == expected[8:12]
    assert page.start_index == 9
    second = client.get(page.previous_url).context["page"]
    assert [r.pk for r in second.object_list] == expected[4:8]
    first = client.get(second.previous_url).context["page"]
    assert [r.pk for r in first.object_list] == expected[:4] and not first.has_previous
    assert deep_page_url(world.staff, {"sort": "due"}, 99).endswith("?sort=due")
    assert first.first_url == reverse("items:list") + "?sort=due"


def test_bounded_counts_show_the_bound_and_a_plus():
    assert str(paging.BoundedCount(3, 10)) == "3"
    assert str(paging.BoundedCount(11, 10)) == "10+"
    assert str(paging.BoundedCount(10_001, 10_000)) in {"10,000+", "10000+", "10 000+"}
    assert paging.BoundedCount(3, 10) == 3 and paging.BoundedCount(11, 10) != 11


def test_the_list_says_bound_plus_above_its_bound(client, world, many):
    client.force_login(world.staff)
    with override_settings(BANLI_LIST_COUNT_BOUND=5, LANGUAGE_CODE="en"):
        response = client.get(reverse("items:list"), HTTP_ACCEPT_LANGUAGE="en")
        body = response.content.decode()
        assert response.context["total"] == paging.BoundedCount(6, 5)
        assert "5+ items" in body
        assert response.context["counts"] == []  # no facets above the bound
    with override_settings(BANLI_LIST_COUNT_BOUND=50):
        response = client.get(reverse("items:list"))
        assert response.context["total"] == 13
        assert sum(n for _, _, n in response.context["counts"]) == 13


def test_count_at_most_and_counts_at_most(many):
    assert paging.count_at_most(many, 5) == paging.BoundedCount(6, 5)
    assert paging.count_at_most(many, 50) == 13
    counts = paging.counts_at_most({"all": many, "none": many.none()}, 5)
    assert counts["all"] == paging.BoundedCount(6, 5) and counts["none"] == 0


# Query-count guards: 30 rows on each list, so an N+1 shows as 30 more queries.


@pytest.fixture
def thirty(db):
    world = World()
    for i in range(30):
        world.assigned(title=f"关于第{i}件事的建议")
    return world


def test_the_item_list_reads_a_page_in_a_fixed_number_of_queries(
    client, thirty, django_assert_max_num_queries
):
    client.force_login(thirty.staff)
    client.get(reverse("items:list"))
    with django_assert_max_num_queries(16):
        response = client.get(reverse("items:list"), {"sort": "due"})
    assert len(response.context["page"].object_list) == 25


def test_the_inbox_reads_a_page_in_a_fixed_number_of_queries(
    client, thirty, django_assert_max_num_queries
):
    coordinator = thirty.coord[thirty.units[0].pk]
    client.force_login(coordinator)
    client.get(reverse("handling:inbox"))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("handling:inbox"))
    # A page of 25, as every list; the rest on the next page.
    assert len(response.context["rows"]) == 25
    assert response.context["page"].has_next
    # No dispute form per row: a link to the form's own page, which works without scripts.
    body = response.content.decode()
    assert 'name="reason"' not in body
    row = response.context["rows"][0]
    dispute = next(a for a in row["actions"] if a["action"] == "dispute")
    form_page = client.get(dispute["link"])
    assert form_page.status_code == 200 and 'name="reason"' in form_page.content.decode()


def test_the_board_reads_its_pages_in_a_fixed_number_of_queries(
    client, thirty, django_assert_max_num_queries
):
    client.force_login(thirty.staff)
    client.get(reverse("handling:board"))
    with django_assert_max_num_queries(16):
        response = client.get(reverse("handling:board"))
    assert response.status_code == 200


def test_the_inbox_pages_the_disputes_waiting_for_the_staff(client, thirty):
    from banli.handling import services as handling
    from banli.handling.models import Assignment

    unit = thirty.units[0]
    coordinator = thirty.coord[unit.pk]
    for assignment in Assignment.objects.filter(unit=unit, state="pending").order_by("id"):
        handling.dispute(assignment, by=coordinator, reason="不属于本单位职责")
    client.force_login(coordinator)
    first = client.get(reverse("handling:inbox"))
    disputed = first.context["disputed"]
    assert len(disputed.object_list) == 25 and disputed.has_next
    assert all(a.dispute_entry.reason == "不属于本单位职责" for a in disputed)
    rest = client.get(disputed.next_url)
    assert len(rest.context["disputed"].object_list) == 5
    # The other lists of the page keep their own place.
    assert rest.context["page"].object_list == []
