"""Use cases of third-party evaluation (第三方评估): the body's criteria, commissioning an
evaluator with a selection of items, the evaluator's scores, and submitting them."""

from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext, override

from banli.bodies.access import body_roles
from banli.bodies.models import Body, Role
from banli.core import clock, history
from banli.core.actors import user_of
from banli.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from banli.items.models import Item
from banli.items.workflow import PUBLISHABLE

from . import notices
from .models import AssessedItem, Assessment, AssessmentState, Criterion, Score, level_of

# The default criteria (评估指标) a body starts from, worth 100 points together: contact
# (沟通联系), measures (办理措施), result (办理成效), timeliness (办理时效).
DEFAULT_CRITERIA = (
    (
        gettext_noop("Contact with the proposer"),
        20,
        gettext_noop("How often and how well the unit met and talked with the proposer."),
    ),
    (
        gettext_noop("Handling measures"),
        30,
        gettext_noop("Whether the unit studied the item and took concrete measures."),
    ),
    (
        gettext_noop("Result of the handling"),
        35,
        gettext_noop("Whether the problem raised was solved or is being solved."),
    ),
    (
        gettext_noop("Timeliness"),
        15,
        gettext_noop("Whether the unit replied and acted within the time limits."),
    ),
)
FULL_MARKS = 100
# What one commission may hold: a third party reads each item in depth (Yangzhou: 4).
MAX_ITEMS = 200
TENTH = Decimal("0.1")

# The states in which an item can be evaluated: accepted and after (not drafts, refusals or
# merged items, which have no handling of their own).
ASSESSABLE_STATES = PUBLISHABLE


def _require_staff(by, body_id: int, *, admin: bool = False) -> None:
    roles = body_roles(user_of(by), body_id)
    wanted = {Role.STAFF, Role.BODY_ADMIN} if admin else {Role.STAFF}
    if not roles & wanted:
        raise NotAllowed(_("Only the body's staff may do this."))


def active_criteria(body: Body | int) -> list[Criterion]:
    body_id = body if isinstance(body, int) else body.pk
    return list(Criterion.objects.filter(body_id=body_id, active=True).order_by("order", "id"))


def ensure_criteria(body: Body, *, by=None) -> list[Criterion]:
    """The body's criteria; the defaults, recorded as the system's, when it has none yet."""
    criteria = active_criteria(body)
    if criteria or Criterion.objects.filter(body=body).exists():
        return criteria
    # Stored in the site's language, not the language of whoever first needed them.
    with override(settings.LANGUAGE_CODE):
        criteria = [
            Criterion.objects.create(
                body=body, name=_(name), weight=weight, order=order, description=_(note)
            )
            for order, (name, weight, note) in enumerate(DEFAULT_CRITERIA)
        ]
    history.record(
        body,
        "assessment.criteria_default",
        by=None,
        data={"criteria": [[c.name, c.weight] for c in criteria]},
    )
    return criteria


def _scoring_began(body: Body) -> bool:
    return AssessedItem.objects.filter(
        assessment__body=body, assessment__state=AssessmentState.OPEN, scored_at__isnull=False
    ).exists()


@transaction.atomic
def save_criteria(body: Body, *, by, rows: Sequence[Mapping]) -> list[Criterion]:
    """The body's criteria as `rows` give them, in order: each a mapping of `name`, `weight`
    (points), `description` and, for an existing criterion, its `id`. Criteria left out are
    deactivated (their scores stay). The weights must sum to 100.

    Refused while an open commission has scored items: its remaining items would be judged
    on other criteria than the first ones."""
    _require_staff(by, body.pk, admin=True)
    Body.objects.select_for_update().filter(pk=body.pk).first()
    current = {c.pk: c for c in Criterion.objects.filter(body=body, active=True)}
    errors: list[str] = []
    clean: list[dict] = []
    names: set[str] = set()
    for row in rows:
        name = (row.get("name") or "").strip()
        description = (row.get("description") or "").strip()
        try:
            weight = int(row.get("weight") or 0)
        except (TypeError, ValueError):
            weight = 0
        pk = row.get("id")
        if pk is not None and pk not in current:
            errors.append(_("A criterion is not one of this body's."))
            continue
        if not name:
            errors.append(_("Each criterion needs a name."))
            continue
        if name in names:
            errors.append(_("“%(name)s” is listed twice.") % {"name": name})
        names.add(name)
        if not 1 <= weight <= FULL_MARKS:
            errors.append(_("The weight of “%(name)s” must be between 1 and 100.") % {"name": name})
        clean.append({"id": pk, "name": name, "weight": weight, "description": description})
    if not clean:
        errors.append(_("Give at least one criterion."))
    total = sum(r["weight"] for r in clean)
    if clean and total != FULL_MARKS:
        errors.append(
            _("The weights add up to %(total)s; they must add up to 100.") % {"total": total}
        )
    if errors:
        raise ValidationFailed(" ".join(dict.fromkeys(errors)))
    before = [[c.name, c.weight] for c in sorted(current.values(), key=lambda c: (c.order, c.pk))]
    after = [[r["name"], r["weight"]] for r in clean]
    if before == after and all(
        r["id"] is not None and current[r["id"]].description == r["description"] for r in clean
    ):
        raise ValidationFailed(_("Nothing was changed."))
    if _scoring_began(body):
        raise InvalidTransition(
            _("An open evaluation has scored items; change the criteria after it is submitted.")
        )
    kept: list[Criterion] = []
    for order, row in enumerate(clean):
        if row["id"] is None:
            kept.append(
                Criterion.objects.create(
                    body=body,
                    name=row["name"],
                    weight=row["weight"],
                    order=order,
                    description=row["description"],
                )
            )
            continue
        criterion = current.pop(row["id"])
        criterion.name, criterion.weight = row["name"], row["weight"]
        criterion.order, criterion.description = order, row["description"]
        criterion.save(update_fields=["name", "weight", "order", "description"])
        kept.append(criterion)
    for gone in current.values():
        gone.active = False
        gone.save(update_fields=["active"])
    history.record(body, "assessment.criteria", by=by, data={"before": before, "after": after})
    return kept


def _assessable(body: Body, ids: Iterable[int]) -> list[Item]:
    wanted = list(dict.fromkeys(int(i) for i in ids))
    found = {
        item.pk: item
        for item in Item.objects.filter(pk__in=wanted, body=body, state__in=ASSESSABLE_STATES)
    }
    if len(found) != len(wanted):
        raise ValidationFailed(
            _("Only this body's items, accepted or further along, can be evaluated.")
        )
    return [found[pk] for pk in wanted]


def _ids(items: Iterable) -> list[int]:
    return [item if isinstance(item, int) else item.pk for item in items]


@transaction.atomic
def commission(
    body: Body, *, by, evaluator, items: Iterable, title: str, due_on, year: int | None = None
) -> Assessment:
    """Give a third-party evaluator (第三方评估机构) a selection of the body's items to score
    by `due_on`; the evaluator is told."""
    _require_staff(by, body.pk)
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("Please give a title."))
    if evaluator is None or Role.EVALUATOR not in body_roles(evaluator, body.pk):
        raise ValidationFailed(_("The evaluator must hold the evaluator role in this body."))
    if due_on is None or due_on < clock.today():
        raise ValidationFailed(_("The due date cannot be in the past."))
    chosen = _assessable(body, _ids(items))
    if not chosen:
        raise ValidationFailed(_("Choose at least one item."))
    if len(chosen) > MAX_ITEMS:
        raise ValidationFailed(
            _("One evaluation holds at most %(count)s items.") % {"count": MAX_ITEMS}
        )
    ensure_criteria(body)
    now = clock.now()
    assessment = Assessment.objects.create(
        body=body,
        title=title,
        year=year or clock.today().year,
        evaluator=evaluator,
        due_on=due_on,
        created_by=user_of(by),
        created_at=now,
    )
    AssessedItem.objects.bulk_create(
        AssessedItem(assessment=assessment, item=item, added_at=now) for item in chosen
    )
    history.record(
        assessment,
        "assessment.commission",
        by=by,
        after=str(AssessmentState.OPEN),
        data={
            "evaluator": evaluator.get_full_name() or evaluator.username,
            "evaluator_id": evaluator.pk,
            "due_on": due_on.isoformat(),
            "items": [item.pk for item in chosen],
        },
    )
    notices.commissioned(assessment, by=by)
    return assessment


def _lock_open(assessment: Assessment) -> Assessment:
    fresh = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if not fresh.is_open:
        raise InvalidTransition(_("This evaluation has been submitted."))
    return fresh


@transaction.atomic
def add_items(assessment: Assessment, *, by, items: Iterable) -> list[AssessedItem]:
    """More items for an open commission; those already in it are left as they are."""
    fresh = _lock_open(assessment)
    _require_staff(by, fresh.body_id)
    have = set(fresh.entries.values_list("item_id", flat=True))
    chosen = [i for i in _assessable(fresh.body, _ids(items)) if i.pk not in have]
    if not chosen:
        raise ValidationFailed(_("These items are already in the evaluation."))
    if len(have) + len(chosen) > MAX_ITEMS:
        raise ValidationFailed(
            _("One evaluation holds at most %(count)s items.") % {"count": MAX_ITEMS}
        )
    now = clock.now()
    added = AssessedItem.objects.bulk_create(
        AssessedItem(assessment=fresh, item=item, added_at=now) for item in chosen
    )
    history.record(
        fresh, "assessment.add_items", by=by, data={"items": [item.pk for item in chosen]}
    )
    return added


@transaction.atomic
def remove_item(entry: AssessedItem, *, by) -> None:
    """Take an item not yet scored out of an open commission."""
    fresh = _lock_open(entry.assessment)
    _require_staff(by, fresh.body_id)
    row = AssessedItem.objects.filter(pk=entry.pk, assessment=fresh).first()
    if row is None:
        raise InvalidTransition(_("This item is no longer in the evaluation."))
    if row.is_scored:
        raise InvalidTransition(_("This item has been scored; it stays in the evaluation."))
    if fresh.entries.count() == 1:
        raise ValidationFailed(_("An evaluation keeps at least one item."))
    history.record(fresh, "assessment.remove_item", by=by, data={"item": row.item_id})
    row.delete()


def _points(value, criterion: Criterion) -> Decimal:
    try:
        points = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        points = None
    if points is None or not points.is_finite():
        raise ValidationFailed(_("“%(name)s”: give a number.") % {"name": criterion.name})
    if not Decimal(0) <= points <= criterion.weight:
        raise ValidationFailed(
            _("“%(name)s” scores between 0 and %(weight)s.")
            % {"name": criterion.name, "weight": criterion.weight}
        )
    if points.quantize(TENTH, rounding=ROUND_HALF_UP) != points:
        raise ValidationFailed(
            _("“%(name)s”: at most one decimal place.") % {"name": criterion.name}
        )
    return points.quantize(TENTH)


def total_of(points: Iterable[Decimal]) -> Decimal:
    """The weighted total out of 100: each criterion is scored in points up to its weight,
    so the weighted sum is the sum of points, rounded half up to one decimal."""
    return sum(points, Decimal(0)).quantize(TENTH, rounding=ROUND_HALF_UP)


@transaction.atomic
def score_item(
    entry: AssessedItem, *, by, scores: Mapping[int, object], conclusion: str
) -> AssessedItem:
    """The commissioned evaluator's points on every criterion of the body, with a
    conclusion; a second scoring before submission replaces the first (the history keeps
    both)."""
    fresh = _lock_open(entry.assessment)
    user = user_of(by)
    if (
        user is None
        or fresh.evaluator_id != user.pk
        or Role.EVALUATOR not in body_roles(user, fresh.body_id)
    ):
        raise NotAllowed(_("Only the evaluator of this evaluation may score its items."))
    row = (
        AssessedItem.objects.select_for_update()
        .select_related("item")
        .filter(pk=entry.pk, assessment=fresh)
        .first()
    )
    if row is None:
        raise InvalidTransition(_("This item is no longer in the evaluation."))
    conclusion = (conclusion or "").strip()
    if not conclusion:
        raise ValidationFailed(_("Please write a conclusion."))
    criteria = ensure_criteria(fresh.body)
    given = {int(k): v for k, v in scores.items() if v not in (None, "")}
    unknown = set(given) - {c.pk for c in criteria}
    if unknown:
        raise ValidationFailed(_("A criterion is not one of this body's."))
    missing = [c.name for c in criteria if c.pk not in given]
    if missing:
        raise ValidationFailed(
            _("Score every criterion: %(names)s is missing.") % {"names": "、".join(missing)}
        )
    points = {c.pk: _points(given[c.pk], c) for c in criteria}
    total = total_of(points.values())
    before = str(row.total) if row.total is not None else ""
    row.scores.all().delete()
    Score.objects.bulk_create(
        Score(entry=row, criterion=c, points=points[c.pk], weight=c.weight) for c in criteria
    )
    row.total, row.level, row.conclusion = total, level_of(total), conclusion
    row.scored_at = clock.now()
    row.save(update_fields=["total", "level", "conclusion", "scored_at"])
    history.record(
        row,
        "assessment.score",
        by=by,
        root=row.item,
        data={
            "assessment": fresh.pk,
            "scores": {c.name: str(points[c.pk]) for c in criteria},
            "total": str(total),
            "previous_total": before,
            "level": row.level,
        },
    )
    return row


@transaction.atomic
def submit(assessment: Assessment, *, by) -> Assessment:
    """The evaluator hands in the scores (提交评估结果): every item scored; staff are told."""
    fresh = _lock_open(assessment)
    user = user_of(by)
    if user is None or fresh.evaluator_id != user.pk:
        raise NotAllowed(_("Only the evaluator of this evaluation may submit it."))
    waiting = fresh.entries.filter(scored_at__isnull=True).count()
    if waiting:
        raise ValidationFailed(
            ngettext(
                "%(count)s item is not scored yet.", "%(count)s items are not scored yet.", waiting
            )
            % {"count": waiting}
        )
    fresh.state = AssessmentState.SUBMITTED
    fresh.submitted_at = clock.now()
    fresh.save(update_fields=["state", "submitted_at"])
    history.record(
        fresh,
        "assessment.submit",
        by=by,
        before=str(AssessmentState.OPEN),
        after=str(AssessmentState.SUBMITTED),
    )
    notices.submitted(fresh, by=by)
    return fresh
