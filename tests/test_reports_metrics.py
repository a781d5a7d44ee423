"""The figures of DOMAIN.md §6, counted by hand for small bodies: every number of the JSON
contract, the empty scope, the as-of day from the dated class rows, the per-unit table and
the breakdowns, and the command scripts call."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from banli.followup import services as followup
from banli.followup.models import RoundItem
from banli.handling import services as handling
from banli.items import services as items
from banli.reports import metrics

from .factories import make_session, on
from .factories_h3 import key_item
from .factories_h4 import closed_item, year_world

MARCH = dt.date(2023, 3, 1)


@pytest.fixture
def w(db):
    return year_world(2023)


def late_basic_c(w):
    """Assigned on 1 March, replied C on 10 July (due 1 June: late), rated 基本满意."""
    with on(MARCH):
        item = w.assigned()
    a = w.lead_assignment(item)
    with on(dt.date(2023, 7, 10)):
        handling.accept_assignment(a, by=w.coord[a.unit_id])
        handling.draft_reply(a, by=w.handler[a.unit_id], text="答复如下。", result_class="C")
        handling.sign_reply(a, by=w.leader[a.unit_id])
    with on(dt.date(2023, 7, 20)):
        item.refresh_from_db()
        handling.evaluate(item, by=w.deputy, attitude="satisfied", result="basically_satisfied")
    return item


@pytest.fixture
def year(w):
    """Four accepted items (A and B on time and satisfied, C late and basically satisfied,
    one only accepted), one rejected, and one of another year."""
    a = closed_item(w, "A")
    b = closed_item(w, "B")
    c = late_basic_c(w)
    with on(MARCH):
        waiting = w.accepted()
        refused = w.draft(title="关于修建私人车库的建议")
        items.submit(refused, by=w.deputy)
        items.receive(refused, by=w.staff)
        items.reject(refused, by=w.staff, reason="属个人诉求")
    w.session = make_session(w.body, year=2022, number=9)
    closed_item(w, "A", day=dt.date(2022, 4, 1))
    return {"a": a, "b": b, "c": c, "waiting": waiting}


def report(w, **kw):
    return metrics.as_json(metrics.scope_for(w.body, kw.pop("year", 2023), **kw))


def test_every_figure_of_a_year_counted_by_hand(w, year):
    got = report(w)
    assert {k: got[k] for k in ("total", "rejected", "merged", "classified")} == {
        "total": 4,
        "rejected": 1,
        "merged": 0,
        "classified": 3,
    }
    assert got["by_kind"] == {"motion": 0, "suggestion": 4, "proposal": 0}
    assert got["by_category"] == {
        "经济发展类": 4,
        "城乡建设管理类": 0,
        "社会事业类": 0,
        "社会治理及其他类": 0,
    }
    assert got["by_class"] == {"A": 1, "B": 1, "C": 1}
    assert (got["assigned"], got["replied"], got["on_time"], got["closed"]) == (3, 3, 2, 3)
    assert (got["evaluated"], got["satisfied"], got["basically_satisfied"]) == (3, 2, 1)
    assert (got["dissatisfied"], got["key_items"], got["cross_year"]) == (0, 0, 0)
    assert got["followup"] == {"B_to_A": 0, "C_to_A": 0, "C_to_B": 0}
    assert got["rates"] == {
        "completion": 3 / 4,
        "on_time": 2 / 3,
        "resolution": 1 / 3,
        "contact": 0.0,
        "satisfaction": 2 / 3,
        "satisfaction_incl_basic": 1.0,
    }


def test_an_empty_scope_counts_zero_and_has_no_rates(w, year):
    got = report(w, year=2019)
    assert got["total"] == got["replied"] == got["evaluated"] == 0
    assert got["by_class"] == {"A": 0, "B": 0, "C": 0}
    assert set(got["rates"].values()) == {None}
    found = metrics.figures(metrics.scope_for(w.body, 2019))
    assert [metrics.percent(r) for r in found.rates.values()] == ["—"] * 6
    assert found.share("A") is None


def test_percent_prints_one_decimal_rounding_halves_up():
    assert metrics.percent(122 / 158) == "77.2%"
    assert metrics.percent(36 / 158) == "22.8%"
    assert metrics.percent(299 / 337) == "88.7%"
    assert metrics.percent(1.0) == "100.0%"
    assert metrics.percent(0.0005) == "0.1%"
    assert metrics.percent(None) == "—"


def test_as_of_a_day_counts_what_had_happened_by_then(w, year):
    # 1 May: A and B accepted, replied and closed on 3 April; C assigned and waiting.
    got = report(w, as_of=dt.date(2023, 5, 1))
    assert (got["total"], got["replied"], got["on_time"], got["closed"]) == (4, 2, 2, 2)
    assert got["by_class"] == {"A": 1, "B": 1, "C": 0}
    assert (got["evaluated"], got["satisfied"], got["basically_satisfied"]) == (2, 2, 0)
    # Before anything was accepted nothing counts but the refusal, which is apart.
    early = report(w, as_of=dt.date(2023, 2, 1))
    assert early["total"] == 0 and early["rates"]["completion"] is None


def test_the_class_as_of_a_day_comes_from_the_dated_class_rows(w, year):
    b = year["b"]
    with on(dt.date(2024, 3, 1)):
        round_ = followup.open_round(
            w.body, year=2023, by=w.staff, title="2023年建议回头看", due_on=dt.date(2024, 5, 31)
        )
    entry = RoundItem.objects.get(round=round_, item=b)
    with on(dt.date(2024, 4, 10)):
        followup.confirm_class(entry, by=w.staff, to_class="A", reason="已建成停车场")
    before = report(w, as_of=dt.date(2024, 4, 9))
    after = report(w, as_of=dt.date(2024, 4, 10))
    now = report(w)
    assert before["by_class"] == {"A": 1, "B": 1, "C": 1}
    assert before["followup"]["B_to_A"] == 0
    assert after["by_class"] == now["by_class"] == {"A": 2, "B": 0, "C": 1}
    assert after["followup"] == now["followup"] == {"B_to_A": 1, "C_to_A": 0, "C_to_B": 0}
    assert now["rates"]["resolution"] == 2 / 3


def test_narrowing_by_session_kind_key_item_and_proposer_type(w, year):
    key_item(w)  # a key item of 2022's session, beside its closed A item
    assert report(w, year=None, session=w.session)["total"] == 2
    scope = metrics.scope_for(w.body, 2023, key_only=True)
    assert metrics.figures(scope).total == 0
    assert metrics.figures(metrics.scope_for(w.body, 2022, key_only=True)).total == 1
    assert metrics.figures(metrics.scope_for(w.body, 2023, kind="proposal")).total == 0
    deputies = metrics.scope_for(w.body, 2023, member_type=w.member.member_type)
    assert metrics.figures(deputies).total == 4


def test_the_per_unit_table(w, year):
    other = w.units[1]
    closed_item(w, "A", unit=other)  # 2022's session: not this year's
    w.session = year["a"].session
    closed_item(w, "B", unit=other)
    rows = {row.name: row for row in metrics.unit_table(metrics.scope_for(w.body, 2023))}
    first = rows[w.units[0].name]
    assert (first.assigned, first.replied, first.on_time) == (3, 3, 2)
    assert first.by_class == {"A": 1, "B": 1, "C": 1}
    assert (first.evaluated, first.satisfied, first.basically_satisfied) == (3, 2, 1)
    assert first.on_time_rate == 2 / 3 and first.satisfaction_incl_basic_rate == 1.0
    second = rows[other.name]
    assert (second.assigned, second.replied, second.by_class["B"]) == (1, 1, 1)
    assert metrics.unit_table(metrics.scope_for(w.body, 2019)) == []


def test_breakdowns_by_category_and_key(w, year):
    rows = metrics.breakdown(metrics.scope_for(w.body, 2023), "category")
    assert [(r.label, r.figures.total, r.figures.closed) for r in rows] == [("经济发展类", 4, 3)]
    assert rows[0].figures.by_class == {"A": 1, "B": 1, "C": 1}
    assert rows[0].figures.rates["on_time"] == 2 / 3
    kinds = metrics.breakdown(metrics.scope_for(w.body, 2023), "kind")
    assert [(r.key, r.figures.total) for r in kinds] == [("suggestion", 4)]
    with pytest.raises(ValueError):
        metrics.breakdown(metrics.scope_for(w.body, 2023), "colour")


def test_figures_take_a_fixed_number_of_queries(w, year, django_assert_max_num_queries):
    scope = metrics.scope_for(w.body, 2023)
    with django_assert_max_num_queries(8):
        metrics.figures(scope)
    with django_assert_max_num_queries(3):
        metrics.unit_table(scope)


def test_the_command_writes_the_json_contract(w, year, tmp_path):
    out = io.StringIO()
    call_command("report", "--body", w.body.code, "--year", "2023", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed["total"] == 4 and printed["rates"]["satisfaction_incl_basic"] == 1.0
    target = tmp_path / "figures.json"
    call_command(
        "report",
        "--body",
        w.body.code,
        "--year",
        "2023",
        "--as-of",
        "2023-05-01",
        "-o",
        str(target),
    )
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written["as_of"] == "2023-05-01" and written["replied"] == 2
    for bad in (
        ["--body", "nope", "--year", "2023"],
        ["--body", w.body.code],
        ["--body", w.body.code, "--year", "2023", "--as-of", "1 May"],
    ):
        with pytest.raises(CommandError):
            call_command("report", *bad)
