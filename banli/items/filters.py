"""The search and filter form of item lists, shared by every role's list."""

import datetime as dt

from django import forms
from django.db.models import Count, Exists, Min, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from banli.bodies.models import Category, Session, Unit

from . import search
from .models import OPEN_ASSIGNMENT_STATES, Kind
from .workflow import ItemState

SORTS = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "number": ("session", "kind", "number", "id"),
    "-number": ("-session", "kind", "-number", "-id"),
    "due": ("next_due", "id"),
    "title": ("title", "id"),
}
YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]


class ItemFilterForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False, max_length=100)
    session = forms.ModelChoiceField(
        label=_("Session"), queryset=Session.objects.none(), required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any")), *Kind.choices], required=False
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
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
        ],
    )

    def __init__(self, data, *, body):
        super().__init__(data)
        self.body = body
        self.fields["session"].queryset = Session.objects.filter(term__body=body)
        self.fields["category"].queryset = Category.objects.filter(body=body)
        self.fields["unit"].queryset = Unit.objects.filter(body=body, active=True)
        classes = body.rules.result_classes
        self.fields["result_class"].choices = [("", _("Any")), *[(c, c) for c in classes]]

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
        if data.get("unit"):
            qs = qs.filter(Exists(_assignments().filter(unit=data["unit"])))
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
        qs = qs.annotate(next_due=Subquery(_next_due()))
        query = (data.get("q") or "").strip()
        if query:
            qs = search.search_items(qs, query)
        sort = data.get("sort") or ""
        if sort in SORTS:
            return qs.order_by(*SORTS[sort])
        if query:
            return qs.order_by("-search_rank", "-id")
        return qs.order_by(*SORTS["-created"])


def _assignments():
    from banli.handling.models import Assignment

    return Assignment.objects.filter(item=OuterRef("pk")).exclude(state="reassigned")


def _next_due():
    return (
        _assignments()
        .filter(role="lead", state__in=OPEN_ASSIGNMENT_STATES)
        .values("item")
        .annotate(d=Min("due_on"))
        .values("d")[:1]
    )


def state_counts(queryset) -> list[tuple[str, str, int]]:
    """(state, label, count) for the facets above a list, one grouped query."""
    labels = dict(ItemState.choices)
    rows = queryset.order_by().values("state").annotate(n=Count("id"))
    counts = {row["state"]: row["n"] for row in rows}
    return [(s, labels[s], counts[s]) for s in ItemState.values if counts.get(s)]
