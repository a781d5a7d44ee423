"""The item list (检索) as a query: the filtered, visible items of the user's body, the page
of them the table shows, their bounded count and state facets.

Counts are bounded, not kept as counters (docs/architecture.md, "Lists"). A counter per
(body, state) would answer only the unfiltered list of a body-wide reader: any filter the
form offers (words, category, proposer, dates, unit, overdue) and every narrower role's
visibility needs a count of the rows themselves anyway, and a counter table would need
every state change of two apps' services kept in step with it. A bounded count answers all
of them with one mechanism whose cost is capped: at most `bound + 1` rows are counted, and
the state facets are counted from the same bounded set, shown when the list is within the
bound (narrow it by state, session or kind to see them on a larger one).
"""

from urllib.parse import urlencode

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.http import QueryDict
from django.urls import reverse

from banli.bodies.access import current_membership
from banli.bodies.models import BODY_WIDE_READERS, Role
from banli.core import clock, paging, web

from . import lists
from .filters import ItemFilterForm
from .models import Item
from .workflow import ItemState

PER_PAGE = 25


def filtered(user, data, *, body=None):
    """(form, ordered queryset) of the items `user` may read in their current body that
    the filter `data` (a QueryDict or None) asks for."""
    profile = current_membership(user)
    if body is None:
        body = profile.body if profile is not None else None
    wide = profile is not None and set(profile.roles) & (BODY_WIDE_READERS | {Role.EVALUATOR})
    form = ItemFilterForm(data or None, body=body, narrow=not wide)
    if form.is_bound:
        form.is_valid()
    visible = Item.objects.visible_to(user)
    ordered = (
        form.apply(visible, today=clock.today())
        if form.is_bound
        else visible.order_by("-created_at", "-id")
    )
    return form, ordered


# What the table shows of an item and of the records beside it (items/_table.html): a row
# carries these 16 columns instead of the 50 of the four records, which was a tenth of the
# list's time in building model instances.
SHOWN = (
    "id",
    "body_id",
    "number",
    "number_label",
    "title",
    "kind",
    "state",
    "result_class",
    "next_due_on",
    "session__id",
    "session__name",
    "category__id",
    "category__name",
    "proposer__id",
    "proposer__name",
    "key_item__id",
)


def for_table(queryset):
    """A page of items with what the table shows (and the columns other apps add), and
    nothing else: never the text or its search index (5–7 KB a row)."""
    return lists.with_columns(
        queryset.select_related("session", "category", "proposer", "key_item").only(*SHOWN)
    )


def state_facets(queryset, bound: int | None = None):
    """(the bounded total, [(state, label, count)]) of `queryset`, in one statement that
    reads at most `bound + 1` rows: exact counts by state when the list is within the
    bound, no facets when it is not (counting each state of a body-wide list up to the
    bound read eleven times as many rows: 0.7 s at 127,000 items)."""
    bound = paging.count_bound() if bound is None else bound
    limited = queryset.order_by().values("state")[: bound + 1]
    try:
        sql, params = limited.query.sql_with_params()
    except EmptyResultSet:  # .none(): nothing to count
        return paging.BoundedCount(0, bound), []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"SELECT s.state, COUNT(*) FROM ({sql}) AS s GROUP BY s.state", params)
        counted = dict(cursor.fetchall())
    total = paging.BoundedCount(sum(counted.values()), bound)
    return total, _facets(counted) if total.exact else []


def _facets(counted) -> list[tuple[str, str, int]]:
    """[(state, label, count)] in the workflow's order, for the states that have items."""
    labels = dict(ItemState.choices)
    return [(s, labels[s], counted[s]) for s in ItemState.values if counted.get(s)]


def search_page(request, searched, result, per_page: int = PER_PAGE) -> paging.KeysetPage:
    """The page of a search's ranked candidates that `?page=N` asks for (the first when the
    number is missing or past the end), read from `searched` (the visible, filtered items
    the candidates were drawn from). The candidates are a bounded list already in best
    order (`banli.items.search.SearchResult`), so a page is a slice of it: only its 25 rows
    are read, where ordering the whole set by its place in the list read all 1,000 (and
    computed each row's place in a 1,000-element array: 20 ms)."""
    pages = max((len(result.ids) + per_page - 1) // per_page, 1)
    number = web.int_or_none(request.GET.get("page")) or 1
    number = min(max(number, 1), pages)
    start = (number - 1) * per_page
    window = result.ids[start : start + per_page]
    found = {item.pk: item for item in for_table(searched.filter(pk__in=window).order_by())}
    rows = [found[pk] for pk in window if pk in found]
    page = paging.KeysetPage(
        object_list=rows,
        start_index=start + 1 if rows else 0,
        has_next=number < pages,
        has_previous=number > 1,
        per_page=per_page,
    )
    url = web.page_url(request, "page")
    page.first_url = url(None)
    if page.has_next:
        page.next_url = url(str(number + 1))
    if page.has_previous:
        page.previous_url = url(str(number - 1) if number > 2 else None)
    return page


def search_facets(result) -> tuple[paging.BoundedCount, list]:
    """The count and the facets by state of a search, from its candidates: no query. (A
    search cut at its limit says so itself; the candidates shown are counted exactly.)"""
    return paging.BoundedCount(len(result.ids), paging.count_bound()), _facets(result.states)


def deep_page_url(user, params: dict | QueryDict | None, page_number: int) -> str:
    """The address of page `page_number` (1-based, 25 rows a page) of the item list with the
    filters `params`, as `user` sees it: the keyset cursor of that page, read from the
    database in one query. For the benchmark's "page 500"."""
    data = params if isinstance(params, QueryDict) else _query_dict(params or {})
    _form, ordered = filtered(user, data)
    cursor = paging.cursor_for_offset(ordered, (max(page_number, 1) - 1) * PER_PAGE)
    query = [(k, v) for k, values in data.lists() for v in values if k != paging.PARAM]
    if cursor:
        query.append((paging.PARAM, cursor))
    address = reverse("items:list")
    return f"{address}?{urlencode(query)}" if query else address


def _query_dict(params: dict) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in params.items():
        if isinstance(value, list | tuple):
            data.setlist(key, [str(v) for v in value])
        else:
            data[key] = str(value)
    return data
