"""The one way to write history: `record(...)`, called by every service."""

from typing import Any

from django.contrib.contenttypes.models import ContentType

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
    """Append one entry for `obj` (in the case file of `root`, default `obj` itself)."""
    root = root if root is not None else obj
    return HistoryEntry.objects.create(
        actor=by if (by is not None and getattr(by, "pk", None)) else None,
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
