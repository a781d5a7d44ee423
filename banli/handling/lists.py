"""What handling adds to the item lists of the items app: the lead units column and the
filter by unit (the items app cannot import assignments; docs/architecture.md)."""

from django import forms
from django.db.models import Exists, OuterRef, Prefetch
from django.utils.html import conditional_escape
from django.utils.translation import gettext_lazy as _

from banli.bodies.models import Unit
from banli.core.widgets import RecordChoiceField
from banli.items.filters import register_filter
from banli.items.lists import ListColumn, register_column

from .models import Assignment, AssignmentRole
from .workflow import AssignmentState


def _current():
    """The assignments still the units' own (a reassigned one was given to another unit)."""
    return Assignment.objects.exclude(state=AssignmentState.REASSIGNED)


def _lead_units() -> Prefetch:
    leads = _current().filter(role=AssignmentRole.LEAD).select_related("unit")
    return Prefetch("assignments", queryset=leads, to_attr="lead_assignments")


def _lead_units_cell(item) -> str:
    names = [a.unit.name for a in item.lead_assignments]
    return conditional_escape("、".join(names)) if names else "—"


def _unit_field(body) -> forms.Field:
    units = Unit.objects.filter(body=body, active=True).order_by("name")
    return RecordChoiceField(label=_("Unit"), queryset=units)


def _given_to(queryset, unit: int):
    """Items the unit handles now, as a lead or a co-handling unit."""
    return queryset.filter(Exists(_current().filter(item=OuterRef("pk"), unit=unit)))


register_column(
    ListColumn(
        header=_("Lead units"),
        cell=_lead_units_cell,
        prefetch=_lead_units,
        css="small",
    )
)
register_filter("unit", field=_unit_field, apply=_given_to, after="category")
