"""Third-party evaluation (第三方评估): staff commission an evaluator with a selection of
items; the evaluator scores each on the body's criteria and submits; the body reads the
totals per item and the averages per lead unit."""

import datetime as dt
from decimal import Decimal

import pytest

from banli.assessment import services
from banli.assessment.models import AssessedItem, Criterion, Score
from banli.assessment.notices import COMMISSIONED, SUBMITTED
from banli.assessment.results import unit_averages
from banli.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from banli.core.models import HistoryEntry
from banli.handling import services as handling
from banli.notices.models import Notice

from .factories import make_user, on
from .factories_h5 import commissioned, make_evaluator, points, score

DAY = dt.date(2026, 9, 1)


@pytest.fixture(autouse=True)
def _today():
    with on(DAY):
        yield


def test_staff_commission_an_evaluator_who_is_told(world):
    evaluator = make_evaluator(world)
    first, second = world.replied(), world.assigned()
    assessment = commissioned(world, evaluator, [first, second.pk])

    assert assessment.state == "open"
    assert list(assessment.entries.values_list("item_id", flat=True)) == [first.pk, second.pk]
    # The body's criteria start from the defaults, worth 100 points together.
    weights = [c.weight for c in services.active_criteria(world.body)]
    assert weights == [20, 30, 35, 15]
    entry = HistoryEntry.objects.for_target(assessment).get()
    assert (entry.action, entry.actor, entry.to_state) == (
        "assessment.commission",
        world.staff,
        "open",
    )
    assert entry.data["items"] == [first.pk, second.pk]
    notice = Notice.objects.get(kind=COMMISSIONED)
    assert notice.recipient == evaluator
    assert notice.url == f"/assessment/mine/{assessment.pk}/"


def test_only_an_evaluator_of_the_body_is_commissioned(world, other_world):
    item = world.replied()
    for person in (world.staff, world.supervisor, make_evaluator(other_world)):
        with pytest.raises(ValidationFailed, match="evaluator role"):
            commissioned(world, person, [item])
    assert not AssessedItem.objects.exists()


def test_only_the_bodys_accepted_items_are_evaluated(world, other_world):
    evaluator = make_evaluator(world)
    theirs = other_world.replied()
    draft = world.draft()
    for items in ([theirs], [world.replied(), draft]):
        with pytest.raises(ValidationFailed, match="this body's items"):
            commissioned(world, evaluator, items)
    with pytest.raises(ValidationFailed, match="at least one item"):
        commissioned(world, evaluator, [])
    assert not AssessedItem.objects.exists()


def test_only_staff_commission(world):
    evaluator = make_evaluator(world)
    item = world.replied()
    for user in (world.supervisor, world.auditor, world.deputy, evaluator):
        with pytest.raises(NotAllowed):
            services.commission(
                world.body,
                by=user,
                evaluator=evaluator,
                items=[item],
                title="评估",
                due_on=dt.date(2026, 12, 31),
            )


def test_the_evaluator_scores_every_criterion_within_its_weight(world):
    evaluator = make_evaluator(world)
    item = world.replied()
    entry = commissioned(world, evaluator, [item]).entries.get()

    with pytest.raises(ValidationFailed, match="is missing"):
        services.score_item(
            entry,
            by=evaluator,
            scores=dict(list(points(world.body, 18, 27, 30, 12).items())[:3]),
            conclusion="好",
        )
    with pytest.raises(ValidationFailed, match="between 0 and 20"):
        score(entry, evaluator, 21, 27, 30, 12)
    with pytest.raises(ValidationFailed, match="between 0 and 35"):
        score(entry, evaluator, 18, 27, -1, 12)
    with pytest.raises(ValidationFailed, match="one decimal place"):
        score(entry, evaluator, "18.25", 27, 30, 12)
    with pytest.raises(ValidationFailed, match="give a number"):
        score(entry, evaluator, "much", 27, 30, 12)
    with pytest.raises(ValidationFailed, match="conclusion"):
        score(entry, evaluator, 18, 27, 30, 12, conclusion=" ")
    assert not Score.objects.exists()

    scored = score(entry, evaluator, "18.5", 27, "30.5", 12)
    # Points up to each weight, the weights summing to 100: the total is their sum.
    assert scored.total == Decimal("88.0")
    assert scored.level == "good"
    assert sorted(scored.scores.values_list("points", "weight")) == [
        (Decimal("12.0"), 15),
        (Decimal("18.5"), 20),
        (Decimal("27.0"), 30),
        (Decimal("30.5"), 35),
    ]
    recorded = HistoryEntry.objects.for_root(item).order_by("id").last()
    assert (recorded.action, recorded.actor) == ("assessment.score", evaluator)
    assert recorded.data["total"] == "88.0"


@pytest.mark.parametrize(
    ("values", "total", "level"),
    [
        ((20, 30, 35, 15), "100.0", "excellent"),
        ((18, 27, 31, 14), "90.0", "excellent"),
        ((17.9, 27, 31, 14), "89.9", "good"),
        ((15, 22.5, 26.2, 11.3), "75.0", "good"),
        ((12, 18, 21, 9), "60.0", "fair"),
        ((12, 18, 20.9, 9), "59.9", "poor"),
        ((0, 0, 0, 0), "0.0", "poor"),
    ],
)
def test_totals_and_levels(world, values, total, level):
    evaluator = make_evaluator(world)
    entry = commissioned(world, evaluator, [world.replied()]).entries.get()
    scored = score(entry, evaluator, *[str(v) for v in values])
    scored.refresh_from_db()
    assert (scored.total, scored.level) == (Decimal(total), level)


def test_a_total_is_rounded_half_up_to_one_decimal():
    assert services.total_of([Decimal("10.05"), Decimal("20")]) == Decimal("30.1")
    assert services.total_of([Decimal("10.04"), Decimal("20")]) == Decimal("30.0")


def test_only_the_commissioned_evaluator_scores_its_items(world, other_world):
    evaluator, rival = make_evaluator(world), make_evaluator(world)
    entry = commissioned(world, evaluator, [world.replied()]).entries.get()
    stranger = make_evaluator(other_world)
    for person in (rival, world.staff, stranger):
        with pytest.raises(NotAllowed):
            score(entry, person, 18, 27, 30, 12)
    assert not Score.objects.exists()


def test_a_second_scoring_replaces_the_first_and_both_are_kept_in_history(world):
    evaluator = make_evaluator(world)
    item = world.replied()
    entry = commissioned(world, evaluator, [item]).entries.get()
    score(entry, evaluator, 18, 27, 30, 12)
    again = score(entry, evaluator, 20, 30, 35, 15, conclusion="复核后调整。")
    assert (again.total, again.conclusion) == (Decimal("100.0"), "复核后调整。")
    assert again.scores.count() == 4
    totals = [
        e.data["total"]
        for e in HistoryEntry.objects.for_root(item)
        .filter(action="assessment.score")
        .order_by("id")
    ]
    assert totals == ["87.0", "100.0"]


def test_submit_needs_every_item_scored_and_tells_the_staff(world):
    evaluator = make_evaluator(world)
    other_staff = make_user(world.body, "staff")
    assessment = commissioned(world, evaluator, [world.replied(), world.replied("B")])
    first, second = assessment.entries.order_by("id")
    score(first, evaluator, 18, 27, 30, 12)
    with pytest.raises(ValidationFailed, match="1 item is not scored"):
        services.submit(assessment, by=evaluator)
    score(second, evaluator, 10, 20, 20, 10)
    with pytest.raises(NotAllowed):
        services.submit(assessment, by=world.staff)
    done = services.submit(assessment, by=evaluator)

    assert (done.state, done.submitted_at.date()) == ("submitted", DAY)
    told = set(Notice.objects.filter(kind=SUBMITTED).values_list("recipient_id", flat=True))
    assert told == {world.staff.pk, other_staff.pk}
    # Submitted scores stand.
    with pytest.raises(InvalidTransition, match="submitted"):
        score(first, evaluator, 20, 30, 35, 15)
    with pytest.raises(InvalidTransition):
        services.submit(assessment, by=evaluator)
    with pytest.raises(InvalidTransition):
        services.add_items(assessment, by=world.staff, items=[world.replied()])


def test_staff_add_and_take_out_items_while_open(world):
    evaluator = make_evaluator(world)
    first, second, third = world.replied(), world.replied(), world.assigned()
    assessment = commissioned(world, evaluator, [first])
    services.add_items(assessment, by=world.staff, items=[first, second, third])
    assert assessment.entries.count() == 3
    with pytest.raises(ValidationFailed, match="already"):
        services.add_items(assessment, by=world.staff, items=[first])
    scored = assessment.entries.get(item=first)
    score(scored, evaluator, 18, 27, 30, 12)
    with pytest.raises(InvalidTransition, match="scored"):
        services.remove_item(scored, by=world.staff)
    with pytest.raises(NotAllowed):
        services.remove_item(assessment.entries.get(item=third), by=evaluator)
    services.remove_item(assessment.entries.get(item=third), by=world.staff)
    assert set(assessment.entries.values_list("item_id", flat=True)) == {first.pk, second.pk}
    actions = list(
        HistoryEntry.objects.for_target(assessment).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["assessment.commission", "assessment.add_items", "assessment.remove_item"]


def test_each_units_average_is_the_mean_of_the_items_it_lead_handles(world):
    evaluator = make_evaluator(world)
    housing, transport = world.units
    a = world.replied()  # 市住建局
    b = world.replied()  # 市住建局
    c = world.assigned(lead=[transport])
    d = world.assigned(lead=[housing, transport])  # 分办: counts for both
    unscored = world.assigned(lead=[transport])
    assessment = commissioned(world, evaluator, [a, b, c, d, unscored])
    entries = {e.item_id: e for e in assessment.entries.all()}
    score(entries[a.pk], evaluator, 18, 27, 30, 13)  # 88.0
    score(entries[b.pk], evaluator, "15.5", 22, 26, 12)  # 75.5
    score(entries[c.pk], evaluator, 12, 18, 21, 9)  # 60.0
    score(entries[d.pk], evaluator, "19.3", 28, 32, 13)  # 92.3

    averages = {
        row["unit"]: (row["items"], row["average"])
        for row in unit_averages(assessment.entries.all())
    }
    # By hand: (88.0 + 75.5 + 92.3) / 3 = 85.27 -> 85.3; (60.0 + 92.3) / 2 = 76.15 -> 76.2.
    assert averages == {
        housing.name: (3, Decimal("85.3")),
        transport.name: (2, Decimal("76.2")),
    }


def test_a_withdrawn_lead_unit_is_not_averaged(world):
    evaluator = make_evaluator(world)
    housing, transport = world.units
    item = world.assigned(lead=[housing, transport])
    handling.withdraw_assignment(
        world.lead_assignment(item, transport), by=world.staff, reason="交办有误"
    )
    entry = commissioned(world, evaluator, [item]).entries.get()
    score(entry, evaluator, 18, 27, 30, 13)
    assert [row["unit"] for row in unit_averages(AssessedItem.objects.all())] == [housing.name]


def test_criteria_weights_must_add_up_to_100(world):
    services.ensure_criteria(world.body)
    rows = [
        {"id": c.pk, "name": c.name, "weight": c.weight, "description": c.description}
        for c in services.active_criteria(world.body)
    ]
    rows[0]["weight"] = 25
    with pytest.raises(ValidationFailed, match="add up to 105"):
        services.save_criteria(world.body, by=world.staff, rows=rows)
    with pytest.raises(ValidationFailed, match="listed twice"):
        services.save_criteria(
            world.body,
            by=world.staff,
            rows=[{"name": "成效", "weight": 50}, {"name": "成效", "weight": 50}],
        )
    with pytest.raises(ValidationFailed, match="between 1 and 100"):
        services.save_criteria(
            world.body,
            by=world.staff,
            rows=[{"name": "成效", "weight": 0}, {"name": "态度", "weight": 100}],
        )
    with pytest.raises(NotAllowed):
        services.save_criteria(world.body, by=world.auditor, rows=rows)

    # 沟通联系 dropped, its 20 points given to the result.
    rows[0]["weight"] = 20
    kept = [rows[1], {**rows[2], "weight": 55}, rows[3]]
    saved = services.save_criteria(world.body, by=world.staff, rows=kept)
    assert [c.weight for c in saved] == [30, 55, 15]
    assert Criterion.objects.filter(body=world.body, active=False).count() == 1
    entry = HistoryEntry.objects.for_target(world.body).filter(action="assessment.criteria").get()
    assert entry.data["after"] == [[r["name"], r["weight"]] for r in kept]


def test_body_admins_edit_the_criteria_too(world):
    admin = make_user(world.body, "body_admin")
    saved = services.save_criteria(
        world.body,
        by=admin,
        rows=[{"name": "办理成效", "weight": 60}, {"name": "沟通", "weight": 40}],
    )
    assert [c.weight for c in saved] == [60, 40]


def test_criteria_stay_while_an_open_evaluation_is_being_scored(world):
    evaluator = make_evaluator(world)
    assessment = commissioned(world, evaluator, [world.replied(), world.replied()])
    rows = [{"name": "办理成效", "weight": 100}]
    # Before any score, the criteria may still change ...
    services.save_criteria(world.body, by=world.staff, rows=rows)
    first = assessment.entries.order_by("id").first()
    score(first, evaluator, 80)
    # ... not once scoring began, until the evaluation is submitted.
    with pytest.raises(InvalidTransition, match="scored items"):
        services.save_criteria(world.body, by=world.staff, rows=[{"name": "成效", "weight": 100}])
    second = assessment.entries.order_by("id").last()
    score(second, evaluator, 70)
    services.submit(assessment, by=evaluator)
    services.save_criteria(world.body, by=world.staff, rows=[{"name": "成效", "weight": 100}])
    # The submitted totals keep the weights they were given on.
    assert sorted(AssessedItem.objects.values_list("total", flat=True)) == [
        Decimal("70.0"),
        Decimal("80.0"),
    ]
