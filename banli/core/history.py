"""The one way to write history: `record(...)`, called by every service."""

from typing import Any

from django.contrib.contenttypes.models import ContentType

from .actors import as_actor
from .models import HistoryEntry


def record(
    obj,
    action: str,
    *,
    by,
    before: str = "",
    after: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
    root=None,
) -> HistoryEntry:
    """Append one entry for `obj` (in the case file of `root`, default `obj` itself).

    `by` is a user, None (the system) or a `core.actors.Actor`."""
    root = root if root is not None else obj
    actor = as_actor(by)
    user = actor.user if (actor.user is not None and getattr(actor.user, "pk", None)) else None
    return HistoryEntry.objects.create(
        actor=user,
        actor_kind=actor.kind,
        actor_label=actor.label[:200],
        action=action,
        target_type=ContentType.objects.get_for_model(obj),
        target_id=obj.pk,
        root_type=ContentType.objects.get_for_model(root),
        root_id=root.pk,
        from_state=before or "",
        to_state=after or "",
        reason=reason or "",
        data=data or {},
    )
