"""Follow-up rounds (回头看) and cross-year items (跨年度) through their services: which items a
round takes, who hears of it, who reports and confirms, the conversions the round's summary
counts (Changzhou 2024: of 16 B items, 9 became A; of 7 C items, 1 became A and 1 B), and
the rule that marks an item cross-year."""

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import translation

from banli.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from banli.core.models import HistoryEntry
from banli.followup import notices as followup_notices
from banli.followup import services
from banli.followup.models import ProgressReport, RoundItem
from banli.handling import services as handling
from banli.handling.models import ClassChangeSource, ResultClassChange
from banli.notices.models import Notice

from .factories import make_session, on
from .factories_h4 import closed_item, year_world

OPENED = dt.date(2024, 3, 1)
DUE = dt.date(2024, 5, 31)


@pytest.fixture
def w(db):
    return year_world(2023)


def open_round(w, year=2023, **kw):
    with on(OPENED):
        return services.open_round(
            w.body, year=year, by=w.staff, title=kw.pop("title", "2023年建议回头看"), due_on=DUE
        )


def entry_of(round_, item) -> RoundItem:
    return RoundItem.objects.get(round=round_, item=item)


def test_a_round_takes_the_years_b_and_c_items_and_earlier_unsolved_cross_year_ones(w, other_world):
    b, c = closed_item(w, "B"), closed_item(w, "C")
    a = closed_item(w, "A")
    with on(dt.date(2023, 4, 3)):
        still_replied = w.replied("B")  # in its evaluation window: not yet reviewed
    w.session = make_session(w.body, year=2022, number=7)
    old_b = closed_item(w, "B", day=dt.date(2022, 4, 1))
    old_cross = closed_item(w, "C", day=dt.date(2022, 4, 1))
    old_solved = closed_item(w, "A", day=dt.date(2022, 4, 1))
    for item in (old_cross, old_solved):
        handling.mark_cross_year(item, by=w.staff, reason="跨年度办理")
    other_world.session = make_session(other_world.body, year=2023, number=2)
    elsewhere = closed_item(other_world, "B")

    round_ = open_round(w)

    taken = set(round_.entries.values_list("item_id", "class_at_opening"))
    assert taken == {(b.pk, "B"), (c.pk, "C"), (old_cross.pk, "C")}
    for item in (a, still_replied, old_b, old_solved, elsewhere):
        assert item.pk not in {pk for pk, _cls in taken}
    entry = HistoryEntry.objects.for_target(round_).get()
    assert (entry.action, entry.actor, entry.data["items"]) == ("followup.open", w.staff, 3)


def test_an_item_in_an_open_round_is_not_taken_again_and_an_empty_round_is_refused(w):
    closed_item(w, "B")
    open_round(w)
    with pytest.raises(ValidationFailed, match="waits for a follow-up"):
        open_round(w, title="第二轮")


def test_only_staff_open_a_round(w):
    closed_item(w, "B")
    for person in (w.supervisor, w.coord[w.units[0].pk], w.deputy):
        with on(OPENED), pytest.raises(NotAllowed):
            services.open_round(w.body, year=2023, by=person, title="回头看", due_on=DUE)


def test_each_lead_unit_is_told_once_of_all_its_items(w):
    first, second = w.units
    for _ in range(3):
        closed_item(w, "B", unit=first)
    closed_item(w, "C", unit=second)
    Notice.objects.all().delete()

    round_ = open_round(w)

    told = Notice.objects.filter(kind=followup_notices.ROUND_OPENED)
    for unit, count in ((first, 3), (second, 1)):
        for person in (w.coord[unit.pk], w.leader[unit.pk]):
            mine = told.filter(recipient=person)
            assert mine.count() == 1
            assert mine.get().params["count"] == count
            assert f"round={round_.pk}" in mine.get().url
        assert not told.filter(recipient=w.handler[unit.pk]).exists()
    assert told.count() == 4


def test_a_unit_reports_on_its_own_items_only_and_every_report_is_kept(w):
    first, second = w.units
    item = closed_item(w, "B", unit=first)
    entry = entry_of(open_round(w), item)
    with on(dt.date(2024, 4, 1)), pytest.raises(NotAllowed):
        services.report_progress(entry, by=w.coord[second.pk], text="不是我们的件")
    with on(dt.date(2024, 4, 1)), pytest.raises(NotAllowed):
        services.report_progress(entry, by=w.staff, text="工作人员")
    with on(dt.date(2024, 4, 1)):
        services.report_progress(entry, by=w.handler[first.pk], text="项目已开工。")
    with on(dt.date(2024, 4, 20)):
        services.report_progress(
            entry, by=w.coord[first.pk], text="项目已完工，问题已解决。", proposed_class="A"
        )
    reports = ProgressReport.objects.filter(entry=entry).order_by("reported_at")
    assert [(r.text, r.proposed_class, r.unit_id) for r in reports] == [
        ("项目已开工。", "", first.pk),
        ("项目已完工，问题已解决。", "A", first.pk),
    ]
    assert HistoryEntry.objects.filter(action="followup.report").count() == 2
    with on(dt.date(2024, 4, 20)), pytest.raises(ValidationFailed):
        services.report_progress(entry, by=w.coord[first.pk], text="  ")
    with on(dt.date(2024, 4, 20)), pytest.raises(ValidationFailed):
        services.report_progress(entry, by=w.coord[first.pk], text="x", proposed_class="Z")


def test_staff_confirm_b_to_a_with_a_reason_as_a_dated_follow_up_change(w):
    unit = w.units[0]
    item = closed_item(w, "B", unit=unit)
    round_ = open_round(w)
    entry = entry_of(round_, item)
    with on(dt.date(2024, 4, 1)):
        services.report_progress(entry, by=w.coord[unit.pk], text="已完工。", proposed_class="A")
    Notice.objects.all().delete()
    with on(dt.date(2024, 6, 1)):
        change = services.confirm_class(
            entry, by=w.staff, to_class="A", reason="停车场已建成投用", on=dt.date(2024, 5, 20)
        )
    item.refresh_from_db()
    assert item.result_class == "A"
    assert (change.from_class, change.to_class, change.changed_on) == (
        "B",
        "A",
        dt.date(2024, 5, 20),
    )
    assert (change.source, change.round_ref, change.reason) == (
        ClassChangeSource.FOLLOW_UP,
        f"followup:{round_.pk}",
        "停车场已建成投用",
    )
    assert change.actor == w.staff
    entry.refresh_from_db()
    assert (entry.class_confirmed, entry.confirmed_on, entry.change) == (
        "A",
        dt.date(2024, 5, 20),
        change,
    )
    history = HistoryEntry.objects.filter(action="followup.confirm_class")
    assert history.count() == 1
    assert (history.get().from_state, history.get().to_state) == ("B", "A")
    assert Notice.objects.filter(kind=followup_notices.CLASS_CONFIRMED, recipient=w.deputy).exists()
    assert Notice.objects.filter(
        kind=followup_notices.UNIT_CLASS_CONFIRMED, recipient=w.coord[unit.pk]
    ).exists()
    # Once confirmed, the item's place in the round is decided.
    with on(dt.date(2024, 6, 2)), pytest.raises(InvalidTransition):
        services.report_progress(entry, by=w.coord[unit.pk], text="再报")
    with on(dt.date(2024, 6, 2)), pytest.raises(InvalidTransition):
        services.confirm_class(entry, by=w.staff, to_class="A", reason="再次")


def test_a_round_confirms_only_a_better_class_by_staff_with_a_reason(w):
    item = closed_item(w, "B")
    entry = entry_of(open_round(w), item)
    with on(dt.date(2024, 4, 1)):
        for to_class, reason in (("B", "没变"), ("C", "倒退"), ("Z", "无此类"), ("A", " ")):
            with pytest.raises(ValidationFailed):
                services.confirm_class(entry, by=w.staff, to_class=to_class, reason=reason)
        with pytest.raises(ValidationFailed):
            services.confirm_class(
                entry, by=w.staff, to_class="A", reason="早于开启", on=dt.date(2024, 2, 1)
            )
        for person in (w.supervisor, w.coord[w.units[0].pk], w.auditor):
            with pytest.raises(NotAllowed):
                services.confirm_class(entry, by=person, to_class="A", reason="越权")
    item.refresh_from_db()
    assert item.result_class == "B"
    assert not ResultClassChange.objects.filter(source=ClassChangeSource.FOLLOW_UP).exists()


def test_a_closed_round_takes_no_more_reports_or_confirmations(w):
    item = closed_item(w, "C")
    round_ = open_round(w)
    entry = entry_of(round_, item)
    with on(dt.date(2024, 7, 1)):
        with pytest.raises(NotAllowed):
            services.close_round(round_, by=w.supervisor)
        services.close_round(round_, by=w.staff)
        with pytest.raises(InvalidTransition):
            services.close_round(round_, by=w.staff)
        with pytest.raises(InvalidTransition):
            services.confirm_class(entry, by=w.staff, to_class="A", reason="已解决")
        with pytest.raises(InvalidTransition):
            services.report_progress(entry, by=w.coord[w.units[0].pk], text="进展")
    round_.refresh_from_db()
    assert (round_.state, round_.closed_on) == ("closed", dt.date(2024, 7, 1))
    assert HistoryEntry.objects.for_target(round_).filter(action="followup.close").exists()


CHANGZHOU = {("B", "A"): 9, ("C", "A"): 1, ("C", "B"): 1}


@pytest.fixture
def changzhou(w):
    """Changzhou 2024: 16 B items of 2023 (9 became A), 7 C items (1 became A, 1 B)."""
    b_items = [closed_item(w, "B") for _ in range(16)]
    c_items = [closed_item(w, "C") for _ in range(7)]
    round_ = open_round(w, title="2023年代表建议B、C类件回头看")
    moves = [(i, "A") for i in b_items[:9]] + [(c_items[0], "A"), (c_items[1], "B")]
    with on(dt.date(2024, 9, 1)):
        for item, to_class in moves:
            services.confirm_class(
                entry_of(round_, item), by=w.staff, to_class=to_class, reason="回头看确认"
            )
    return round_


def test_the_summary_counts_what_the_rows_say_in_the_seeds_words(changzhou, zh_catalog):
    summary = services.summary(changzhou)
    rows_of_round = (
        ResultClassChange.objects.filter(round_ref=changzhou.ref, source="follow_up")
        .values("from_class", "to_class")
        .annotate(n=Count("id"))
    )
    by_hand = {(r["from_class"], r["to_class"]): r["n"] for r in rows_of_round}
    assert by_hand == CHANGZHOU
    rows = {row.start: (row.count, dict(row.conversions)) for row in summary.rows}
    assert rows == {"B": (16, {"A": 9}), "C": (7, {"A": 1, "B": 1})}
    assert summary.total == 23
    assert summary.sentence == (
        "Of the 16 class B items of 2023, 9 became class A; "
        "of the 7 class C items, 1 became class A and 1 became class B."
    )
    zh_catalog(ZH)
    with translation.override("zh-hans"):
        assert services.summary(changzhou).sentence == (
            "2023年16件B类件中，有9件转化为A类件；7件C类件中，有1件转化为A类件、1件转化为B类件。"
        )


def test_a_round_without_conversions_says_so(w, zh_catalog):
    closed_item(w, "B")
    closed_item(w, "C")
    round_ = open_round(w)
    assert services.summary(round_).sentence == (
        "Of the 1 class B item of 2023, none has changed class yet; "
        "of the 1 class C item, none has changed class yet."
    )
    zh_catalog(ZH)
    with translation.override("zh-hans"):
        assert services.summary(round_).sentence == (
            "2023年1件B类件中，暂无转化；1件C类件中，暂无转化。"
        )


# The translations of the sentence's parts, as /tmp/po/h4.po gives them.
ZH = {
    "Of the %(count)s class %(cls)s item of %(year)s, %(conversions)s\x00"
    "Of the %(count)s class %(cls)s items of %(year)s, %(conversions)s": (
        "%(year)s年%(count)s件%(cls)s类件中，%(conversions)s\x00"
        "%(year)s年%(count)s件%(cls)s类件中，%(conversions)s"
    ),
    "of the %(count)s class %(cls)s item, %(conversions)s\x00"
    "of the %(count)s class %(cls)s items, %(conversions)s": (
        "%(count)s件%(cls)s类件中，%(conversions)s\x00%(count)s件%(cls)s类件中，%(conversions)s"
    ),
    "first conversion\x04%(count)s became class %(cls)s": "有%(count)s件转化为%(cls)s类件",
    "further conversion\x04%(count)s became class %(cls)s": "%(count)s件转化为%(cls)s类件",
    "follow-up conversions\x04 and ": "、",
    "follow-up clauses\x04; ": "；",
    "follow-up summary\x04%(clauses)s.": "%(clauses)s。",
    "none has changed class yet": "暂无转化",
}


def test_the_cross_year_rule_marks_the_b_items_planned_past_their_years_end_once(w):
    beyond = closed_item(w, "B", planned_on=dt.date(2024, 6, 30))
    within = closed_item(w, "B", planned_on=dt.date(2023, 12, 31))
    c_item = closed_item(w, "C")
    a_item = closed_item(w, "A")
    with on(dt.date(2023, 5, 1)):
        replied_beyond = w.replied("B")  # World plans 2027-06-30; replied, not yet closed

    with on(dt.date(2024, 1, 5)):
        assert services.apply_cross_year_rule(w.body) == 2
        assert services.apply_cross_year_rule(w.body) == 0
        assert services.apply_cross_year_rules() == 0

    marked = {
        pk for pk in type(beyond).objects.filter(is_cross_year=True).values_list("pk", flat=True)
    }
    assert marked == {beyond.pk, replied_beyond.pk}
    for item in (within, c_item, a_item):
        assert item.pk not in marked
    entry = HistoryEntry.objects.for_target(beyond).get(action="item.mark_cross_year")
    assert (entry.actor, entry.actor_kind) == (None, "system")
    assert "2023" in entry.reason
    assert HistoryEntry.objects.filter(action="item.mark_cross_year").count() == 2


def test_the_rule_runs_when_a_round_opens_and_brings_in_earlier_items(w):
    w.session = make_session(w.body, year=2022, number=7)
    old = closed_item(w, "B", planned_on=dt.date(2023, 9, 30), day=dt.date(2022, 4, 1))
    w.session = make_session(w.body, year=2023, number=3)
    closed_item(w, "C")
    with on(OPENED):
        assert services.candidates(w.body, 2023, with_rule=True).count() == 2
        assert services.candidates(w.body, 2023).count() == 1
    round_ = open_round(w)
    old.refresh_from_db()
    assert old.is_cross_year
    assert round_.entries.filter(item=old, class_at_opening="B").exists()


def test_the_system_may_mark_but_not_unmark_and_others_may_not_mark(w):
    item = closed_item(w, "B")
    with pytest.raises(NotAllowed):
        handling.mark_cross_year(item, by=w.supervisor, reason="越权")
    handling.mark_cross_year(item, by=None, reason="规则")
    with pytest.raises(NotAllowed):
        handling.mark_cross_year(item, by=None, reason="规则", cross_year=False)
    handling.mark_cross_year(item, by=w.staff, reason="已解决", cross_year=False)
