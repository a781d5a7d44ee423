"""The steps staff and units take on many records at once, each through the single-record
service: receive, accept with a category, assign to the same units, mark key, remind the
units (催办); a unit's acceptance of its new assignments.

Each record is its own transaction (decided, docs/architecture.md "Batch work"): one that
fails is reported with the service's message and the others stay done, as if the user had
taken the step on each in turn. Before calling the service the record's row is locked and
read afresh, and one already in the state the step leads to is reported as already done
and left alone: a batch continued after a reload, or run twice, never applies a step twice.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from banli.bodies import terms
from banli.bodies.models import Category, Unit
from banli.core.errors import DomainError, ValidationFailed
from banli.core.widgets import RecordChoiceField
from banli.handling import services as handling
from banli.handling.forms_staff import AssignForm
from banli.handling.workflow import ASSIGNMENT_WORKFLOW, AssignmentState
from banli.items import services as items
from banli.items.models import Item
from banli.items.workflow import ITEM_WORKFLOW, ItemState
from banli.supervision import services as supervision
from banli.supervision.forms import MarkKeyForm
from banli.supervision.models import KeyItem

# What became of one record.
DONE, ALREADY, FAILED, MISSING = "done", "already", "failed", "missing"
AFTER_ACCEPTANCE = frozenset(ITEM_WORKFLOW["set_key"].sources | {ItemState.CLOSED})
AFTER_ASSIGNMENT = AFTER_ACCEPTANCE - {ItemState.ACCEPTED}


class AcceptForm(forms.Form):
    """立案/受理 of many items: one category for all, or each item's own."""

    def __init__(self, data=None, *, body):
        super().__init__(data)
        self.fields["category"] = RecordChoiceField(
            label=gettext_lazy("Category"),
            queryset=Category.objects.filter(body=body).order_by("name"),
            empty_label=gettext_lazy("Keep each item's own category"),
        )

    def params(self) -> dict:
        # The field gives the chosen record's id (or None: keep each item's category).
        return {"category": self.cleaned_data.get("category")}


class NoInputForm(forms.Form):
    def __init__(self, data=None, *, body):
        super().__init__(data)

    def params(self) -> dict:
        return {}


class BatchAssignForm(AssignForm):
    def params(self) -> dict:
        data = self.cleaned_data
        return {
            "lead": [u.pk for u in data["lead"]],
            "co": [u.pk for u in data["co"]],
            "complex": bool(data.get("complex")),
        }


class BatchKeyForm(MarkKeyForm):
    def __init__(self, data=None, *, body):
        super().__init__(data, body=body, auto_id="key_%s")

    def params(self) -> dict:
        data = self.cleaned_data
        return {
            "supervisor": data["supervisor"].pk,
            "lead_handler": data.get("lead_handler", ""),
            "committee": data.get("committee", ""),
            "note": data.get("note", ""),
        }


class BatchChaseForm(forms.Form):
    """催办 of many items: one note to every unit still handling each of them."""

    note = forms.CharField(
        label=gettext_lazy("Note to the units"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "short"}),
    )

    def __init__(self, data=None, *, body):
        super().__init__(data, auto_id="chase_%s")

    def params(self) -> dict:
        return {"note": self.cleaned_data.get("note", "")}


def _units(body, ids) -> list[Unit]:
    found = {u.pk: u for u in Unit.objects.filter(body=body, pk__in=ids)}
    if len(found) != len(set(ids)):
        raise ValidationFailed(_("A unit of this batch no longer belongs to the body."))
    return [found[pk] for pk in ids]


def _resolve_accept(body, params) -> dict:
    if params.get("category") is None:
        return {"category": None}
    category = Category.objects.filter(body=body, pk=params["category"]).first()
    if category is None:
        raise ValidationFailed(_("The category of this batch no longer exists."))
    return {"category": category}


def _resolve_assign(body, params) -> dict:
    return {
        "lead_units": _units(body, params["lead"]),
        "co_units": _units(body, params["co"]),
        "complex": bool(params["complex"]),
    }


def _resolve_key(body, params) -> dict:
    supervisor = get_user_model().objects.filter(pk=params["supervisor"]).first()
    if supervisor is None:
        raise ValidationFailed(_("The supervising leader of this batch no longer exists."))
    return {
        "supervisor": supervisor,
        "lead_handler": params["lead_handler"],
        # A batch started before the committee existed carries none.
        "committee": params.get("committee", ""),
        "note": params["note"],
    }


def _resolve_chase(body, params) -> dict:
    return {"note": params.get("note", "")}


def _chased_today(item) -> bool:
    """Every unit still handling the item was reminded today: a second run says so."""
    owing = {a.unit_id for a in supervision.open_assignments(item)}
    return bool(owing) and owing <= supervision.chased_today(item)


def _no_params(body, params) -> dict:
    return {}


@dataclass(frozen=True)
class BatchAction:
    name: str
    label: Any  # the button
    done_label: Any  # what "already done" means for this step
    lists: frozenset[str]
    form: type[forms.Form]
    resolve: Callable[[Any, dict], dict]
    # Whether the (locked, fresh) record is already where this step leads.
    done: Callable[[Any], bool]
    apply: Callable[..., Any]
    # The states a record must be in to take the step now (for the count shown first).
    states: frozenset[str] = field(default_factory=frozenset)
    rows: str = "item"


ACTIONS = {
    action.name: action
    for action in (
        BatchAction(
            "receive",
            gettext_lazy("Start the review"),
            gettext_lazy("already under review"),
            frozenset({"items", "review"}),
            NoInputForm,
            _no_params,
            done=lambda item: item.state == ItemState.UNDER_REVIEW,
            apply=lambda item, by, **kw: items.receive(item, by=by),
            states=ITEM_WORKFLOW["receive"].sources,
        ),
        BatchAction(
            "accept",
            gettext_lazy("Accept"),
            gettext_lazy("already accepted"),
            frozenset({"items", "review"}),
            AcceptForm,
            _resolve_accept,
            done=lambda item: item.state in AFTER_ACCEPTANCE and item.accepted_on is not None,
            apply=lambda item, by, category: items.accept(item, by=by, category=category),
            states=ITEM_WORKFLOW["accept"].sources,
        ),
        BatchAction(
            "assign",
            gettext_lazy("Assign"),
            gettext_lazy("already assigned"),
            frozenset({"items"}),
            BatchAssignForm,
            _resolve_assign,
            done=lambda item: item.state in AFTER_ASSIGNMENT and item.assigned_on is not None,
            apply=lambda item, by, **kw: handling.assign(item, by=by, **kw),
            states=ITEM_WORKFLOW["assign"].sources,
        ),
        BatchAction(
            "mark_key",
            gettext_lazy("Mark as key items"),
            gettext_lazy("already a key item"),
            frozenset({"items"}),
            BatchKeyForm,
            _resolve_key,
            done=lambda item: KeyItem.objects.filter(item=item).exists(),
            apply=lambda item, by, **kw: supervision.mark_key(item, by=by, **kw),
            states=ITEM_WORKFLOW["set_key"].sources,
        ),
        BatchAction(
            "chase",
            gettext_lazy("Remind the units"),
            gettext_lazy("every unit already reminded today"),
            frozenset({"items"}),
            BatchChaseForm,
            _resolve_chase,
            done=_chased_today,
            apply=lambda item, by, **kw: supervision.chase(item, by=by, **kw),
            states=supervision.CHASE_STATES,
        ),
        BatchAction(
            "accept_assignment",
            gettext_lazy("Accept the assignments"),
            gettext_lazy("already taken by the unit"),
            frozenset({"inbox"}),
            NoInputForm,
            _no_params,
            done=lambda a: a.state != AssignmentState.PENDING and a.accepted_on is not None,
            apply=lambda a, by, **kw: handling.accept_assignment(a, by=by),
            states=ASSIGNMENT_WORKFLOW["accept"].sources,
            rows="assignment",
        ),
    )
}


def for_list(key: str) -> list[BatchAction]:
    return [a for a in ACTIONS.values() if key in a.lists]


def _locked(action: BatchAction, scope, pk: int):
    """The record, its rows locked in the services' order (the item, then the assignment),
    read afresh; None when it is not in the user's scope."""
    if action.rows == "assignment":
        item_id = scope.filter(pk=pk).values_list("item_id", flat=True).first()
        if item_id is None:
            return None
        Item.objects.select_for_update().filter(pk=item_id).first()
        return scope.select_for_update().select_related("item__body", "unit").get(pk=pk)
    return scope.select_for_update().filter(pk=pk).first()


def apply_one(action: BatchAction, scope, pk: int, *, by, objects: dict) -> tuple[str, str]:
    """Take the step on one record in its own transaction: (outcome, message)."""
    try:
        with transaction.atomic():
            record = _locked(action, scope, pk)
            if record is None:
                return MISSING, _("Not found among the records you may act on; not changed.")
            if action.done(record):
                return ALREADY, str(action.done_label)
            action.apply(record, by, **objects)
    except DomainError as refused:
        return FAILED, str(refused)
    return DONE, ""


def count_ready(action: BatchAction, scope, ids) -> int:
    """How many of `ids` are in a state to take the step now (one query)."""
    ready = scope.filter(pk__in=ids, state__in=action.states)
    if action.name == "mark_key":
        ready = ready.filter(key_item__isnull=True)
    return ready.count()


def step_label(action: BatchAction, body) -> str:
    """The step's name in the body's words: a congress 受理s a suggestion, a CPPCC 立案s a
    proposal (`bodies.terms`)."""
    if action.name == "accept":
        return capfirst(str(terms.term("accept", body=body)))
    return str(action.label)
