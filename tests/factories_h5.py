"""Builders for third-party evaluation (第三方评估): an evaluator, a commission, scores."""

import datetime as dt

from banli.assessment import services
from banli.assessment.services import active_criteria

from .factories import make_user


def make_evaluator(world, username=None):
    return make_user(world.body, "evaluator", username=username)


def commissioned(world, evaluator, items, *, title="2026年建议办理第三方评估", due_on=None):
    return services.commission(
        world.body,
        by=world.staff,
        evaluator=evaluator,
        items=items,
        title=title,
        due_on=due_on or dt.date(2026, 12, 31),
        year=2026,
    )


def points(body, *values):
    """Scores for the body's criteria in their order: {criterion id: value}."""
    return {c.pk: v for c, v in zip(active_criteria(body), values, strict=True)}


def score(entry, evaluator, *values, conclusion="办理认真，成效明显。"):
    body = entry.assessment.body
    return services.score_item(
        entry, by=evaluator, scores=points(body, *values), conclusion=conclusion
    )
