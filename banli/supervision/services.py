"""Use cases of supervision."""

from django.db import transaction
from django.utils.translation import gettext as _

from banli.bodies.access import body_roles
from banli.core import clock
from banli.core.errors import ValidationFailed
from banli.items.models import Item
from banli.items.permissions import item_roles
from banli.items.services import advance

from .models import KeyItem


@transaction.atomic
def mark_key(item: Item, *, by, supervisor, lead_handler: str = "", note: str = "") -> KeyItem:
    """Choose an item for key supervision (重点督办) under a supervising leader."""
    roles = item_roles(by, item)
    if "supervisor" not in body_roles(supervisor, item.body_id):
        raise ValidationFailed(_("The supervising leader must be a leader of this body."))
    if KeyItem.objects.filter(item=item).exists():
        raise ValidationFailed(_("This item is already a key item."))
    key = KeyItem(
        item=item,
        year=item.session.year,
        supervisor=supervisor,
        lead_handler=lead_handler.strip(),
        note=note.strip(),
        marked_at=clock.now(),
    )
    advance(
        item,
        "set_key",
        by=by,
        roles=roles,
        data={"supervisor": str(supervisor), "lead_handler": key.lead_handler},
    )
    key.save()
    return key
