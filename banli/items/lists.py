"""Columns that other apps add to the item lists (the lead units of handling…), each with
the prefetch its cells read, so the items app lists what it does not import
(docs/architecture.md)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.html import format_html_join


@dataclass(frozen=True)
class ListColumn:
    header: object  # a lazily translated heading
    # One cell's content for an item, as escaped HTML (format_html / conditional_escape). A
    # function rather than a template: an include per row and column cost a twentieth of a
    # list's time, where the function costs microseconds (as Django's admin renders cells).
    cell: Callable[[Any], str]
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


def cells(item, columns_: list[ListColumn]) -> str:
    """The cells the registered columns add to an item's row."""
    return format_html_join(
        "",
        '<td class="{}" data-label="{}">{}</td>',
        ((c.css, c.header, c.cell(item)) for c in columns_),
    )


def with_columns(queryset: QuerySet) -> QuerySet:
    """The queryset with what every registered column reads, fetched in one query each."""
    lookups = [c.prefetch() for c in _columns if c.prefetch is not None]
    return queryset.prefetch_related(*lookups) if lookups else queryset
