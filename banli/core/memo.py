"""Per-request memos kept on a model instance: a page reads each related thing of its record
once (the item page's panels share the item's attachments, assignments, replies…) instead of
every panel asking the database again. A memo lives as long as the instance, which a view
loads for one request; code that changes the record reloads it."""

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_ATTR = "_banli_memo"


def memo(obj: Any, key: str, compute: Callable[[], T]) -> T:
    """`compute()` the first time `key` is asked of `obj`, the same value afterwards."""
    store = obj.__dict__.setdefault(_ATTR, {})
    if key not in store:
        store[key] = compute()
    return store[key]


def forget(obj: Any) -> None:
    """Drop every memo of `obj` (after a change made through it)."""
    obj.__dict__.pop(_ATTR, None)
