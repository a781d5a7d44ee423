"""The search and filter form of item lists, shared by every role's list.

Filters on records of the apps above items (a unit's assignments…) are registered by those
apps with `register_filter`, so items imports none of them (docs/architecture.md)."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from banli.bodies.models import Body, Category, Session
from banli.bodies.terms import KIND_BODY_TYPE, Terms
from banli.core.widgets import options_html

from . import search
from .models import Kind
from .workflow import ItemState

SORTS = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    # Sessions by their id (newest first), not by Session's own ordering through a join:
    # a list is paged by the keys it is sorted by (banli.core.paging).
    "number": ("-session", "kind", "number", "id"),
    "-number": ("session", "kind", "-number", "-id"),
    "due": (F("next_due_on").asc(nulls_last=True), "id"),
    "title": ("title", "id"),
    # The lead proposer's name in pinyin (banli.core.names), as the office lists people.
    "proposer": ("proposer__sort_key", "id"),
}
YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]


@dataclass(frozen=True)
class ListFilter:
    """A filter another app adds to item lists."""

    name: str
    field: Callable[[Body], forms.Field]  # the form field, built for the list's body
    apply: Callable[..., Any]  # (items queryset, cleaned value) -> narrowed queryset
    after: str  # shown after this field of the form
    # Other fields of the form whose cleaned values `apply` also takes, as keywords (the
    # deadline filter narrows to the chosen unit's own assignments).
    uses: tuple[str, ...] = ()


_filters: dict[str, ListFilter] = {}


def register_filter(name: str, *, field, apply, after: str, uses: tuple[str, ...] = ()) -> None:
    """Add a filter to every item list (called from the contributing app's `ready`)."""
    _filters[name] = ListFilter(name, field, apply, after, tuple(uses))


class ItemFilterForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False, max_length=100)
    # A filter's empty choice is "any" itself: no "---------" beside it.
    session = forms.ModelChoiceField(
        label=_("Session"), queryset=Session.objects.none(), required=False, empty_label=_("Any")
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any")), *Kind.choices], required=False
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False, empty_label=_("Any")
    )
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("Any")), *ItemState.choices], required=False
    )
    result_class = forms.ChoiceField(label=_("Result class"), required=False)
    key = forms.ChoiceField(label=_("Key item"), choices=YES_NO, required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    due_soon = forms.BooleanField(label=_("Due within 30 days"), required=False)
    proposer = forms.CharField(label=_("Proposer"), required=False, max_length=60)
    date_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Submitted until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("", _("Best match / newest")),
            ("-created", _("Newest first")),
            ("created", _("Oldest first")),
            ("number", _("Number")),
            ("due", _("Due date")),
            ("title", _("Title")),
            ("proposer", _("Proposer")),
        ],
    )

    def __init__(self, data, *, body, narrow: bool = False):
        super().__init__(data)
        self.body = body
        # The reader sees a small part of the body (a deputy, a unit): searched differently.
        self.narrow = narrow
        self.search_result: search.SearchResult | None = None
        self.searched = None
        self.ranked = False
        self.fields["session"].queryset = Session.objects.filter(term__body=body)
        self.fields["category"].queryset = Category.objects.filter(body=body)
        # The body's own kinds and words: a CPPCC's list offers 提案 only, and says 已立案.
        self.fields["kind"].choices = [
            ("", _("Any")),
            *[(v, label) for v, label in Kind.choices if KIND_BODY_TYPE[v] == body.body_type],
        ]
        words = Terms(body=body)
        self.fields["state"].choices = [
            ("", _("Any")),
            *[(value, words.state(value, label)) for value, label in ItemState.choices],
        ]
        classes = body.rules.result_classes
        self.fields["result_class"].choices = [("", _("Any")), *[(c, c) for c in classes]]
        self._add_registered_fields()

    def _add_registered_fields(self) -> None:
        for extra in _filters.values():
            fields = dict(self.fields)
            names = [name for name in fields if name != extra.name]
            at = names.index(extra.after) + 1 if extra.after in names else len(names)
            names.insert(at, extra.name)
            fields[extra.name] = extra.field(self.body)
            self.fields.clear()
            self.fields.update((name, fields[name]) for name in names)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def apply(self, queryset, *, today: dt.date):
        """Filter, annotate and order; invalid fields are ignored (their errors are shown)."""
        data = self.cleaned_data if self.is_bound else {}
        data = {k: v for k, v in data.items() if k not in self.errors}
        qs = queryset
        for field in ("session", "category", "kind", "state", "result_class"):
            if data.get(field):
                qs = qs.filter(**{field: data[field]})
        for extra in _filters.values():
            if data.get(extra.name):
                qs = extra.apply(qs, data[extra.name], **{n: data.get(n) for n in extra.uses})
        if data.get("key") == "yes":
            qs = qs.filter(key_item__isnull=False)
        elif data.get("key") == "no":
            qs = qs.filter(key_item__isnull=True)
        if data.get("overdue"):
            qs = qs.overdue(today)
        if data.get("due_soon"):
            qs = qs.due_within(today, 30)
        if data.get("proposer"):
            qs = qs.filter(proposer__name__contains=data["proposer"].strip())
        if data.get("date_from"):
            qs = qs.filter(submitted_at__date__gte=data["date_from"])
        if data.get("date_to"):
            qs = qs.filter(submitted_at__date__lte=data["date_to"])
        query = (data.get("q") or "").strip()
        if query:
            # The full-text match runs once, here; the page and the counts read the
            # bounded candidates it returns (banli.items.search).
            self.search_result = search.search_candidates(qs, query, narrow=self.narrow)
            # What the candidates were drawn from: a page of them is read from it by id.
            self.searched = qs
            qs = search.restrict_to(qs, self.search_result)
        sort = data.get("sort") or ""
        if sort in SORTS:
            return qs.order_by(*SORTS[sort])
        if query:
            self.ranked = True  # in the candidates' own order, best match first
            return qs.order_by("-search_rank", "-id")
        return qs.order_by(*SORTS["-created"])


# The form as the list page draws it. Django renders each widget through its own template
# engine call: 13 fields took about 25 ms of every list request (more than the page's SQL),
# so the page draws plain inputs from these entries instead, with the same names, ids and
# values (tests/test_browse_views.py).
def form_entries(form: ItemFilterForm) -> list[dict[str, Any]]:
    """Each field of the filter form but the words, as {name, id, label, kind, value,
    options, errors}; `kind` is "select", "checkbox", "date" or "text"."""
    entries = []
    for bound in form:
        if bound.name == "q":
            continue
        widget = bound.field.widget
        value = bound.value()
        entry: dict[str, Any] = {
            "name": bound.name,
            "id": bound.auto_id,
            "label": bound.label,
            "errors": bound.errors,
        }
        if isinstance(widget, forms.CheckboxInput):
            entry.update(kind="checkbox", checked=bool(value) and value not in ("false", "0"))
        elif isinstance(widget, forms.Select):
            # The options drawn in one pass (a body may have hundreds of units).
            entry.update(kind="select", options=options_html(bound.field.choices, value))
        else:
            date = isinstance(widget, forms.DateInput)
            text = "" if value is None else value
            if date and isinstance(value, dt.date):
                text = value.isoformat()
            entry.update(kind="date" if date else "text", value=text)
            entry["maxlength"] = getattr(bound.field, "max_length", None)
        entries.append(entry)
    return entries
