"""Use cases of supervision."""

from django.db import transaction
from django.utils.translation import gettext as _

from banli.bodies.access import body_roles
from banli.core import clock
from banli.core.errors import ValidationFailed
from banli.items.models import Item
from banli.items.permissions import item_roles
from banli.items.services import advance, lock_item
from banli.items.workflow import ITEM_WORKFLOW

from .models import KeyItem


@transaction.atomic
def mark_key(item: Item, *, by, supervisor, lead_handler: str = "", note: str = "") -> KeyItem:
    """Choose an item for key supervision (重点督办) under a supervising leader.

    The item's row is locked before the check, so a second request (a double click, a
    colleague at the same moment) waits for the first and is told the item is already a key
    item, instead of failing on the one-key-per-item constraint."""
    fresh = lock_item(item)
    roles = item_roles(by, fresh)
    ITEM_WORKFLOW.check("set_key", fresh.state, roles, fresh)
    if "supervisor" not in body_roles(supervisor, fresh.body_id):
        raise ValidationFailed(_("The supervising leader must be a leader of this body."))
    if KeyItem.objects.filter(item=fresh).exists():
        raise ValidationFailed(_("This item is already a key item."))
    key = KeyItem.objects.create(
        item=fresh,
        year=fresh.session.year,
        supervisor=supervisor,
        lead_handler=lead_handler.strip(),
        note=note.strip(),
        marked_at=clock.now(),
    )
    advance(
        fresh,
        "set_key",
        by=by,
        roles=roles,
        data={"supervisor": str(supervisor), "lead_handler": key.lead_handler},
        fields=[],
    )
    return key
