"""The start page (工作台) of the people issue 17 gives work to: a unit finds the items of an
open follow-up round it still has to report on, and loses them once it has reported; a
third-party evaluator finds their open commission with the items still to score."""

import datetime as dt

import pytest
from django.urls import reverse

from banli.followup import services as followup

from .factories import on
from .factories_h4 import closed_item, year_world
from .factories_h5 import commissioned, make_evaluator, score

OPENED = dt.date(2024, 3, 1)


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def start_page(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_a_unit_sees_what_it_still_has_to_report_in_an_open_round(client):
    w = year_world(2023)
    first, second = w.units
    item = closed_item(w, "B", unit=first)
    other = closed_item(w, "C", unit=second)
    with on(OPENED):
        round_ = followup.open_round(
            w.body, year=2023, by=w.staff, title="2023年回头看", due_on=dt.date(2024, 5, 31)
        )
    page = start_page(client, w.coord[first.pk])
    assert "Follow-up: progress to report" in page
    assert reverse("items:detail", args=[item.pk]) in page
    assert reverse("items:detail", args=[other.pk]) not in page
    assert "report by 2024-05-31" in page

    entry = round_.entries.get(item=item)
    with on(OPENED + dt.timedelta(days=3)):
        followup.report_progress(entry, by=w.coord[first.pk], text="已完成主体工程。")
    assert "Follow-up: progress to report" not in start_page(client, w.coord[first.pk])
    # The other unit still has its own item to report on.
    assert reverse("items:detail", args=[other.pk]) in start_page(client, w.coord[second.pk])


@pytest.mark.django_db
def test_an_evaluator_starts_the_day_with_the_items_left_to_score(client):
    w = year_world(2026)
    items = [closed_item(w, "A", day=dt.date(2026, 4, 3)) for _ in range(3)]
    evaluator = make_evaluator(w)
    with on(dt.date(2026, 10, 12)):
        assessment = commissioned(w, evaluator, items)
        score(assessment.entries.order_by("id").first(), evaluator, 18, 27, 31, 14)
        page = start_page(client, evaluator)
    assert "Evaluations to do" in page
    assert assessment.title in page
    assert "2 of 3 items to score" in page
    assert reverse("assessment:work", args=[assessment.pk]) in page
    # Nobody else's start page shows it.
    assert "Evaluations to do" not in start_page(client, w.staff)
