"""Builders for a small world: a body with its session, units, people and accounts."""

import datetime as dt
import itertools

from django.contrib.auth import get_user_model

from banli.bodies.models import (
    Body,
    BodyRules,
    BodyType,
    Category,
    Level,
    Member,
    Membership,
    MemberType,
    Session,
    SessionPeriod,
    Term,
    Unit,
)
from banli.core import clock
from banli.handling import services as handling
from banli.items import services as items

_seq = itertools.count(1)


def make_body(code=None, *, body_type=BodyType.CONGRESS, level=Level.CITY, **rules) -> Body:
    n = next(_seq)
    body = Body.objects.create(
        code=code or f"body-{n}", name=f"测试人大{n}", body_type=body_type, level=level
    )
    # The suite logs staff in with force_login; tests of two-factor authentication ask for
    # require_2fa=True themselves.
    rules.setdefault("require_2fa", False)
    # The suite signs replies without staging the three meetings first; the tests of the
    # rule (a contact before signing, on by default) ask for it themselves.
    rules.setdefault("contact_before_signing", False)
    BodyRules.objects.create(body=body, **rules)
    for order, name in enumerate(
        ["经济发展类", "城乡建设管理类", "社会事业类", "社会治理及其他类"]
    ):
        Category.objects.create(body=body, name=name, order=order)
    return body


def make_session(body: Body, *, period=SessionPeriod.PLENARY, year=2026, number=1) -> Session:
    term, _ = Term.objects.get_or_create(body=body, number=17)
    return Session.objects.create(
        term=term,
        number=number,
        period=period,
        year=year,
        name=f"{body.name}第十七届第{number}次会议 ({period})",
    )


def make_member(body: Body, name=None, *, member_type=None) -> Member:
    if member_type is None:
        member_type = MemberType.DEPUTY if body.is_congress else MemberType.CPPCC_MEMBER
    return Member.objects.create(
        body=body, name=name or f"代表{next(_seq)}", member_type=member_type
    )


def make_unit(body: Body, name=None) -> Unit:
    return Unit.objects.create(body=body, name=name or f"市局{next(_seq)}")


def make_user(body: Body, *roles: str, unit=None, member=None, username=None):
    user = get_user_model().objects.create_user(
        username=username or f"user{next(_seq)}", password="pw-banli-2026"
    )
    Membership.objects.create(user=user, body=body, roles=list(roles), unit=unit, member=member)
    return user


def membership_of(user):
    """The user's only membership (the builders make one per user unless told otherwise)."""
    return Membership.objects.select_related("body", "member", "unit").get(user=user)


def make_proposer(body: Body, name=None, **kw):
    member = make_member(body, name, **kw)
    return make_user(body, "proposer", member=member), member


class World:
    """One congress with a plenary session, two units with their three roles each, staff,
    a supervising leader, an auditor and two deputies."""

    def __init__(self, body_type=BodyType.CONGRESS, **rules):
        self.body = make_body(body_type=body_type, **rules)
        self.session = make_session(self.body)
        self.category = self.body.categories.first()
        self.staff = make_user(self.body, "staff")
        self.supervisor = make_user(self.body, "supervisor")
        self.auditor = make_user(self.body, "auditor")
        self.deputy, self.member = make_proposer(self.body, "王代表")
        self.cosigner, self.cosigner_member = make_proposer(self.body, "李代表")
        self.units = [make_unit(self.body, "市住建局"), make_unit(self.body, "市交通局")]
        self.coord, self.handler, self.leader = {}, {}, {}
        for unit in self.units:
            self.coord[unit.pk] = make_user(self.body, "unit_coordinator", unit=unit)
            self.handler[unit.pk] = make_user(self.body, "unit_handler", unit=unit)
            self.leader[unit.pk] = make_user(self.body, "unit_leader", unit=unit)

    def add_unit(self, name=None) -> Unit:
        """One more unit, with its coordinator, handler and leader."""
        unit = make_unit(self.body, name)
        self.units.append(unit)
        self.coord[unit.pk] = make_user(self.body, "unit_coordinator", unit=unit)
        self.handler[unit.pk] = make_user(self.body, "unit_handler", unit=unit)
        self.leader[unit.pk] = make_user(self.body, "unit_leader", unit=unit)
        return unit

    def confirmed_cosigners(self, item, count: int) -> list:
        """Invite `count` new deputies to co-sign `item` and have each confirm in person."""
        users = [make_proposer(self.body)[0] for _ in range(count)]
        if users:
            items.invite_cosigners(
                item, by=self.deputy, members=[membership_of(u).member for u in users]
            )
            for user in users:
                items.confirm_cosign(item, by=user)
        return users

    @property
    def kind(self):
        return "suggestion" if self.body.is_congress else "proposal"

    def draft(self, by=None, **kw):
        kw.setdefault("kind", self.kind)
        kw.setdefault("title", "关于增加老旧小区停车位的建议")
        kw.setdefault("text", "老旧小区停车难问题突出，建议挖潜增加停车泊位。")
        kw.setdefault("category", self.category)
        return items.create_draft(by=by or self.deputy, session=self.session, **kw)

    def accepted(self, **kw):
        item = self.draft(**kw)
        items.submit(item, by=self.deputy)
        items.receive(item, by=self.staff)
        items.accept(item, by=self.staff)
        return item

    def assigned(self, *, lead=None, co=(), complex=False, **kw):
        item = self.accepted(**kw)
        handling.assign(
            item,
            by=self.staff,
            lead_units=lead or [self.units[0]],
            co_units=list(co),
            complex=complex,
        )
        return item

    def lead_assignment(self, item, unit=None):
        unit = unit or self.units[0]
        return item.assignments.get(
            unit=unit,
            role="lead",
            state__in=["pending", "handling", "rehandling", "replied", "disputed"],
        )

    def replied(self, result_class="A", **kw):
        item = self.assigned(**kw)
        a = self.lead_assignment(item)
        handling.accept_assignment(a, by=self.coord[a.unit_id])
        handling.draft_reply(
            a,
            by=self.handler[a.unit_id],
            text="经研究，答复如下……",
            result_class=result_class,
            planned_on=dt.date(2027, 6, 30) if result_class == "B" else None,
        )
        handling.sign_reply(a, by=self.leader[a.unit_id])
        item.refresh_from_db()
        return item


def on(day: dt.date):
    """Shorthand: `with on(date(2026, 3, 2)):` runs the services on that day."""
    return clock.frozen(day)
