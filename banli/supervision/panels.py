"""Panels this app adds to the item page (registered with banli.core.panels): the key-item
record (重点督办) with its latest supervision activity for every reader, the staff's form
to mark the item key when the workflow offers it, and the staff's 催办 link while the units
handle the item."""

from django.db.models import Count, OuterRef, Subquery

from banli.core import panels
from banli.items.models import Item
from banli.items.workflow import ITEM_WORKFLOW

from .forms import MarkKeyForm
from .models import ActivityKind, KeyItem, SupervisionActivity
from .services import CHASE_STATES
from .words import Words


def _latest(field: str):
    return Subquery(
        SupervisionActivity.objects.current()
        .filter(items=OuterRef("pk"))
        .order_by("-held_on", "-id")
        .values(field)[:1]
    )


def with_key_item(queryset):
    """The item page reads the key item (and its supervising leader) with the item: the
    panel and the page's "key item" badge share it. The latest supervision activity and
    their number come in the same query (subqueries on the activities' item index), so a
    key item costs the page no query more."""
    counted = (
        SupervisionActivity.objects.current()
        .filter(items=OuterRef("pk"))
        .order_by()
        .values("items")
        .annotate(n=Count("id"))
        .values("n")
    )
    return queryset.select_related("key_item__supervisor").annotate(
        key_activity_count=Subquery(counted),
        key_activity_id=_latest("id"),
        key_activity_on=_latest("held_on"),
        key_activity_kind=_latest("kind"),
        key_activity_title=_latest("title"),
    )


panels.load_with(with_key_item)


def key_item_of(item: Item) -> KeyItem | None:
    """The item's key-item record: loaded with the item on its page, else one query."""
    try:
        return item.key_item
    except KeyItem.DoesNotExist:
        return None


def key_item_panel(request, item: Item, roles: set[str]):
    key = key_item_of(item)
    available = {t.action for t in ITEM_WORKFLOW.available(item.state, roles, item)}
    offered = "set_key" in available
    staff = "staff" in roles
    can_chase = staff and item.state in CHASE_STATES
    if key is None and not offered and not can_chase:
        return None
    form = None
    if key is None and offered:
        form = MarkKeyForm(body=item.body, auto_id=f"key{item.pk}-%s")
    latest = None
    if key is not None and getattr(item, "key_activity_id", None):
        latest = {
            "pk": item.key_activity_id,
            "held_on": item.key_activity_on,
            "kind": dict(ActivityKind.choices).get(item.key_activity_kind, ""),
            "title": item.key_activity_title,
        }
    context = {
        "item": item,
        "key": key,
        "form": form,
        "words": Words(item=item),
        "latest": latest,
        "activity_count": getattr(item, "key_activity_count", None) or 0,
        # The staff record activities on any key item, its supervising leader on their own.
        "can_record": key is not None
        and (staff or ("supervisor" in roles and key.supervisor_id == request.user.pk)),
        "can_chase": can_chase,
        # The staff's corrections of a key item, as the workflow offers them.
        "can_unmark": "unset_key" in available,
        "can_change_leader": "change_key_leader" in available,
    }
    return {"template": "supervision/_key_panel.html", "order": 16, "context": context}


panels.register(key_item_panel)
