"""The demo (示范数据): a city people's congress and a district CPPCC, with a year of items.

The setup (bodies, rules, categories, units, people, accounts) is written directly. Everything
that happens to an item goes through the services, each step on its own day under
`clock.frozen`, walking forward from the session in January to the demo's "today", so
timestamps, due dates and histories read as they would in use.

The demo is deterministic: every choice comes from a seeded random generator, every date is
fixed. It is anchored at ANCHOR (the day it was written for): several items are overdue then,
work waits in every role's inbox, and the open due dates are spread so that something falls
due within a month of any day until May 2027. Later than that, move ANCHOR and the session
dates a year on together.
"""

import datetime as dt
import functools
import itertools
import random
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from banli.bodies.models import (
    Body,
    BodyRules,
    BodyType,
    Category,
    Level,
    Member,
    Membership,
    MemberType,
    Role,
    Session,
    SessionPeriod,
    Term,
    Unit,
)
from banli.core import calendar, clock
from banli.core.calendar import add_months
from banli.core.errors import DomainError
from banli.handling import services as handling
from banli.handling.models import Assignment, Extension, Rating
from banli.items import services as items
from banli.items.models import Item, Kind
from banli.notices import services as notices
from banli.notices.models import Notice
from banli.supervision import services as supervision

from . import corpus, supervision_year

PASSWORD = "banli-demo-2026"
ANCHOR = dt.date(2026, 11, 25)
LAST_DAY = ANCHOR - dt.timedelta(days=1)
SEED = 2026
NPC, CPPCC = "demo-npc", "demo-cppcc"
PLENARY, INTERIM = "plenary", "interim"
MONTH = dt.timedelta(days=30)


def d(month: int, day: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


# ---------------------------------------------------------------------------------------------
# Accounts


# Fields that hold a model's choices (Role.STAFF, Kind.MOTION…) are typed Any: without
# django-stubs, mypy sees a TextChoices member as the (value, label) tuple it is declared with.


@dataclass(frozen=True)
class Account:
    """A demo account with the shared password."""

    username: str
    body: str | None
    label: object
    name: str
    roles: tuple[Any, ...] = ()
    unit: str = ""
    member: str = ""
    superuser: bool = False


def _unit_accounts(body: str, prefix: str, key: str, names: tuple[str, str, str]):
    labels = (
        (Role.UNIT_COORDINATOR, "coord", gettext_lazy("Unit coordinator")),
        (Role.UNIT_HANDLER, "handler", gettext_lazy("Unit handler")),
        (Role.UNIT_LEADER, "leader", gettext_lazy("Unit leader (signs replies)")),
    )
    return tuple(
        Account(f"{prefix}-{key}-{suffix}", body, label, name, roles=(role,), unit=key)
        for (role, suffix, label), name in zip(labels, names, strict=True)
    )


ACCOUNTS = (
    Account("admin", None, gettext_lazy("Administrator (superuser)"), "系统管理员", superuser=True),
    Account(
        "staff",
        NPC,
        gettext_lazy("Body staff, deputies' affairs committee"),
        "赵静",
        roles=(Role.STAFF,),
    ),
    Account("auditor", NPC, gettext_lazy("Auditor"), "钱卫东", roles=(Role.AUDITOR,)),
    Account(
        "body-admin",
        NPC,
        gettext_lazy("Body administrator: users, units, rules"),
        "吴建国",
        roles=(Role.BODY_ADMIN,),
    ),
    Account("leader", NPC, gettext_lazy("Supervising leader"), "张明华", roles=(Role.SUPERVISOR,)),
    Account(
        "evaluator", NPC, gettext_lazy("Third-party evaluator"), "郑思远", roles=(Role.EVALUATOR,)
    ),
    Account(
        "deputy",
        NPC,
        gettext_lazy("Deputy, lead proposer of many items"),
        "陈立新",
        roles=(Role.PROPOSER,),
        member="deputy",
    ),
    Account(
        "deputy2",
        NPC,
        gettext_lazy("Deputy, asked to co-sign"),
        "李晓梅",
        roles=(Role.PROPOSER,),
        member="deputy2",
    ),
    *_unit_accounts(NPC, "unit", "zj", ("黄海涛", "林佳琪", "郭振宇")),
    *_unit_accounts(NPC, "unit", "jt", ("何文静", "罗俊杰", "梁德明")),
    Account(
        "cppcc-staff",
        CPPCC,
        gettext_lazy("Body staff, proposals committee"),
        "孙丽",
        roles=(Role.STAFF,),
    ),
    Account("cppcc-auditor", CPPCC, gettext_lazy("Auditor"), "冯秀兰", roles=(Role.AUDITOR,)),
    Account(
        "cppcc-body-admin",
        CPPCC,
        gettext_lazy("Body administrator: users, units, rules"),
        "蒋红梅",
        roles=(Role.BODY_ADMIN,),
    ),
    Account(
        "cppcc-leader",
        CPPCC,
        gettext_lazy("Supervising leader"),
        "刘志强",
        roles=(Role.SUPERVISOR,),
    ),
    Account(
        "cppcc-evaluator",
        CPPCC,
        gettext_lazy("Third-party evaluator"),
        "谢雨婷",
        roles=(Role.EVALUATOR,),
    ),
    Account(
        "member",
        CPPCC,
        gettext_lazy("CPPCC member, lead proposer"),
        "周文博",
        roles=(Role.PROPOSER,),
        member="member",
    ),
    Account(
        "member2",
        CPPCC,
        gettext_lazy("CPPCC member, asked to co-sign"),
        "吴敏",
        roles=(Role.PROPOSER,),
        member="member2",
    ),
    *_unit_accounts(CPPCC, "cppcc-unit", "jy", ("唐晓燕", "韩宇轩", "曹正清")),
)


# People who belong to a second body (one membership each, switched in the page header):
# the congress auditor also audits the CPPCC's records.
ALSO_IN: dict[str, tuple[str, tuple[Any, ...]]] = {"auditor": (CPPCC, (Role.AUDITOR,))}


# ---------------------------------------------------------------------------------------------
# The two bodies


@dataclass(frozen=True)
class Slot:
    """`count` items that end the walk in `fate`, with options for how they get there.

    A fate is the item's state on ANCHOR, or a finer name for it: `awaiting_cosign` (a draft
    with open invitations), `pending` and `disputed` (assigned; the unit has not accepted,
    or has disputed), `handling` (in handling), `closed_sat` / `closed_basic` (closed on a
    满意 / 基本满意 evaluation), `closed_second` (不满意, re-handled, closed on the second
    evaluation), `closed_unevaluated` (closed by the nightly sweep as 未评价).
    """

    fate: str
    count: int
    batch: str = INTERIM
    who: str = ""  # a named member (account) as the lead proposer
    group: bool = False  # a delegation or party group as the proposer
    unit: str = ""  # the unit the item lands with
    kind: Any = ""
    signers: int = 0  # a joint motion with this many deputies
    pending: tuple[str, ...] = ()  # named members whose co-sign invitation stays open
    key: bool = False
    complex: bool = False
    # When an item between sessions is assigned (交办); for open items this sets the due
    # dates, which are spread so that some fall due in every month after ANCHOR.
    window: tuple[dt.date, dt.date] | None = None
    drafted: bool = False  # a reply drafted and waiting for the leader's signature
    extension: str = ""  # approved / refused / pending
    dispute: str = ""  # reassign / dismiss
    late: bool = False
    multi_lead: bool = False
    returned_once: bool = False
    convert: bool = False
    withdraw_from: str = ""


@dataclass(frozen=True)
class BodySpec:
    code: str
    name: str
    body_type: Any
    level: Any
    term: int
    session_name: str
    interim_name: str
    opens: dt.date
    closes: dt.date
    city: str
    we: str
    honorific: str
    places: tuple[str, ...]
    individuals: int
    named: dict[str, tuple[str, ...]]
    groups: tuple[tuple[Any, str], ...]
    parties: tuple[tuple[str, int], ...]
    lead_handlers: tuple[str, ...]
    class_shares: tuple[tuple[str, int], ...]
    # The session's calendar: drafting, submission, review, the assignment meeting (交办会).
    draft_from: dt.date
    submit_to: dt.date
    accept_from: dt.date
    accept_to: dt.date
    convert_day: dt.date
    merge_day: dt.date
    assign_day: dt.date
    assign_day2: dt.date
    key_day: dt.date
    slots: tuple[Slot, ...]
    extra_supervisor: tuple[str, str]


OVERDUE = (d(6, 1), d(8, 20))  # due (three months on) before ANCHOR, not replied

NPC_SLOTS = (
    Slot("draft", 2),
    Slot("draft", 1, who="deputy"),
    Slot("awaiting_cosign", 1, who="deputy", pending=("deputy2",)),
    Slot("awaiting_cosign", 2, pending=("deputy2",)),
    Slot("awaiting_cosign", 1),
    Slot("submitted", 3),
    Slot("submitted", 1, group=True),
    Slot("under_review", 4),
    Slot("returned", 1, who="deputy"),
    Slot("returned", 2),
    Slot("withdrawn", 1, withdraw_from="draft"),
    Slot("withdrawn", 1, withdraw_from="submitted", batch=PLENARY),
    Slot("withdrawn", 1, withdraw_from="returned"),
    Slot("rejected", 1, batch=PLENARY),
    Slot("rejected", 2),
    Slot("accepted", 3),
    Slot("pending", 2, unit="zj"),
    Slot("pending", 2, unit="jt"),
    Slot("pending", 2),
    Slot("disputed", 1, unit="zj"),
    Slot("disputed", 1),
    # In handling on ANCHOR: overdue, due within weeks, due in spring (complex: six months).
    Slot("handling", 1, batch=PLENARY, kind=Kind.MOTION, signers=12, key=True, complex=True),
    Slot("handling", 1, batch=PLENARY, key=True),
    Slot("handling", 1, window=OVERDUE, extension="refused"),
    Slot("handling", 1, window=OVERDUE, unit="jt"),
    Slot("handling", 2, window=OVERDUE),
    Slot("handling", 1, window=(d(8, 26), d(9, 2)), unit="zj", drafted=True),
    Slot("handling", 1, window=(d(9, 3), d(9, 10)), unit="jt", drafted=True),
    Slot("handling", 1, window=(d(9, 11), d(9, 18)), extension="approved"),
    Slot("handling", 1, window=(d(9, 14), d(9, 21)), who="deputy"),
    Slot("handling", 3, window=(d(8, 27), d(9, 25))),
    Slot("handling", 1, window=(d(10, 8), d(10, 20)), extension="pending"),
    Slot("handling", 1, window=(d(10, 9), d(10, 30)), who="deputy", unit="zj"),
    Slot("handling", 1, window=(d(10, 20), d(11, 6)), unit="zj"),
    Slot("handling", 2, window=(d(10, 1), d(11, 6))),
    Slot("handling", 1, window=(d(9, 1), d(9, 10)), complex=True),
    Slot("handling", 1, window=(d(9, 18), d(9, 30)), complex=True),
    Slot("handling", 1, window=(d(10, 12), d(10, 20)), complex=True),
    Slot("handling", 1, window=(d(11, 2), d(11, 6)), complex=True),
    Slot("replied", 2, who="deputy"),
    Slot("replied", 1, who="deputy2"),
    Slot("replied", 1, unit="zj"),
    Slot("replied", 6),
    Slot("rehandling", 1, who="deputy"),
    Slot("rehandling", 2),
    Slot("closed_sat", 1, batch=PLENARY, kind=Kind.MOTION, signers=10, key=True),
    Slot("closed_sat", 1, batch=PLENARY, kind=Kind.MOTION, signers=11),
    Slot("closed_basic", 1, batch=PLENARY, kind=Kind.MOTION, group=True),
    Slot("closed_sat", 1, batch=PLENARY, kind=Kind.MOTION, signers=10, convert=True),
    Slot("closed_basic", 1, batch=PLENARY, kind=Kind.MOTION, signers=10, convert=True),
    Slot("closed_sat", 4, batch=PLENARY, key=True),
    Slot("closed_basic", 1, batch=PLENARY, key=True),
    Slot("closed_sat", 3, batch=PLENARY, who="deputy"),
    Slot("closed_basic", 1, batch=PLENARY, who="deputy"),
    Slot("closed_sat", 2, batch=PLENARY, who="deputy2"),
    Slot("closed_sat", 1, batch=PLENARY, dispute="reassign"),
    Slot("closed_sat", 1, batch=PLENARY, dispute="dismiss"),
    Slot("closed_sat", 2, batch=PLENARY, multi_lead=True),
    Slot("closed_sat", 3, batch=PLENARY, returned_once=True),
    Slot("closed_sat", 3, batch=PLENARY, late=True),
    Slot("closed_sat", 2, batch=PLENARY, extension="approved"),
    Slot("closed_sat", 2, batch=PLENARY, group=True),
    Slot("closed_sat", 53, batch=PLENARY),
    Slot("closed_basic", 17, batch=PLENARY),
    Slot("closed_second", 4, batch=PLENARY),
    Slot("closed_unevaluated", 6, batch=PLENARY),
    Slot("closed_sat", 25),
    Slot("closed_basic", 6),
    Slot("closed_second", 1),
    Slot("closed_unevaluated", 4),
    Slot("merged", 4, batch=PLENARY),
)

CPPCC_SLOTS = (
    Slot("draft", 1, who="member"),
    Slot("draft", 1),
    Slot("awaiting_cosign", 1, pending=("member2",)),
    Slot("awaiting_cosign", 1),
    Slot("submitted", 1),
    Slot("submitted", 1, group=True),
    Slot("under_review", 3),
    Slot("returned", 1),
    Slot("withdrawn", 1, withdraw_from="submitted"),
    Slot("rejected", 2, batch=PLENARY),
    Slot("rejected", 2),
    Slot("accepted", 2),
    Slot("pending", 2, unit="jy"),
    Slot("pending", 1),
    Slot("disputed", 1),
    Slot("handling", 1, batch=PLENARY, key=True, complex=True),
    Slot("handling", 1, window=OVERDUE),
    Slot("handling", 1, window=(d(8, 27), d(9, 3)), unit="jy", drafted=True),
    Slot("handling", 1, window=(d(9, 7), d(9, 14)), who="member"),
    Slot("handling", 1, window=(d(9, 15), d(9, 22)), extension="approved"),
    Slot("handling", 1, window=(d(10, 8), d(10, 14))),
    Slot("handling", 1, window=(d(10, 20), d(10, 30)), extension="pending"),
    Slot("handling", 1, window=(d(11, 2), d(11, 6))),
    Slot("handling", 1, window=(d(9, 1), d(9, 10)), unit="jy", complex=True),
    Slot("handling", 1, window=(d(9, 21), d(9, 30)), complex=True),
    Slot("handling", 1, window=(d(10, 12), d(10, 20)), complex=True),
    Slot("handling", 1, window=(d(11, 2), d(11, 6)), complex=True),
    Slot("replied", 2, who="member"),
    Slot("replied", 1, who="member2"),
    Slot("replied", 1, unit="jy"),
    Slot("rehandling", 1),
    Slot("closed_sat", 3, batch=PLENARY, key=True),
    Slot("closed_sat", 1, batch=PLENARY, key=True, group=True),
    Slot("closed_sat", 3, batch=PLENARY, who="member"),
    Slot("closed_sat", 1, batch=PLENARY, who="member2"),
    Slot("closed_sat", 4, batch=PLENARY, group=True),
    Slot("closed_sat", 1, batch=PLENARY, dispute="reassign"),
    Slot("closed_sat", 1, batch=PLENARY, multi_lead=True),
    Slot("closed_sat", 1, batch=PLENARY, late=True),
    Slot("closed_sat", 8, batch=PLENARY),
    Slot("closed_basic", 6, batch=PLENARY),
    Slot("closed_second", 2, batch=PLENARY),
    Slot("closed_unevaluated", 3, batch=PLENARY),
    Slot("closed_sat", 4),
    Slot("closed_basic", 1),
    Slot("closed_unevaluated", 1),
    Slot("merged", 2, batch=PLENARY),
)

BODIES = (
    BodySpec(
        code=NPC,
        name="示范市人民代表大会",
        body_type=BodyType.CONGRESS,
        level=Level.CITY,
        term=17,
        session_name="示范市第十七届人民代表大会第三次会议",
        interim_name="示范市第十七届人民代表大会第三次会议闭会期间",
        opens=d(1, 10),
        closes=d(1, 14),
        city="示范市",
        we="我市",
        honorific="代表",
        places=tuple(corpus.NPC_PLACES),
        individuals=72,
        named={
            "deputy": ("陈立新", "城东区代表团", "民进", "示范市第一人民医院副院长"),
            "deputy2": ("李晓梅", "城东区代表团", "中国共产党", "城东区南湖街道社区党委书记"),
        },
        groups=((MemberType.DELEGATION, "城东区代表团"), (MemberType.DELEGATION, "滨江区代表团")),
        parties=corpus.NPC_PARTIES,
        lead_handlers=corpus.LEAD_HANDLERS_NPC,
        class_shares=(("A", 84), ("B", 13), ("C", 3)),
        draft_from=d(1, 4),
        submit_to=d(1, 13),
        accept_from=d(1, 19),
        accept_to=d(2, 6),
        convert_day=d(1, 21),
        merge_day=d(2, 6),
        assign_day=d(2, 10),
        assign_day2=d(2, 26),
        key_day=d(2, 25),
        slots=NPC_SLOTS,
        extra_supervisor=("npc-leader2", "孙国强"),
    ),
    BodySpec(
        code=CPPCC,
        name="示范区政协",
        body_type=BodyType.CPPCC,
        level=Level.COUNTY,
        term=5,
        session_name="示范区政协第五届委员会第三次会议",
        interim_name="示范区政协第五届委员会第三次会议闭会期间",
        opens=d(1, 6),
        closes=d(1, 9),
        city="示范区",
        we="我区",
        honorific="委员",
        places=tuple(corpus.CPPCC_PLACES),
        individuals=46,
        named={
            "member": ("周文博", "", "民进", "示范区实验小学校长", "教育界"),
            "member2": ("吴敏", "", "农工党", "示范区人民医院主任医师", "医药卫生界"),
        },
        groups=(
            (MemberType.PARTY, "民进示范区委员会"),
            (MemberType.PARTY, "农工党示范区委员会"),
            (MemberType.PARTY, "九三学社示范区委员会"),
            (MemberType.PARTY, "民盟示范区委员会"),
            (MemberType.SECTOR, "区政协教育界"),
        ),
        parties=corpus.CPPCC_PARTIES,
        lead_handlers=corpus.LEAD_HANDLERS_CPPCC,
        class_shares=(("A", 85), ("B", 13), ("C", 2)),
        draft_from=d(1, 2),
        submit_to=d(1, 8),
        accept_from=d(1, 13),
        accept_to=d(2, 4),
        convert_day=d(1, 21),
        merge_day=d(2, 4),
        assign_day=d(2, 12),
        assign_day2=d(2, 27),
        key_day=d(2, 26),
        slots=CPPCC_SLOTS,
        extra_supervisor=("cppcc-leader2", "钱正华"),
    ),
)


class DemoConflict(Exception):
    """The database holds something the demo would clash with."""


# ---------------------------------------------------------------------------------------------
# Working days, for planning


class Days:
    """The official calendar (banli.core.calendar), cached for planning a year of steps."""

    def __init__(self) -> None:
        self._working: dict[dt.date, bool] = {}

    def working(self, day: dt.date) -> bool:
        if day not in self._working:
            self._working[day] = calendar.is_working_day(day)
        return self._working[day]

    def on_or_after(self, day: dt.date) -> dt.date:
        while not self.working(day):
            day += dt.timedelta(days=1)
        return day

    def add(self, day: dt.date, n: int) -> dt.date:
        """`n` working days after `day`."""
        for _step in range(n):
            day = self.on_or_after(day + dt.timedelta(days=1))
        return day

    def sub(self, day: dt.date, n: int) -> dt.date:
        for _step in range(n):
            day -= dt.timedelta(days=1)
            while not self.working(day):
                day -= dt.timedelta(days=1)
        return day

    def pick(self, rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
        """A working day in [first, last]; the first working day after `first` if none."""
        choices = [
            first + dt.timedelta(days=n)
            for n in range((last - first).days + 1)
            if self.working(first + dt.timedelta(days=n))
        ]
        return rng.choice(choices) if choices else self.on_or_after(first)


def span(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    """Any day in [first, last] (`first` when the range is empty)."""
    return first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# ---------------------------------------------------------------------------------------------
# The cast of one body: its setup, written directly


@dataclass
class UnitPeople:
    coord: Any
    handler: Any
    leader: Any


@dataclass
class Cast:
    spec: BodySpec
    body: Body
    plenary: Session
    interim: Session
    categories: list[Category]
    units: dict[str, Unit] = field(default_factory=dict)
    people: dict[str, UnitPeople] = field(default_factory=dict)
    staff: Any = None
    supervisors: list[Any] = field(default_factory=list)
    individuals: list[Member] = field(default_factory=list)
    groups: list[Member] = field(default_factory=list)
    named: dict[str, Member] = field(default_factory=dict)
    users: dict[int, Any] = field(default_factory=dict)

    def unit_name(self, key: str) -> str:
        return self.units[key].name


class NamePool:
    """Unique Chinese names for one body."""

    def __init__(self, rng: random.Random, taken: Iterable[str]):
        self.rng = rng
        self.taken = set(taken)

    def __call__(self) -> str:
        while True:
            name = self.rng.choice(corpus.SURNAMES) + self.rng.choice(corpus.GIVEN_NAMES)
            if name not in self.taken:
                self.taken.add(name)
                return name


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p for p, _w in pairs], weights=[w for _p, w in pairs])[0]


# The accounts of people who are not demo accounts (no usable password).
UNIT_SUFFIXES: dict[Any, str] = {
    Role.UNIT_COORDINATOR: "coord",
    Role.UNIT_HANDLER: "handler",
    Role.UNIT_LEADER: "leader",
}


def _prefix(spec: BodySpec) -> str:
    return "npc" if spec.body_type == BodyType.CONGRESS else "cppcc"


def member_username(spec: BodySpec, n: int) -> str:
    letter = "d" if spec.body_type == BodyType.CONGRESS else "m"
    return f"{_prefix(spec)}-{letter}{n:03d}"


def group_username(spec: BodySpec, n: int) -> str:
    return f"{_prefix(spec)}-g{n}"


def unit_username(spec: BodySpec, unit: str, role: Any) -> str:
    return f"{_prefix(spec)}-{unit}-{UNIT_SUFFIXES[role]}"


class Setup:
    """Creates one body with everything that is configuration rather than history."""

    def __init__(self, spec: BodySpec, hashes: "PasswordHashes"):
        self.spec = spec
        self.rng = random.Random(f"{SEED}-{spec.code}-setup")
        self.hashes = hashes
        self.accounts = [a for a in ACCOUNTS if a.body == spec.code]
        taken = [a.name for a in self.accounts] + [n[0] for n in spec.named.values()]
        self.names = NamePool(self.rng, taken)
        self.demo_usernames = {a.username for a in self.accounts}

    def user(self, username: str, name: str, roles, *, unit=None, member=None, phone=""):
        demo = username in self.demo_usernames
        user = get_user_model().objects.create(
            username=username,
            first_name=name,
            password=self.hashes(username) if demo else make_password(None),
        )
        Membership.objects.create(
            user=user,
            body=self.cast.body,
            roles=[str(r) for r in roles],
            unit=unit,
            member=member,
            phone=phone,
        )
        return user

    def account(self, key: str, **kw):
        account = next(a for a in self.accounts if a.username == key)
        return self.user(account.username, account.name, account.roles, **kw)

    def run(self) -> Cast:
        spec = self.spec
        body = Body.objects.create(
            code=spec.code, name=spec.name, body_type=spec.body_type, level=spec.level
        )
        # The walk-through logs in as every role with the published password: no phone.
        BodyRules.objects.create(body=body, require_2fa=False)
        term = Term.objects.create(
            body=body, number=spec.term, starts_on=d(1, 1, 2022), ends_on=d(1, 31, 2027)
        )
        plenary = Session.objects.create(
            term=term,
            number=3,
            period=SessionPeriod.PLENARY,
            name=spec.session_name,
            year=2026,
            opens_on=spec.opens,
            closes_on=spec.closes,
        )
        interim = Session.objects.create(
            term=term,
            number=3,
            period=SessionPeriod.INTERIM,
            name=spec.interim_name,
            year=2026,
            opens_on=spec.closes + dt.timedelta(days=1),
        )
        categories = [
            Category.objects.create(body=body, name=name, order=order)
            for order, name in enumerate(corpus.CATEGORIES)
        ]
        self.cast = cast = Cast(spec, body, plenary, interim, categories)
        self._units()
        cast.staff = self.account(self._username(Role.STAFF))
        self.account(self._username(Role.AUDITOR))
        self.account(self._username(Role.BODY_ADMIN))
        self.account(self._username(Role.EVALUATOR))
        cast.supervisors = [self.account(self._username(Role.SUPERVISOR))]
        username, name = spec.extra_supervisor
        cast.supervisors.append(self.user(username, name, [Role.SUPERVISOR]))
        self._members()
        return cast

    def _username(self, role: Any) -> str:
        return next(a.username for a in self.accounts if role in a.roles and not a.unit)

    def _phone(self) -> str:
        return f"1380000{self.rng.randint(0, 9999):04d}"

    def _units(self) -> None:
        cast, congress = self.cast, self.spec.body_type == BodyType.CONGRESS
        by_unit: dict[str, list[Account]] = {}
        for account in self.accounts:
            if account.unit:
                by_unit.setdefault(account.unit, []).append(account)
        for spec in corpus.UNITS:
            name = spec.city if congress else spec.district
            if name is None:
                continue
            parent = cast.units.get(spec.parent) if spec.parent else None
            landline = f"8{self.rng.randint(1000000, 9999999)}"
            unit = Unit.objects.create(body=cast.body, name=name, parent=parent)
            demo = {a.roles[0]: a for a in by_unit.get(spec.key, [])}
            people = []
            for role in UNIT_SUFFIXES:
                account = demo.get(role)
                username = account.username if account else unit_username(self.spec, spec.key, role)
                person_name = account.name if account else self.names()
                phone = landline if role == Role.UNIT_COORDINATOR else self._phone()
                people.append(self.user(username, person_name, [role], unit=unit, phone=phone))
            unit.contact_name, unit.contact_phone = people[0].first_name, landline
            unit.save()
            cast.units[spec.key] = unit
            cast.people[spec.key] = UnitPeople(*people)

    def _members(self) -> None:
        cast, spec, rng = self.cast, self.spec, self.rng
        congress = spec.body_type == BodyType.CONGRESS
        individual = MemberType.DEPUTY if congress else MemberType.CPPCC_MEMBER
        for key, (name, delegation, party, employer, *sector) in spec.named.items():
            member = Member.objects.create(
                body=cast.body,
                member_type=individual,
                name=name,
                delegation=delegation,
                party=party,
                sector=sector[0] if sector else "",
                employer=employer,
                phone=self._phone(),
            )
            cast.named[key] = member
            cast.individuals.append(member)
            cast.users[member.pk] = self.account(key, member=member, phone=member.phone)
        for n in range(1, spec.individuals - len(spec.named) + 1):
            place = rng.choice(spec.places)
            member = Member.objects.create(
                body=cast.body,
                member_type=individual,
                name=self.names(),
                delegation=rng.choice(corpus.NPC_DELEGATIONS) if congress else "",
                party=_weighted(rng, spec.parties),
                sector="" if congress else rng.choice(corpus.CPPCC_SECTORS),
                employer=rng.choice(corpus.EMPLOYERS).format(place=place, city=spec.city),
                phone=self._phone(),
            )
            cast.individuals.append(member)
            cast.users[member.pk] = self.user(
                member_username(spec, n),
                member.name,
                [Role.PROPOSER],
                member=member,
                phone=member.phone,
            )
        for n, (member_type, name) in enumerate(spec.groups, start=1):
            member = Member.objects.create(
                body=cast.body, member_type=member_type, name=name, phone=self._phone()
            )
            cast.groups.append(member)
            cast.users[member.pk] = self.user(
                group_username(spec, n), name, [Role.PROPOSER], member=member, phone=member.phone
            )


def planned_usernames() -> set[str]:
    """Every username the demo creates, to find clashes before writing anything."""
    names = {a.username for a in ACCOUNTS}
    for spec in BODIES:
        names.add(spec.extra_supervisor[0])
        names.update(member_username(spec, n) for n in range(1, spec.individuals + 1))
        names.update(group_username(spec, n) for n in range(1, len(spec.groups) + 1))
        for unit in corpus.UNITS:
            names.update(unit_username(spec, unit.key, role) for role in UNIT_SUFFIXES)
    return names


# ---------------------------------------------------------------------------------------------
# Plans: what happens to each item


@dataclass
class Plan:
    slot: Slot
    batch: str
    kind: str
    proposer: Member
    topic: corpus.Topic | None
    place: str
    title: str
    text: str
    category: Category
    cosigners: list[tuple[Member, str]]  # (member, confirm / decline / pending)
    leads: list[str]
    co: list[str]
    wrong_unit: str = ""  # a disputed assignment goes first to this unit
    public: bool = False
    by_staff: bool = False  # entered by staff for the proposer (代录)
    refusal: str = ""
    result_class: str = ""
    second_class: str = ""
    into: "Plan | None" = None  # the lead item this one is merged into (并案)
    takes_merged: bool = False


class Planner:
    """Turns a body's slots into plans, with titles, texts, proposers and units."""

    def __init__(self, cast: Cast):
        self.cast = cast
        self.spec = cast.spec
        self.rng = random.Random(f"{SEED}-{cast.spec.code}-plans")
        self.titles: set[str] = set()
        self.congress = cast.spec.body_type == BodyType.CONGRESS
        self.suffix = "建议" if self.congress else "提案"
        self.default_kind: Any = Kind.SUGGESTION if self.congress else Kind.PROPOSAL
        self.refusals = itertools.cycle(corpus.REFUSED)
        pool = [m for m in cast.individuals if m not in cast.named.values()]
        self.leads_pool = pool
        self.lead_weights = [self.rng.uniform(0.3, 3.0) for _m in pool]

    def plans(self) -> list[Plan]:
        plans: list[Plan] = []
        for slot in self.spec.slots:
            for _n in range(slot.count):
                plans.append(self.plan(slot, plans))
        self._classes(plans)
        return plans

    # -- who and what

    def plan(self, slot: Slot, earlier: list[Plan]) -> Plan:
        rng, cast = self.rng, self.cast
        kind: str = slot.kind or self.default_kind
        if slot.who:
            proposer = cast.named[slot.who]
        elif slot.group:
            proposer = rng.choice(cast.groups)
        else:
            proposer = rng.choices(self.leads_pool, weights=self.lead_weights)[0]
        into = None
        if slot.fate == "merged":
            into = self._merge_target(earlier, kind)
        topic = self._topic(slot, kind, into)
        place = rng.choice(self.spec.places)
        refusal = ""
        if slot.fate == "rejected":
            core, text, refusal = next(self.refusals)
            title = f"关于{core}的{self._suffix(kind)}"
            category = rng.choice(cast.categories)
        else:
            assert topic is not None
            title = self._title(topic, kind, place)
            text = self._text(topic, kind, place)
            category = cast.categories[topic.category]
        plan = Plan(
            slot=slot,
            batch=slot.batch,
            kind=kind,
            proposer=proposer,
            topic=topic,
            place=place,
            title=title,
            text=text,
            category=category,
            cosigners=self._cosigners(slot, proposer),
            leads=[],
            co=[],
            public=rng.random() < 0.35,
            refusal=refusal,
            into=into,
        )
        plan.by_staff = (
            slot.batch == PLENARY
            and not plan.cosigners
            and not slot.who
            and slot.fate.startswith("closed")
            and rng.random() < 0.12
        )
        if topic is not None:
            self._units(plan, slot, topic)
        return plan

    def _suffix(self, kind: str) -> str:
        return "议案" if kind == Kind.MOTION else self.suffix

    def _merge_target(self, earlier: list[Plan], kind: str) -> Plan:
        candidates = [
            p
            for p in earlier
            if p.batch == PLENARY
            and p.kind == kind
            and p.slot.fate in {"closed_sat", "closed_basic"}
            and not (p.slot.returned_once or p.slot.convert or p.slot.dispute)
            and p.topic is not None
            and not p.takes_merged
        ]
        target = self.rng.choice(candidates)
        target.takes_merged = True
        return target

    def _topic(self, slot: Slot, kind: str, into) -> corpus.Topic | None:
        rng = self.rng
        if slot.fate == "rejected":
            return None
        if into is not None:
            return into.topic
        topics = list(corpus.TOPICS)
        if kind == Kind.MOTION:
            topics = [t for t in topics if t.motion]
        if slot.fate == "disputed" or slot.dispute == "reassign":
            # The unit that disputes is one the topic touches but does not lead.
            topics = [t for t in topics if self._present(t.co)]
            if slot.unit:
                topics = [t for t in topics if slot.unit in t.co]
        elif slot.unit:
            topics = [t for t in topics if t.lead == slot.unit]
        if slot.multi_lead:
            topics = [t for t in topics if self._present(t.co)]
        # Category shares close to the seeds (Xishan 2022: 53 / 39 / 41 / 25).
        weights = [(34, 25, 26, 16)[t.category] / self._per_category(t.category) for t in topics]
        return rng.choices(topics, weights=weights)[0]

    def _per_category(self, category: int) -> int:
        return sum(1 for t in corpus.TOPICS if t.category == category)

    def _present(self, keys: Iterable[str]) -> list[str]:
        return [k for k in keys if k in self.cast.units]

    def _fill(self, template: str, place: str) -> str:
        return template.format(place=place, we=self.spec.we, city=self.spec.city)

    def _title(self, topic: corpus.Topic, kind: str, place: str) -> str:
        rng = self.rng
        for attempt in range(30):
            core = topic.motion if kind == Kind.MOTION and attempt == 0 else rng.choice(topic.cores)
            where = place if ("{place}" in core and rng.random() < 0.7) or attempt > 10 else ""
            if "{place}" not in core and attempt > 10:
                core = "{place}" + core
            title = f"关于{self._fill(core, where)}的{self._suffix(kind)}"
            if title not in self.titles:
                break
        self.titles.add(title)
        return title

    def _text(self, topic: corpus.Topic, kind: str, place: str) -> str:
        rng = self.rng
        problems = rng.sample(topic.problems, rng.choice((1, 1, 2)))
        suggestions = rng.sample(topic.suggestions, rng.choice((1, 2, 2)))
        sentences = [*problems, *suggestions][:4]
        if kind == Kind.MOTION and topic.motion.startswith(("制定", "修订")):
            law = self._fill(topic.motion, "")
            sentences.append(f"为此，建议将{law[2:]}列入2026年度立法计划，尽快启动调研起草工作。")
        return "".join(self._fill(s, place) for s in sentences)

    def _cosigners(self, slot: Slot, proposer: Member) -> list[tuple[Member, str]]:
        rng, cast = self.rng, self.cast
        if not proposer.is_individual:
            return []
        others = [m for m in cast.individuals if m != proposer]
        same = [
            m
            for m in others
            if (m.delegation and m.delegation == proposer.delegation)
            or (not self.congress and m.party == proposer.party)
        ]
        rng.shuffle(same)
        rest = [m for m in others if m not in same]
        rng.shuffle(rest)
        pool = [m for m in same + rest if m not in [cast.named.get(k) for k in slot.pending]]
        if slot.signers:
            chosen = [(m, "confirm") for m in pool[: slot.signers - 1]]
            if rng.random() < 0.5:
                chosen.append((pool[slot.signers], "decline"))
            return chosen
        if slot.fate == "awaiting_cosign":
            chosen = [(cast.named[k], "pending") for k in slot.pending]
            chosen += [(m, rng.choice(("confirm", "pending"))) for m in pool[: rng.randint(1, 2)]]
            return chosen
        if rng.random() < 0.22:
            count = rng.randint(1, 3)
            return [(m, "decline" if rng.random() < 0.1 else "confirm") for m in pool[:count]]
        return []

    def _units(self, plan: Plan, slot: Slot, topic: corpus.Topic) -> None:
        rng = self.rng
        co = self._present(topic.co)
        plan.leads = [topic.lead]
        if slot.multi_lead:
            plan.leads.append(co.pop(0))
        if slot.fate == "disputed" or slot.dispute == "reassign":
            wrong = slot.unit or co[0]
            plan.wrong_unit = wrong
            co = [k for k in co if k != wrong]
        plan.co = co if co and rng.random() < 0.35 else []

    def _classes(self, plans: list[Plan]) -> None:
        """Result classes in the seeds' proportions (A most, then B, few C)."""
        rng = self.rng
        replied = [p for p in plans if p.slot.fate.startswith("closed") or p.slot.fate == "replied"]
        firsts = [p for p in replied if p.slot.fate != "closed_second"]
        shares = self.spec.class_shares
        total = sum(w for _c, w in shares)
        pool: list[str] = []
        for code, weight in shares:
            pool += [code] * round(len(firsts) * weight / total)
        pool += ["A"] * (len(firsts) - len(pool))
        rng.shuffle(pool)
        for plan, code in zip(firsts, pool, strict=False):
            plan.result_class = code
        for plan in plans:
            if plan.slot.fate in {"closed_second", "rehandling"}:
                plan.result_class = rng.choice(("B", "C"))
                plan.second_class = rng.choice(("A", "B"))


# ---------------------------------------------------------------------------------------------
# Stories: the dated steps of one item


@dataclass
class Step:
    day: dt.date
    order: int
    office: bool
    label: str
    run: Callable[[], object]


class Story:
    """The steps one item goes through, each on its day, each a service call."""

    def __init__(self, cast: Cast, plan: Plan, index: int, days: Days):
        self.cast, self.p, self.days = cast, plan, days
        self.spec = cast.spec
        self.rng = random.Random(f"{SEED}-{cast.spec.code}-{index}")
        self.steps: list[Step] = []
        self.item_pk: int | None = None
        self.assignments: dict[str, int] = {}
        self.extension_pk: int | None = None
        self.into: Story | None = None
        self.lead_user = cast.users[plan.proposer.pk]
        self.author = cast.staff if plan.by_staff else self.lead_user

    # -- recording steps

    def at(self, day: dt.date, action: str, *args, office: bool = True, **kw) -> None:
        if not (self.spec.draft_from <= day <= LAST_DAY):
            raise ValueError(f"{self.p.title}: {action} planned for {day}")
        method = getattr(self, f"do_{action}")
        self.steps.append(
            Step(day, len(self.steps), office, action, functools.partial(method, *args, **kw))
        )

    def timed(self) -> list[tuple[dt.datetime, str, Callable[[], object]]]:
        """The steps in order, each at a plausible time of its day, strictly increasing."""
        out, last = [], None
        for step in sorted(self.steps, key=lambda s: (s.day, s.order)):
            first, end = (8 * 60 + 40, 17 * 60 + 20) if step.office else (7 * 60 + 30, 22 * 60)
            when = dt.datetime.combine(step.day, dt.time()) + dt.timedelta(
                minutes=self.rng.randint(first, end)
            )
            if last is not None and when <= last:
                when = last + dt.timedelta(minutes=self.rng.randint(3, 20))
            out.append((when, f"{self.p.title} · {step.label}", step.run))
            last = when
        return out

    # -- the plan

    def plan(self) -> None:
        fate = self.p.slot.fate
        if fate in {"draft", "awaiting_cosign"}:
            self._plan_draft()
        elif fate in {"submitted", "under_review", "returned", "rejected", "accepted"}:
            self._plan_review()
        elif fate == "withdrawn":
            self._plan_withdrawn()
        elif fate == "merged":
            self._plan_merged()
        else:
            self._plan_handled()

    def _draft(self, drafted: dt.date, submitted: dt.date | None) -> None:
        """Write the draft, invite co-signers; each answers before the submission."""
        self.at(drafted, "create", office=self.p.by_staff)
        if not self.p.cosigners:
            return
        self.at(drafted, "invite", office=False)
        horizon = submitted or LAST_DAY
        for member, answer in self.p.cosigners:
            if answer != "pending":
                day = span(self.rng, drafted, min(drafted + dt.timedelta(days=4), horizon))
                self.at(day, answer, member, office=False)

    def _intake_plenary(self) -> dt.date:
        """Written before or during the session, submitted during it, received by staff
        (a motion while the session sits, for the presidium to list it)."""
        rng, spec = self.rng, self.spec
        drafted = span(rng, spec.draft_from, spec.opens - dt.timedelta(days=1))
        submitted = span(rng, spec.opens, spec.submit_to)
        self._draft(drafted, submitted)
        self.at(submitted, "submit", office=False)
        received = self.days.pick(rng, submitted, submitted + dt.timedelta(days=2))
        if self.p.kind == Kind.MOTION:
            received = min(received, spec.closes)
        self.at(received, "receive")
        return received

    def _intake_until(self, received: dt.date) -> None:
        """Written between sessions, received on `received`."""
        rng = self.rng
        submitted = received - dt.timedelta(days=rng.randint(0, 2))
        drafted = submitted - dt.timedelta(days=rng.randint(1, 10))
        self._draft(drafted, submitted)
        self.at(submitted, "submit", office=False)
        self.at(received, "receive")

    def _plan_draft(self) -> None:
        rng = self.rng
        if self.p.slot.fate == "awaiting_cosign":
            self._draft(span(rng, d(11, 10), d(11, 21)), None)
            return
        drafted = span(rng, d(11, 1), d(11, 20))
        self._draft(drafted, None)
        if rng.random() < 0.6:
            self.at(drafted + dt.timedelta(days=rng.randint(1, 4)), "edit", office=False)

    def _plan_review(self) -> None:
        rng, days, fate = self.rng, self.days, self.p.slot.fate
        if fate == "submitted":
            submitted = span(rng, d(11, 18), LAST_DAY)
            self._draft(submitted - dt.timedelta(days=rng.randint(1, 10)), submitted)
            self.at(submitted, "submit", office=False)
            return
        if fate == "rejected" and self.p.batch == PLENARY:
            received = self._intake_plenary()
            self.at(days.add(received, rng.randint(2, 5)), "reject")
            return
        last = {
            "under_review": (d(11, 9), LAST_DAY),
            "returned": (d(10, 20), LAST_DAY),
            "rejected": (d(3, 2), d(11, 20)),
            "accepted": (d(11, 16), LAST_DAY),
        }[fate]
        end = days.pick(rng, *last)
        received = end if fate == "under_review" else days.sub(end, rng.randint(1, 4))
        self._intake_until(received)
        if fate != "under_review":
            self.at(end, {"returned": "return", "rejected": "reject", "accepted": "accept"}[fate])

    def _plan_withdrawn(self) -> None:
        rng, days, source = self.rng, self.days, self.p.slot.withdraw_from
        if source == "draft":
            drafted = span(rng, d(3, 1), d(10, 31))
            self._draft(drafted, None)
            self.at(drafted + dt.timedelta(days=rng.randint(3, 20)), "withdraw", office=False)
        elif source == "submitted":
            drafted = span(rng, self.spec.draft_from, self.spec.opens - dt.timedelta(days=1))
            submitted = span(rng, self.spec.opens, self.spec.submit_to - dt.timedelta(days=1))
            self._draft(drafted, submitted)
            self.at(submitted, "submit", office=False)
            self.at(submitted + dt.timedelta(days=1), "withdraw", office=False)
        else:
            returned = days.pick(rng, d(4, 1), d(10, 30))
            self._intake_until(days.sub(returned, rng.randint(1, 3)))
            self.at(returned, "return")
            self.at(returned + dt.timedelta(days=rng.randint(2, 10)), "withdraw", office=False)

    def _plan_merged(self) -> None:
        received = self._intake_plenary()
        self.at(max(self.spec.merge_day, self.days.add(received, 1)), "merge")

    # -- from acceptance to closure

    def _plan_handled(self) -> None:
        p, rng, days, spec = self.p, self.rng, self.days, self.spec
        fate, slot = p.slot.fate, p.slot
        first_reply = None
        if p.batch == PLENARY:
            received = self._intake_plenary()
            if slot.returned_once:
                returned = days.add(received, rng.randint(1, 2))
                self.at(returned, "return")
                edited = returned + dt.timedelta(days=rng.randint(1, 3))
                self.at(edited, "edit", revise=True, office=False)
                self.at(edited, "submit", office=False)
                received = days.add(edited, 1)
                self.at(received, "receive")
            if slot.convert:
                self.at(spec.convert_day, "convert")
                accepted = days.pick(rng, spec.convert_day + dt.timedelta(days=3), spec.accept_to)
                assigned = spec.assign_day2
            else:
                first = max(days.add(received, 1), spec.accept_from)
                accepted = days.pick(rng, first, spec.accept_to)
                if p.kind == Kind.MOTION:
                    # The presidium lists motions before the session closes (列为议案).
                    accepted = spec.closes
                assigned = spec.assign_day
        else:
            if fate in {"replied", "rehandling"}:
                window = (d(11, 2), LAST_DAY) if fate == "replied" else (d(9, 22), d(10, 28))
                first_reply = days.pick(rng, *window)
                assigned = days.pick(
                    rng, first_reply - dt.timedelta(days=80), first_reply - 5 * dt.timedelta(7)
                )
            else:
                assigned = days.pick(rng, *self._assignment_window())
            accepted = days.sub(assigned, rng.randint(1, 5))
            self._intake_until(days.sub(accepted, rng.randint(1, 3)))
        self.at(accepted, "accept")
        if fate == "accepted":
            return
        self.at(assigned, "assign")
        if slot.key:
            key_day = spec.key_day if assigned < spec.key_day else days.add(assigned, 1)
            self.at(key_day, "mark_key")
        self._plan_units(assigned, first_reply)

    def _assignment_window(self) -> tuple[dt.date, dt.date]:
        slot = self.p.slot
        if slot.fate == "pending":
            return d(11, 17), LAST_DAY
        if slot.fate == "disputed":
            return d(11, 12), d(11, 19)
        if slot.window is not None:
            return slot.window
        if slot.fate == "closed_second":
            return d(2, 25), d(7, 1)
        return d(2, 25), d(7, 20)

    def _plan_units(self, assigned: dt.date, first_reply: dt.date | None) -> None:
        p, rng, days, slot = self.p, self.rng, self.days, self.p.slot
        fate = slot.fate
        starts = {key: assigned for key in p.leads}
        if fate == "pending":
            return
        if p.wrong_unit:
            disputed = days.add(assigned, rng.randint(1, 2))
            self.at(disputed, "dispute", p.wrong_unit)
            if fate == "disputed":
                return
            moved = days.add(disputed, 1)
            self.at(moved, "reassign", p.wrong_unit, p.leads[0])
            starts[p.leads[0]] = moved
        elif slot.dispute == "dismiss":
            disputed = days.add(assigned, rng.randint(1, 2))
            self.at(disputed, "dispute", p.leads[0], reason_unit="gov")
            starts[p.leads[0]] = days.add(disputed, 1)
            self.at(starts[p.leads[0]], "dismiss", p.leads[0])

        months = 6 if slot.complex else 3
        accepted = {key: days.add(start, rng.randint(1, 3)) for key, start in starts.items()}
        main = p.leads[0]
        due = add_months(starts[main], months)

        # When the (first) reply goes out, per fate.
        reply = first_reply
        extension = slot.extension
        if fate.startswith("closed"):
            if slot.late:
                reply = days.pick(rng, due + dt.timedelta(days=2), due + dt.timedelta(days=15))
            elif extension == "approved":
                reply = days.pick(rng, due + dt.timedelta(days=3), due + dt.timedelta(days=25))
            else:
                cap = {"closed_unevaluated": d(10, 20), "closed_second": d(9, 5)}.get(
                    fate, LAST_DAY - MONTH
                )
                reply = days.pick(
                    rng,
                    accepted[main] + dt.timedelta(days=30),
                    min(due - dt.timedelta(days=2), cap),
                )

        drafts: dict[str, dt.date] = {}
        replies: dict[str, dt.date] = {}
        for key in p.leads:
            self.at(accepted[key], "accept_assignment", key)
            self.at(accepted[key], "name_handler", key)
            if reply is not None:
                sign = reply if key == main else days.pick(rng, reply - dt.timedelta(8), reply)
                sign = max(sign, accepted[key] + dt.timedelta(days=20))
                replies[key] = sign
                drafts[key] = max(days.sub(sign, rng.randint(1, 3)), accepted[key])
            elif slot.drafted:
                drafts[key] = days.pick(rng, max(accepted[key], d(11, 17)), LAST_DAY)
            self._contacts(key, accepted[key], drafts.get(key, LAST_DAY + dt.timedelta(1)))

        for key in p.co:
            co_accepted = days.add(assigned, rng.randint(1, 3))
            if co_accepted > LAST_DAY:
                continue
            self.at(co_accepted, "accept_assignment", key)
            latest = min(
                add_months(assigned, 1) - dt.timedelta(days=1),
                min(drafts.values(), default=LAST_DAY) - dt.timedelta(days=1),
                LAST_DAY,
            )
            if latest >= co_accepted + dt.timedelta(days=3):
                opinion = days.pick(rng, co_accepted + dt.timedelta(days=3), latest)
                self.at(opinion, "send_opinion", key)

        if extension:
            self._plan_extension(main, accepted[main], due)

        for key in p.leads:
            if key in drafts:
                self.at(drafts[key], "draft_reply", key, 1)
            if key in replies:
                self.at(replies[key], "sign_reply", key)
        if reply is None:
            return
        self._after_reply(max(replies.values()))

    def _contacts(self, key: str, accepted: dt.date, before: dt.date) -> None:
        """三见面: before drafting and during handling (the third comes after the reply)."""
        rng, days = self.rng, self.days
        last = min(before - dt.timedelta(days=1), LAST_DAY)
        first = accepted + dt.timedelta(days=1)
        if last < first:
            return
        contact = days.pick(rng, first, min(last, accepted + dt.timedelta(days=14)))
        if contact > last:
            return
        self.at(contact, "contact", key, "before", rng.choice(("phone", "meeting")), contact)
        if (last - contact).days > 10:
            during = days.pick(rng, contact + dt.timedelta(days=7), last)
            if during <= last:
                method = rng.choice(("site_visit", "meeting", "online"))
                self.at(during, "contact", key, "during", method, during)

    def _plan_extension(self, key: str, accepted: dt.date, due: dt.date) -> None:
        rng, days, kind = self.rng, self.days, self.p.slot.extension
        if kind == "pending":
            self.at(days.pick(rng, d(11, 17), LAST_DAY), "request_extension", key)
            return
        if kind == "refused":
            asked = days.pick(rng, max(accepted, due - dt.timedelta(14)), due - dt.timedelta(5))
        elif self.p.slot.fate == "handling":
            first = min(max(accepted, due - dt.timedelta(25)), d(11, 12))
            asked = days.pick(rng, first, min(due - dt.timedelta(10), d(11, 19)))
        else:
            asked = days.pick(rng, due - dt.timedelta(20), due - dt.timedelta(8))
        self.at(asked, "request_extension", key)
        self.at(days.add(asked, rng.randint(1, 2)), "decide_extension", kind == "approved")

    def _after_reply(self, reply: dt.date) -> None:
        p, rng, days, fate = self.p, self.rng, self.days, self.p.slot.fate
        if fate == "replied":
            if self._confirmed() and rng.random() < 0.5 and reply < LAST_DAY:
                self.at(span(rng, reply + dt.timedelta(1), LAST_DAY), "cosigner_evaluate")
            return
        if fate == "closed_unevaluated":
            self._after_contact(reply)
            return  # the daily sweep closes it when the window has passed
        evaluated = span(rng, reply + dt.timedelta(days=3), reply + dt.timedelta(days=25))
        if fate in {"closed_second", "rehandling"}:
            evaluated = min(evaluated, LAST_DAY - dt.timedelta(days=2))
        evaluated = min(evaluated, LAST_DAY)
        if self._confirmed() and rng.random() < 0.5 and (evaluated - reply).days >= 2:
            self.at(
                span(rng, reply + dt.timedelta(1), evaluated - dt.timedelta(1)), "cosigner_evaluate"
            )
        if fate in {"closed_sat", "closed_basic"}:
            self._after_contact(reply)
            result = Rating.SATISFIED if fate == "closed_sat" else Rating.BASICALLY_SATISFIED
            self.at(evaluated, "evaluate", result, office=False)
            return
        self.at(evaluated, "evaluate", Rating.UNSATISFIED, office=False)
        # 不满意: the lead units handle it again within a month; the second evaluation closes.
        due = add_months(evaluated, 1)
        seconds = []
        for key in p.leads:
            if fate == "rehandling":
                contact = days.pick(rng, evaluated + dt.timedelta(2), evaluated + dt.timedelta(12))
                if contact <= LAST_DAY:
                    self.at(contact, "contact", key, "during", "site_visit", contact)
                continue
            second = days.pick(rng, evaluated + dt.timedelta(8), min(due, evaluated + MONTH))
            drafted = max(days.sub(second, rng.randint(1, 2)), evaluated + dt.timedelta(1))
            contact = days.pick(rng, evaluated + dt.timedelta(1), drafted)
            self.at(contact, "contact", key, "during", "site_visit", contact)
            self.at(drafted, "draft_reply", key, 2)
            self.at(second, "sign_reply", key)
            seconds.append(second)
        if seconds:
            last = max(seconds)
            final = min(span(rng, last + dt.timedelta(3), last + dt.timedelta(18)), LAST_DAY)
            self.at(final, "evaluate", rng.choice((Rating.SATISFIED, Rating.BASICALLY_SATISFIED)))

    def _after_contact(self, reply: dt.date) -> None:
        """The third meeting: a call or a visit after the reply (答复后回访)."""
        if self.rng.random() < 0.5:
            return
        day = self.days.pick(self.rng, reply + dt.timedelta(2), reply + dt.timedelta(10))
        if day <= LAST_DAY:
            method = self.rng.choice(("phone", "meeting"))
            self.at(day, "contact", self.p.leads[0], "after", method, day)

    def _confirmed(self) -> list[Member]:
        return [m for m, answer in self.p.cosigners if answer == "confirm"]

    # -- the service calls (each reads the records fresh)

    # Fresh from the database for every step (a service may have moved them since), with
    # what the services read of them anyway.
    def item(self) -> Item:
        return Item.objects.select_related("body__rule_set", "session", "proposer").get(
            pk=self.item_pk
        )

    def assignment(self, key: str) -> Assignment:
        return Assignment.objects.select_related("item__body__rule_set", "unit").get(
            pk=self.assignments[key]
        )

    def session(self) -> Session:
        return self.cast.plenary if self.p.batch == PLENARY else self.cast.interim

    def do_create(self) -> None:
        p = self.p
        item = items.create_draft(
            by=self.author,
            session=self.session(),
            kind=p.kind,
            title=p.title,
            text=p.text,
            category=p.category,
            proposer=p.proposer,
            source_note="据纸质原件录入" if p.by_staff else "",
        )
        self.item_pk = item.pk

    def do_edit(self, revise: bool = False) -> None:
        p, item = self.p, self.item()
        text = item.text
        if revise or self.rng.random() < 0.5:
            text += self.rng.choice(corpus.REVISIONS).format(place=p.place)
        items.edit_draft(item, by=self.lead_user, title=item.title, text=text, category=p.category)

    def do_invite(self) -> None:
        members = [m for m, _answer in self.p.cosigners]
        items.invite_cosigners(self.item(), by=self.author, members=members)

    def do_confirm(self, member: Member) -> None:
        items.confirm_cosign(self.item(), by=self.cast.users[member.pk])

    def do_decline(self, member: Member) -> None:
        reason = self.rng.choice(corpus.DECLINE_REASONS)
        items.decline_cosign(self.item(), by=self.cast.users[member.pk], reason=reason)

    def do_submit(self) -> None:
        items.submit(self.item(), by=self.author)

    def do_withdraw(self) -> None:
        reason = self.rng.choice(corpus.WITHDRAW_REASONS)
        items.withdraw(self.item(), by=self.lead_user, reason=reason)

    def do_receive(self) -> None:
        items.receive(self.item(), by=self.cast.staff)

    def do_return(self) -> None:
        kind = {"motion": "议案", "suggestion": "建议"}.get(str(self.p.kind), "提案")
        reason = self.rng.choice(corpus.RETURN_REASONS).format(kind=kind)
        items.return_for_revision(self.item(), by=self.cast.staff, reason=reason)

    def do_reject(self) -> None:
        ground = corpus.REFUSAL_GROUNDS.get(self.p.refusal, "")
        reason = self.p.refusal
        if self.spec.body_type == BodyType.CONGRESS:
            for cppcc_words, congress_words in corpus.CONGRESS_REFUSAL_WORDS:
                reason = reason.replace(cppcc_words, congress_words)
        items.reject(self.item(), by=self.cast.staff, reason=reason, ground=ground)

    def do_merge(self) -> None:
        assert self.into is not None
        into = self.into.item()
        reason = f"与《{into.title}》内容相近，并案办理。"
        items.merge(self.item(), by=self.cast.staff, into=into, reason=reason)

    def do_convert(self) -> None:
        reason = "经大会主席团审议，该议案不列入本次会议议程，作为代表建议交有关机关办理。"
        items.convert_to_suggestion(self.item(), by=self.cast.staff, reason=reason)

    def do_accept(self) -> None:
        items.accept(
            self.item(), by=self.cast.staff, category=self.p.category, is_public=self.p.public
        )

    def do_assign(self) -> None:
        p, units = self.p, self.cast.units
        leads = [p.wrong_unit or p.leads[0], *p.leads[1:]]
        made = handling.assign(
            self.item(),
            by=self.cast.staff,
            lead_units=[units[k] for k in leads],
            co_units=[units[k] for k in p.co],
            complex=p.slot.complex,
        )
        for key, assignment in zip([*leads, *p.co], made, strict=True):
            self.assignments[key] = assignment.pk

    def do_mark_key(self) -> None:
        supervisor = self.rng.choice(self.cast.supervisors)
        supervision.mark_key(
            self.item(),
            by=self.cast.staff,
            supervisor=supervisor,
            lead_handler=self.rng.choice(self.spec.lead_handlers),
            note=f"列入2026年度重点督办件，由{supervisor.first_name}督办。",
        )

    def do_accept_assignment(self, key: str) -> None:
        handling.accept_assignment(self.assignment(key), by=self.cast.people[key].coord)

    def do_dispute(self, key: str, reason_unit: str = "") -> None:
        other = self.cast.unit_name(reason_unit or self.p.leads[0])
        reason = self.rng.choice(corpus.DISPUTE_REASONS).format(unit=other)
        handling.dispute(self.assignment(key), by=self.cast.people[key].coord, reason=reason)

    def do_reassign(self, key: str, to: str) -> None:
        reason = f"经协调，调整由{self.cast.unit_name(to)}主办。"
        new = handling.reassign(
            self.assignment(key), by=self.cast.staff, to_unit=self.cast.units[to], reason=reason
        )
        self.assignments[to] = new.pk

    def do_dismiss(self, key: str) -> None:
        reason = "经核实，该事项属于贵单位职责，请按期办理。"
        handling.dismiss_dispute(self.assignment(key), by=self.cast.staff, reason=reason)

    def do_name_handler(self, key: str) -> None:
        people = self.cast.people[key]
        handling.name_handler(self.assignment(key), by=people.coord, handler=people.handler)

    def do_contact(self, key: str, stage: str, method: str, on: dt.date) -> None:
        who = self._addressee()
        notes = self.rng.choice(corpus.CONTACT_NOTES[stage]).format(who=who)
        handling.log_contact(
            self.assignment(key),
            by=self.cast.people[key].handler,
            stage=stage,
            method=method,
            on=on,
            notes=notes,
        )

    def do_send_opinion(self, key: str) -> None:
        p = self.p
        assert p.topic is not None
        measure = self.rng.choice(p.topic.measures)
        text = (
            f"关于《{p.title}》的协办意见：我单位将积极配合{self.cast.unit_name(p.leads[0])}"
            f"做好办理工作。{measure}"
        )
        handling.send_opinion(self.assignment(key), by=self.cast.people[key].handler, text=text)

    def do_request_extension(self, key: str) -> None:
        assignment = self.assignment(key)
        until = min(
            assignment.due_on + MONTH,
            add_months(assignment.assigned_on, assignment.item.body.rules.max_reply_months),
        )
        extension = handling.request_extension(
            assignment,
            by=self.cast.people[key].coord,
            until=until,
            reason=self.rng.choice(corpus.EXTENSION_REASONS),
        )
        self.extension_pk = extension.pk

    def do_decide_extension(self, approve: bool) -> None:
        note = "同意延期，请抓紧办理并及时答复。" if approve else "理由不充分，请按期答复。"
        extension = Extension.objects.get(pk=self.extension_pk)
        handling.decide_extension(extension, by=self.cast.staff, approve=approve, note=note)

    def do_draft_reply(self, key: str, round_: int) -> None:
        p = self.p
        result_class = p.result_class if round_ == 1 else p.second_class
        result_class = result_class or "A"
        today = clock.today()
        planned = None
        if result_class == "B":
            planned = add_months(today.replace(day=1), self.rng.randint(5, 14)) - dt.timedelta(1)
        handler = self.cast.people[key].handler
        handling.draft_reply(
            self.assignment(key),
            by=handler,
            text=self._reply_text(key, round_, result_class, planned),
            result_class=result_class,
            planned_on=planned,
            is_public=p.public,
            contact_name=handler.first_name,
            contact_phone=handler.memberships.get().phone,
        )

    def do_sign_reply(self, key: str) -> None:
        handling.sign_reply(self.assignment(key), by=self.cast.people[key].leader)

    def do_evaluate(self, result: str) -> None:
        attitude = Rating.SATISFIED if self.rng.random() < 0.9 else Rating.BASICALLY_SATISFIED
        handling.evaluate(
            self.item(),
            by=self.lead_user,
            attitude=attitude,
            result=result,
            comment=self.rng.choice(corpus.COMMENTS[result]),
        )

    def do_cosigner_evaluate(self) -> None:
        member = self.rng.choice(self._confirmed())
        handling.evaluate(
            self.item(),
            by=self.cast.users[member.pk],
            attitude=Rating.SATISFIED,
            result=Rating.SATISFIED,
            comment=self.rng.choice(corpus.COMMENTS["satisfied"]),
        )

    # -- texts

    def _addressee(self) -> str:
        proposer = self.p.proposer
        return proposer.name + (self.spec.honorific if proposer.is_individual else "")

    def _reply_text(self, key: str, round_: int, result_class: str, planned) -> str:
        p, rng = self.p, self.rng
        assert p.topic is not None
        measures = rng.sample(p.topic.measures, 2)
        you = "您" if p.proposer.is_individual else "你们"
        numerals = "一二三"
        lines = [f"{self._addressee()}："]
        if round_ == 1:
            lines.append(f"　　{you}提出的《{p.title}》收悉。经认真研究，现答复如下：")
        else:
            lines.append(
                f"　　根据{you}对首次答复的意见，我单位再次进行了实地调研和研究，"
                "现将进一步办理情况答复如下："
            )
        lines += [f"　　{numerals[n]}、{m}" for n, m in enumerate(measures)]
        if result_class == "A":
            lines.append("　　目前，所提问题已解决或基本解决。")
        elif result_class == "B":
            lines.append(
                f"　　该事项已列入工作计划，计划于{cn_date(planned)}前完成，"
                "我们将持续推进并及时反馈进展。"
            )
        else:
            lines.append(
                "　　受用地、资金等条件限制，该事项目前暂不具备全面实施条件，"
                "我们将作为今后工作的重要参考，积极创造条件逐步解决。"
            )
        lines.append(f"　　感谢{you}对我们工作的关心和支持，欢迎继续提出宝贵意见。")
        lines.append(self.cast.unit_name(key))
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The whole build


def demo_exists() -> bool:
    """Whether the demo is already there (both bodies); raises if only part of it is."""
    found = set(
        Body.objects.filter(code__in=[s.code for s in BODIES]).values_list("code", flat=True)
    )
    if found and len(found) != len(BODIES):
        raise DemoConflict(
            _("Only part of the demo is in the database (%(codes)s); use a fresh database.")
            % {"codes": ", ".join(sorted(found))}
        )
    return bool(found)


class PasswordHashes:
    """The demo accounts' password hashes: the shared demo password (hashed once), or the
    random password of each account when the demo is built on a production database."""

    def __init__(self, passwords: Mapping[str, str] | None = None):
        self.passwords = passwords
        self._hashes: dict[str, str] = {}

    def __call__(self, username: str) -> str:
        password = self.passwords[username] if self.passwords is not None else PASSWORD
        if password not in self._hashes:
            self._hashes[password] = make_password(password)
        return self._hashes[password]


def random_passwords() -> dict[str, str]:
    """A random password for every demo account (shown once by `banli demo`)."""
    return {account.username: secrets.token_urlsafe(12) for account in ACCOUNTS}


@transaction.atomic
def build_demo(passwords: Mapping[str, str] | None = None) -> list[str]:
    """Build the demo in one transaction; returns a line of figures per body.

    `passwords` maps every demo account to its password; by default they share PASSWORD."""
    clash = sorted(
        get_user_model()
        .objects.filter(username__in=planned_usernames())
        .values_list("username", flat=True)
    )
    if clash:
        raise DemoConflict(
            _("These usernames are already taken: %(names)s. Use a fresh database.")
            % {"names": ", ".join(clash)}
        )
    hashes = PasswordHashes(passwords)
    admin = next(a for a in ACCOUNTS if a.superuser)
    get_user_model().objects.create(
        username=admin.username,
        first_name=admin.name,
        password=hashes(admin.username),
        is_staff=True,
        is_superuser=True,
    )
    days = Days()
    stories: list[Story] = []
    casts = []
    for spec in BODIES:
        cast = Setup(spec, hashes).run()
        casts.append(cast)
        plans = Planner(cast).plans()
        mine = [Story(cast, plan, index, days) for index, plan in enumerate(plans)]
        by_plan = {id(story.p): story for story in mine}
        for story in mine:
            if story.p.into is not None:
                story.into = by_plan[id(story.p.into)]
        stories += mine
    _second_memberships(casts)
    for story in stories:
        story.plan()
    _replay(stories, supervision_year.steps(casts, days))
    _read_old_notices()
    return [
        _("%(body)s: %(items)s items, %(units)s units, %(members)s deputies or members.")
        % {
            "body": cast.body.name,
            "items": Item.objects.filter(body=cast.body).count(),
            "units": len(cast.units),
            "members": len(cast.individuals) + len(cast.groups),
        }
        for cast in casts
    ]


def _second_memberships(casts) -> None:
    bodies = {cast.body.code: cast.body for cast in casts}
    for username, (code, roles) in ALSO_IN.items():
        user = get_user_model().objects.get(username=username)
        Membership.objects.create(user=user, body=bodies[code], roles=[str(r) for r in roles])


def _replay(stories: list[Story], extra: list[tuple[dt.datetime, str, Callable]]) -> None:
    """Run every step of every story in time order, each on its own day; every night the
    sweep closes the replies whose evaluation window has passed (未评价)."""
    timeline: list[tuple[dt.datetime, int, str, Callable[[], object]]] = []
    for story in stories:
        for when, label, run in story.timed():
            timeline.append((when, len(timeline), label, run))
    # The office's supervision year (banli.demo.supervision_year), in the same timeline.
    for when, label, run in extra:
        timeline.append((when, len(timeline), label, run))
    day = min(spec.draft_from for spec in BODIES)
    while day <= LAST_DAY:
        when = dt.datetime.combine(day, dt.time(0, 30))
        timeline.append((when, len(timeline), "close_expired_evaluations", _sweep))
        day += dt.timedelta(days=1)
    timeline.sort(key=lambda step: (step[0], step[1]))
    for when, _n, label, run in timeline:
        with clock.frozen(when):
            try:
                run()
            except DomainError as exc:
                raise RuntimeError(
                    f"demo step refused on {when:%Y-%m-%d %H:%M}: {label}: {exc}"
                ) from exc


def _sweep() -> None:
    handling.close_expired_evaluations()
    supervision_year.nightly(LAST_DAY)


# Everyone has read what they were told more than a week ago; the last week's notices wait.
NOTICES_UNREAD_DAYS = 7


def _read_old_notices() -> None:
    before = dt.datetime.combine(LAST_DAY - dt.timedelta(days=NOTICES_UNREAD_DAYS), dt.time())
    with clock.frozen(dt.datetime.combine(LAST_DAY, dt.time(18))):
        old = Notice.objects.filter(created_at__lt=timezone.make_aware(before), read_at=None)
        readers = old.values_list("recipient", "body").distinct().order_by()
        users = get_user_model().objects.in_bulk({user_id for user_id, _b in readers})
        for user_id, body_id in readers:
            ids = list(old.filter(recipient=user_id, body=body_id).values_list("id", flat=True))
            notices.mark_all_read(by=users[user_id], body_id=body_id, ids=ids)


# ---------------------------------------------------------------------------------------------
# The accounts table


def account_rows(passwords: Mapping[str, str] | None = None) -> list[tuple[str, str, str, str]]:
    """(username, password, role, body) for every demo account; `passwords` as build_demo's
    (by default the shared demo password)."""
    names = {s.code: s.name for s in BODIES}
    unit_names = {
        (s.code, u.key): (u.city if s.body_type == BodyType.CONGRESS else u.district)
        for s in BODIES
        for u in corpus.UNITS
    }
    rows = []
    for account in ACCOUNTS:
        role = str(account.label)
        if account.unit:
            role = _("%(role)s, %(unit)s") % {
                "role": role,
                "unit": unit_names[(account.body, account.unit)],
            }
        body = names[account.body] if account.body else _("all bodies")
        if account.username in ALSO_IN:
            body = _("%(role)s, %(unit)s") % {
                "role": body,
                "unit": names[ALSO_IN[account.username][0]],
            }
        password = passwords[account.username] if passwords is not None else PASSWORD
        who = _("%(role)s (%(name)s)") % {"role": role, "name": account.name}
        rows.append((account.username, password, who, body))
    return rows


def width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *rows]):
        cells = [str(c) + " " * (w - width(str(c))) for c, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
