"""Panels this app adds to the item page (registered with banli.core.panels): the key-item
record (重点督办) for every reader, and the staff's form to mark the item key when the
workflow offers it."""

from banli.core import panels
from banli.items.models import Item
from banli.items.workflow import ITEM_WORKFLOW

from .forms import MarkKeyForm
from .models import KeyItem


def key_item_panel(request, item: Item, roles: set[str]):
    key = KeyItem.objects.filter(item=item).select_related("supervisor").first()
    offered = any(t.action == "set_key" for t in ITEM_WORKFLOW.available(item.state, roles))
    if key is None and not offered:
        return None
    form = None
    if key is None:
        form = MarkKeyForm(body=item.body, auto_id=f"key{item.pk}-%s")
    return {
        "template": "supervision/_key_panel.html",
        "order": 16,
        "context": {"item": item, "key": key, "form": form},
    }


panels.register(key_item_panel)
