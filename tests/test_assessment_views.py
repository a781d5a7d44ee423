"""The third-party evaluation pages: staff commission and read the results; the evaluator
reads their own commissions and scores them without the item page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from banli.assessment import services
from banli.assessment.models import AssessedItem, Assessment
from banli.handling import services as handling

from .factories import make_user, on
from .factories_h5 import commissioned, make_evaluator, points, score

DAY = dt.date(2026, 9, 1)


@pytest.fixture(autouse=True)
def _today():
    with on(DAY):
        yield


@pytest.fixture
def case(world):
    """An evaluation of two replied items, the first scored."""
    evaluator = make_evaluator(world, "pingu")
    first, second = world.replied(), world.replied("B")
    assessment = commissioned(world, evaluator, [first, second])
    score(assessment.entries.get(item=first), evaluator, 18, 27, 30, 13)
    return assessment


def test_staff_pages_render_for_staff_and_auditors(client, world, case):
    urls = [
        reverse("assessment:list"),
        reverse("assessment:detail", args=[case.pk]),
        reverse("assessment:results") + "?year=2026",
    ]
    for user in (world.staff, world.auditor):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)
    client.force_login(world.staff)
    assert client.get(reverse("assessment:new")).status_code == 200
    assert client.get(reverse("assessment:criteria")).status_code == 200
    client.force_login(world.auditor)
    assert client.get(reverse("assessment:new")).status_code == 403
    assert client.get(reverse("assessment:criteria")).status_code == 403


def test_others_are_refused_the_staff_pages(client, world, case):
    evaluator = case.evaluator
    for user in (world.deputy, world.leader[world.units[0].pk], evaluator, world.supervisor):
        client.force_login(user)
        for url in (
            reverse("assessment:list"),
            reverse("assessment:new"),
            reverse("assessment:detail", args=[case.pk]),
            reverse("assessment:results"),
        ):
            assert client.get(url).status_code == 403, (user, url)


def test_another_bodys_evaluation_is_not_found(client, world, other_world, case):
    client.force_login(other_world.staff)
    assert client.get(reverse("assessment:detail", args=[case.pk])).status_code == 404
    response = client.post(reverse("assessment:add_items", args=[case.pk]), {"numbers": "1"})
    assert response.status_code == 404
    stranger = make_evaluator(other_world)
    client.force_login(stranger)
    assert client.get(reverse("assessment:work", args=[case.pk])).status_code == 404


def test_the_detail_shows_totals_and_unit_averages(client, world, case):
    client.force_login(world.staff)
    page = client.get(reverse("assessment:detail", args=[case.pk])).content.decode()
    assert "88.0" in page
    assert world.units[0].name in page
    assert "1 of 2" in page


def test_staff_commission_by_ticking_and_by_numbers(client, world):
    evaluator = make_evaluator(world)
    ticked, pasted, later = world.replied(), world.replied(), world.assigned()
    client.force_login(world.staff)
    listing = client.get(reverse("assessment:new") + "?year=2026").content.decode()
    assert f'name="items" value="{ticked.pk}"' in listing
    response = client.post(
        reverse("assessment:new") + "?year=2026",
        {
            "evaluator": evaluator.pk,
            "title": "2026年重点建议第三方评估",
            "year": 2026,
            "due_on": "2026-11-30",
            "numbers": f"{pasted.number}、第{later.number}号",
            "items": [str(ticked.pk)],
        },
    )
    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("assessment:detail", args=[assessment.pk])
    assert set(assessment.entries.values_list("item_id", flat=True)) == {
        ticked.pk,
        pasted.pk,
        later.pk,
    }


def test_a_number_not_of_the_year_is_shown_on_the_form(client, world):
    evaluator = make_evaluator(world)
    client.force_login(world.staff)
    response = client.post(
        reverse("assessment:new"),
        {
            "evaluator": evaluator.pk,
            "title": "评估",
            "year": 2026,
            "due_on": "2026-11-30",
            "numbers": "987",
        },
    )
    assert response.status_code == 200
    assert "No item of 2026 has the number 987." in response.content.decode()
    assert not Assessment.objects.exists()


def test_the_candidates_filter_by_unit_and_number(client, world):
    housing, transport = world.units
    mine = world.assigned(lead=[transport])
    other = world.assigned()
    client.force_login(world.staff)
    page = client.get(reverse("assessment:new"), {"unit": transport.pk}).content.decode()
    assert (
        f'name="items" value="{mine.pk}"' in page and f'name="items" value="{other.pk}"' not in page
    )
    page = client.get(reverse("assessment:new"), {"q": f"第{other.number}号"}).content.decode()
    assert (
        f'name="items" value="{other.pk}"' in page and f'name="items" value="{mine.pk}"' not in page
    )
    # A malformed filter shows the year's items, not an error.
    assert client.get(reverse("assessment:new"), {"unit": "x", "year": "abc"}).status_code == 200


def test_the_evaluator_reads_what_to_judge_and_scores(client, world, case):
    evaluator = case.evaluator
    client.force_login(evaluator)
    assert case.title in client.get(reverse("assessment:mine")).content.decode()
    assert client.get(reverse("assessment:work", args=[case.pk])).status_code == 200
    entry = case.entries.order_by("id").last()
    url = reverse("assessment:score", args=[case.pk, entry.pk])
    page = client.get(url).content.decode()
    assert entry.item.text in page
    assert "经研究，答复如下……" in page  # the reply's text
    assert world.units[0].name in page

    fields = {f"c{k}": v for k, v in points(world.body, 15, 25, 28, 12).items()}
    response = client.post(url, {**fields, "conclusion": "基本解决。"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.total == Decimal("80.0")

    bad = {f"c{k}": v for k, v in points(world.body, 25, 25, 28, 12).items()}
    response = client.post(url, {**bad, "conclusion": "x"})
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.total == Decimal("80.0")

    response = client.post(reverse("assessment:submit", args=[case.pk]))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == "submitted"


def test_another_evaluator_finds_nothing(client, world, case):
    rival = make_evaluator(world)
    client.force_login(rival)
    entry = case.entries.first()
    assert client.get(reverse("assessment:work", args=[case.pk])).status_code == 404
    assert client.get(reverse("assessment:score", args=[case.pk, entry.pk])).status_code == 404
    assert client.post(reverse("assessment:submit", args=[case.pk])).status_code == 404
    assert case.title not in client.get(reverse("assessment:mine")).content.decode()
    client.force_login(world.staff)
    assert client.get(reverse("assessment:mine")).status_code == 403


def test_submitting_too_early_says_why(client, world, case):
    client.force_login(case.evaluator)
    response = client.post(reverse("assessment:submit", args=[case.pk]), follow=True)
    assert "1 item is not scored yet." in response.content.decode()
    case.refresh_from_db()
    assert case.state == "open"


def test_the_results_of_the_year(client, world, case):
    second = case.entries.order_by("id").last()
    score(second, case.evaluator, 10, 20, 20, 10)
    services.submit(case, by=case.evaluator)
    client.force_login(world.staff)
    page = client.get(reverse("assessment:results"), {"year": "2026"}).content.decode()
    # 88.0 and 60.0 for the same unit: 74.0.
    assert "74.0" in page and "88.0" in page
    assert client.get(reverse("assessment:results"), {"year": "<x>"}).status_code == 200


def test_the_item_page_shows_staff_the_scores(client, world, case):
    entry = case.entries.order_by("id").first()
    client.force_login(world.staff)
    page = client.get(reverse("items:detail", args=[entry.item_id])).content.decode()
    assert 'id="assessment"' in page and "88.0" in page
    client.force_login(world.deputy)
    page = client.get(reverse("items:detail", args=[entry.item_id])).content.decode()
    assert 'id="assessment"' not in page


def test_staff_edit_the_criteria(client, world):
    client.force_login(world.staff)
    url = reverse("assessment:criteria")
    data = {
        "c-TOTAL_FORMS": "3",
        "c-INITIAL_FORMS": "0",
        "c-0-name": "办理成效",
        "c-0-weight": "60",
        "c-1-name": "沟通联系",
        "c-1-weight": "30",
        "c-2-name": "",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "they must add up to 100" in response.content.decode()
    data["c-2-name"], data["c-2-weight"] = "办理时效", "10"
    assert client.post(url, data).status_code == 302
    assert [c.weight for c in services.active_criteria(world.body)] == [60, 30, 10]


def test_staff_take_an_unscored_item_out(client, world, case):
    entry = case.entries.order_by("id").last()
    client.force_login(world.staff)
    client.post(reverse("assessment:remove_item", args=[case.pk, entry.pk]))
    assert not AssessedItem.objects.filter(pk=entry.pk).exists()
    scored = case.entries.get()
    response = client.post(
        reverse("assessment:remove_item", args=[case.pk, scored.pk]), follow=True
    )
    assert "it stays in the evaluation" in response.content.decode()


def test_body_admin_reads_the_criteria_page(client, world):
    admin = make_user(world.body, "body_admin")
    client.force_login(admin)
    assert client.get(reverse("assessment:criteria")).status_code == 200


def test_the_scoring_page_counts_the_units_contacts(client, world):
    evaluator = make_evaluator(world)
    item = world.assigned()
    a = world.lead_assignment(item)
    handling.accept_assignment(a, by=world.coord[a.unit_id])
    for stage in ("before", "during"):
        handling.log_contact(a, by=world.handler[a.unit_id], stage=stage, method="phone", on=DAY)
    assessment = commissioned(world, evaluator, [item])
    client.force_login(evaluator)
    url = reverse("assessment:score", args=[assessment.pk, assessment.entries.get().pk])
    page = client.get(url).content.decode()
    assert '<dd class="contacts">2</dd>' in page
    assert "No reply signed yet." in page


def test_the_pages_read_a_bounded_number_of_queries(client, world):
    """The detail, results and work pages read the same number of queries for 2 items or 6."""
    evaluator = make_evaluator(world)

    def queries(count: int) -> list[int]:
        items = [world.replied() for _ in range(count)]
        assessment = commissioned(world, evaluator, items)
        for entry in assessment.entries.all():
            score(entry, evaluator, 18, 27, 30, 13)
        services.submit(assessment, by=evaluator)
        pages = [
            (world.staff, reverse("assessment:detail", args=[assessment.pk])),
            (world.staff, reverse("assessment:results") + "?year=2026"),
            (world.staff, reverse("items:detail", args=[items[0].pk])),
            (evaluator, reverse("assessment:work", args=[assessment.pk])),
        ]
        counts = []
        for user, url in pages:
            client.force_login(user)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured))
        return counts

    assert queries(2) == queries(6)


@pytest.mark.parametrize(
    "url",
    [
        "/assessment/99999999999999999999/",
        "/assessment/mine/99999999999999999999/",
        "/assessment/mine/1/item/99999999999999999999/",
        "/assessment/results/?year=99999999999999999999",
        "/assessment/new/?year=99999999999999999999&unit=99999999999999999999&q=%00",
    ],
)
def test_malformed_ids_and_parameters_are_never_an_error(client, world, url):
    for user in (world.staff, make_evaluator(world)):
        client.force_login(user)
        assert client.get(url).status_code in (200, 403, 404)


def test_no_page_repeats_an_element_id(client, world, case):
    from .test_page_ids import duplicate_ids

    entry = case.entries.order_by("id").first()
    pages = [
        (world.staff, reverse("assessment:list")),
        (world.staff, reverse("assessment:new")),
        (world.staff, reverse("assessment:detail", args=[case.pk])),
        (world.staff, reverse("assessment:criteria")),
        (world.staff, reverse("assessment:results")),
        (world.staff, reverse("items:detail", args=[entry.item_id])),
        (case.evaluator, reverse("assessment:mine")),
        (case.evaluator, reverse("assessment:work", args=[case.pk])),
        (case.evaluator, reverse("assessment:score", args=[case.pk, entry.pk])),
    ]
    for user, url in pages:
        client.force_login(user)
        assert duplicate_ids(client.get(url).content.decode()) == [], url
