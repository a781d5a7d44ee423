"""The benchmark's dataset (`banli bench_data`): a province's worth of bodies, people and
items, deterministic for a seed, written straight into the database of the settings.

Not through the services: a million items one by one would take days. The rows are built
here as the services would leave them (every state of docs/domain.md with its dates, numbers,
assignments, replies, evaluations, deadlines and history) and copied in bulk: COPY on
PostgreSQL, from two processes; executemany in large transactions on SQLite. The secondary
indexes and constraints of the big tables are dropped during the load and recreated from
their own definitions afterwards, so the schema ends as the migrations made it.

The facts the services keep beside the rows are written as they would be: `Item.next_due_on`
(the earliest due date of the open lead assignments, `handling.services._refresh_next_due`),
`Item.search_text` (`items.search.index_text`) and, on SQLite, the FTS5 table, rebuilt after
the load (`items.search.rebuild_sqlite_index`).

Dates are laid out backwards from today, so the newest session is open now and the handling
states sit where they would: the content (titles, texts, states, counts) depends on the seed
alone, the dates on the seed and the day it runs.
"""

import datetime as dt
import json
import multiprocessing
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from banli.assessment.models import AssessedItem, Assessment, Criterion, level_of
from banli.bodies.models import (
    Body,
    BodyRules,
    Category,
    Member,
    Membership,
    Session,
    Term,
    Unit,
)
from banli.core.calendar import add_months
from banli.core.models import HistoryEntry
from banli.core.names import sort_key as name_sort_key
from banli.delivery.models import Delivery
from banli.demo import corpus
from banli.followup.models import FollowUpRound, RoundItem
from banli.handling.models import (
    Assignment,
    CoHandlingOpinion,
    Contact,
    Evaluation,
    Extension,
    Reply,
    ResultClassChange,
)
from banli.items.models import CoSigner, Forwarding, Item, Refusal
from banli.items.search import rebuild_sqlite_index
from banli.notices.models import Notice
from banli.reminders.models import ReminderSent
from banli.supervision.models import KeyItem, SupervisionActivity

from . import text as words

PASSWORD = "bench-password-2026"
DEFAULT_SEED = 20260515
TWO_CHAR = "停车"
MULTI_WORD = "老旧小区 停车 改造"
# Assignment ids are item id * STRIDE + n, reply ids assignment id * 2 + round - 1: the
# children of an item are known before the database sees them, whichever process writes.
STRIDE = 6
# A reply's id is (item id * STRIDE + slot) * 2 + round - 1 with slot < STRIDE - 1, so item
# id * 2 * STRIDE + 10 is free: the id of the item's follow-up class change (and its entry).
FOLLOW_UP_OFFSET = 2 * (STRIDE - 1)

# The tables written in bulk, whose secondary indexes and constraints are dropped during
# the load (the small ones keep theirs).
BIG_MODELS: list[Any] = [
    Item,
    CoSigner,
    Refusal,
    Forwarding,
    Assignment,
    Reply,
    Contact,
    Extension,
    CoHandlingOpinion,
    Evaluation,
    ResultClassChange,
    Notice,
    Delivery,
    ReminderSent,
    KeyItem,
    HistoryEntry,
]
# The tables whose ids the generator chooses (so that rows of any process can point at
# them): their sequences are moved past the largest id after the load.
EXPLICIT_ID_MODELS: list[Any] = [
    Item,
    Assignment,
    Reply,
    ResultClassChange,
    Notice,
    Delivery,
    SupervisionActivity,
    FollowUpRound,
    RoundItem,
    Criterion,
    Assessment,
    AssessedItem,
]

USER_TABLE = "auth_user"

S_DRAFT, S_SUBMITTED, S_REVIEW, S_RETURNED = "draft", "submitted", "under_review", "returned"
S_WITHDRAWN, S_REJECTED, S_MERGED, S_ACCEPTED = "withdrawn", "rejected", "merged", "accepted"
S_ASSIGNED, S_HANDLING, S_REPLIED, S_REHANDLING = "assigned", "in_handling", "replied", "rehandling"
S_CLOSED = "closed"
ALL_STATES = (
    S_DRAFT,
    S_SUBMITTED,
    S_REVIEW,
    S_RETURNED,
    S_WITHDRAWN,
    S_REJECTED,
    S_MERGED,
    S_ACCEPTED,
    S_ASSIGNED,
    S_HANDLING,
    S_REPLIED,
    S_REHANDLING,
    S_CLOSED,
)
# How items of the current year and of past years are spread over the states.
RECENT_WEIGHTS = (6, 5, 6, 3, 2, 3, 2, 6, 10, 22, 14, 4, 17)
PAST_WEIGHTS = (0.6, 0.1, 0.1, 0.1, 2, 4, 2, 0.2, 0.3, 1.2, 0.8, 0.6, 88)
# Steps after creation each state has taken (for the timeline's dates).
STEPS = {
    S_DRAFT: 0,
    S_WITHDRAWN: 1,
    S_SUBMITTED: 1,
    S_REVIEW: 2,
    S_RETURNED: 3,
    S_REJECTED: 3,
    S_MERGED: 3,
    S_ACCEPTED: 3,
    S_ASSIGNED: 4,
    S_HANDLING: 5,
    S_REPLIED: 6,
    S_REHANDLING: 7,
    S_CLOSED: 7,
}
ASSIGNED_STATES = (S_ASSIGNED, S_HANDLING, S_REPLIED, S_REHANDLING, S_CLOSED)
REPLIED_STATES = (S_REPLIED, S_REHANDLING, S_CLOSED)


class BenchDataError(Exception):
    """The database is not one the dataset may be written into."""


@dataclass
class Options:
    items: int = 1_000_000
    bodies: int | None = None
    units: int | None = None
    users: int | None = None
    years: int = 10
    seed: int = DEFAULT_SEED
    workers: int = 2
    today: dt.date | None = None


def scaled(options: Options) -> Options:
    """Bodies, units and users in proportion when fewer items are asked for (the defaults
    are those of a million items: 1,000 bodies, 20,000 units, 50,000 users)."""
    n = options.items
    bodies = options.bodies or min(1000, max(3, n // 1000))
    units = options.units or min(20_000, max(bodies * 8, n // 50))
    users = options.users or min(50_000, max(bodies * 30, n // 20))
    return Options(
        items=n,
        bodies=bodies,
        units=max(units, bodies * 5),
        users=max(users, bodies * 20),
        years=max(1, options.years),
        seed=options.seed,
        workers=options.workers,
        today=options.today,
    )


# The layout of the bodies, computed in the parent and inherited by the workers.


@dataclass
class UnitInfo:
    id: int
    name: str
    key: str
    coordinator: int
    handler: int
    leader: int


@dataclass
class MemberInfo:
    id: int
    name: str
    user: int | None
    username: str


@dataclass
class SessionInfo:
    id: int
    year: int
    plenary: bool
    opens: int  # ordinals
    closes: int
    number_format: str


@dataclass
class BodyInfo:
    index: int
    id: int
    congress: bool
    name: str
    items: int
    first_item: int
    sessions: list[SessionInfo] = field(default_factory=list)
    categories: list[int] = field(default_factory=list)
    units: list[UnitInfo] = field(default_factory=list)
    members: list[MemberInfo] = field(default_factory=list)
    staff: list[tuple[int, str]] = field(default_factory=list)
    supervisor: tuple[int, str] = (0, "")
    evaluator: tuple[int, str] = (0, "")
    auditor: tuple[int, str] = (0, "")
    usernames: dict[str, str] = field(default_factory=dict)


@dataclass
class Layout:
    options: Options
    today: int
    bodies: list[BodyInfo]
    ct_item: int
    ct_assignment: int
    vendor: str
    tz_suffix: str
    conninfo: str = ""
    long_item: int = 0
    ct_activity: int = 0
    ct_round_item: int = 0
    ct_assessed: int = 0
    # The default criteria of the third-party evaluation (name, weight, description), in
    # the site's language as the assessment app stores them.
    criteria: list[tuple[str, int, str]] = field(default_factory=list)


_LAYOUT: Layout | None = None


# Dates as ordinals, written as ISO strings.

_DATES: dict[int, str] = {}


def day(ordinal: int | None) -> str | None:
    if ordinal is None:
        return None
    text = _DATES.get(ordinal)
    if text is None:
        text = _DATES[ordinal] = dt.date.fromordinal(ordinal).isoformat()
    return text


def stamp(ordinal: int, seconds: int) -> str:
    """A moment of the day `ordinal`, `seconds` after 09:00 Beijing time (stored in UTC)."""
    seconds = 3600 + seconds % 28_800
    h, rest = divmod(seconds, 3600)
    assert _LAYOUT is not None
    return f"{day(ordinal)} {h:02d}:{rest // 60:02d}:{rest % 60:02d}{_LAYOUT.tz_suffix}"


_MONTHS: dict[tuple[int, int], int] = {}


def plus_months(ordinal: int, months: int) -> int:
    key = (ordinal, months)
    value = _MONTHS.get(key)
    if value is None:
        value = _MONTHS[key] = add_months(dt.date.fromordinal(ordinal), months).toordinal()
    return value


def plus_working_days(ordinal: int, days: int) -> int:
    # Monday to Friday; holidays are the calendar's business, not the benchmark's.
    while days > 0:
        ordinal += 1
        if dt.date.fromordinal(ordinal).weekday() < 5:
            days -= 1
    return ordinal


# Writing rows.


class Writer:
    """Rows per table, flushed in bulk: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, raw, vendor: str):
        self.raw = raw
        self.vendor = vendor
        self.rows: dict[tuple[str, tuple[str, ...]], list[tuple]] = {}
        self.counts: dict[str, int] = {}

    def add(self, table: str, columns: tuple[str, ...], row: tuple) -> None:
        self.rows.setdefault((table, columns), []).append(row)

    def flush(self) -> None:
        for (table, columns), rows in self.rows.items():
            if not rows:
                continue
            self.counts[table] = self.counts.get(table, 0) + len(rows)
            names = ", ".join(columns)
            if self.vendor == "postgresql":
                with (
                    self.raw.cursor() as cursor,
                    cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                self.raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        self.rows = {}


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


# The columns of each table, in the order rows are built.

ITEM_COLUMNS = (
    "id",
    "body_id",
    "session_id",
    "kind",
    "number",
    "number_label",
    "title",
    "text",
    "category_id",
    "proposer_id",
    "state",
    "is_complex",
    "is_public",
    "is_cross_year",
    "converted_from_motion",
    "merged_into_id",
    "reply_round",
    "result_class",
    "closure",
    "created_by_id",
    "created_at",
    "entered_by_staff",
    "source_note",
    "submitted_at",
    "accepted_on",
    "assigned_on",
    "replied_on",
    "evaluation_due_on",
    "closed_on",
    "next_due_on",
    "search_text",
)
HISTORY_COLUMNS = (
    "at",
    "actor_id",
    "actor_kind",
    "actor_label",
    "action",
    "target_type_id",
    "target_id",
    "root_type_id",
    "root_id",
    "from_state",
    "to_state",
    "reason",
    "data",
)
ASSIGNMENT_COLUMNS = (
    "id",
    "item_id",
    "body_id",
    "unit_id",
    "role",
    "state",
    "assigned_on",
    "due_on",
    "dispute_due_on",
    "due_months",
    "max_months",
    "dispute_working_days",
    "dispute_due_estimated",
    "handler_id",
    "handler_phone",
    "accepted_on",
    "replaces_id",
)
REPLY_COLUMNS = (
    "id",
    "assignment_id",
    "round",
    "text",
    "result_class",
    "planned_on",
    "is_public",
    "contact_name",
    "contact_phone",
    "drafted_by_id",
    "drafted_at",
    "signed_by_id",
    "signed_at",
    "replied_on",
    "due_on",
    "on_time",
    "evaluation_due_on",
    "return_note",
)
COSIGNER_COLUMNS = ("item_id", "member_id", "invited_at", "confirmed_at", "declined_at")
CONTACT_COLUMNS = ("assignment_id", "stage", "method", "contacted_on", "notes", "logged_by_id")
EXTENSION_COLUMNS = (
    "assignment_id",
    "requested_due_on",
    "previous_due_on",
    "reason",
    "state",
    "requested_by_id",
    "requested_at",
    "decided_by_id",
    "decided_at",
    "decision_note",
)
OPINION_COLUMNS = ("assignment_id", "text", "sent_by_id", "sent_at")
EVALUATION_COLUMNS = (
    "item_id",
    "round",
    "reply_id",
    "member_id",
    "attitude",
    "result",
    "comment",
    "counts",
    "evaluated_at",
)
CLASS_COLUMNS = (
    "id",
    "item_id",
    "from_class",
    "to_class",
    "changed_on",
    "source",
    "reason",
    "reply_id",
    "round_ref",
    "actor_id",
    "actor_kind",
    "actor_label",
)
NOTICE_COLUMNS = (
    "id",
    "recipient_id",
    "body_id",
    "kind",
    "params",
    "url",
    "item_id",
    "created_at",
    "read_at",
)
REFUSAL_COLUMNS = ("item_id", "ground", "explanation", "decided_by_id", "decided_at")
FORWARDING_COLUMNS = ("item_id", "kind", "unit_id", "note", "forwarded_by_id", "forwarded_at")
KEY_COLUMNS = (
    "item_id",
    "year",
    "supervisor_id",
    "lead_handler",
    "committee",
    "note",
    "marked_at",
)
DELIVERY_COLUMNS = (
    "id",
    "notice_id",
    "body_id",
    "channel",
    "address",
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
    "claimed_at",
    "claimed_by",
    "claim",
    "sent_at",
    "created_at",
)
REMINDER_COLUMNS = (
    "body_id",
    "rule",
    "subject_type",
    "subject_id",
    "due_on",
    "step",
    "item_id",
    "recipients",
    "sent_at",
)
ACTIVITY_COLUMNS = (
    "id",
    "body_id",
    "kind",
    "held_on",
    "title",
    "participants",
    "notes",
    "recorded_by_id",
    "recorded_at",
    "withdrawn_at",
    "withdrawn_by_id",
    "withdrawn_reason",
)
ACTIVITY_ITEM_COLUMNS = ("supervisionactivity_id", "item_id")
ROUND_COLUMNS = (
    "id",
    "body_id",
    "year",
    "title",
    "opened_on",
    "opened_by_id",
    "due_on",
    "state",
    "closed_on",
)
ROUND_ITEM_COLUMNS = (
    "id",
    "round_id",
    "item_id",
    "class_at_opening",
    "class_confirmed",
    "confirmed_on",
    "confirmed_by_id",
    "change_id",
)
REPORT_COLUMNS = (
    "entry_id",
    "unit_id",
    "text",
    "proposed_class",
    "reported_on",
    "reported_at",
    "by_id",
)
# "order" is a keyword of SQL: quoted, as Django quotes it.
CRITERION_COLUMNS = ("id", "body_id", "name", "weight", '"order"', "description", "active")
ASSESSMENT_COLUMNS = (
    "id",
    "body_id",
    "title",
    "year",
    "evaluator_id",
    "due_on",
    "state",
    "created_by_id",
    "created_at",
    "submitted_at",
)
ASSESSED_COLUMNS = (
    "id",
    "assessment_id",
    "item_id",
    "total",
    "level",
    "conclusion",
    "scored_at",
    "added_at",
)
SCORE_COLUMNS = ("entry_id", "criterion_id", "points", "weight")

# The texts of the supervision year (as the demo's, banli/demo/supervision_year.py).
COMMITTEES_NPC = (
    "财政经济委员会",
    "教育科学文化卫生委员会",
    "城乡建设环境保护委员会",
    "农业与农村委员会",
    "社会建设委员会",
)
COMMITTEES_CPPCC = (
    "提案委员会",
    "经济委员会",
    "人口资源环境委员会",
    "教科卫体委员会",
    "社会和法制委员会",
)
ACTIVITY_TEXTS: dict[str, tuple[str, str]] = {
    "meeting": (
        "重点督办件推进座谈会",
        "召开督办座谈会，听取承办单位办理进展，协调解决资金和用地问题。",
    ),
    "site_visit": (
        "重点督办件实地视察",
        "实地察看项目现场，详细了解工程进度，要求倒排工期、按期完成。",
    ),
    "report_heard": (
        "听取承办单位办理情况汇报",
        "听取承办单位专题汇报，对办理工作提出具体意见。",
    ),
    "written_opinion": ("书面督办意见", "印发书面督办意见，明确办理责任和完成时限。"),
    "instruction": (
        "督办领导批示",
        "督办领导作出批示，要求承办单位加大推进力度，确保代表满意。",
    ),
}
ACTIVITY_KINDS = tuple(ACTIVITY_TEXTS)
ACTIVITY_WEIGHTS = (30, 30, 20, 10, 10)
PARTICIPANTS = (
    "督办领导、相关专门委员会负责人、承办单位分管负责同志、领衔代表",
    "督办领导、部分委员、承办单位主要负责同志",
    "相关专门委员会、承办单位及属地街道负责同志",
)
PROGRESS = (
    "项目已完成主体工程，预计年底前全面投入使用，所提问题已基本解决。",
    "已列入明年财政预算，正在开展前期设计和招标工作。",
    "已会同相关部门制定专项方案，分步骤推进实施，部分区域已完成改造。",
    "受用地指标限制，暂未开工，已向上级部门争取政策支持。",
)
CONVERSION_REASONS = (
    "经回头看核实，所提问题已基本解决。",
    "承办单位已落实资金并开工建设，经核实调整分类。",
)
CONCLUSIONS = (
    "承办单位与提案人沟通充分，办理措施具体，问题得到较好解决。",
    "办理态度认真，但部分措施尚待落实，建议持续跟踪。",
    "答复及时，措施可行，取得阶段性成效。",
)
SMS_ERRORS = ("短信网关返回错误：号码不可达", "短信网关超时，未收到回执")
# The follow-up rounds (回头看): one a year, for these many years before the current one.
FOLLOW_UP_YEARS = 3
# How many of the B and C items each round converts (seed 000: 9 of 16 B became A; of 7 C,
# 1 became A and 1 B).
CONVERSIONS = {"B": (("A", 9 / 16),), "C": (("A", 1 / 7), ("B", 1 / 7))}
# The reminders log (提醒记录): the reminders of this share of the lead assignments, over
# the last year (the rules are new; a year of them is what a body has).
REMINDER_SHARE = 0.6
REMINDER_DAYS = 365
REPLY_DUE_STEPS = (30, 7, 1)
# Supervision activities a year on a body's key items (the seeds cite 30), fewer in a body
# with few key items.
ACTIVITIES_PER_YEAR = 30


# One chunk of items: a run of bodies, written by one process.


@dataclass
class ChunkResult:
    counts: dict[str, int]
    states: dict[str, int]
    seconds: float


@dataclass
class RoundInfo:
    id: int
    year: int
    opened: int  # ordinals
    due: int
    closed: int


class ItemMaker:
    """Builds the rows of one body's items."""

    def __init__(
        self,
        layout: Layout,
        writer: Writer,
        rng: random.Random,
        pools,
        extra: random.Random | None = None,
    ):
        self.layout = layout
        self.w = writer
        self.rng = rng
        # The rows of the supervision year draw from their own generator, so the items,
        # their texts and their handling stay what they were before those tables existed.
        self.xrng = extra or random.Random(0)
        self.pools = pools
        self.today = layout.today
        self.states: dict[str, int] = {}
        self.numbers: dict[tuple[int, str], int] = {}
        self.accepted: dict[int, int] = {}
        # The body's key items (item id, year, day marked), follow-up rounds by the year
        # they review, and the items its third-party evaluation scores.
        self.keys: list[tuple[int, int, int]] = []
        self.rounds: dict[int, RoundInfo] = {}
        self.assessable: list[int] = []
        # Replied items of any year, for a small body without enough of last year's.
        self.assessable_any: list[int] = []
        self.last_lead: UnitInfo | None = None

    def start(self, body: BodyInfo) -> None:
        """The body's follow-up rounds, known before its items: one a year for the years
        before the current one, each opened in the autumn of the next year and closed two
        months later, all before today."""
        last_year = body.sessions[-1].year
        years = {s.year for s in body.sessions}
        for k in range(FOLLOW_UP_YEARS):
            year = last_year - FOLLOW_UP_YEARS + k
            if year not in years:
                continue
            opened = min(dt.date(year + 1, 9, 1).toordinal(), self.today - 70)
            self.rounds[year] = RoundInfo(
                id=body.id * 8 + k + 1,
                year=year,
                opened=opened,
                due=opened + 30,
                closed=opened + 60,
            )

    # History, as banli.core.history.record writes it.
    def history(
        self,
        at: str,
        actor: tuple[int | None, str] | None,
        action: str,
        item_id: int,
        *,
        target: int | None = None,
        before: str = "",
        after: str = "",
        reason: str = "",
        data: dict | None = None,
        target_type: int | None = None,
    ) -> None:
        layout = self.layout
        if actor is None:
            actor_id, kind, label = None, "system", ""
        else:
            actor_id, kind, label = actor[0], "user", actor[1]
        if target is None:
            target_type, target_id = layout.ct_item, item_id
        else:
            target_type, target_id = target_type or layout.ct_assignment, target
        self.w.add(
            "core_historyentry",
            HISTORY_COLUMNS,
            (
                at,
                actor_id,
                kind,
                label,
                action,
                target_type,
                target_id,
                layout.ct_item,
                item_id,
                before,
                after,
                reason,
                _dumps(data) if data else "{}",
            ),
        )

    def body(self, body: BodyInfo) -> None:
        rng = self.rng
        pools = self.pools[body.congress]
        places = corpus.NPC_PLACES if body.congress else corpus.CPPCC_PLACES
        numbers = self.numbers
        accepted_by_session = self.accepted
        newest = body.sessions[-2:]
        last_year = body.sessions[-1].year
        n_sessions = len(body.sessions)
        for k in range(body.items):
            item_id = body.first_item + k
            # A third of the items in the last year, the rest spread over the earlier ones.
            if rng.random() < 0.3 or n_sessions <= 2:
                session = rng.choice(newest)
            else:
                session = body.sessions[rng.randrange(n_sessions - 2)]
            recent = session.year >= last_year - 1
            long_timeline = item_id == self.layout.long_item or (rng.random() < 0.0005 and recent)
            if item_id == self.layout.long_item:
                state = S_HANDLING
            else:
                weights = RECENT_WEIGHTS if recent else PAST_WEIGHTS
                state = rng.choices(ALL_STATES, weights)[0]
            if body.congress:
                kind = "motion" if rng.random() < 0.04 else "suggestion"
            else:
                kind = "proposal"
            if state == S_MERGED and session.id not in accepted_by_session:
                state = S_REJECTED
            self.item(
                body,
                item_id,
                session,
                kind,
                state,
                pools,
                places,
                numbers,
                accepted_by_session,
                long_timeline,
            )

    def item(
        self,
        body: BodyInfo,
        item_id: int,
        session: SessionInfo,
        kind: str,
        state: str,
        pools,
        places,
        numbers,
        accepted_by_session,
        long_timeline: bool,
    ) -> None:
        rng = self.rng
        today = self.today
        self.states[state] = self.states.get(state, 0) + 1
        pool = rng.choice(pools)
        suffix = {"motion": "议案", "suggestion": "建议", "proposal": "提案"}[kind]
        title = words.title_for(rng, pool, places, suffix)
        length = int(min(3000, max(800, rng.lognormvariate(7.15, 0.35))))
        text, text_tokens = words.text_for(rng, pool, length)
        search_text = f"{words.tokens_of(title)}\n{text_tokens}"
        proposer = rng.choice(body.members)
        entered_by_staff = rng.random() < 0.08
        staff = rng.choice(body.staff)
        author = staff if entered_by_staff else (proposer.user, proposer.username)

        # The timeline's days: created within the session, each later step a few days on,
        # squeezed so that nothing happens after today.
        start = session.opens - (rng.randint(5, 40) if session.plenary else 0)
        end = min(session.closes, today)
        created = start + rng.randint(0, max(0, end - start))
        steps = STEPS[state]
        gaps = [
            rng.randint(0, 3),  # submit
            rng.randint(1, 5),  # receive
            rng.randint(3, 20),  # decide
            rng.randint(2, 15),  # assign
            rng.randint(1, 7),  # unit accepts
            rng.randint(30, 110),  # reply
            rng.randint(5, 40),  # evaluate / close
        ][:steps]
        if state == S_REHANDLING:
            gaps[-1] = rng.randint(5, 25)
        total = sum(gaps)
        room = today - created
        if total > room:
            if room <= 0:
                gaps = [0] * len(gaps)
            else:
                factor = room / total
                gaps = [int(g * factor) for g in gaps]
        days = [created]
        for g in gaps:
            days.append(days[-1] + g)
        second = rng.randrange(28_800)

        def at(step: int, offset: int = 0) -> str:
            return stamp(days[min(step, len(days) - 1)], second + step * 977 + offset * 131)

        created_at = at(0)
        submitted_at = accepted_on = assigned_on = replied_on = None
        evaluation_due_on = closed_on = next_due_on = None
        number = None
        number_label = ""
        result_class = closure = ""
        merged_into = None
        reply_round = 1
        h = self.history
        h(
            created_at,
            author,
            "item.enter_on_behalf" if entered_by_staff else "item.create",
            item_id,
            after=S_DRAFT,
            data={"kind": kind},
        )
        if long_timeline:
            for n in range(rng.randint(100, 140)):
                h(at(0, n + 1), author, "item.edit", item_id, before=S_DRAFT, after=S_DRAFT)

        # Co-signers: a third of the items are joint, motions always.
        cosigners = []
        joint = kind == "motion" or rng.random() < 0.33
        if joint and len(body.members) > 2:
            count = rng.randint(1, min(9 if kind == "motion" else 4, len(body.members) - 1))
            others = [m for m in rng.sample(body.members, count + 1) if m.id != proposer.id]
            cosigners = others[:count]
            h(
                at(0, 1),
                author,
                "item.invite_cosigners",
                item_id,
                before=S_DRAFT,
                after=S_DRAFT,
                data={"members": [m.id for m in cosigners]},
            )
            for n, member in enumerate(cosigners):
                answered = state != S_DRAFT or rng.random() < 0.5
                confirmed = answered and rng.random() < 0.92
                self.w.add(
                    "items_cosigner",
                    COSIGNER_COLUMNS,
                    (
                        item_id,
                        member.id,
                        at(0, 1),
                        at(0, 2 + n) if confirmed else None,
                        at(0, 2 + n) if answered and not confirmed else None,
                    ),
                )
                if answered:
                    h(
                        at(0, 2 + n),
                        (member.user, member.username),
                        "item.confirm_cosign" if confirmed else "item.decline_cosign",
                        item_id,
                        before=S_DRAFT,
                        after=S_DRAFT,
                    )
        cosigner_members = [m for m in cosigners]

        if state == S_WITHDRAWN:
            submitted = rng.random() < 0.5
            if submitted:
                submitted_at = at(1)
                h(submitted_at, author, "item.submit", item_id, before=S_DRAFT, after=S_SUBMITTED)
            h(
                at(1, 3),
                (proposer.user, proposer.username),
                "item.withdraw",
                item_id,
                before=S_SUBMITTED if submitted else S_DRAFT,
                after=S_WITHDRAWN,
                reason=rng.choice(corpus.WITHDRAW_REASONS),
            )
        elif steps >= 1:
            submitted_at = at(1)
            h(submitted_at, author, "item.submit", item_id, before=S_DRAFT, after=S_SUBMITTED)
        if steps >= 2:
            h(at(2), staff, "item.receive", item_id, before=S_SUBMITTED, after=S_REVIEW)
        if state == S_RETURNED:
            h(
                at(3),
                staff,
                "item.return",
                item_id,
                before=S_REVIEW,
                after=S_RETURNED,
                reason=rng.choice(corpus.RETURN_REASONS),
            )
        elif state == S_REJECTED:
            refused = rng.choice(corpus.REFUSED)
            ground = corpus.REFUSAL_GROUNDS[refused[2]] if not body.congress else ""
            h(
                at(3),
                staff,
                "item.reject",
                item_id,
                before=S_REVIEW,
                after=S_REJECTED,
                reason=refused[2],
                data={"ground": ground} if ground else None,
            )
            self.w.add(
                "items_refusal",
                REFUSAL_COLUMNS,
                (item_id, ground, refused[2], staff[0], at(3)),
            )
            if kind == "proposal" and rng.random() < 0.4:
                unit = rng.choice(body.units)
                self.w.add(
                    "items_forwarding",
                    FORWARDING_COLUMNS,
                    (item_id, "letter_to_unit", unit.id, "", staff[0], at(3, 1)),
                )
                h(at(3, 1), staff, "item.forward", item_id, before=S_REJECTED, after=S_REJECTED)
        elif state == S_MERGED:
            merged_into = accepted_by_session[session.id]
            h(
                at(3),
                staff,
                "item.merge",
                item_id,
                before=S_REVIEW,
                after=S_MERGED,
                data={"into": merged_into},
            )
        elif steps >= 3:
            key = (session.id, kind)
            number = numbers[key] = numbers.get(key, 0) + 1
            number_label = session.number_format.replace("{number}", str(number))
            accepted_on = days[3]
            accepted_by_session[session.id] = item_id
            h(
                at(3),
                staff,
                "item.accept",
                item_id,
                before=S_REVIEW,
                after=S_ACCEPTED,
                data={"number": number},
            )
        is_public = steps >= 3 and rng.random() < 0.6
        cross_year = False
        is_complex = steps >= 4 and rng.random() < 0.1
        category = body.categories[pool.category % len(body.categories)]

        if state in ASSIGNED_STATES:
            assigned_on = days[4]
            result = self.handling(
                body,
                item_id,
                state,
                pool,
                title,
                proposer,
                cosigner_members,
                days,
                at,
                staff,
                is_complex,
                long_timeline,
            )
            replied_on, evaluation_due_on, result_class, closure, next_due_on, reply_round = result
            if state == S_CLOSED:
                closed_on = days[7]
            if rng.random() < 0.006 or (long_timeline and body.index == 0):
                self.w.add(
                    "supervision_keyitem",
                    KEY_COLUMNS,
                    (
                        item_id,
                        session.year,
                        body.supervisor[0],
                        rng.choice(
                            corpus.LEAD_HANDLERS_NPC
                            if body.congress
                            else corpus.LEAD_HANDLERS_CPPCC
                        ),
                        self.xrng.choice(COMMITTEES_NPC if body.congress else COMMITTEES_CPPCC),
                        "",
                        at(4, 9),
                    ),
                )
                h(at(4, 9), staff, "item.set_key", item_id, before=state, after=state)
                self.keys.append((item_id, session.year, days[min(4, len(days) - 1)]))
            if state in (S_REPLIED, S_CLOSED) and replied_on:
                result_class, cross_year = self.follow_up(
                    body, item_id, session, result_class, replied_on, staff
                )

        self.w.add(
            "items_item",
            ITEM_COLUMNS,
            (
                item_id,
                body.id,
                session.id,
                kind,
                number,
                number_label,
                title,
                text,
                category,
                proposer.id,
                state,
                is_complex,
                is_public,
                cross_year,
                False,
                merged_into,
                reply_round,
                result_class,
                closure,
                author[0],
                created_at,
                entered_by_staff,
                "纸质原件" if entered_by_staff else "",
                submitted_at,
                day(accepted_on),
                day(assigned_on),
                day(replied_on),
                day(evaluation_due_on),
                day(closed_on),
                day(next_due_on),
                search_text,
            ),
        )

    def handling(
        self,
        body: BodyInfo,
        item_id: int,
        state: str,
        pool,
        title: str,
        proposer: MemberInfo,
        cosigners: list[MemberInfo],
        days: list[int],
        at,
        staff,
        is_complex: bool,
        long_timeline: bool,
    ):
        rng = self.rng
        h = self.history
        w = self.w
        assigned = days[4]
        lead_months = 6 if is_complex else 3
        # The lead unit is the topic's usual one where the body has it.
        by_key = {u.key: u for u in body.units[:30]}
        lead = by_key.get(pool.lead) or rng.choice(body.units)
        leads = [lead]
        if rng.random() < 0.12 and len(body.units) > 3:
            other = rng.choice(body.units)
            if other.id != lead.id:
                leads.append(other)
        self.last_lead = lead
        cos = []
        for key in pool.co[: rng.randint(0, 2)]:
            unit = by_key.get(key)
            if unit and unit not in leads:
                cos.append(unit)
        h(
            at(4),
            staff,
            "item.assign",
            item_id,
            before=S_ACCEPTED,
            after=S_ASSIGNED,
            data={"units": [u.name for u in leads + cos]},
        )
        dispute_due = plus_working_days(assigned, 5)
        next_due = None
        replied_on = evaluation_due = None
        result_class = closure = ""
        reply_round = 1
        replied_day = days[6] if len(days) > 6 else None
        rows: list[tuple] = []
        slot = 0
        for role, units in (("lead", leads), ("co", cos)):
            for unit in units:
                if slot >= STRIDE - 1:
                    break
                assignment_id = item_id * STRIDE + slot
                slot += 1
                months = lead_months if role == "lead" else 1
                due = plus_months(assigned, months)
                h(
                    at(4, slot),
                    staff,
                    "assignment.create",
                    item_id,
                    target=assignment_id,
                    after="pending",
                    data={"unit": unit.name, "role": role, "due_on": day(due)},
                )
                replaces = None
                # A few assignments were disputed and given to another unit first.
                if role == "lead" and rng.random() < 0.03 and slot < STRIDE - 1:
                    wrong = rng.choice(body.units)
                    if wrong.id != unit.id:
                        replaces = assignment_id
                        rows.append(
                            (
                                assignment_id,
                                item_id,
                                body.id,
                                wrong.id,
                                role,
                                "reassigned",
                                day(assigned),
                                day(due),
                                day(dispute_due),
                                months,
                                6,
                                5,
                                False,
                                None,
                                "",
                                None,
                                None,
                            )
                        )
                        h(
                            at(4, 20),
                            (wrong.coordinator, f"u{wrong.coordinator}"),
                            "assignment.dispute",
                            item_id,
                            target=assignment_id,
                            before="pending",
                            after="disputed",
                            reason=rng.choice(corpus.DISPUTE_REASONS).format(unit=unit.name),
                        )
                        h(
                            at(4, 21),
                            staff,
                            "assignment.reassign",
                            item_id,
                            target=assignment_id,
                            before="disputed",
                            after="reassigned",
                            data={"to": unit.name},
                        )
                        assignment_id = item_id * STRIDE + slot
                        slot += 1
                a_state, accepted_on, handler = self.assignment_state(state, role)
                coord = (unit.coordinator, f"u{unit.coordinator}")
                handler_id = unit.handler if handler else None
                if accepted_on:
                    h(
                        at(5),
                        coord,
                        "assignment.accept",
                        item_id,
                        target=assignment_id,
                        before="pending",
                        after="handling",
                    )
                    h(
                        at(5, 1),
                        coord,
                        "assignment.name_handler",
                        item_id,
                        target=assignment_id,
                        before="handling",
                        after="handling",
                    )
                elif a_state == "disputed":
                    h(
                        at(4, 30),
                        coord,
                        "assignment.dispute",
                        item_id,
                        target=assignment_id,
                        before="pending",
                        after="disputed",
                        reason=rng.choice(corpus.DISPUTE_REASONS).format(unit="其他单位"),
                    )
                if role == "lead" and accepted_on and rng.random() < 0.04:
                    due = self.extension(assignment_id, due, assigned, unit, staff, at, item_id)
                rehandle_due = None
                if role == "lead" and state in REPLIED_STATES:
                    cls, signed = self.reply(
                        assignment_id,
                        1,
                        unit,
                        pool,
                        proposer,
                        title,
                        replied_day or days[-1],
                        due,
                        at,
                        item_id,
                        body,
                    )
                    result_class = result_class or cls
                    replied_on = signed
                    evaluation_due = plus_months(signed, 1) if signed else None
                    if state == S_REHANDLING:
                        rehandle_due = plus_months(days[7], 1)
                elif role == "lead" and state == S_HANDLING and rng.random() < 0.25:
                    # A draft not yet signed.
                    self.reply(
                        assignment_id,
                        1,
                        unit,
                        pool,
                        proposer,
                        title,
                        None,
                        due,
                        at,
                        item_id,
                        body,
                    )
                if accepted_on:
                    contacts = 1 + (state in REPLIED_STATES) + (rng.random() < 0.4)
                    if long_timeline:
                        contacts = 3
                    for n in range(contacts):
                        stage = ("before", "during", "after")[min(n, 2)]
                        when = days[min(5 + n, len(days) - 1)]
                        w.add(
                            "handling_contact",
                            CONTACT_COLUMNS,
                            (
                                assignment_id,
                                stage,
                                rng.choice(("meeting", "phone", "site_visit", "online")),
                                day(when),
                                rng.choice(corpus.CONTACT_NOTES[stage]).format(who=proposer.name),
                                unit.handler,
                            ),
                        )
                        h(
                            at(5, 3 + n),
                            (unit.handler, f"u{unit.handler}"),
                            "assignment.log_contact",
                            item_id,
                            target=assignment_id,
                            before=a_state,
                            after=a_state,
                            data={"stage": stage},
                        )
                if role == "co" and a_state == "opinion_sent":
                    w.add(
                        "handling_cohandlingopinion",
                        OPINION_COLUMNS,
                        (
                            assignment_id,
                            rng.choice(pool.replies)[:400],
                            unit.handler,
                            at(5, 8),
                        ),
                    )
                    h(
                        at(5, 8),
                        (unit.handler, f"u{unit.handler}"),
                        "assignment.send_opinion",
                        item_id,
                        target=assignment_id,
                        before="handling",
                        after="opinion_sent",
                    )
                if role == "lead":
                    signed_day = (replied_day or days[-1]) if state in REPLIED_STATES else None
                    self.reminders(body, item_id, assignment_id, unit, assigned, due, signed_day)
                if rehandle_due is not None:
                    due = rehandle_due
                if role == "lead" and a_state in ("pending", "disputed", "handling", "rehandling"):
                    next_due = due if next_due is None else min(next_due, due)
                rows.append(
                    (
                        assignment_id,
                        item_id,
                        body.id,
                        unit.id,
                        role,
                        a_state,
                        day(assigned),
                        day(due),
                        day(dispute_due),
                        months,
                        6,
                        5,
                        False,
                        handler_id,
                        "1380000" + str(unit.id % 10000).zfill(4) if handler_id else "",
                        day(accepted_on),
                        replaces,
                    )
                )
        for row in rows:
            w.add("handling_assignment", ASSIGNMENT_COLUMNS, row)
        if state == S_HANDLING or state in REPLIED_STATES:
            h(at(5), None, "item.start_handling", item_id, before=S_ASSIGNED, after=S_HANDLING)
        if state in REPLIED_STATES:
            h(
                at(6, 5),
                (leads[0].leader, f"u{leads[0].leader}"),
                "item.reply",
                item_id,
                before=S_HANDLING,
                after=S_REPLIED,
                data={"result_class": result_class},
            )
        if state == S_REHANDLING:
            reply_round = 2
            self.evaluate(item_id, 1, proposer, "unsatisfied", at, cosigners, counts=True)
            h(
                at(7),
                (proposer.user, proposer.username),
                "item.evaluate_rehandle",
                item_id,
                before=S_REPLIED,
                after=S_REHANDLING,
                reason=rng.choice(corpus.COMMENTS["unsatisfied"]),
            )
            evaluation_due = None
        elif state == S_CLOSED:
            closure = rng.choices(
                ("satisfied", "basically_satisfied", "unsatisfied", "not_evaluated"),
                (70, 18, 4, 8),
            )[0]
            if closure == "not_evaluated":
                h(at(7), None, "item.close_unevaluated", item_id, before=S_REPLIED, after=S_CLOSED)
            else:
                self.evaluate(item_id, 1, proposer, closure, at, cosigners, counts=True)
                h(
                    at(7),
                    (proposer.user, proposer.username),
                    "item.evaluate_close",
                    item_id,
                    before=S_REPLIED,
                    after=S_CLOSED,
                    reason=rng.choice(corpus.COMMENTS[closure]),
                    data={"result": closure},
                )
        if state not in REPLIED_STATES:
            replied_on = None
            evaluation_due = None
        return replied_on, evaluation_due, result_class, closure, next_due, reply_round

    def assignment_state(self, state: str, role: str) -> tuple[str, int | None, bool]:
        """The assignment's state in an item of `state`, whether it was accepted (its day)
        and whether a handler is named."""
        rng = self.rng
        if state == S_ASSIGNED:
            return ("disputed" if rng.random() < 0.12 else "pending"), None, False
        accepted = 1
        if state == S_HANDLING:
            if role == "co":
                return (
                    ("opinion_sent" if rng.random() < 0.5 else "handling"),
                    accepted,
                    True,
                )
            return "handling", accepted, True
        if role == "co":
            return "opinion_sent", accepted, True
        if state == S_REHANDLING:
            return "rehandling", accepted, True
        return "replied", accepted, True

    def extension(self, assignment_id, due, assigned, unit, staff, at, item_id) -> int:
        rng = self.rng
        decision = rng.choices(("approved", "refused", "pending"), (70, 15, 15))[0]
        wanted = plus_months(assigned, 6)
        self.w.add(
            "handling_extension",
            EXTENSION_COLUMNS,
            (
                assignment_id,
                day(wanted),
                day(due),
                rng.choice(corpus.EXTENSION_REASONS),
                decision,
                unit.leader,
                at(5, 10),
                staff[0] if decision != "pending" else None,
                at(5, 11) if decision != "pending" else None,
                "",
            ),
        )
        self.history(
            at(5, 10),
            (unit.leader, f"u{unit.leader}"),
            "assignment.request_extension",
            item_id,
            target=assignment_id,
            before="handling",
            after="handling",
            data={"due_on": day(wanted)},
        )
        if decision != "pending":
            self.history(
                at(5, 11),
                staff,
                "assignment.decide_extension",
                item_id,
                target=assignment_id,
                before="handling",
                after="handling",
                data={"decision": decision},
            )
        return wanted if decision == "approved" else due

    def reply(
        self,
        assignment_id: int,
        round_: int,
        unit: UnitInfo,
        pool,
        proposer: MemberInfo,
        title: str,
        signed: int | None,
        due: int,
        at,
        item_id: int,
        body: BodyInfo,
    ) -> tuple[str, int | None]:
        rng = self.rng
        reply_id = assignment_id * 2 + round_ - 1
        length = int(min(3000, max(600, rng.lognormvariate(7.0, 0.35))))
        text = words.reply_for(rng, pool, proposer.name, title, length)
        result_class = rng.choices(("A", "B", "C"), (55, 35, 10))[0]
        planned = plus_months(signed, 12) if signed and result_class == "B" else None
        drafted_at = at(5, 12)
        self.history(
            drafted_at,
            (unit.handler, f"u{unit.handler}"),
            "assignment.draft_reply",
            item_id,
            target=assignment_id,
            before="handling",
            after="handling",
        )
        row = (
            reply_id,
            assignment_id,
            round_,
            text,
            result_class,
            day(planned),
            rng.random() < 0.5,
            unit.name[:10] + "联系人",
            "0571-8800" + str(unit.id % 10000).zfill(4),
            unit.handler,
            drafted_at,
            unit.leader if signed else None,
            at(6) if signed else None,
            day(signed),
            day(due) if signed else None,
            (signed <= due) if signed else None,
            day(plus_months(signed, 1)) if signed else None,
            "",
        )
        self.w.add("handling_reply", REPLY_COLUMNS, row)
        if signed:
            self.history(
                at(6),
                (unit.leader, f"u{unit.leader}"),
                "assignment.sign_reply",
                item_id,
                target=assignment_id,
                before="handling",
                after="replied",
                data={"due_on": day(due), "on_time": signed <= due, "result_class": result_class},
            )
            self.w.add(
                "handling_resultclasschange",
                CLASS_COLUMNS,
                (
                    reply_id,
                    item_id,
                    "",
                    result_class,
                    day(signed),
                    "reply",
                    "",
                    reply_id,
                    "",
                    unit.leader,
                    "user",
                    f"u{unit.leader}",
                ),
            )
            if proposer.user:
                # The notice and its SMS take the reply's id: one notice per signed reply.
                self.w.add(
                    "notices_notice",
                    NOTICE_COLUMNS,
                    (
                        reply_id,
                        proposer.user,
                        body.id,
                        "item.replied",
                        _dumps(
                            {
                                "body_type": "congress" if body.congress else "cppcc",
                                "item": {"title": title, "number": ""},
                                "number": "",
                                "unit": unit.name,
                            }
                        ),
                        f"/items/{item_id}/",
                        item_id,
                        at(6, 1),
                        at(6, 50) if rng.random() < 0.7 else None,
                    ),
                )
                self.delivery(reply_id, body, proposer, signed, at(6, 1), at(6, 2))
        return result_class, signed

    def delivery(
        self, notice_id: int, body: BodyInfo, member: MemberInfo, on: int, queued: str, sent: str
    ) -> None:
        """The SMS of a notice (the bench's accounts have no e-mail; every member a phone,
        the one `delivery.services.channels_for` takes): sent, or failed after its retries,
        and waiting when it is of the last few days."""
        x = self.xrng
        roll = x.random()
        if on >= self.today - 3 and roll < 0.5:
            state, attempts, error, sent_at, next_at = "pending", 0, "", None, queued
        elif roll < 0.03:
            state, attempts, error, sent_at, next_at = "failed", 5, x.choice(SMS_ERRORS), None, sent
        else:
            state, attempts, error, sent_at, next_at = "sent", 1, "", sent, queued
        self.w.add(
            "delivery_delivery",
            DELIVERY_COLUMNS,
            (
                notice_id,
                notice_id,
                body.id,
                "sms",
                f"139{member.id:08d}",
                state,
                attempts,
                next_at,
                error,
                None,
                "",
                "",
                sent_at,
                queued,
            ),
        )

    def reminders(
        self,
        body: BodyInfo,
        item_id: int,
        assignment_id: int,
        unit: UnitInfo,
        assigned: int,
        due: int,
        signed: int | None,
    ) -> None:
        """The reminders the scan sent about a lead assignment (30, 7 and 1 days before the
        reply was due, and once when it became overdue), for a share of them, over the last
        year: as `reminders.services` logs them, unique per rule, subject, date and step."""
        x = self.xrng
        if due < self.today - REMINDER_DAYS - 30 or x.random() >= REMINDER_SHARE:
            return
        since = max(assigned, self.today - REMINDER_DAYS)
        told = sorted({unit.coordinator, unit.leader, unit.handler})
        fired: list[tuple[str, int, int]] = []
        for step in REPLY_DUE_STEPS:
            when = due - step
            if since <= when <= self.today and (signed is None or when < signed):
                fired.append(("reply.due", step, when))
        when = due + 1
        if since <= when <= self.today and (signed is None or signed > due):
            fired.append(("reply.overdue", 0, when))
        for rule, step, when in fired:
            recipients = told if rule == "reply.due" else [*told, *(s[0] for s in body.staff)]
            self.w.add(
                "reminders_remindersent",
                REMINDER_COLUMNS,
                (
                    body.id,
                    rule,
                    "handling.assignment",
                    assignment_id,
                    day(due),
                    step,
                    item_id,
                    json.dumps(recipients),
                    stamp(when, assignment_id % 600 - 3000),
                ),
            )

    def follow_up(
        self,
        body: BodyInfo,
        item_id: int,
        session: SessionInfo,
        cls: str,
        signed: int,
        staff: tuple[int, str],
    ) -> tuple[str, bool]:
        """A replied item's part in the supervision year: cross-year when class B with its
        planned date (a year after the reply) past the year's end; an entry, with its lead
        unit's progress report, in the follow-up round of its year when still B or C, and
        for a share the class change the staff confirmed. Returns its class now and
        whether it is cross-year."""
        x = self.xrng
        year_end = dt.date(session.year, 12, 31).toordinal()
        cross = cls == "B" and plus_months(signed, 12) > year_end
        if len(self.assessable) < 4 and session.year == body.sessions[-1].year - 1:
            self.assessable.append(item_id)
        elif len(self.assessable_any) < 4:
            self.assessable_any.append(item_id)
        info = self.rounds.get(session.year)
        lead = self.last_lead
        if info is None or cls not in CONVERSIONS or signed >= info.opened or lead is None:
            return cls, cross
        entry_id = item_id * 2 * STRIDE + FOLLOW_UP_OFFSET
        became, roll, acc = "", x.random(), 0.0
        for to_class, share in CONVERSIONS[cls]:
            acc += share
            if roll < acc:
                became = to_class
                break
        reported = x.randint(info.opened + 1, info.due)
        confirmed = x.randint(reported + 1, info.closed - 1) if became else None
        self.w.add(
            "followup_progressreport",
            REPORT_COLUMNS,
            (
                entry_id,
                lead.id,
                x.choice(PROGRESS),
                became,
                day(reported),
                stamp(reported, item_id),
                lead.coordinator,
            ),
        )
        self.history(
            stamp(reported, item_id),
            (lead.coordinator, f"u{lead.coordinator}"),
            "followup.report",
            item_id,
            target=entry_id,
            target_type=self.layout.ct_round_item,
            data={"round": info.id, "unit": lead.name, "proposed_class": became},
        )
        if became:
            assert confirmed is not None
            reason = x.choice(CONVERSION_REASONS)
            self.w.add(
                "handling_resultclasschange",
                CLASS_COLUMNS,
                (
                    entry_id,
                    item_id,
                    cls,
                    became,
                    day(confirmed),
                    "follow_up",
                    reason,
                    None,
                    f"followup:{info.id}",
                    staff[0],
                    "user",
                    staff[1],
                ),
            )
            self.history(
                stamp(confirmed, item_id + 1),
                staff,
                "followup.confirm_class",
                item_id,
                target=entry_id,
                target_type=self.layout.ct_round_item,
                before=cls,
                after=became,
                reason=reason,
                data={"round": info.id, "from": cls, "to": became, "on": day(confirmed)},
            )
        self.w.add(
            "followup_rounditem",
            ROUND_ITEM_COLUMNS,
            (
                entry_id,
                info.id,
                item_id,
                cls,
                became,
                day(confirmed),
                staff[0] if became else None,
                entry_id if became else None,
            ),
        )
        return became or cls, cross

    def finish(self, body: BodyInfo) -> None:
        """After all the body's items: its rounds, supervision activities and evaluation."""
        staff = body.staff[0]
        word = "建议" if body.congress else "提案"
        for info in self.rounds.values():
            self.w.add(
                "followup_followupround",
                ROUND_COLUMNS,
                (
                    info.id,
                    body.id,
                    info.year,
                    f"{info.year}年度B类、C类{word}办理“回头看”",
                    day(info.opened),
                    staff[0],
                    day(info.due),
                    "closed",
                    day(info.closed),
                ),
            )
        self.activities(body)
        self.assessment(body)

    def activities(self, body: BodyInfo) -> None:
        """Supervision activities on the body's key items, each on one or two of them: up to
        ACTIVITIES_PER_YEAR a year, fewer where the year has few key items. Their ids are
        the body's, so the items' rows and timelines point at them from any process."""
        x = self.xrng
        by_year: dict[int, list[tuple[int, int, int]]] = {}
        for key in self.keys:
            by_year.setdefault(key[1], []).append(key)
        n = 0
        for year in sorted(by_year):
            keys = by_year[year]
            count = min(ACTIVITIES_PER_YEAR, 1 + 2 * len(keys))
            for _ in range(count):
                if n >= 999:
                    return
                chosen = x.sample(keys, min(len(keys), 1 + (x.random() < 0.3)))
                start = max(k[2] for k in chosen) + 1
                if start > self.today:
                    continue
                held = x.randint(start, min(self.today, start + 240))
                kind = x.choices(ACTIVITY_KINDS, ACTIVITY_WEIGHTS)[0]
                title, notes = ACTIVITY_TEXTS[kind]
                n += 1
                activity_id = body.id * 1000 + n
                recorded = stamp(held, activity_id)
                staff = x.choice(body.staff)
                self.w.add(
                    "supervision_supervisionactivity",
                    ACTIVITY_COLUMNS,
                    (
                        activity_id,
                        body.id,
                        kind,
                        day(held),
                        title,
                        ""
                        if kind in ("instruction", "written_opinion")
                        else x.choice(PARTICIPANTS),
                        notes,
                        staff[0],
                        recorded,
                        None,
                        None,
                        "",
                    ),
                )
                for item_id, _year, _marked in sorted(chosen):
                    self.w.add(
                        "supervision_supervisionactivity_items",
                        ACTIVITY_ITEM_COLUMNS,
                        (activity_id, item_id),
                    )
                    self.history(
                        recorded,
                        staff,
                        "supervision.activity",
                        item_id,
                        target=activity_id,
                        target_type=self.layout.ct_activity,
                        data={
                            "activity_id": activity_id,
                            "kind": kind,
                            "held_on": day(held),
                            "for": title,
                        },
                    )

    def assessment(self, body: BodyInfo) -> None:
        """The body's third-party evaluation of last year: its default criteria, and one
        submitted commission of four scored items."""
        x = self.xrng
        criteria = []
        for order, (name, weight, description) in enumerate(self.layout.criteria):
            criterion_id = body.index * 8 + order + 1
            criteria.append((criterion_id, weight))
            self.w.add(
                "assessment_criterion",
                CRITERION_COLUMNS,
                (criterion_id, body.id, name, weight, order, description, True),
            )
        chosen = (self.assessable + self.assessable_any)[:4]
        if not chosen:
            return
        year = body.sessions[-1].year - 1
        created = min(dt.date(year + 1, 10, 8).toordinal(), self.today - 40)
        submitted = created + 25
        evaluator = body.evaluator
        self.w.add(
            "assessment_assessment",
            ASSESSMENT_COLUMNS,
            (
                body.id,
                body.id,
                f"{year}年度{'建议' if body.congress else '提案'}办理第三方评估",
                year,
                evaluator[0],
                day(created + 30),
                "submitted",
                body.staff[0][0],
                stamp(created, 0),
                stamp(submitted, 600),
            ),
        )
        for k, item_id in enumerate(chosen):
            entry_id = body.index * 4 + k + 1
            points = [
                (cid, weight, round(weight * x.uniform(0.6, 1.0), 1)) for cid, weight in criteria
            ]
            total = round(sum(p for _c, _w, p in points), 1)
            scored = stamp(created + 5 + 3 * k, k)
            self.w.add(
                "assessment_assesseditem",
                ASSESSED_COLUMNS,
                (
                    entry_id,
                    body.id,
                    item_id,
                    str(total),
                    level_of(Decimal(str(total))),
                    x.choice(CONCLUSIONS),
                    scored,
                    stamp(created, 1 + k),
                ),
            )
            for cid, weight, p in points:
                self.w.add("assessment_score", SCORE_COLUMNS, (entry_id, cid, str(p), weight))
            self.history(
                scored,
                evaluator,
                "assessment.score",
                item_id,
                target=entry_id,
                target_type=self.layout.ct_assessed,
                data={
                    "assessment": body.id,
                    "total": str(total),
                    "level": level_of(Decimal(str(total))),
                },
            )

    def evaluate(self, item_id, round_, proposer, result, at, cosigners, *, counts) -> None:
        rng = self.rng
        attitude = "satisfied" if rng.random() < 0.85 else "basically_satisfied"
        self.w.add(
            "handling_evaluation",
            EVALUATION_COLUMNS,
            (
                item_id,
                round_,
                None,
                proposer.id,
                attitude,
                result,
                rng.choice(corpus.COMMENTS[result]),
                counts,
                at(7),
            ),
        )
        for n, member in enumerate(cosigners[:2]):
            if rng.random() < 0.3:
                self.w.add(
                    "handling_evaluation",
                    EVALUATION_COLUMNS,
                    (
                        item_id,
                        round_,
                        None,
                        member.id,
                        "satisfied",
                        result,
                        "",
                        False,
                        at(7, n + 1),
                    ),
                )


_POOLS: dict[tuple[int, int], dict[bool, list]] = {}


def _pools(seed: int, items: int) -> dict[bool, list]:
    """The paragraphs texts are made of: fewer for a small dataset, which is quicker."""
    per_topic = 60 if items >= 20_000 else 16
    if (seed, per_topic) not in _POOLS:
        rng = random.Random(f"{seed}:pools")
        _POOLS[seed, per_topic] = {
            True: words.build_pools(rng, congress=True, per_topic=per_topic),
            False: words.build_pools(rng, congress=False, per_topic=per_topic),
        }
    return _POOLS[seed, per_topic]


def _run_chunk(bodies: list[int], in_process: bool = False) -> ChunkResult:
    """Write the items of `bodies` (indexes into the layout): in a worker, on its own
    connection and in one transaction; in process, on Django's connection."""
    started = time.monotonic()
    layout = _LAYOUT
    assert layout is not None
    pools = _pools(layout.options.seed, layout.options.items)
    own = layout.vendor == "postgresql" and not in_process
    if own:
        import psycopg

        raw = psycopg.connect(layout.conninfo)
        raw.execute("SET synchronous_commit = off")
    else:
        raw = connection.connection
    writer = Writer(raw, layout.vendor)
    states: dict[str, int] = {}
    try:
        for index in bodies:
            body = layout.bodies[index]
            maker = ItemMaker(
                layout,
                writer,
                random.Random(f"{layout.options.seed}:body:{index}"),
                pools,
                random.Random(f"{layout.options.seed}:supervision:{index}"),
            )
            maker.start(body)
            # Big bodies are flushed as they go, so memory stays bounded.
            step, done = 4000, 0
            while done < body.items:
                part = BodyInfo(**{**body.__dict__})
                part.first_item = body.first_item + done
                part.items = min(step, body.items - done)
                maker.body(part)
                done += part.items
                writer.flush()
            maker.finish(body)
            writer.flush()
            for k, v in maker.states.items():
                states[k] = states.get(k, 0) + v
        if own:
            raw.commit()
    finally:
        if own:
            raw.close()
    return ChunkResult(dict(writer.counts), states, time.monotonic() - started)


# The layout: bodies, their sessions, categories, units, people and accounts.


def _body_shares(rng: random.Random, count: int) -> list[float]:
    """Zipf-like sizes; the first body, the target, the largest (3-5% at a province's
    scale, more when there are only a few bodies)."""
    others = [1 / (i + 1) ** 0.9 * rng.uniform(0.7, 1.3) for i in range(count - 1)]
    total = sum(others) or 1
    others = [o / total for o in others]
    target = max(0.04, 1.4 * max(others, default=0) / (1 + 1.4 * max(others, default=0)))
    return [target, *[o * (1 - target) for o in others]]


def _spread(total: int, shares: list[float], minimum: int) -> list[int]:
    counts = [max(minimum, int(total * s)) for s in shares]
    # The rounding goes to the target body.
    counts[0] += total - sum(counts)
    if counts[0] < minimum:
        raise BenchDataError("Too few items for so many bodies.")
    return counts


def build_layout(options: Options, today: dt.date, vendor: str) -> Layout:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    rng = random.Random(f"{options.seed}:layout")
    assert options.bodies and options.units and options.users
    nb = options.bodies
    shares = _body_shares(rng, nb)
    item_counts = _spread(options.items, shares, 1)
    roots = [s**0.5 for s in shares]
    unit_counts = _spread(options.units, [r / sum(roots) for r in roots], 5)
    t = today.toordinal()
    this_year = today.year
    password = make_password(PASSWORD)
    joined = dt.datetime(this_year - options.years, 1, 1, tzinfo=dt.UTC)

    bodies: list[BodyInfo] = []
    body_rows, rule_rows, term_rows, session_rows, category_rows = [], [], [], [], []
    unit_rows, member_rows, user_rows, membership_rows = [], [], [], []
    next_item = 1
    ids = {"term": 0, "session": 0, "category": 0, "unit": 0, "member": 0, "user": 0}

    def new_id(kind: str) -> int:
        ids[kind] += 1
        return ids[kind]

    # Users: the office (5 a body), one or two per unit, the rest deputies and members.
    office = 5 * nb
    unit_users = sum(unit_counts) + sum(min(3, c) for c in unit_counts) + 2
    member_users_total = max(3 * nb, options.users - office - unit_users)

    def add_user(first: str, last: str, body: BodyInfo, roles: list[str], **extra) -> int:
        uid = new_id("user")
        user_rows.append(
            User(
                id=uid,
                username=f"u{uid}",
                password=password,
                first_name=first,
                last_name=last,
                is_active=True,
                date_joined=joined,
            )
        )
        membership_rows.append(
            Membership(user_id=uid, body_id=body.id, roles=roles, active=True, **extra)
        )
        return uid

    for index in range(nb):
        congress = index % 2 == 0
        if index == 0:
            level, name = "provincial", "示范省人民代表大会"
        elif index < 12:
            level = "city"
            name = f"示范省第{(index + 1) // 2}市{'人民代表大会' if congress else '政协'}"
        else:
            level = "county"
            name = f"示范省第{(index + 1) // 2}县{'人民代表大会' if congress else '政协'}"
        body = BodyInfo(
            index=index,
            id=index + 1,
            congress=congress,
            name=name,
            items=item_counts[index],
            first_item=next_item,
        )
        next_item += body.items
        bodies.append(body)
        body_rows.append(
            Body(
                id=body.id,
                code=f"bench-{index:04d}",
                name=name,
                body_type="congress" if congress else "cppcc",
                level=level,
                parent_id=1 if index and level == "city" else None,
            )
        )
        rules = BodyRules(body_id=body.id, require_2fa=False)
        rule_rows.append(rules)
        # Terms of five years, a plenary session each year and the period between sessions.
        terms: dict[int, int] = {}
        first_year = this_year - options.years + 1
        for y in range(options.years):
            year = first_year + y
            term_no = 14 - (options.years - 1 - y) // 5
            if term_no not in terms:
                terms[term_no] = new_id("term")
                term_rows.append(
                    Term(
                        id=terms[term_no],
                        body_id=body.id,
                        number=term_no,
                        starts_on=dt.date(year, 1, 10),
                        ends_on=dt.date(year + 5, 1, 9),
                    )
                )
            number = (options.years - 1 - y) % 5
            number = 5 - number if term_no < 14 else (y - (options.years - 1 - 4)) % 5 + 1
            last = y == options.years - 1
            opens = t - 20 if last else dt.date(year, 1, 8 + rng.randint(0, 20)).toordinal()
            closes = t + 10 if last else opens + rng.randint(4, 7)
            label = f"{name}第{term_no}届第{number}次会议"
            sid = new_id("session")
            session_rows.append(
                Session(
                    id=sid,
                    term_id=terms[term_no],
                    number=number,
                    period="plenary",
                    name=label,
                    year=year,
                    opens_on=dt.date.fromordinal(opens),
                    closes_on=dt.date.fromordinal(closes),
                )
            )
            body.sessions.append(
                SessionInfo(sid, year, True, opens, closes, rules.plenary_number_format)
            )
            if not last:
                next_opens = (
                    t - 20 if y == options.years - 2 else dt.date(year + 1, 1, 8).toordinal()
                )
                sid = new_id("session")
                session_rows.append(
                    Session(
                        id=sid,
                        term_id=terms[term_no],
                        number=number,
                        period="interim",
                        name=f"{label}闭会期间",
                        year=year,
                        opens_on=dt.date.fromordinal(closes + 1),
                        closes_on=dt.date.fromordinal(next_opens - 1),
                    )
                )
                body.sessions.append(
                    SessionInfo(
                        sid, year, False, closes + 1, next_opens - 1, rules.interim_number_format
                    )
                )
        for order, cat in enumerate(corpus.CATEGORIES):
            cid = new_id("category")
            category_rows.append(Category(id=cid, body_id=body.id, name=cat, order=order))
            body.categories.append(cid)
        # Units: the corpus's first, then numbered offices.
        specs = [
            (spec.key, spec.city if congress else spec.district)
            for spec in corpus.UNITS
            if (spec.city if congress else spec.district)
        ]
        for n in range(unit_counts[index]):
            if n < len(specs):
                key, unit_name = specs[n]
            else:
                key, unit_name = f"x{n}", f"{rng.choice(corpus.NPC_PLACES)}第{n}办事处"
            uid = new_id("unit")
            unit_rows.append(
                Unit(
                    id=uid,
                    body_id=body.id,
                    name=unit_name,
                    sort_key=name_sort_key(str(unit_name)),
                    contact_name="".join(words.person_name(rng)),
                    contact_phone=f"0571-8{uid:07d}",
                )
            )
            first, last_name = words.person_name(rng)[::-1]
            # One coordinator who also signs for most units; the first three have a handler,
            # the target body's also a separate leader.
            if n < 3 or index == 0:
                coord = add_user(first, last_name, body, ["unit_coordinator"], unit_id=uid)
                handler = add_user(
                    *words.person_name(rng)[::-1], body, ["unit_handler"], unit_id=uid
                )
                if index == 0:
                    leader = add_user(
                        *words.person_name(rng)[::-1], body, ["unit_leader"], unit_id=uid
                    )
                else:
                    leader = coord
                    membership_rows[-2].roles = ["unit_coordinator", "unit_leader"]
            else:
                coord = add_user(
                    first,
                    last_name,
                    body,
                    ["unit_coordinator", "unit_handler", "unit_leader"],
                    unit_id=uid,
                )
                handler = leader = coord
            body.units.append(UnitInfo(uid, str(unit_name), key, coord, handler, leader))
        # Office: two staff (the first also administers the body), a supervising leader,
        # an auditor and an evaluator.
        staff1 = add_user(*words.person_name(rng)[::-1], body, ["staff", "body_admin"])
        staff2 = add_user(*words.person_name(rng)[::-1], body, ["staff"])
        supervisor = add_user(*words.person_name(rng)[::-1], body, ["supervisor"])
        auditor = add_user(*words.person_name(rng)[::-1], body, ["auditor"])
        evaluator = add_user(*words.person_name(rng)[::-1], body, ["evaluator"])
        body.staff = [(staff1, f"u{staff1}"), (staff2, f"u{staff2}")]
        body.supervisor = (supervisor, f"u{supervisor}")
        body.auditor = (auditor, f"u{auditor}")
        body.evaluator = (evaluator, f"u{evaluator}")
        # Deputies or members: more in bigger bodies; those with accounts first.
        n_members = max(10, min(600, body.items // 5))
        with_users = max(3, min(n_members, int(member_users_total * shares[index])))
        member_type = "deputy" if congress else "cppcc_member"
        parties = corpus.NPC_PARTIES if congress else corpus.CPPCC_PARTIES
        for n in range(n_members):
            surname, given = words.person_name(rng)
            mid = new_id("member")
            member_rows.append(
                Member(
                    id=mid,
                    body_id=body.id,
                    member_type=member_type,
                    name=surname + given,
                    sort_key=name_sort_key(surname + given, person=True),
                    delegation=rng.choice(corpus.NPC_DELEGATIONS) if congress else "",
                    party=rng.choices([p for p, _ in parties], [w for _, w in parties])[0],
                    sector="" if congress else rng.choice(corpus.CPPCC_SECTORS),
                    employer=rng.choice(corpus.EMPLOYERS).format(
                        place=rng.choice(corpus.NPC_PLACES), city="示范市"
                    ),
                    phone=f"139{mid:08d}",
                )
            )
            user = None
            if n < with_users:
                user = add_user(given, surname, body, ["proposer"], member_id=mid)
            body.members.append(
                MemberInfo(mid, surname + given, user, f"u{user}" if user else surname + given)
            )
        target_unit = next((u for u in body.units if u.key == "zj"), body.units[0])
        body.usernames = {
            "staff": f"u{staff1}",
            "leader": f"u{supervisor}",
            "auditor": f"u{auditor}",
            "deputy": body.members[0].username,
            # Another deputy posts the benchmark's suggestions, so that the drafts a run
            # leaves never grow the measured deputy's own start page in the next run.
            "submitter": body.members[1].username,
            "unit_coordinator": f"u{target_unit.coordinator}",
            "unit_handler": f"u{target_unit.handler}",
            "unit_leader": f"u{target_unit.leader}",
            "evaluator": f"u{evaluator}",
            "unit_id": str(target_unit.id),
        }

    batch = 5000
    Body.objects.bulk_create(body_rows, batch_size=batch)
    BodyRules.objects.bulk_create(rule_rows, batch_size=batch)
    Term.objects.bulk_create(term_rows, batch_size=batch)
    Session.objects.bulk_create(session_rows, batch_size=batch)
    Category.objects.bulk_create(category_rows, batch_size=batch)
    Unit.objects.bulk_create(unit_rows, batch_size=batch)
    Member.objects.bulk_create(member_rows, batch_size=batch)
    User.objects.bulk_create(user_rows, batch_size=batch)
    Membership.objects.bulk_create(membership_rows, batch_size=batch)

    settings_dict = connection.settings_dict
    conninfo = ""
    if vendor == "postgresql":
        from psycopg.conninfo import make_conninfo

        conninfo = make_conninfo(
            dbname=settings_dict["NAME"],
            user=settings_dict.get("USER") or None,
            password=settings_dict.get("PASSWORD") or None,
            host=settings_dict.get("HOST") or None,
            port=str(settings_dict.get("PORT") or "") or None,
        )
    target = bodies[0]
    return Layout(
        options=options,
        today=t,
        bodies=bodies,
        ct_item=ContentType.objects.get_for_model(Item).pk,
        ct_assignment=ContentType.objects.get_for_model(Assignment).pk,
        vendor=vendor,
        tz_suffix="+00" if vendor == "postgresql" else "",
        conninfo=conninfo,
        long_item=target.first_item + target.items // 2,
        ct_activity=ContentType.objects.get_for_model(SupervisionActivity).pk,
        ct_round_item=ContentType.objects.get_for_model(RoundItem).pk,
        ct_assessed=ContentType.objects.get_for_model(AssessedItem).pk,
        criteria=_default_criteria(),
    )


def _default_criteria() -> list[tuple[str, int, str]]:
    from django.conf import settings
    from django.utils.translation import gettext, override

    from banli.assessment.services import DEFAULT_CRITERIA

    with override(settings.LANGUAGE_CODE):
        return [(gettext(n), w, gettext(d)) for n, w, d in DEFAULT_CRITERIA]


def _chunks(layout: Layout, size: int = 5000) -> list[list[int]]:
    chunks: list[list[int]] = []
    current: list[int] = []
    count = 0
    for body in layout.bodies:
        if current and count + body.items > size:
            chunks.append(current)
            current, count = [], 0
        current.append(body.index)
        count += body.items
    if current:
        chunks.append(current)
    # The biggest first, so the two workers finish together.
    chunks.sort(key=lambda c: -sum(layout.bodies[i].items for i in c))
    return chunks


# Indexes and constraints of the big tables, dropped for the load and recreated as they were.


def _tables() -> list[str]:
    return [model._meta.db_table for model in BIG_MODELS]


def drop_secondary(vendor: str) -> list[str]:
    """Drop the big tables' secondary indexes (and on PostgreSQL their unique and foreign
    key constraints); return the statements that recreate them, in order."""
    tables = _tables()
    restore: list[str] = []
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(
                "SELECT c.conname, c.conrelid::regclass::text, c.contype, "
                "pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.conrelid::regclass::text = ANY(%s) AND c.contype IN ('u', 'f') "
                "ORDER BY c.contype DESC, c.conname",
                [tables],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname "
                "AND c.conrelid::regclass::text = i.tablename) ORDER BY i.indexname",
                [tables],
            )
            indexes = cursor.fetchall()
            for name, table, _type, _definition in constraints:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            restore += [definition for _name, definition in indexes]
            # Unique constraints ('u') before the foreign keys ('f'), as sorted above.
            restore += [
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
                for name, table, _type, definition in constraints
            ]
        else:
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({marks}) ORDER BY name",
                tables,
            )
            for name, sql in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                restore.append(sql)
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'items_item' "
                "AND name LIKE 'items_item_search_%'"
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER "{name}"')
    return restore


def _restore(statements: list[str], vendor: str, conninfo: str, workers: int) -> None:
    if vendor != "postgresql" or workers < 2:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        return
    indexes = [s for s in statements if not s.startswith("ALTER TABLE")]
    constraints = [s for s in statements if s.startswith("ALTER TABLE")]
    uniques = [s for s in constraints if " UNIQUE " in s]
    foreign = [s for s in constraints if s not in uniques]
    # Indexes two at a time; constraints after (a foreign key needs no new index).
    for group in (indexes + uniques, foreign):
        halves = [group[0::2], group[1::2]]
        with multiprocessing.get_context("fork").Pool(2) as pool:
            pool.starmap(_run_statements, [(conninfo, half) for half in halves])


def _run_statements(conninfo: str, statements: list[str]) -> None:
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as raw:
        raw.execute("SET maintenance_work_mem = '1GB'")
        for statement in statements:
            raw.execute(statement)


# The command.


def _check_database() -> None:
    from django.contrib.auth import get_user_model
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", verbosity=0, interactive=False)
    if Body.objects.exists() or Item.objects.exists() or get_user_model().objects.exists():
        raise BenchDataError(
            "The database already holds data; bench_data writes into an empty, migrated "
            "database only (create a new one, run `banli migrate`, then bench_data)."
        )


def generate(options: Options, *, log=print) -> dict[str, Any]:
    """Fill the (empty) database; return the manifest."""
    global _LAYOUT
    options = scaled(options)
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BenchDataError(f"bench_data writes to PostgreSQL or SQLite, not {vendor}.")
    started = time.monotonic()
    phases: dict[str, float] = {}

    def phase(name: str, since: float) -> float:
        now = time.monotonic()
        phases[name] = round(now - since, 2)
        log(f"  {name}: {phases[name]:.1f}s")
        return now

    mark = started
    _check_database()
    mark = phase("check", mark)
    today = options.today or dt.date.today()
    from django.db import transaction

    big = options.items >= 20_000 and options.workers > 0
    if vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -1000000")
            cursor.execute("PRAGMA temp_store = MEMORY")
    with transaction.atomic():
        layout = build_layout(options, today, vendor)
    _LAYOUT = layout
    mark = phase("layout", mark)
    restore: list[str] = []
    if big:
        restore = drop_secondary(vendor)
        mark = phase("drop_indexes", mark)
    states: dict[str, int] = {}
    counts: dict[str, int] = {}
    chunks = _chunks(layout)

    def merge(result: ChunkResult) -> None:
        for k, v in result.counts.items():
            counts[k] = counts.get(k, 0) + v
        for k, v in result.states.items():
            states[k] = states.get(k, 0) + v

    done = 0
    if vendor == "postgresql" and big and options.workers > 1:
        connection.close()
        with multiprocessing.get_context("fork").Pool(options.workers) as pool:
            for result in pool.imap_unordered(_run_chunk, chunks):
                merge(result)
                done += result.counts.get("items_item", 0)
                log(f"    {done:,} items")
    else:
        for chunk in chunks:
            with transaction.atomic():
                merge(_run_chunk(chunk, in_process=True))
    mark = phase("items", mark)
    if restore:
        _restore(restore, vendor, layout.conninfo, options.workers)
        mark = phase("restore_indexes", mark)
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            # The triggers were dropped for a big load; either way the index is rebuilt.
            rebuild_sqlite_index(connection)
            mark = phase("search_index", mark)
            if not connection.in_atomic_block:
                cursor.execute("PRAGMA foreign_keys = ON")
        else:
            for model in EXPLICIT_ID_MODELS:
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
                )
            from django.contrib.auth import get_user_model

            for model in (
                Body,
                BodyRules,
                Term,
                Session,
                Category,
                Unit,
                Member,
                Membership,
                get_user_model(),
            ):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
                )
        if not connection.in_atomic_block:
            # VACUUM as well as ANALYZE: a database that has been running for years has been
            # vacuumed by autovacuum, so its index-only scans (the list counts) skip the
            # table; and an autovacuum of the freshly loaded tables must not start during the
            # measurements.
            cursor.execute("VACUUM (ANALYZE)" if vendor == "postgresql" else "ANALYZE")
        mark = phase("analyze", mark)
    if vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    total = round(time.monotonic() - started, 2)
    target = layout.bodies[0]
    usernames = dict(target.usernames)
    unit_id = int(usernames.pop("unit_id"))
    plenary = [s for s in target.sessions if s.plenary][-1]
    return {
        "items": options.items,
        "bodies": options.bodies,
        "units": options.units,
        "users": _count_users(),
        "database": vendor,
        "seed": options.seed,
        "generated_seconds": total,
        "phases": phases,
        "target": {
            "body_id": target.id,
            "session_id": plenary.id,
            "category_id": target.categories[1],
            "kind": "suggestion",
            "long_timeline_item_id": layout.long_item,
            "unit_id": unit_id,
        },
        "users_by_role": usernames,
        "supervision": _supervision_ids(target.id, layout.long_item, today),
        "search": {"two_char": TWO_CHAR, "multi_word": MULTI_WORD},
        "target_items": target.items,
        "today": today.isoformat(),
        "states": dict(sorted(states.items())),
        "rows": dict(sorted(counts.items())),
    }


def _supervision_ids(body_id: int, long_item: int, today: dt.date) -> dict[str, Any]:
    """What the pages of the supervision year are measured on, in the target body: the
    latest year of its activities and one of them, an open key item (to chase), its latest
    follow-up round and its submitted evaluation."""
    from banli.supervision.services import CHASE_STATES

    latest = (
        SupervisionActivity.objects.filter(body_id=body_id)
        .order_by("-held_on", "-id")
        .values_list("id", "held_on")
        .first()
    )
    key = (
        KeyItem.objects.filter(item__body_id=body_id, item__state__in=CHASE_STATES)
        .order_by("-year", "-item_id")
        .values_list("item_id", flat=True)
        .first()
    )
    round_id = (
        FollowUpRound.objects.filter(body_id=body_id)
        .order_by("-year", "-id")
        .values_list("id", flat=True)
        .first()
    )
    assessment = (
        Assessment.objects.filter(body_id=body_id, state="submitted")
        .order_by("-year", "-id")
        .values_list("id", "year")
        .first()
    )
    return {
        "activity_year": latest[1].year if latest else today.year,
        "activity_id": latest[0] if latest else None,
        "open_key_item_id": key or long_item,
        "followup_round_id": round_id,
        "assessment_id": assessment[0] if assessment else None,
        "assessment_year": assessment[1] if assessment else today.year - 1,
    }


def _count_users() -> int:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.count()
