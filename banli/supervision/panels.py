"""Panels this app adds to the item page (registered with banli.core.panels): the key-item
record (重点督办) for every reader, and the staff's form to mark the item key when the
workflow offers it."""

from banli.core import panels
from banli.items.models import Item
from banli.items.workflow import ITEM_WORKFLOW

from .forms import MarkKeyForm
from .models import KeyItem


def with_key_item(queryset):
    """The item page reads the key item (and its supervising leader) with the item: the
    panel and the page's "key item" badge share it."""
    return queryset.select_related("key_item__supervisor")


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
    if key is None and not offered:
        return None
    form = None
    if key is None:
        form = MarkKeyForm(body=item.body, auto_id=f"key{item.pk}-%s")
    context = {
        "item": item,
        "key": key,
        "form": form,
        # The staff's corrections of a key item, as the workflow offers them.
        "can_unmark": "unset_key" in available,
        "can_change_leader": "change_key_leader" in available,
    }
    return {"template": "supervision/_key_panel.html", "order": 16, "context": context}


panels.register(key_item_panel)
