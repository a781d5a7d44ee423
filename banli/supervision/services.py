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

from . import notices
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
    notices.marked(key, by=by)
    return key


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Please give a reason."))
    return reason


def _leader_name(user) -> str:
    return user.get_full_name() or user.username


def _forget_key(item: Item) -> None:
    """Drop a key item cached on the caller's copy (it reads the row afresh next time)."""
    item._state.fields_cache.pop("key_item", None)


@transaction.atomic
def unmark_key(item: Item, *, by, reason: str) -> None:
    """The item is no longer a key item (取消重点督办), with a reason. The key-item record
    goes; the history keeps what it said (leader, lead-handling leader, year, note, date)."""
    fresh = lock_item(item)
    roles = item_roles(by, fresh)
    ITEM_WORKFLOW.check("unset_key", fresh.state, roles, fresh)
    reason = _reason(reason)
    key = KeyItem.objects.select_for_update().select_related("supervisor").get(item=fresh)
    data = {
        "supervisor": _leader_name(key.supervisor),
        "supervisor_id": key.supervisor_id,
        "lead_handler": key.lead_handler,
        "year": key.year,
        "note": key.note,
        "marked_at": key.marked_at.isoformat(),
    }
    # Recorded first: the row applies only while the item is a key item.
    advance(fresh, "unset_key", by=by, roles=roles, reason=reason, data=data, fields=[])
    key.delete()
    _forget_key(fresh)
    _forget_key(item)


@transaction.atomic
def change_supervisor(
    item: Item, *, by, supervisor, reason: str, lead_handler: str | None = None
) -> KeyItem:
    """Another supervising leader takes over a key item (and, when given, another leader
    lead-handles it), with a reason; the history keeps both before and after."""
    fresh = lock_item(item)
    roles = item_roles(by, fresh)
    ITEM_WORKFLOW.check("change_key_leader", fresh.state, roles, fresh)
    reason = _reason(reason)
    if supervisor is None or "supervisor" not in body_roles(supervisor, fresh.body_id):
        raise ValidationFailed(_("The supervising leader must be a leader of this body."))
    key = KeyItem.objects.select_for_update().select_related("supervisor").get(item=fresh)
    handler = key.lead_handler if lead_handler is None else lead_handler.strip()
    if supervisor.pk == key.supervisor_id and handler == key.lead_handler:
        raise ValidationFailed(_("Nothing was changed."))
    data = {
        "from": _leader_name(key.supervisor),
        "to": _leader_name(supervisor),
        "from_id": key.supervisor_id,
        "to_id": supervisor.pk,
        "lead_handler": {"from": key.lead_handler, "to": handler},
    }
    key.supervisor, key.lead_handler = supervisor, handler
    key.save(update_fields=["supervisor", "lead_handler"])
    _forget_key(item)
    advance(fresh, "change_key_leader", by=by, roles=roles, reason=reason, data=data, fields=[])
    if data["from_id"] != data["to_id"]:
        notices.marked(key, by=by)
    return key
