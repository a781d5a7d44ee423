"""Use cases of the follow-up (回头看) and the cross-year items (跨年度): opening a round,
the units' progress reports, the class changes staff confirm, closing the round, and the
rule that marks an item cross-year (docs/domain.md §6.4, §6.5, §8.4).

A class changes only through `handling.services.record_class_change` (source follow-up,
linked to the round by `round_ref`), with the item's row locked first, as handling locks
it; the round item's row is locked after the item's."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from banli.bodies.access import membership_in
from banli.bodies.models import UNIT_ROLES, Body
from banli.core import clock
from banli.core.actors import Actor, user_of
from banli.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from banli.core.history import record
from banli.core.workflow import register_label
from banli.handling import services as handling
from banli.handling.models import (
    Assignment,
    AssignmentRole,
    ClassChangeSource,
    Reply,
    ResultClassChange,
)
from banli.handling.workflow import GONE_STATES
from banli.items.models import Item
from banli.items.permissions import item_roles
from banli.items.workflow import ItemState

from . import notices
from .models import FollowUpRound, ProgressReport, RoundItem, RoundState

STAFF = "staff"
RULE_ACTOR = "cross-year rule"

# How the history entries of a round read on a timeline.
register_label("followup.open", gettext_lazy("opened a follow-up round"))
register_label("followup.report", gettext_lazy("reported progress in a follow-up round"))
register_label("followup.confirm_class", gettext_lazy("changed the class in a follow-up round"))
register_label("followup.close", gettext_lazy("closed a follow-up round"))


def _staff_in(by, body_id: int) -> None:
    membership = membership_in(user_of(by), body_id)
    if membership is None or STAFF not in membership.roles:
        raise NotAllowed(_("Only the body's staff run a follow-up round."))


def _required(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(message)
    return text


def lower_classes(body: Body) -> list[str]:
    """The classes a round reviews: every class after the first (B and C of A/B/C)."""
    return list(body.rules.result_classes[1:])


def _rank(body: Body):
    order = body.rules.result_classes
    return lambda code: order.index(code) if code in order else len(order)


# 跨年度 -----------------------------------------------------------------------------------


def _rule_matches(body: Body, today: dt.date) -> QuerySet:
    """Items of the planned-date class (B) whose current lead unit's signed reply plans
    completion after 31 December of the item's year, not yet marked: their handling goes
    on beyond their year (docs/domain.md §6.5)."""
    planned = body.rules.planned_class
    beyond = Reply.objects.filter(
        assignment__item=OuterRef("pk"),
        assignment__role=AssignmentRole.LEAD,
        signed_at__isnull=False,
        replied_on__lte=today,
        result_class=planned,
        planned_on__year__gt=OuterRef("session__year"),
    ).exclude(assignment__state__in=GONE_STATES)
    return (
        Item.objects.for_body(body)
        .filter(is_cross_year=False, result_class=planned)
        .filter(state__in=handling.REPLIED_STATES)
        .filter(Exists(beyond))
    )


def apply_cross_year_rule(body: Body, *, today: dt.date | None = None) -> int:
    """Mark by rule, as the system, every item of `body` whose planned completion lies past
    its year's end (replies signed up to `today`); returns how many were marked. Run when
    a round opens and daily; a second run marks nothing (the marked are not matched)."""
    today = today or clock.today()
    marked = 0
    for item in _rule_matches(body, today).select_related("session").order_by("id"):
        reason = _("Planned for completion after the end of %(year)s.") % {
            "year": item.session.year
        }
        # Each item in its own transaction (mark_cross_year's): a refusal of one (it changed
        # meanwhile) leaves the others marked.
        try:
            handling.mark_cross_year(item, by=Actor.system(RULE_ACTOR), reason=reason)
        except InvalidTransition:
            continue
        marked += 1
    return marked


def apply_cross_year_rules(*, today: dt.date | None = None) -> int:
    """The daily run of the cross-year rule over every body; returns how many were marked."""
    return sum(
        apply_cross_year_rule(body, today=today) for body in Body.objects.order_by("id").iterator()
    )


# 回头看 -----------------------------------------------------------------------------------


def _in_open_rounds(body: Body) -> QuerySet:
    return RoundItem.objects.filter(round__body=body, round__state=RoundState.OPEN).values(
        "item_id"
    )


def candidates(body: Body, year: int, *, with_rule: bool = False) -> QuerySet:
    """The items a round of `year` takes: the closed items of that year of a class below
    the first, and earlier years' cross-year items still below it, none in another open
    round. Closed only (§6.5): an item still in its evaluation window may go back to its
    units, whose next reply sets the class itself. `with_rule` also counts the earlier
    items the cross-year rule would mark when the round opens (the preview)."""
    earlier = Q(is_cross_year=True)
    if with_rule:
        earlier |= Q(pk__in=_rule_matches(body, clock.today()).values("pk"))
    return (
        Item.objects.for_body(body)
        .filter(state=ItemState.CLOSED, result_class__in=lower_classes(body))
        .filter(Q(session__year=year) | (Q(session__year__lt=year) & earlier))
        .exclude(pk__in=_in_open_rounds(body))
    )


def _lead_units(item_ids) -> QuerySet:
    return Assignment.objects.filter(item_id__in=item_ids, role=AssignmentRole.LEAD).exclude(
        state__in=GONE_STATES
    )


@transaction.atomic
def open_round(body: Body, *, year: int, by, title: str, due_on: dt.date) -> FollowUpRound:
    """Staff open a follow-up round (回头看) of `year`; each lead unit hears once of its items."""
    # The body's row serialises the openings of its rounds: two at once never take an item
    # twice (each reads the other's items as in an open round).
    body = Body.objects.select_for_update().get(pk=body.pk)
    _staff_in(by, body.pk)
    title = _required(title, _("Give the round a title."))
    today = clock.today()
    if not isinstance(year, int) or year < 1949 or year >= today.year + 1:
        raise ValidationFailed(_("Choose a year that has begun."))
    if due_on is None or due_on < today:
        raise ValidationFailed(_("The units' reports cannot be due before today."))
    apply_cross_year_rule(body, today=today)
    chosen = list(
        candidates(body, year)
        .order_by("session__year", "number", "id")
        .values_list("pk", "result_class")
    )
    if not chosen:
        raise ValidationFailed(
            _("No item of %(year)s (or earlier cross-year item) waits for a follow-up.")
            % {"year": year}
        )
    round_ = FollowUpRound.objects.create(
        body=body,
        year=year,
        title=title[:200],
        opened_on=today,
        opened_by=user_of(by),
        due_on=due_on,
    )
    RoundItem.objects.bulk_create(
        RoundItem(round=round_, item_id=pk, class_at_opening=cls) for pk, cls in chosen
    )
    counts: dict[int, int] = {}
    names: dict[int, str] = {}
    taken = RoundItem.objects.filter(round=round_).values("item_id")
    rows = _lead_units(taken).values_list("unit_id", "unit__name", "item_id")
    for unit_id, name, _item in rows.distinct():
        counts[unit_id] = counts.get(unit_id, 0) + 1
        names[unit_id] = name
    record(
        round_,
        "followup.open",
        by=by,
        after=round_.state,
        data={
            "year": year,
            "title": round_.title,
            "items": len(chosen),
            "due_on": due_on.isoformat(),
            "units": len(counts),
        },
    )
    notices.opened(round_, counts, names, by=by)
    return round_


def _lock_entry(entry: RoundItem) -> tuple[Item, RoundItem]:
    """Lock the item's row, then the round item's (handling's order: the item first)."""
    item = Item.objects.select_for_update().get(pk=entry.item_id)
    fresh = (
        RoundItem.objects.select_for_update()
        .select_related("round", "round__body")
        .get(pk=entry.pk)
    )
    fresh.item = item
    return item, fresh


def _still_open(entry: RoundItem) -> None:
    if not entry.round.is_open:
        raise InvalidTransition(_("The follow-up round is closed."))
    if entry.is_confirmed:
        raise InvalidTransition(_("The staff already confirmed this item's class in this round."))


def reporting_unit(by, entry: RoundItem) -> int | None:
    """The user's unit when it is a current lead unit of the item (and the user acts for it)."""
    membership = membership_in(user_of(by), entry.round.body_id)
    if membership is None or not membership.unit_id or not set(membership.roles) & UNIT_ROLES:
        return None
    holds = _lead_units([entry.item_id]).filter(unit_id=membership.unit_id).exists()
    return membership.unit_id if holds else None


@transaction.atomic
def report_progress(entry: RoundItem, *, by, text: str, proposed_class: str = "") -> ProgressReport:
    """A lead unit reports an item's progress (进展情况), proposing a class if it likes."""
    item, entry = _lock_entry(entry)
    unit_id = reporting_unit(by, entry)
    if unit_id is None:
        raise NotAllowed(_("Only the item's lead unit reports its progress."))
    _still_open(entry)
    text = _required(text, _("Say how the item has progressed."))
    proposed_class = (proposed_class or "").strip()
    classes = entry.round.body.rules.result_classes
    if proposed_class and proposed_class not in classes:
        raise ValidationFailed(
            _("Choose one of the result classes: %(classes)s.") % {"classes": ", ".join(classes)}
        )
    now = clock.now()
    report = ProgressReport.objects.create(
        entry=entry,
        unit_id=unit_id,
        text=text,
        proposed_class=proposed_class,
        reported_on=clock.today(),
        reported_at=now,
        by=user_of(by),
    )
    record(
        report,
        "followup.report",
        by=by,
        data={"round": entry.round_id, "unit": report.unit.name, "proposed_class": proposed_class},
        root=item,
    )
    notices.reported(entry, report, by=by)
    return report


@transaction.atomic
def confirm_class(
    entry: RoundItem, *, by, to_class: str, reason: str, on: dt.date | None = None
) -> ResultClassChange:
    """Staff confirm an item's better class in a round (B→A, C→B, C→A), with a reason and
    the date it holds from. Only upwards: a round records progress, as the seeds and §6.5
    count it; a class wrongly given is corrected on the item (a correction, its own
    source), so a round's figures stay conversions."""
    item, entry = _lock_entry(entry)
    if STAFF not in item_roles(by, item):
        raise NotAllowed(_("Only the body's staff confirm a class in a follow-up round."))
    _still_open(entry)
    reason = _required(reason, _("Please give a reason."))
    body = entry.round.body
    classes = body.rules.result_classes
    if to_class not in classes:
        raise ValidationFailed(
            _("Choose one of the result classes: %(classes)s.") % {"classes": ", ".join(classes)}
        )
    if to_class == item.result_class:
        raise ValidationFailed(_("The item already has class %(cls)s.") % {"cls": to_class})
    rank = _rank(body)
    if rank(to_class) > rank(item.result_class):
        raise ValidationFailed(
            _(
                "A follow-up round records progress: choose a class better than %(cls)s. "
                "A class given wrongly is corrected on the item's page."
            )
            % {"cls": item.result_class}
        )
    today = clock.today()
    on = on or today
    if on > today or on < entry.round.opened_on:
        raise ValidationFailed(
            _("The date must lie between the round's opening (%(opened)s) and today.")
            % {"opened": entry.round.opened_on.isoformat()}
        )
    before = item.result_class
    change = handling.record_class_change(
        item,
        to_class=to_class,
        by=by,
        source=ClassChangeSource.FOLLOW_UP,
        reason=reason,
        round_ref=entry.round.ref,
        on=on,
    )
    assert change is not None  # the same class was refused above
    entry.class_confirmed, entry.confirmed_on = to_class, on
    entry.confirmed_by, entry.change = user_of(by), change
    entry.save(update_fields=["class_confirmed", "confirmed_on", "confirmed_by", "change"])
    record(
        entry,
        "followup.confirm_class",
        by=by,
        before=before,
        after=to_class,
        reason=reason,
        data={"round": entry.round_id, "from": before, "to": to_class, "on": on.isoformat()},
        root=item,
    )
    reporters = list(entry.reports.exclude(by=None).values_list("by_id", flat=True).distinct())
    notices.confirmed(entry, change, by=by, reporters=reporters)
    return change


@transaction.atomic
def close_round(round_: FollowUpRound, *, by) -> FollowUpRound:
    """Staff close a round; items left unconfirmed keep their class."""
    fresh = FollowUpRound.objects.select_for_update().get(pk=round_.pk)
    _staff_in(by, fresh.body_id)
    if not fresh.is_open:
        raise InvalidTransition(_("The follow-up round is already closed."))
    fresh.state, fresh.closed_on = RoundState.CLOSED, clock.today()
    fresh.save(update_fields=["state", "closed_on"])
    counts = fresh.entries.aggregate(
        items=Count("pk"), confirmed=Count("pk", filter=~Q(class_confirmed=""))
    )
    record(
        fresh, "followup.close", by=by, before=str(RoundState.OPEN), after=fresh.state, data=counts
    )
    round_.state, round_.closed_on = fresh.state, fresh.closed_on
    return fresh


# The summary (§8.4) --------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassRow:
    """The items that entered the round in one class, and how many became each better one."""

    start: str
    count: int
    conversions: list[tuple[str, int]] = field(default_factory=list)

    @property
    def converted(self) -> int:
        return sum(n for _cls, n in self.conversions)


@dataclass(frozen=True)
class RoundSummary:
    year: int
    rows: list[ClassRow]

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)

    @property
    def sentence(self) -> str:
        """The seeds' sentence: 2023年16件B类件中，有9件转化为A类件；7件C类件中，有1件转化为
        A类件、1件转化为B类件。"""
        clauses = []
        for index, row in enumerate(row for row in self.rows if row.count):
            parts = []
            for n, (cls, count) in enumerate((c, k) for c, k in row.conversions if k):
                # The first conversion of a clause reads 有…件 in Chinese, the others not:
                # two literal contexts, so that makemessages finds both.
                if n == 0:
                    said_one = pgettext("first conversion", "%(count)s became class %(cls)s")
                else:
                    said_one = pgettext("further conversion", "%(count)s became class %(cls)s")
                parts.append(said_one % {"count": count, "cls": cls})
            said = (
                pgettext("follow-up conversions", " and ").join(parts)
                if parts
                else _("none has changed class yet")
            )
            if index == 0:
                head = ngettext(
                    "Of the %(count)s class %(cls)s item of %(year)s, %(conversions)s",
                    "Of the %(count)s class %(cls)s items of %(year)s, %(conversions)s",
                    row.count,
                )
            else:
                head = ngettext(
                    "of the %(count)s class %(cls)s item, %(conversions)s",
                    "of the %(count)s class %(cls)s items, %(conversions)s",
                    row.count,
                )
            clauses.append(
                head
                % {"count": row.count, "cls": row.start, "year": self.year, "conversions": said}
            )
        if not clauses:
            return ""
        return pgettext("follow-up summary", "%(clauses)s.") % {
            "clauses": pgettext("follow-up clauses", "; ").join(clauses)
        }


def summary(round_: FollowUpRound) -> RoundSummary:
    """Per class at opening: the items and how many became each better class, counted in
    the database from this round's class-change rows (the last one of each item)."""
    latest = ResultClassChange.objects.filter(
        item_id=OuterRef("item_id"), round_ref=round_.ref
    ).order_by("-changed_on", "-id")
    grouped = (
        RoundItem.objects.filter(round=round_)
        .annotate(became=Subquery(latest.values("to_class")[:1]))
        .values("class_at_opening", "became")
        .annotate(n=Count("pk"))
        .order_by()
    )
    classes = round_.body.rules.result_classes
    rank = _rank(round_.body)
    counts: dict[str, int] = {}
    moves: dict[str, dict[str, int]] = {}
    for row in grouped:
        start, became, n = row["class_at_opening"], row["became"], row["n"]
        counts[start] = counts.get(start, 0) + n
        if became and rank(became) < rank(start):
            moves.setdefault(start, {})[became] = moves.get(start, {}).get(became, 0) + n
    rows = [
        ClassRow(
            start=start,
            count=counts[start],
            conversions=[
                (cls, moves.get(start, {}).get(cls, 0))
                for cls in classes
                if rank(cls) < rank(start)
            ],
        )
        for start in sorted(counts, key=rank)
    ]
    return RoundSummary(year=round_.year, rows=rows)


def unit_entries(body_id: int, unit_id: int) -> QuerySet:
    """The round entries of the body's items the unit currently leads (its follow-up page,
    its start page)."""
    held = Assignment.objects.filter(unit_id=unit_id, role=AssignmentRole.LEAD).exclude(
        state__in=GONE_STATES
    )
    return RoundItem.objects.filter(round__body_id=body_id, item_id__in=held.values("item_id"))
