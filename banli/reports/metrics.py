"""The figures of a body's handling (统计口径), defined once (docs/domain.md §6).

Every page, document, export and the `banli report` command reads its numbers from here:
`figures(scope)` counts one scope in the database (a fixed number of aggregate queries,
whatever the number of items), `breakdown(scope, by)` the same figures per kind, category,
unit, proposer type, delegation, sector, session or key/not key, and `unit_table(scope)` the
per-unit table (assigned, replied, on time, classes, satisfaction).

A scope is a body and a year (the items of that year's sessions, plenary and between
sessions), optionally narrowed to one session, kind, category, lead unit, proposer type,
delegation or sector, or to key items; `as_of` counts the scope as it stood at the end of
that day: an item counts once accepted by then, a reply once signed by then, an evaluation
once made by then, and an item's class is the one its dated class rows (ResultClassChange)
gave it by then.

Definitions (the one place they are written; `RATES` prints them beside each figure):

- total 件数: accepted items in scope (立案/受理), the rejected and merged-away apart;
- completion 办结率 = closed / total;
- on time 按期答复率 = items replied whose every first-round lead reply was signed on or
  before its due date then in force (Reply.on_time) / items replied;
- resolution 解决率 = class A (the body's first class) / items with a class;
- contact 三见面率 = items replied with at least one contact with the proposer logged /
  items replied;
- satisfaction 满意率 = 满意 / evaluated; 满意和基本满意率 = (满意 + 基本满意) / evaluated,
  an item's evaluation being the result of its latest evaluation that counts in the figures;
- follow-up conversions: items whose class a follow-up round moved, by class before the
  first round's change and after the last (B→A, C→A, C→B).

Rates are unrounded fractions, None where the denominator is 0; `percent()` prints them to
one decimal place (77.2%) and "—" for None.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from banli.bodies.models import Body, Category, Session, Unit
from banli.core import clock
from banli.handling.models import (
    Assignment,
    AssignmentRole,
    ClassChangeSource,
    Contact,
    Evaluation,
    Reply,
    ResultClassChange,
)
from banli.handling.workflow import GONE_STATES, OPEN_LEAD_STATES
from banli.items.models import Item, Kind
from banli.items.workflow import PUBLISHABLE, ItemState
from banli.supervision.models import KeyItem

# The per-unit figures are `unit_table`: an item of several lead units counts for each.
BREAKDOWNS = ("kind", "category", "member_type", "delegation", "sector", "session", "key")
DUE_SOON_DAYS = 30
SATISFIED, BASIC, UNSATISFIED = "satisfied", "basically_satisfied", "unsatisfied"


@dataclass(frozen=True)
class Rate:
    """A rate as the report prints it: its name and its definition, stated once."""

    key: str
    label: Any
    definition: Any


RATES = [
    Rate(
        "completion",
        _("Completion rate"),
        _("Items closed as a share of all items accepted."),
    ),
    Rate(
        "on_time",
        _("On-time reply rate"),
        _(
            "Items replied whose every first-round reply was signed by its due date, as a "
            "share of the items replied."
        ),
    ),
    Rate(
        "resolution",
        _("Resolution rate"),
        _("Items of the first result class as a share of the items with a result class."),
    ),
    Rate(
        "contact",
        _("Contact rate"),
        _(
            "Items replied with at least one contact with the proposer logged, as a share of "
            "the items replied."
        ),
    ),
    Rate(
        "satisfaction",
        _("Satisfaction rate"),
        _("Items rated satisfied as a share of the items evaluated."),
    ),
    Rate(
        "satisfaction_incl_basic",
        _("Satisfied or basically satisfied"),
        _("Items rated satisfied or basically satisfied as a share of the items evaluated."),
    ),
]
RATE_KEYS = tuple(rate.key for rate in RATES)


@dataclass(frozen=True)
class Scope:
    """Which items to count (统计范围) and as of which day."""

    body_id: int
    year: int | None = None
    session_id: int | None = None
    kind: str = ""
    category_id: int | None = None
    unit_id: int | None = None
    member_type: str = ""
    delegation: str = ""
    sector: str = ""
    key_only: bool = False
    as_of: dt.date | None = None

    @property
    def today(self) -> dt.date:
        return self.as_of or clock.today()


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Figures:
    """The counts of one scope and the rates drawn from them."""

    total: int = 0
    rejected: int = 0
    merged: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_state: dict[str, int] = field(default_factory=dict)
    by_class: dict[str, int] = field(default_factory=dict)
    classified: int = 0
    assigned: int = 0
    replied: int = 0
    on_time: int = 0
    contacted: int = 0
    closed: int = 0
    evaluated: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0
    key_items: int = 0
    cross_year: int = 0
    followup: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    due_soon: int = 0

    @property
    def rates(self) -> dict[str, float | None]:
        first = next(iter(self.by_class), None)
        return {
            "completion": ratio(self.closed, self.total),
            "on_time": ratio(self.on_time, self.replied),
            "resolution": ratio(self.by_class.get(first, 0), self.classified) if first else None,
            "contact": ratio(self.contacted, self.replied),
            "satisfaction": ratio(self.satisfied, self.evaluated),
            "satisfaction_incl_basic": ratio(
                self.satisfied + self.basically_satisfied, self.evaluated
            ),
        }

    def share(self, cls: str) -> float | None:
        """A class's share of the items with a class (占比)."""
        return ratio(self.by_class.get(cls, 0), self.classified)

    @property
    def late(self) -> int:
        return self.replied - self.on_time


def percent(rate: float | None) -> str:
    """77.2% (one decimal, halves up as an office rounds), or — where nothing was counted."""
    if rate is None:
        return "—"
    value = (Decimal(str(rate)) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value}%"


def classes_of(body: Body) -> list[str]:
    """The body's result classes, best first (A = solved or basically solved)."""
    return list(body.rules.result_classes)


def years_of(body: Body) -> list[int]:
    """The years the body has sessions of, newest first."""
    years = Session.objects.filter(term__body=body).values_list("year", flat=True).distinct()
    return sorted(set(years), reverse=True)


def scope_for(body: Body, year: int | None, session=None, as_of=None, **narrow) -> Scope:
    session_id = getattr(session, "pk", session)
    return Scope(body_id=body.pk, year=year, session_id=session_id, as_of=as_of, **narrow)


# --- the items of a scope ---------------------------------------------------------------


def items_in(scope: Scope) -> QuerySet:
    """Every item of the scope whatever its state: the counts below split them."""
    found = Item.objects.filter(body_id=scope.body_id)
    if scope.session_id:
        found = found.filter(session_id=scope.session_id)
    elif scope.year:
        found = found.filter(session__year=scope.year)
    if scope.kind:
        found = found.filter(kind=scope.kind)
    if scope.category_id:
        found = found.filter(category_id=scope.category_id)
    if scope.member_type:
        found = found.filter(proposer__member_type=scope.member_type)
    if scope.delegation:
        found = found.filter(proposer__delegation=scope.delegation)
    if scope.sector:
        found = found.filter(proposer__sector=scope.sector)
    if scope.key_only:
        found = found.filter(key_item__isnull=False)
    if scope.unit_id:
        found = found.filter(
            pk__in=_lead_assignments().filter(unit_id=scope.unit_id).values("item_id")
        )
    return found


def _lead_assignments() -> QuerySet:
    return Assignment.objects.filter(role=AssignmentRole.LEAD).exclude(state__in=GONE_STATES)


def accepted_condition(scope: Scope) -> Q:
    """Accepted (立案/受理) by the scope's day, merged-away and rejected items apart."""
    condition = Q(state__in=PUBLISHABLE)
    if scope.as_of:
        condition &= Q(accepted_on__lte=scope.as_of)
    return condition


def _by(scope: Scope, column: str) -> Q:
    """`column` (a date) filled, and by the scope's day."""
    if scope.as_of:
        return Q(**{f"{column}__lte": scope.as_of})
    return Q(**{f"{column}__isnull": False})


def class_expression(scope: Scope):
    """The item's result class on the scope's day: its own column today, else the last of
    its dated class rows by then (docs/domain.md §6.4)."""
    if scope.as_of is None:
        return Coalesce("result_class", Value(""))
    rows = ResultClassChange.objects.filter(
        item_id=OuterRef("pk"), changed_on__lte=scope.as_of
    ).order_by("-changed_on", "-id")
    return Coalesce(Subquery(rows.values("to_class")[:1]), Value(""))


def evaluation_expression(scope: Scope, *, item_ref: str = "pk", reply_ref: str | None = None):
    """The result of the item's latest evaluation that counts in the figures (by the day);
    for a unit (`reply_ref`), the one rating its reply or the whole item."""
    rows = Evaluation.objects.filter(item_id=OuterRef(item_ref), counts=True)
    if reply_ref:
        rows = rows.filter(Q(reply__isnull=True) | Q(reply__assignment_id=OuterRef(reply_ref)))
    if scope.as_of:
        rows = rows.filter(evaluated_at__date__lte=scope.as_of)
    return Coalesce(Subquery(rows.order_by("-evaluated_at", "-id").values("result")[:1]), Value(""))


def _late_reply(scope: Scope):
    replies = Reply.objects.filter(
        assignment__item_id=OuterRef("pk"),
        assignment__role=AssignmentRole.LEAD,
        round=1,
        on_time=False,
    )
    if scope.as_of:
        replies = replies.filter(replied_on__lte=scope.as_of)
    return Exists(replies)


def _contact(scope: Scope):
    contacts = Contact.objects.filter(assignment__item_id=OuterRef("pk"))
    if scope.as_of:
        contacts = contacts.filter(contacted_on__lte=scope.as_of)
    return Exists(contacts)


# --- figures ------------------------------------------------------------------------------


def figures(scope: Scope) -> Figures:
    """Every figure of the scope, in five queries whatever the number of items."""
    body = Body.objects.select_related("rule_set").get(pk=scope.body_id)
    found = items_in(scope)
    accepted = accepted_condition(scope)
    today = scope.today
    counts = found.annotate(late=_late_reply(scope), met=_contact(scope)).aggregate(
        total=Count("pk", filter=accepted),
        rejected=Count("pk", filter=Q(state=ItemState.REJECTED)),
        merged=Count("pk", filter=Q(state=ItemState.MERGED)),
        assigned=Count("pk", filter=accepted & _by(scope, "assigned_on")),
        replied=Count("pk", filter=accepted & _by(scope, "replied_on")),
        on_time=Count("pk", filter=accepted & _by(scope, "replied_on") & Q(late=False)),
        contacted=Count("pk", filter=accepted & _by(scope, "replied_on") & Q(met=True)),
        closed=Count("pk", filter=accepted & _by(scope, "closed_on")),
        key_items=Count("pk", filter=accepted & Q(key_item__isnull=False)),
        cross_year=Count("pk", filter=accepted & Q(is_cross_year=True)),
        overdue=Count("pk", filter=accepted & Q(next_due_on__lt=today)),
        due_soon=Count(
            "pk",
            filter=accepted
            & Q(next_due_on__gte=today, next_due_on__lte=today + dt.timedelta(days=DUE_SOON_DAYS)),
        ),
    )
    result = Figures(**counts)
    grouped = (
        found.filter(accepted)
        .annotate(cls=class_expression(scope), rated=evaluation_expression(scope))
        .values("kind", "category_id", "state", "cls", "rated")
        .annotate(n=Count("pk"))
        .order_by()
    )
    classes = classes_of(body)
    result.by_kind = {kind: 0 for kind in Kind.values}
    result.by_class = {cls: 0 for cls in classes}
    by_category: dict[int | None, int] = defaultdict(int)
    by_state: dict[str, int] = defaultdict(int)
    for row in grouped:
        n = row["n"]
        result.by_kind[row["kind"]] = result.by_kind.get(row["kind"], 0) + n
        by_category[row["category_id"]] += n
        by_state[row["state"]] += n
        _count_class_and_rating(result, row["cls"], row["rated"], n)
    result.by_state = dict(by_state)
    result.by_category = _category_names(body, by_category)
    result.followup = followup_conversions(scope, classes)
    return result


def _count_class_and_rating(result: Figures, cls: str, rated: str, n: int) -> None:
    if cls:
        result.by_class[cls] = result.by_class.get(cls, 0) + n
        result.classified += n
    if rated:
        result.evaluated += n
        if rated == SATISFIED:
            result.satisfied += n
        elif rated == BASIC:
            result.basically_satisfied += n
        elif rated == UNSATISFIED:
            result.dissatisfied += n


def _category_names(body: Body, counts: dict[int | None, int]) -> dict[str, int]:
    """{name: count} in the body's order of categories, every category listed (0 too); the
    items without a category last, under 未分类."""
    named = {
        category.name: counts.get(category.pk, 0)
        for category in Category.objects.filter(body=body).order_by("order", "pk")
    }
    if counts.get(None):
        named[str(_("Uncategorised"))] = counts[None]
    return named


def followup_conversions(scope: Scope, classes: list[str]) -> dict[str, int]:
    """Items whose class a follow-up round (回头看) moved up: by the class before its first
    follow-up change and the class after its last, by the scope's day."""
    rows = ResultClassChange.objects.filter(
        item_id=OuterRef("pk"), source=ClassChangeSource.FOLLOW_UP
    )
    if scope.as_of:
        rows = rows.filter(changed_on__lte=scope.as_of)
    first = rows.order_by("changed_on", "id").values("from_class")[:1]
    last = rows.order_by("-changed_on", "-id").values("to_class")[:1]
    grouped = (
        items_in(scope)
        .filter(accepted_condition(scope))
        .annotate(start=Subquery(first), end=Subquery(last))
        .filter(start__isnull=False)
        .values("start", "end")
        .annotate(n=Count("pk"))
        .order_by()
    )
    conversions = {
        f"{low}_to_{high}": 0 for i, high in enumerate(classes) for low in classes[i + 1 :]
    }
    for row in grouped:
        key = f"{row['start']}_to_{row['end']}"
        if key in conversions:
            conversions[key] += row["n"]
    return conversions


# --- breakdowns ---------------------------------------------------------------------------


@dataclass
class Row:
    key: Any
    label: str
    figures: Figures


_BREAKDOWN_COLUMNS = {
    "kind": "kind",
    "category": "category_id",
    "member_type": "proposer__member_type",
    "delegation": "proposer__delegation",
    "sector": "proposer__sector",
    "session": "session_id",
    "key": "is_key",
}


def breakdown(scope: Scope, by: str) -> list[Row]:
    """The scope's figures per kind, category, proposer type, delegation, sector, session or
    key/not key, in one query: totals, closed, replied, on time, classes and evaluations."""
    if by not in _BREAKDOWN_COLUMNS:
        raise ValueError(by)
    column = _BREAKDOWN_COLUMNS[by]
    found = items_in(scope).filter(accepted_condition(scope))
    if by == "key":
        found = found.annotate(is_key=Exists(KeyItem.objects.filter(item_id=OuterRef("pk"))))
    grouped = (
        found.annotate(
            cls=class_expression(scope), rated=evaluation_expression(scope), late=_late_reply(scope)
        )
        .values(column, "cls", "rated")
        .annotate(
            n=Count("pk"),
            closed=Count("pk", filter=_by(scope, "closed_on")),
            replied=Count("pk", filter=_by(scope, "replied_on")),
            on_time=Count("pk", filter=_by(scope, "replied_on") & Q(late=False)),
        )
        .order_by()
    )
    body = Body.objects.select_related("rule_set").get(pk=scope.body_id)
    classes = classes_of(body)
    rows: dict[Any, Figures] = {}
    for entry in grouped:
        result = rows.setdefault(entry[column], Figures(by_class={c: 0 for c in classes}))
        result.total += entry["n"]
        result.closed += entry["closed"]
        result.replied += entry["replied"]
        result.on_time += entry["on_time"]
        _count_class_and_rating(result, entry["cls"], entry["rated"], entry["n"])
    labels = _labels(by, body, rows)
    ordered = sorted(rows.items(), key=lambda pair: labels[pair[0]][0])
    return [Row(key=key, label=labels[key][1], figures=value) for key, value in ordered]


def _labels(by: str, body: Body, rows: dict) -> dict[Any, tuple[Any, str]]:
    """{key: (sort key, label)} for the groups of a breakdown."""
    keys = list(rows)
    if by == "kind":
        order = list(Kind.values)
        return {k: (order.index(k), str(Kind(k).label)) for k in keys}
    if by == "category":
        found = {c.pk: c for c in Category.objects.filter(pk__in=[k for k in keys if k])}
        none = (10**6, str(_("Uncategorised")))
        return {k: ((found[k].order, k), found[k].name) if k in found else none for k in keys}
    if by == "session":
        found = {s.pk: s for s in Session.objects.filter(pk__in=keys)}
        return {k: ((found[k].year, found[k].number, k), found[k].name) for k in keys}
    if by == "key":
        return {k: (not k, str(_("Key items") if k else _("Other items"))) for k in keys}
    if by == "member_type":
        from banli.bodies.models import MemberType

        return {k: (k, str(MemberType(k).label) if k in MemberType.values else k) for k in keys}
    unknown = str(_("Not given"))
    return {k: ((not k, k or ""), k or unknown) for k in keys}


# --- the per-unit table -------------------------------------------------------------------


@dataclass
class UnitRow:
    """One lead unit's line of the table (承办单位办理情况)."""

    unit_id: int
    name: str
    assigned: int = 0
    replied: int = 0
    on_time: int = 0
    by_class: dict[str, int] = field(default_factory=dict)
    evaluated: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0
    overdue: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return ratio(self.on_time, self.replied)

    @property
    def satisfaction_rate(self) -> float | None:
        return ratio(self.satisfied, self.evaluated)

    @property
    def satisfaction_incl_basic_rate(self) -> float | None:
        return ratio(self.satisfied + self.basically_satisfied, self.evaluated)


def unit_table(scope: Scope) -> list[UnitRow]:
    """Per lead unit (主办/分办) of the scope's items: its assignments, its first-round
    replies and whether on time, its reply's class, the proposers' rating of it, and its
    open assignments past their due date; one query, ordered as the office lists units."""
    body = Body.objects.select_related("rule_set").get(pk=scope.body_id)
    items = items_in(scope).filter(accepted_condition(scope))
    replies = Reply.objects.filter(assignment_id=OuterRef("pk"), round=1, signed_at__isnull=False)
    if scope.as_of:
        replies = replies.filter(replied_on__lte=scope.as_of)
    latest = Reply.objects.filter(assignment_id=OuterRef("pk"), signed_at__isnull=False)
    if scope.as_of:
        latest = latest.filter(replied_on__lte=scope.as_of)
    grouped = (
        _lead_assignments()
        .filter(body_id=scope.body_id, item_id__in=items.values("pk"))
        .annotate(
            answered=Exists(replies),
            timely=Exists(replies.filter(on_time=True)),
            cls=Coalesce(
                Subquery(latest.order_by("-round", "-id").values("result_class")[:1]), Value("")
            ),
            rated=evaluation_expression(scope, item_ref="item_id", reply_ref="pk"),
        )
        .values("unit_id", "cls", "rated")
        .annotate(
            n=Count("pk"),
            replied=Count("pk", filter=Q(answered=True)),
            on_time=Count("pk", filter=Q(timely=True)),
            overdue=Count(
                "pk", filter=Q(state__in=OPEN_LEAD_STATES, due_on__lt=scope.today, answered=False)
            ),
        )
        .order_by()
    )
    classes = classes_of(body)
    rows: dict[int, UnitRow] = {}
    for entry in grouped:
        row = rows.setdefault(
            entry["unit_id"], UnitRow(entry["unit_id"], "", by_class={c: 0 for c in classes})
        )
        n = entry["n"]
        row.assigned += n
        row.replied += entry["replied"]
        row.on_time += entry["on_time"]
        row.overdue += entry["overdue"]
        if entry["cls"]:
            row.by_class[entry["cls"]] = row.by_class.get(entry["cls"], 0) + n
        rated = entry["rated"]
        if rated:
            row.evaluated += n
            row.satisfied += n if rated == SATISFIED else 0
            row.basically_satisfied += n if rated == BASIC else 0
            row.dissatisfied += n if rated == UNSATISFIED else 0
    units = Unit.objects.filter(pk__in=rows).order_by("sort_key", "pk")
    for unit in units:
        rows[unit.pk].name = unit.name
    return [rows[unit.pk] for unit in units]


# --- the JSON contract --------------------------------------------------------------------

JSON_VERSION = 1


def as_json(scope: Scope) -> dict[str, Any]:
    """The stable contract of `banli report --format json` (docs/reports.md): counts as
    integers, rates as unrounded fractions, null where the denominator is 0."""
    body = Body.objects.get(pk=scope.body_id)
    found = figures(scope)
    session = Session.objects.filter(pk=scope.session_id).first() if scope.session_id else None
    return {
        "version": JSON_VERSION,
        "body": body.code,
        "year": scope.year,
        "session": session.name if session else None,
        "as_of": scope.as_of.isoformat() if scope.as_of else None,
        "total": found.total,
        "rejected": found.rejected,
        "merged": found.merged,
        "by_kind": {kind: found.by_kind.get(kind, 0) for kind in Kind.values},
        "by_category": found.by_category,
        "by_class": found.by_class,
        "classified": found.classified,
        "assigned": found.assigned,
        "replied": found.replied,
        "on_time": found.on_time,
        "contacted": found.contacted,
        "closed": found.closed,
        "evaluated": found.evaluated,
        "satisfied": found.satisfied,
        "basically_satisfied": found.basically_satisfied,
        "dissatisfied": found.dissatisfied,
        "key_items": found.key_items,
        "cross_year": found.cross_year,
        "followup": found.followup,
        "rates": found.rates,
    }
