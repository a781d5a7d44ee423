"""Columns that other apps add to the item lists (the lead units of handling…), each with
the prefetch its cells read, so the items app lists what it does not import
(docs/architecture.md)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet


@dataclass(frozen=True)
class ListColumn:
    header: object  # a lazily translated heading
    template: str  # renders one cell's content; gets `item`
    prefetch: Callable[[], Prefetch | str] | None = None  # what the cells read, for one query
    order: int = 50
    css: str = ""


_columns: list[ListColumn] = []


def register_column(column: ListColumn) -> ListColumn:
    """Add a column to every item list (called from the contributing app's `ready`)."""
    if column not in _columns:
        _columns.append(column)
        _columns.sort(key=lambda c: c.order)
    return column


def columns() -> list[ListColumn]:
    return list(_columns)


def with_columns(queryset: QuerySet) -> QuerySet:
    """The queryset with what every registered column reads, fetched in one query each."""
    lookups = [c.prefetch() for c in _columns if c.prefetch is not None]
    return queryset.prefetch_related(*lookups) if lookups else queryset
