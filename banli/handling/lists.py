"""What handling adds to the item lists of the items app: the lead units column, the
filter by unit and the deadline filter (the items app cannot import assignments;
docs/architecture.md). The deadline board's counters link to the list with these filters
and count the same items (`deadline_items`)."""

import datetime as dt

from django import forms
from django.db.models import Exists, OuterRef, Prefetch
from django.utils.html import conditional_escape
from django.utils.translation import gettext_lazy as _

from banli.bodies.models import Unit
from banli.core import clock
from banli.core.widgets import RecordChoiceField
from banli.items.filters import register_filter
from banli.items.lists import ListColumn, register_column
from banli.items.workflow import ItemState

from .models import Assignment, AssignmentRole
from .workflow import GONE_STATES, OPEN_LEAD_STATES


def _current():
    """The assignments still the units' own (a reassigned one was given to another unit, a
    withdrawn one was made by mistake)."""
    return Assignment.objects.exclude(state__in=GONE_STATES)


def _lead_units() -> Prefetch:
    leads = _current().filter(role=AssignmentRole.LEAD).select_related("unit")
    return Prefetch("assignments", queryset=leads, to_attr="lead_assignments")


def _lead_units_cell(item) -> str:
    names = [a.unit.name for a in item.lead_assignments]
    return conditional_escape("、".join(names)) if names else "—"


def _unit_field(body) -> forms.Field:
    units = Unit.objects.filter(body=body, active=True).order_by("sort_key", "id")
    return RecordChoiceField(label=_("Unit"), queryset=units, empty_label=_("Any"))


def given_to(queryset, unit: int):
    """Items the unit handles now, as a lead or a co-handling unit."""
    return queryset.filter(Exists(_current().filter(item=OuterRef("pk"), unit=unit)))


# The deadline board's "due soon" ranges, in days from today.
SOON_DAYS = (7, 30)
# The deadline filter's values: every counter of the board is one of them.
OPEN, OVERDUE, WAITING, PASSED = "open", "overdue", "waiting", "passed"


def _deadline_field(body) -> forms.Field:
    due = _("Due within %(days)s days")
    return forms.ChoiceField(
        label=_("Deadline"),
        required=False,
        choices=[
            ("", _("Any")),
            (OPEN, _("Items in handling")),
            (OVERDUE, _("Overdue")),
            *[(str(days), due % {"days": days}) for days in SOON_DAYS],
            (WAITING, _("Replies waiting for evaluation")),
            (PASSED, _("Evaluation windows passed")),
        ],
    )


def open_leads(value: str, *, today: dt.date, unit=None):
    """The open lead assignments (of `unit`, if given) that the deadline `value` means:
    all of them, the overdue ones, or those due within a number of days."""
    leads = Assignment.objects.filter(role=AssignmentRole.LEAD, state__in=OPEN_LEAD_STATES)
    if unit:
        leads = leads.filter(unit=unit)
    if value == OVERDUE:
        return leads.filter(due_on__lt=today)
    if value.isdigit():
        return leads.filter(due_on__gte=today, due_on__lte=today + dt.timedelta(days=int(value)))
    return leads


def deadline_items(queryset, value: str, unit=None, *, today: dt.date | None = None):
    """The items of `queryset` that the deadline board counts under `value`: with an open
    lead assignment (the chosen unit's own, when a unit is chosen) in that date range, or
    replied and waiting for evaluation / past the evaluation window."""
    today = clock.today() if today is None else today
    if value in (WAITING, PASSED):
        replied = queryset.filter(state=ItemState.REPLIED)
        if value == PASSED:
            return replied.filter(evaluation_due_on__lt=today)
        return replied.exclude(evaluation_due_on__lt=today)
    leads = open_leads(value, today=today, unit=unit)
    return queryset.filter(Exists(leads.filter(item=OuterRef("pk"))))


def _deadline(queryset, value: str, unit=None):
    return deadline_items(queryset, value, unit)


register_column(
    ListColumn(
        header=_("Lead units"),
        cell=_lead_units_cell,
        prefetch=_lead_units,
        css="small",
    )
)
register_filter("unit", field=_unit_field, apply=given_to, after="category")
register_filter(
    "deadline", field=_deadline_field, apply=_deadline, after="due_soon", uses=("unit",)
)
