"""Third-party evaluation (第三方评估): a body's criteria (评估指标), the commissions it gives
an evaluator (a selection of items), and the evaluator's scores and conclusion per item.

Scores are points: each criterion is worth its weight in points (the weights of a body's
criteria sum to 100), an item scores 0..weight on each, and its total is the sum of its
points, i.e. the weighted sum out of 100, kept with one decimal."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from banli.bodies.models import Body
from banli.core.models import LabelledChoices
from banli.core.workflow import register_label
from banli.items.models import Item


class Criterion(models.Model):
    """One criterion of a body's third-party evaluation (评估指标) and what it is worth.

    A criterion no longer used is deactivated, not deleted: the scores given on it stay."""

    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="criteria"
    )
    name = models.CharField(_("name"), max_length=60)
    weight = models.PositiveSmallIntegerField(_("weight (points)"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    description = models.CharField(_("description"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("evaluation criterion")
        verbose_name_plural = _("evaluation criteria")
        ordering = ["body", "order", "id"]
        indexes = [models.Index(fields=["body", "active", "order"], name="criterion_body_active")]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"


class AssessmentState(models.TextChoices):
    OPEN = "open", _("Open")
    SUBMITTED = "submitted", _("Submitted")


class Assessment(LabelledChoices):
    """A commission to one third-party evaluator (第三方评估委托): a title, the year it
    evaluates, the items chosen and the date the scores are due."""

    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.PROTECT, related_name="assessments"
    )
    title = models.CharField(_("title"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("evaluator"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    due_on = models.DateField(_("due"))
    state = models.CharField(
        _("state"), max_length=10, choices=AssessmentState.choices, default=AssessmentState.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("commissioned by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("commissioned"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        verbose_name = _("third-party evaluation")
        verbose_name_plural = _("third-party evaluations")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The body's list, newest first, paged by keys.
            models.Index(fields=["body", "created_at", "id"], name="assessment_body_created"),
            # An evaluator's commissions.
            models.Index(fields=["evaluator", "created_at", "id"], name="assessment_evaluator"),
            # The results of a year.
            models.Index(fields=["body", "year", "state"], name="assessment_body_year"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == AssessmentState.OPEN


class Level(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")


# The lowest total of each level, out of 100 (优秀 90, 良好 75, 一般 60, 较差 below).
LEVEL_THRESHOLDS: tuple[tuple[Decimal, str], ...] = (
    (Decimal(90), "excellent"),
    (Decimal(75), "good"),
    (Decimal(60), "fair"),
    (Decimal(0), "poor"),
)


def level_of(total: Decimal) -> str:
    return next(level for floor, level in LEVEL_THRESHOLDS if total >= floor)


class AssessedItem(LabelledChoices):
    """One item of a commission, and the evaluator's total, level and conclusion once scored."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("evaluation"), on_delete=models.PROTECT, related_name="entries"
    )
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="assessed"
    )
    total = models.DecimalField(_("total"), max_digits=4, decimal_places=1, null=True, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    scored_at = models.DateTimeField(_("scored"), null=True, blank=True)
    added_at = models.DateTimeField(_("added"))

    class Meta:
        verbose_name = _("evaluated item")
        verbose_name_plural = _("evaluated items")
        ordering = ["assessment", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "item"], name="assessed_item_once")
        ]
        # The item page's panel reads an item's scores.
        indexes = [models.Index(fields=["item"], name="assessed_item_item")]

    def __str__(self) -> str:
        return f"{self.assessment}: {self.item_id}"

    @property
    def is_scored(self) -> bool:
        return self.scored_at is not None


class Score(models.Model):
    """The points one item scored on one criterion; the criterion's weight then is kept, so
    a later change of the criteria changes no score given."""

    entry = models.ForeignKey(
        AssessedItem,
        verbose_name=_("evaluated item"),
        on_delete=models.CASCADE,
        related_name="scores",
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("criterion"), on_delete=models.PROTECT, related_name="+"
    )
    points = models.DecimalField(_("points"), max_digits=4, decimal_places=1)
    weight = models.PositiveSmallIntegerField(_("weight (points)"))

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["entry", "criterion__order", "criterion_id"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "criterion"], name="score_once_per_criterion")
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.points}"


# How the item's timeline names the evaluator's scoring (the other steps are the
# commission's own, not the item's).
register_label("assessment.score", _("scored by the third-party evaluator"))
