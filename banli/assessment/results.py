"""What the body reads of its evaluations: each unit's average total over the items it
lead-handles among those scored, counted in the database."""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Prefetch, QuerySet

from banli.handling.models import Assignment, AssignmentRole
from banli.handling.workflow import GONE_STATES

from .models import AssessedItem, AssessmentState

TENTH = Decimal("0.1")


def one_decimal(value) -> Decimal | None:
    """An average as shown: half up to one decimal (the database's own float or numeric)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(TENTH, rounding=ROUND_HALF_UP)


def lead_units() -> Prefetch:
    """The item's current lead units (主办/分办), for a table of evaluated items."""
    leads = (
        Assignment.objects.filter(role=AssignmentRole.LEAD)
        .exclude(state__in=GONE_STATES)
        .select_related("unit")
        .order_by("id")
    )
    return Prefetch("item__assignments", queryset=leads, to_attr="lead_assignments")


def submitted_in(body, year: int) -> QuerySet:
    """The scored items of the body's submitted evaluations of `year`."""
    return AssessedItem.objects.filter(
        assessment__body=body,
        assessment__year=year,
        assessment__state=AssessmentState.SUBMITTED,
        scored_at__isnull=False,
    )


def unit_averages(entries: QuerySet) -> list[dict]:
    """Per lead unit of the scored `entries`: how many of them it lead-handles and their
    average total. An item with two lead units (分办) counts for each."""
    scored = entries.filter(scored_at__isnull=False)
    rows = (
        Assignment.objects.filter(role=AssignmentRole.LEAD, item__assessed__in=scored)
        .exclude(state__in=GONE_STATES)
        .values("unit_id", "unit__name")
        .annotate(
            items=Count("item__assessed", distinct=True), average=Avg("item__assessed__total")
        )
        .order_by("unit__sort_key", "unit_id")
    )
    # The join to the evaluated items above is the filter's own (one filter call), so the
    # count and the average read the same rows the filter kept.
    return [
        {
            "unit_id": row["unit_id"],
            "unit": row["unit__name"],
            "items": row["items"],
            "average": one_decimal(row["average"]),
        }
        for row in rows
    ]
