"""Keyset (seek) pagination and bounded counts: what every list pages with.

Why not OFFSET. A page far down a long list (page 500) made the database sort every matching
row, with its full text, and skip all of them but 25: 218 ms at 200,000 items against 4 ms for
the same page read through an index from where the previous page ended. A keyset page asks
for "the 25 rows after the last one you saw": ``WHERE (created_at, id) < (:c, :i) ORDER BY
created_at DESC, id DESC LIMIT 26``, which an index on the sort keys answers by reading 26
entries, however deep the page.

The cursor. The link to the next (previous) page carries the sort key values of the last
(first) row of the page, the direction, and the position of the page (for "26–50 of …"),
signed with the project's secret and salted with the ordering, so a cursor is never
trusted as SQL and a cursor made for another sort or edited by hand is simply not accepted:
a malformed, tampered or stale cursor gives the first page, never an error.

Orderings. Any ``order_by`` of field paths (``"-created_at"``, ``"session"`` for the foreign
key's id, ``"item__due_on"``), annotations, and ``F(...).asc(nulls_last=True)``-style
expressions; the primary key is added as the last key when it is missing, so every row has
one place. Nulls are placed where the database puts them unless the ordering says
(PostgreSQL sorts them as larger than every value, SQLite as smaller), and the keyset
condition follows the same rule, so a nullable key (the due date) pages correctly both ways.

Counts. An exact COUNT of a body's list grows with the body (115 ms on the largest body of
200,000 items; an index does not help a count of 29,000 visible rows). Lists show a bounded
count instead: at most ``bound + 1`` rows are counted, through a LIMITed subquery, and more
than `bound` reads "10,000+".
"""

import datetime as dt
import decimal
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils.formats import number_format

PARAM = "cursor"
DEFAULT_COUNT_BOUND = 10_000


def count_bound() -> int:
    return int(getattr(settings, "BANLI_LIST_COUNT_BOUND", DEFAULT_COUNT_BOUND))


@dataclass(frozen=True, eq=False)
class BoundedCount:
    """How many rows a list has, counted up to `bound`: exact at or below it, "bound+" above."""

    value: int  # min(real count, bound + 1)
    bound: int

    @property
    def exact(self) -> bool:
        return self.value <= self.bound

    @property
    def shown(self) -> int:
        return min(self.value, self.bound)

    def __str__(self) -> str:
        text = number_format(self.shown, force_grouping=True)
        return text if self.exact else f"{text}+"

    def __int__(self) -> int:
        return self.shown

    def __eq__(self, other) -> bool:
        # Equal to a number only when exact: "10,000+" is no particular number.
        if isinstance(other, BoundedCount):
            return (self.value, self.bound) == (other.value, other.bound)
        if isinstance(other, int):
            return self.exact and self.value == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.value, self.bound))

    def __bool__(self) -> bool:
        return self.value > 0


def _limited_sql(queryset: QuerySet, bound: int) -> tuple[str, tuple]:
    limited = queryset.order_by().values("pk")[: bound + 1]
    sql, params = limited.query.sql_with_params()
    return sql, tuple(params)


def count_at_most(queryset: QuerySet, bound: int | None = None) -> BoundedCount:
    """The rows of `queryset`, counted up to `bound` (+1, to know it is more): one query."""
    bound = count_bound() if bound is None else bound
    value = queryset.order_by().values("pk")[: bound + 1].count()
    return BoundedCount(value, bound)


def counts_at_most(
    querysets: dict[str, QuerySet], bound: int | None = None
) -> dict[str, BoundedCount]:
    """Several bounded counts (facets) in one statement: each a LIMITed subquery."""
    bound = count_bound() if bound is None else bound
    if not querysets:
        return {}
    names = list(querysets)
    using = querysets[names[0]].db
    parts: list[str] = []
    params: list[Any] = []
    for name in names:
        try:
            sql, sql_params = _limited_sql(querysets[name], bound)
        except EmptyResultSet:  # .none(), or a filter that can match nothing
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS c)")
        params.extend(sql_params)
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {name: BoundedCount(int(n), bound) for name, n in zip(names, row, strict=True)}


# Sort keys --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One sort key: a field path or annotation, its direction, and where its nulls go
    (None: where the database puts them; the key is then taken as never null unless the
    model's field says it may be)."""

    name: str
    descending: bool = False
    nulls_last: bool | None = None
    nullable: bool = False

    def reversed(self) -> "Key":
        nulls = None if self.nulls_last is None else not self.nulls_last
        return Key(self.name, not self.descending, nulls, self.nullable)

    def order(self):
        expression = F(self.name)
        kwargs: dict[str, bool] = {}
        if self.nulls_last is True:
            kwargs["nulls_last"] = True
        elif self.nulls_last is False:
            kwargs["nulls_first"] = True
        return expression.desc(**kwargs) if self.descending else expression.asc(**kwargs)

    def nulls_at_end(self, vendor: str) -> bool:
        if self.nulls_last is not None:
            return self.nulls_last
        nulls_large = vendor != "sqlite"  # PostgreSQL: nulls sort above every value
        return nulls_large != self.descending


def _nullable(model, name: str) -> bool:
    """Whether the field path `name` may read null (a nullable field or a nullable join)."""
    meta = model._meta
    for part in name.split("__"):
        if part == "pk":
            return False
        try:
            found = meta.get_field(part)
        except Exception:
            return True  # an annotation or something unknown: be careful
        if getattr(found, "null", False):
            return True
        if found.is_relation and found.related_model is not None:
            if not (found.many_to_one or found.one_to_one) or found.auto_created:
                return True  # reverse or many-to-many: may be missing
            meta = found.related_model._meta
    return False


def keys_of(queryset: QuerySet) -> list[Key]:
    """The sort keys of `queryset`'s ordering, the primary key last (added if missing)."""
    query = queryset.query
    ordering = list(query.order_by) or (
        list(query.get_meta().ordering) if query.default_ordering else []
    )
    annotations = set(query.annotations)
    keys: list[Key] = []
    for entry in ordering:
        if isinstance(entry, str):
            descending = entry.startswith("-")
            name = entry.lstrip("-+")
            if name == "?":
                raise ValueError("A random ordering cannot be paged by keys.")
            nulls = None
        elif isinstance(entry, OrderBy) and isinstance(entry.expression, F):
            name, descending = entry.expression.name, entry.descending
            nulls = True if entry.nulls_last else False if entry.nulls_first else None
        elif isinstance(entry, F):
            name, descending, nulls = entry.name, False, None
        else:
            raise ValueError(f"Cannot page by keys on {entry!r}: order by a field or F().")
        if name == "id":
            name = "pk"
        nullable = nulls is not None or (
            name not in annotations and _nullable(queryset.model, name)
        )
        keys.append(Key(name, descending, nulls, nullable))
    if not any(k.name == "pk" for k in keys):
        keys.append(Key("pk", keys[0].descending if keys else False))
    return keys


def _after(keys: list[Key], values: list[Any], vendor: str) -> Q:
    """The rows strictly after the row with key `values` in the order of `keys`."""
    condition = Q(pk__in=[])
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        op = "lt" if key.descending else "gt"
        at_end = key.nulls_at_end(vendor)
        if value is None:
            beyond = Q(pk__in=[]) if at_end else Q(**{f"{key.name}__isnull": False})
            same = Q(**{f"{key.name}__isnull": True})
        else:
            beyond = Q(**{f"{key.name}__{op}": value})
            if key.nullable and at_end:
                beyond |= Q(**{f"{key.name}__isnull": True})
            same = Q(**{key.name: value})
        condition |= equal & beyond
        equal &= same
    # A leading bound the index can start from (the OR above reads as a filter otherwise).
    first, first_value = keys[0], values[0]
    if first_value is not None and not (first.nullable and first.nulls_at_end(vendor)):
        condition &= Q(**{f"{first.name}__{'lte' if first.descending else 'gte'}": first_value})
    return condition


# Cursors ----------------------------------------------------------------------------------


def _encode(value):
    if value is None:
        return ["n"]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, dt.datetime):
        return ["t", value.isoformat()]
    if isinstance(value, dt.date):
        return ["d", value.isoformat()]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, float):
        return ["f", value]
    if isinstance(value, decimal.Decimal):
        return ["m", str(value)]
    return ["s", str(value)]


_DECODERS = {
    "b": bool,
    "t": dt.datetime.fromisoformat,
    "d": dt.date.fromisoformat,
    "i": int,
    "f": float,
    "m": decimal.Decimal,
    "s": str,
}


def _decode(encoded):
    if encoded[0] == "n":
        return None
    return _DECODERS[encoded[0]](encoded[1])


def _salt(keys: list[Key]) -> str:
    spec = ",".join(f"{k.name}:{int(k.descending)}:{k.nulls_last}" for k in keys)
    return "banli.paging." + hashlib.sha256(spec.encode()).hexdigest()[:16]


def make_cursor(keys: list[Key], values: list[Any], *, forward: bool, offset: int) -> str:
    """A signed cursor: the page after (forward) or before the row with these key values,
    starting at row `offset` (0-based) of the list."""
    payload = {"v": [_encode(v) for v in values], "f": forward, "o": offset}
    return signing.dumps(payload, salt=_salt(keys), compress=True)


@dataclass(frozen=True)
class Cursor:
    values: list[Any]
    forward: bool
    offset: int


def read_cursor(keys: list[Key], token: str | None) -> Cursor | None:
    """The cursor in `token`, or None when it is missing, malformed, tampered with or made
    for another ordering (the first page is shown then)."""
    if not token or len(token) > 2000:
        return None
    try:
        payload = signing.loads(token, salt=_salt(keys))
        values = [_decode(v) for v in payload["v"]]
        forward, offset = bool(payload["f"]), int(payload["o"])
    except Exception:
        return None
    if len(values) != len(keys) or offset < 0:
        return None
    return Cursor(values, forward, offset)


# Pages ------------------------------------------------------------------------------------


@dataclass
class KeysetPage:
    """One page of a list: its rows, where it starts, and the links around it."""

    object_list: list
    start_index: int  # 1-based position of the first row (0 when empty)
    has_next: bool
    has_previous: bool
    next_url: str = ""
    previous_url: str = ""
    first_url: str = ""
    count: BoundedCount | None = None
    per_page: int = 25
    extra: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def end_index(self) -> int:
        return self.start_index + len(self.object_list) - 1 if self.object_list else 0

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def is_first(self) -> bool:
        return not self.has_previous


def _values_of(row, n: int) -> list[Any]:
    return [getattr(row, f"keyset_{i}") for i in range(n)]


def keyset_page(
    queryset: QuerySet,
    token: str | None,
    *,
    per_page: int = 25,
    url=None,
    count: bool | int = False,
) -> KeysetPage:
    """The page of `queryset` (ordered as it is) that `token` points to; the first page when
    the token is missing or not valid. `url(token_or_None)` builds a link to another page;
    `count` adds a bounded count (True: the default bound, an int: that bound)."""
    keys = keys_of(queryset)
    cursor = read_cursor(keys, token)
    vendor = connections[queryset.db].vendor
    annotated = queryset.annotate(**{f"keyset_{i}": F(k.name) for i, k in enumerate(keys)})
    if cursor is None:
        rows = list(annotated.order_by(*[k.order() for k in keys])[: per_page + 1])
        has_next, has_previous = len(rows) > per_page, False
        rows, offset = rows[:per_page], 0
    elif cursor.forward:
        after = _after(keys, cursor.values, vendor)
        rows = list(annotated.filter(after).order_by(*[k.order() for k in keys])[: per_page + 1])
        has_next, has_previous = len(rows) > per_page, True
        rows, offset = rows[:per_page], cursor.offset
    else:
        back = [k.reversed() for k in keys]
        before = _after(back, cursor.values, vendor)
        rows = list(annotated.filter(before).order_by(*[k.order() for k in back])[: per_page + 1])
        has_previous, has_next = len(rows) > per_page, True
        rows = list(reversed(rows[:per_page]))
        offset = max(cursor.offset - len(rows), 0) if has_previous else 0
    page = KeysetPage(
        object_list=rows,
        start_index=offset + 1 if rows else 0,
        has_next=has_next,
        has_previous=has_previous,
        per_page=per_page,
    )
    if url is not None:
        page.first_url = url(None)
        if has_next and rows:
            values = _values_of(rows[-1], len(keys))
            token = make_cursor(keys, values, forward=True, offset=offset + len(rows))
            page.next_url = url(token)
        if has_previous and rows:
            values = _values_of(rows[0], len(keys))
            page.previous_url = url(make_cursor(keys, values, forward=False, offset=offset))
    if count:
        page.count = count_at_most(queryset, None if count is True else int(count))
    return page


def cursor_for_offset(queryset: QuerySet, offset: int) -> str | None:
    """The cursor of the page starting at row `offset` (0-based) of `queryset`, read from the
    database in one query (the key values of the row just before it); None for the first
    page or past the end. For jumping deep into a list (the benchmark's page 500)."""
    if offset <= 0:
        return None
    keys = keys_of(queryset)
    names = {f"keyset_{i}": F(k.name) for i, k in enumerate(keys)}
    ordered = queryset.annotate(**names).order_by(*[k.order() for k in keys])
    row = ordered.values(*names)[offset - 1 : offset].first()
    if row is None:
        return None
    values = [row[f"keyset_{i}"] for i in range(len(keys))]
    return make_cursor(keys, values, forward=True, offset=offset)
