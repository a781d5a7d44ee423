"""Columns that other apps add to the item lists (the lead units of handling…), each with
the prefetch its cells read, so the items app lists what it does not import
(docs/architecture.md)."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe


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
    # Drawn before the number (a row's checkbox) rather than after the category.
    leading: bool = False
    # A column that depends on who reads which list (a selection kept in the session, a
    # role): called once per request; returns the cell function for it, or None to leave the
    # column out. The row may be an item or, on a unit's inbox, an assignment.
    for_request: Callable[[Any], Callable[[Any], str] | None] | None = None


_columns: list[ListColumn] = []
# Bars drawn above a list by the apps that act on its rows (banli.batch: "N selected").
_bars: list[Callable[[Any], str]] = []


def register_column(column: ListColumn) -> ListColumn:
    """Add a column to every item list (called from the contributing app's `ready`)."""
    if column not in _columns:
        _columns.append(column)
        _columns.sort(key=lambda c: c.order)
    return column


def columns(request=None, *, leading: bool | None = None) -> list[ListColumn]:
    """The registered columns as `request` draws them (`leading`: only those drawn before
    the number, or only those after; None: every one)."""
    shown = []
    for column in _columns:
        if leading is not None and column.leading != leading:
            continue
        if column.for_request is not None:
            cell = column.for_request(request) if request is not None else None
            if cell is None:
                continue
            column = replace(column, cell=cell)
        shown.append(column)
    return shown


def register_bar(provider: Callable[[Any], str]) -> Callable[[Any], str]:
    """A provider takes the request and returns the HTML of a bar above its list, or ""."""
    if provider not in _bars:
        _bars.append(provider)
    return provider


def bars(request) -> str:
    return mark_safe("".join(provider(request) for provider in _bars))  # noqa: S308


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
