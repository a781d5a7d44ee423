"""Two source reports' figures rebuilt from items (docs/domain.md §6 and ../shared/seeds/):
Xishan CPPCC 2022 (seed 002: 158 proposals, 122 A = 77.2%, 36 B = 22.8%, all satisfied or
basically satisfied) and Changzhou's follow-up of 2023 (seed 000: of 16 B, 9 became A; of
7 C, 1 became A and 1 became B)."""

import datetime as dt
import itertools

from banli.bodies.models import BodyType
from banli.followup import services as followup
from banli.followup.models import RoundItem
from banli.reports import metrics

from .factories import on
from .factories_h4 import closed_item, year_world


def test_xishan_2022_figures_from_158_proposals(db):
    w = year_world(2022, body_type=BodyType.CPPCC)
    categories = list(w.body.categories.order_by("order"))
    per_category = [53, 39, 41, 25]
    # 122 A and 36 B spread over the categories as they come.
    classes = iter(["A"] * 122 + ["B"] * 36)
    for category, count in zip(categories, per_category, strict=True):
        w.category = category
        for _n in range(count):
            closed_item(w, next(classes), day=dt.date(2022, 4, 6))
    got = metrics.as_json(metrics.scope_for(w.body, 2022))
    assert got["total"] == 158 and got["by_kind"]["proposal"] == 158
    assert list(got["by_category"].values()) == per_category
    assert got["by_class"] == {"A": 122, "B": 36, "C": 0}
    assert got["closed"] == got["replied"] == got["on_time"] == got["evaluated"] == 158
    found = metrics.figures(metrics.scope_for(w.body, 2022))
    assert metrics.percent(found.rates["resolution"]) == "77.2%"
    assert metrics.percent(found.share("B")) == "22.8%"
    assert metrics.percent(found.rates["satisfaction_incl_basic"]) == "100.0%"
    assert metrics.percent(found.rates["completion"]) == "100.0%"


def test_changzhou_2023_follow_up_conversions(db):
    w = year_world(2023)
    b_items = [closed_item(w, "B") for _n in range(16)]
    c_items = [closed_item(w, "C") for _n in range(7)]
    with on(dt.date(2024, 3, 1)):
        round_ = followup.open_round(
            w.body, year=2023, by=w.staff, title="2023年建议回头看", due_on=dt.date(2024, 6, 30)
        )
    moves = itertools.chain(
        ((item, "A") for item in b_items[:9]), ((c_items[0], "A"), (c_items[1], "B"))
    )
    with on(dt.date(2024, 6, 1)):
        for item, to_class in moves:
            entry = RoundItem.objects.get(round=round_, item=item)
            followup.confirm_class(entry, by=w.staff, to_class=to_class, reason="已按计划完成")
    got = metrics.as_json(metrics.scope_for(w.body, 2023))
    assert got["followup"] == {"B_to_A": 9, "C_to_A": 1, "C_to_B": 1}
    assert got["by_class"] == {"A": 10, "B": 8, "C": 5}
    # As the round opened, nothing had moved yet.
    before = metrics.as_json(metrics.scope_for(w.body, 2023, as_of=dt.date(2024, 3, 1)))
    assert before["followup"] == {"B_to_A": 0, "C_to_A": 0, "C_to_B": 0}
    assert before["by_class"] == {"A": 0, "B": 16, "C": 7}
