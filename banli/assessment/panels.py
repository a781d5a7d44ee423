"""The item page's panel of third-party evaluation: for the body's staff (and auditors), the
item's scores in each evaluation it was part of."""

from django.db.models import Exists, OuterRef

from banli.core import panels
from banli.items.models import Item

from .models import AssessedItem

PANEL_READERS = frozenset({"staff", "auditor"})


def with_assessed(queryset):
    """Whether the item was ever evaluated, read with the item: most items never are, and
    their page then makes no query for this panel."""
    return queryset.annotate(was_assessed=Exists(AssessedItem.objects.filter(item=OuterRef("pk"))))


panels.load_with(with_assessed)


def assessment_panel(request, item: Item, roles: set[str]):
    if not roles & PANEL_READERS or not getattr(item, "was_assessed", True):
        return None
    entries = list(
        AssessedItem.objects.filter(item=item)
        .select_related("assessment__evaluator")
        .prefetch_related("scores__criterion")
        .order_by("-assessment__created_at", "-id")
    )
    if not entries:
        return None
    context = {"item": item, "entries": entries}
    return {"template": "assessment/_item_panel.html", "order": 60, "context": context}


panels.register(assessment_panel)
