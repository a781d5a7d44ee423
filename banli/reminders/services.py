"""Reminders and escalation (提醒、催告): a body's settings of the rules (`change_rule`) and the
deadline scan (`scan`, `scan_all`) that tells each person once what falls due.

How a scan stays cheap at 100,000 items. Each rule reads one indexed range of one table (a
body's open lead assignments by due date, its replied items by evaluation deadline, the
few unsigned drafts…), one range per step (30, 7 or 1 days before), and leaves out in the
same query, through the unique key of `ReminderSent`, what was already sent for that
record, date and step. What the query returns is what is sent now; a second scan the same
day reads empty ranges.

How a reminder is sent once. Each reminder is its own small transaction: the
`ReminderSent` row, the notices (and through them the outbox of e-mail and SMS) and the
item's history entry. A second worker sending the same reminder at the same moment fails
on the unique constraint (on PostgreSQL it waits for the first to commit) and skips it.

The history. Each reminder is one entry in its item's timeline, the system's step (系统提醒):
an item gets about ten in its life (three before its reply is due, one per missed date…),
which the timeline's twenty newest hold, and "was the unit reminded before the deadline?"
is the question a supervisor asks of the case file."""

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from banli.bodies.access import body_roles
from banli.bodies.models import Body, Role
from banli.core import clock
from banli.core.actors import Actor, user_of
from banli.core.calendar import add_working_days
from banli.core.errors import NotAllowed, ValidationFailed
from banli.core.history import record
from banli.core.sql import literal_condition
from banli.handling.models import Assignment, AssignmentRole, Evaluation, Reply, ResultClassChange
from banli.handling.workflow import GONE_STATES, OPEN_LEAD_STATES, WORKING, AssignmentState
from banli.items.models import CoSigner, Item
from banli.items.workflow import ItemState
from banli.notices import recipients
from banli.notices.services import notify
from banli.supervision.notices import KEY_OVERDUE

from . import rules
from .models import ReminderRule, ReminderSent
from .notices import KINDS
from .rules import RULES, RuleKind, Timing

SYSTEM = Actor.system("reminders")
# Records read per query of a scan; the next query continues after what was sent.
CHUNK = 500
# A public reply older than this is the disclosure list's business, not a reminder's: a
# body that starts recording publication does not tell its staff of every old reply.
DISCLOSURE_LOOKBACK_DAYS = 180
# A passed deadline is reminded when it passes (逾期 is news once): a scan catches up on a
# month the worker was down, and a body that starts using the reminders does not tell its
# staff of every item overdue for years (the deadline board lists those).
PASSED_LOOKBACK_DAYS = 30
# A rule that sent this many reminders in one scan refreshes the log's statistics.
ANALYZE_AFTER = 1000
# At most this many steps per rule (30, 7 and 1 days before is the longest in use).
MAX_STEPS = 5

ASSIGNMENT, REPLY, ITEM = "handling.assignment", "handling.reply", "items.item"
LEAD, CO = str(AssignmentRole.LEAD), str(AssignmentRole.CO)
STAFF, COORDINATOR, LEADER = str(Role.STAFF), str(Role.UNIT_COORDINATOR), str(Role.UNIT_LEADER)


# A body's settings -------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSetting:
    """One rule as a body has it: its own row, or the defaults."""

    rule: RuleKind
    enabled: bool
    days: tuple[int, ...]
    row: ReminderRule | None = None

    @property
    def is_default(self) -> bool:
        return self.enabled and self.days == self.rule.default_days

    def as_data(self) -> dict:
        return {"enabled": self.enabled, "days": list(self.days)}


def _setting(rule: RuleKind, row: ReminderRule | None) -> RuleSetting:
    if row is None:
        return RuleSetting(rule, True, rule.default_days)
    days = tuple(row.days) if rule.has_days else ()
    return RuleSetting(rule, row.enabled, days, row)


def settings_of(body: Body) -> list[RuleSetting]:
    """Every rule as `body` has it, in the order of the code table (one query)."""
    rows = {row.code: row for row in ReminderRule.objects.filter(body=body)}
    return [_setting(rule, rows.get(code)) for code, rule in RULES.items()]


def clean_days(rule: RuleKind, days: Iterable[int]) -> tuple[int, ...]:
    """The steps of `rule` as they are kept: distinct, largest first, each within bounds."""
    if not rule.has_days:
        return ()
    try:
        values = sorted({int(day) for day in days}, reverse=True)
    except (TypeError, ValueError):
        raise ValidationFailed(_("Give the days as whole numbers.")) from None
    if not values:
        raise ValidationFailed(_("Give at least one day."))
    if len(values) > MAX_STEPS:
        raise ValidationFailed(_("Give at most %(count)d days.") % {"count": MAX_STEPS})
    if values[-1] < 1 or values[0] > rule.max_days:
        raise ValidationFailed(
            _("Each day must be between 1 and %(max)d.") % {"max": rule.max_days}
        )
    return tuple(values)


# The rules are the body's configuration, as its handling rules are: its administrator
# (机关管理员) changes them; the staff read them (every unit is chased by what they say).
RULE_EDITORS = frozenset({str(Role.BODY_ADMIN)})


def may_change_rules(user, body: Body) -> bool:
    return user is not None and bool(body_roles(user, body) & RULE_EDITORS)


@transaction.atomic
def change_rule(
    body: Body, code: str, *, by, enabled: bool, days: Iterable[int] = ()
) -> RuleSetting:
    """Turn a rule on or off for the body, or set its days; recorded with the old and new
    values. Setting the defaults again keeps the row (the history says who chose them)."""
    if not may_change_rules(user_of(by), body):
        raise NotAllowed(_("Only the body's administrator changes the reminder rules."))
    rule = rules.get(code)
    if rule is None:
        raise ValidationFailed(_("There is no such reminder rule."))
    kept = clean_days(rule, days) if enabled or days else ()
    # The body's row serialises two administrators saving the same rule.
    Body.objects.select_for_update().filter(pk=body.pk).first()
    row = ReminderRule.objects.select_for_update().filter(body=body, code=code).first()
    before = _setting(rule, row)
    if not enabled and not kept:
        kept = before.days
    after = RuleSetting(rule, enabled, kept if rule.has_days else ())
    if before.as_data() == after.as_data():
        return before
    if row is None:
        row = ReminderRule(body=body, code=code)
    row.enabled, row.days = after.enabled, list(after.days)
    row.changed_by, row.changed_at = user_of(by), clock.now()
    row.save()
    record(
        row,
        "reminders.rule_change",
        by=by,
        root=body,
        data={"rule": code, "from": before.as_data(), "to": after.as_data()},
    )
    return _setting(rule, row)


# The scan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """One step of a rule: the dates (inclusive; None: open-ended) its records fall on."""

    step: int
    first: dt.date | None
    last: dt.date


class _Calendar:
    """Working-day thresholds for one day's scan, each counted once for every body."""

    def __init__(self, today: dt.date) -> None:
        self.today = today
        self._ahead: dict[int, dt.date] = {}
        self._since: dict[int, dt.date] = {}

    def last_within(self, days: int) -> dt.date:
        """The last date at most `days` working days after today."""
        if days not in self._ahead:
            self._ahead[days] = add_working_days(self.today, days + 1) - dt.timedelta(days=1)
        return self._ahead[days]

    def latest_start(self, days: int) -> dt.date:
        """The latest day from which `days` working days have passed by today."""
        if days not in self._since:
            # add_working_days(start, days) grows with start: find the last start whose
            # count ends by today (a holiday week and weekends fit in 3 × days + 40).
            low, high = self.today - dt.timedelta(days=days * 3 + 40), self.today
            while low < high:
                middle = low + dt.timedelta(days=(high - low).days // 2 + 1)
                if add_working_days(middle, days) <= self.today:
                    low = middle
                else:
                    high = middle - dt.timedelta(days=1)
            self._since[days] = low
        return self._since[days]


def windows(rule: RuleKind, days: tuple[int, ...], today: dt.date, cal: _Calendar) -> list[Window]:
    """The date ranges of each step of `rule` today: a record fires the step whose range
    its date falls in, the nearest step to the deadline when a scan was missed."""
    one = dt.timedelta(days=1)
    if rule.timing == Timing.PASSED:
        return [Window(0, today - dt.timedelta(days=PASSED_LOOKBACK_DAYS), today - one)]
    found = []
    if rule.timing == Timing.BEFORE:
        start = today
        for step in sorted(days):
            last = cal.last_within(step) if rule.working_days else today + dt.timedelta(step)
            if last >= start:
                found.append(Window(step, start, last))
                start = last + one
        return found
    # AFTER: the longest wait first; each range ends where the next longer one begins.
    first: dt.date | None = None
    if rule.code == rules.DISCLOSURE_DUE:
        first = today - dt.timedelta(days=DISCLOSURE_LOOKBACK_DAYS)
    for step in sorted(days, reverse=True):
        last = cal.latest_start(step) if rule.working_days else today - dt.timedelta(step)
        if first is None or last >= first:
            found.append(Window(step, first, last))
        first = last + one
    return found


def _open(role: str) -> RawSQL:
    """The condition of the partial indexes of open assignments, term for term."""
    states = ", ".join(f"'{state}'" for state in OPEN_LEAD_STATES)
    return literal_condition(
        f'"handling_assignment"."role" = \'{role}\' AND "handling_assignment"."state" IN ({states})'
    )


# The condition of the partial index `reply_to_publish`.
_TO_PUBLISH = (
    '"handling_reply"."is_public" AND "handling_reply"."published_on" IS NULL'
    ' AND "handling_reply"."signed_at" IS NOT NULL'
)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _in(queryset: QuerySet, field: str, window: Window) -> QuerySet:
    if window.first is not None:
        queryset = queryset.filter(**{f"{field}__gte": window.first})
    return queryset.filter(**{f"{field}__lte": window.last})


def _not_sent(queryset: QuerySet, code: str, subject_type: str, field: str, step: int):
    sent = ReminderSent.objects.filter(
        rule=code,
        subject_type=subject_type,
        subject_id=OuterRef("pk"),
        due_on=OuterRef(field),
        step=step,
    )
    return queryset.filter(~Exists(sent))


@dataclass
class Reminder:
    """One reminder to send: about what, which date and step, to whom, saying what."""

    subject_type: str
    subject_id: int
    due_on: dt.date
    step: int
    item: Item
    readers: list[int]
    params: dict
    url: str = ""
    unit: str = ""
    # The supervising leader of an overdue key item, told in the supervision app's words.
    escalate_to: int | None = None


class Scan:
    """One body's scan on one day; people are looked up once per unit and role."""

    def __init__(self, body: Body, today: dt.date, cal: _Calendar | None = None) -> None:
        self.body, self.today = body, today
        self.cal = cal or _Calendar(today)
        self._people: dict[tuple, list[int]] = {}

    # Who is told.
    def people(self, *roles: str, unit_id: int | None = None) -> list[int]:
        key = (roles, unit_id)
        if key not in self._people:
            self._people[key] = recipients.with_role(self.body.pk, *roles, unit_id=unit_id)
        return self._people[key]

    def staff(self) -> list[int]:
        return self.people(STAFF)

    def unit_contacts(self, unit_id: int) -> list[int]:
        """A unit hears through its coordinators, or its leaders when it has none (as the
        handling notices do)."""
        return self.people(COORDINATOR, unit_id=unit_id) or self.people(LEADER, unit_id=unit_id)

    # The rules' records.
    def run(self) -> int:
        sent = 0
        for setting in settings_of(self.body):
            if not setting.enabled:
                continue
            rule = setting.rule
            before = sent
            for window in windows(rule, setting.days, self.today, self.cal):
                for reminder in self.due(rule, window):
                    sent += send(self.body, rule, reminder)
            if sent - before >= ANALYZE_AFTER:
                _analyze_log()
        return sent

    def due(self, rule: RuleKind, window: Window) -> Iterator[Reminder]:
        source = getattr(self, "_" + rule.code.replace(".", "_"))
        queryset, field, subject_type, make = source(window)
        queryset = _not_sent(
            _in(queryset, field, window), rule.code, subject_type, field, window.step
        )
        queryset = queryset.order_by(field, "id")
        seen: set[int] = set()
        while True:
            batch = [row for row in queryset[:CHUNK] if row.pk not in seen]
            if not batch:
                return
            for row in batch:
                seen.add(row.pk)
                yield make(row, window.step)
            if len(batch) < CHUNK:
                return

    def _assignments(self, role: str) -> QuerySet:
        """The body's open assignments of `role`, read from the partial index by due date
        (`assignment_open_lead_due`, `assignment_open_co_due`)."""
        return (
            Assignment.objects.filter(_open(role), body_id=self.body.pk)
            .select_related("item", "unit")
            .defer("item__text", "item__search_text")
        )

    def _page(self, item: Item) -> str:
        return reverse("items:detail", args=[item.pk])

    def _about(self, row, item, due_on, step, readers, unit="", **params) -> Reminder:
        subject_type = (
            ITEM if isinstance(row, Item) else (REPLY if isinstance(row, Reply) else ASSIGNMENT)
        )
        if unit:
            params["unit"] = unit
        return Reminder(
            subject_type,
            row.pk,
            due_on,
            step,
            item,
            readers,
            {"due_on": due_on.isoformat(), **params},
            url=self._page(item),
            unit=unit,
        )

    # 签收: a new assignment not accepted as its dispute window closes.
    def _assignment_accept(self, window: Window):
        rows = Assignment.objects.filter(body_id=self.body.pk, state=AssignmentState.PENDING)
        rows = rows.select_related("item", "unit").defer("item__text", "item__search_text")

        def make(a: Assignment, step: int) -> Reminder:
            return self._about(
                a, a.item, a.dispute_due_on, step, self.unit_contacts(a.unit_id), a.unit.name
            )

        return rows, "dispute_due_on", ASSIGNMENT, make

    # 答复临期: 30, 7 and 1 days before a lead unit's reply is due.
    def _reply_due(self, window: Window):
        def make(a: Assignment, step: int) -> Reminder:
            readers = self.people(COORDINATOR, LEADER, unit_id=a.unit_id)
            readers = [*readers, *([a.handler_id] if a.handler_id else [])]
            return self._about(a, a.item, a.due_on, step, readers, a.unit.name, days=step)

        return self._assignments(LEAD), "due_on", ASSIGNMENT, make

    # 逾期: the unit's leaders and the staff; the supervising leader of a key item.
    def _reply_overdue(self, window: Window):
        rows = self._assignments(LEAD).select_related("item__key_item")

        def make(a: Assignment, step: int) -> Reminder:
            readers = [*self.people(LEADER, unit_id=a.unit_id), *self.staff()]
            reminder = self._about(a, a.item, a.due_on, step, readers, a.unit.name)
            key = getattr(a.item, "key_item", None)
            if key is not None:
                reminder.escalate_to = key.supervisor_id
            return reminder

        return rows, "due_on", ASSIGNMENT, make

    def _co_unit(self, a: Assignment) -> list[int]:
        return [*self.unit_contacts(a.unit_id), *([a.handler_id] if a.handler_id else [])]

    # 协办意见: 7 days before a co-handling unit's opinion is due, and when it is overdue.
    def _opinion_due(self, window: Window):
        def make(a: Assignment, step: int) -> Reminder:
            return self._about(a, a.item, a.due_on, step, self._co_unit(a), a.unit.name)

        return self._assignments(CO), "due_on", ASSIGNMENT, make

    _opinion_overdue = _opinion_due

    # B类件: the planned completion date of an item still in the planned class has passed.
    def _planned_passed(self, window: Window):
        planned = self.body.rules.planned_class
        later_reply = Reply.objects.filter(
            assignment=OuterRef("assignment"), round__gt=OuterRef("round"), signed_at__isnull=False
        )
        # A class change after the reply (a follow-up round's) decided the item anew.
        changed_since = ResultClassChange.objects.filter(
            item=OuterRef("assignment__item"), changed_on__gt=OuterRef("replied_on")
        )
        rows = (
            Reply.objects.filter(
                planned_on__isnull=False,
                signed_at__isnull=False,
                assignment__body_id=self.body.pk,
                assignment__role=AssignmentRole.LEAD,
                result_class=planned,
                assignment__item__result_class=planned,
            )
            .exclude(assignment__state__in=GONE_STATES)
            .filter(~Exists(later_reply), ~Exists(changed_since))
            .select_related("assignment__item", "assignment__unit")
            .defer("text", "assignment__item__text", "assignment__item__search_text")
        )

        def make(r: Reply, step: int) -> Reminder:
            a = r.assignment
            assert r.planned_on is not None
            readers = [*self.unit_contacts(a.unit_id), *self.staff()]
            return self._about(
                r, a.item, r.planned_on, step, readers, a.unit.name, result_class=r.result_class
            )

        return rows, "planned_on", REPLY, make

    # 待签发: a draft waiting for the unit leader's signature.
    def _reply_unsigned(self, window: Window):
        rows = (
            Reply.objects.filter(
                signed_at__isnull=True,
                returned_at__isnull=True,
                assignment__body_id=self.body.pk,
                assignment__state__in=sorted(WORKING),
            )
            .annotate(drafted_on=TruncDate("drafted_at"))
            .select_related("assignment__item", "assignment__unit")
            .defer("text", "assignment__item__text", "assignment__item__search_text")
        )
        # The range on the column itself, so the partial index of unsigned drafts reads it.
        if window.first is not None:
            rows = rows.filter(drafted_at__gte=_start_of(window.first))
        rows = rows.filter(drafted_at__lt=_start_of(window.last + dt.timedelta(days=1)))

        def make(r: Reply, step: int) -> Reminder:
            a = r.assignment
            # The date the query matched the log on, so the next scan finds this row.
            drafted_on = r.drafted_on  # type: ignore[attr-defined]
            readers = self.people(LEADER, unit_id=a.unit_id)
            reminder = self._about(r, a.item, drafted_on, step, readers, a.unit.name)
            reminder.params["drafted_on"] = reminder.params.pop("due_on")
            return reminder

        return rows, "drafted_on", REPLY, make

    # 评价: the proposers' evaluation window ends in 7 days and they have not evaluated.
    def _evaluation_due(self, window: Window):
        rows = Item.objects.filter(body_id=self.body.pk, state=ItemState.REPLIED).defer(
            "text", "search_text"
        )

        def make(item: Item, step: int) -> Reminder:
            assert item.evaluation_due_on is not None
            return self._about(item, item, item.evaluation_due_on, step, self._evaluators(item))

        return rows, "evaluation_due_on", ITEM, make

    def _evaluators(self, item: Item) -> list[int]:
        """The accounts of the proposers who may still evaluate the round: the item's lead
        proposer and confirmed co-signers, and those of the items merged into it (分别答复)."""
        merged = list(
            Item.objects.filter(merged_into=item, state=ItemState.MERGED).values_list(
                "pk", "proposer_id"
            )
        )
        items = {item.pk: item.proposer_id, **dict(merged)}
        members = {(pk, proposer) for pk, proposer in items.items()}
        members |= set(
            CoSigner.objects.filter(item_id__in=items, confirmed_at__isnull=False).values_list(
                "item_id", "member_id"
            )
        )
        done = set(
            Evaluation.objects.filter(item_id__in=items, round=item.reply_round).values_list(
                "item_id", "member_id"
            )
        )
        return recipients.of_members(self.body.pk, {member for _pk, member in members - done})

    # 公开: a public reply not yet published some working days after it was sent.
    def _disclosure_due(self, window: Window):
        rows = (
            Reply.objects.filter(literal_condition(_TO_PUBLISH), assignment__body_id=self.body.pk)
            .select_related("assignment__item", "assignment__unit")
            .defer("text", "assignment__item__text", "assignment__item__search_text")
        )
        publish_within = self.body.rules.disclosure_working_days

        def make(r: Reply, step: int) -> Reminder:
            a = r.assignment
            assert r.replied_on is not None
            reminder = self._about(r, a.item, r.replied_on, step, self.staff(), a.unit.name)
            reminder.params["replied_on"] = r.replied_on.isoformat()
            reminder.params["due_on"] = add_working_days(r.replied_on, publish_within).isoformat()
            reminder.url = reverse("reminders:disclosure")
            return reminder

        return rows, "replied_on", REPLY, make


def _analyze_log() -> None:
    """After thousands of rows at once (a body's first scan), PostgreSQL's statistics still
    say the log is nearly empty until autovacuum comes by, and it then reads the whole of a
    rule's log for every record of the next range (4 s instead of 50 ms at 100,000 items):
    refresh them now (a sample, milliseconds)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ReminderSent._meta.db_table}")


def send(body: Body, rule: RuleKind, reminder: Reminder) -> int:
    """Send one reminder in its own transaction; 0 when it was already sent (by an earlier
    scan, or by another worker at this moment)."""
    readers = list(dict.fromkeys(r for r in reminder.readers if r is not None))
    escalate = reminder.escalate_to
    told = [*readers, *([escalate] if escalate and escalate not in readers else [])]
    try:
        with transaction.atomic():
            sent = ReminderSent.objects.create(
                body=body,
                rule=rule.code,
                subject_type=reminder.subject_type,
                subject_id=reminder.subject_id,
                due_on=reminder.due_on,
                step=reminder.step,
                item=reminder.item,
                recipients=told,
                sent_at=clock.now(),
            )
            notify(
                readers,
                KINDS[rule.code],
                body=body,
                item=reminder.item,
                url=reminder.url,
                params=reminder.params,
                by=SYSTEM,
            )
            if escalate and escalate not in readers:
                notify(
                    [escalate],
                    KEY_OVERDUE,
                    body=body,
                    item=reminder.item,
                    url=reminder.url,
                    params={"due_on": reminder.params["due_on"], "unit": reminder.unit},
                    by=SYSTEM,
                )
            record(
                sent,
                f"reminder.{rule.code}",
                by=SYSTEM,
                root=reminder.item,
                data={
                    "unit": reminder.unit,
                    "due_on": reminder.due_on.isoformat(),
                    "step": reminder.step,
                    "told": len(told),
                },
            )
    except IntegrityError:
        return 0
    return 1


def scan(body: Body, *, today: dt.date | None = None, calendar: _Calendar | None = None) -> int:
    """Send the body's reminders that are due `today`; the number sent (queued for
    delivery: the notices' outbox delivers them)."""
    today = today or clock.today()
    return Scan(body, today, calendar).run()


def scan_all(today: dt.date | None = None, body_code: str | None = None) -> int:
    """Scan every body (or the one with `body_code`: Body.DoesNotExist when there is none)."""
    today = today or clock.today()
    bodies = Body.objects.order_by("code")
    if body_code is not None:
        bodies = Body.objects.filter(pk=Body.objects.get(code=body_code).pk)
    calendar = _Calendar(today)
    return sum(scan(body, today=today, calendar=calendar) for body in bodies)


# The staff's list of public replies to publish (公开) ------------------------------------------


def to_publish(body: Body) -> QuerySet:
    """The body's public replies not yet published, the oldest first."""
    return (
        Reply.objects.filter(literal_condition(_TO_PUBLISH), assignment__body_id=body.pk)
        .select_related("assignment__item", "assignment__unit")
        .defer("text", "assignment__item__text", "assignment__item__search_text")
        .order_by("replied_on", "id")
    )


def sent_in(body: Body, rule: str = "") -> QuerySet:
    """The reminders sent in the body, newest first (keyset-paged by the page)."""
    rows = ReminderSent.objects.filter(body=body)
    if rule:
        rows = rows.filter(rule=rule)
    return (
        rows.select_related("item")
        .defer("item__text", "item__search_text")
        .order_by("-sent_at", "-id")
    )
