"""The start page's own sections, one per role, registered with `banli.core.desk` like any
other app's (the notices add theirs the same way). A person with several roles in the body
sees each role's section; each section is one bounded count statement and the first rows of
its queues (`banli.desk.queues`)."""

from django.utils.translation import gettext_lazy as _

from banli.bodies.models import UNIT_ROLES
from banli.bodies.terms import term
from banli.core import clock
from banli.core.desk import MAIN, register

from . import queues

TEMPLATE = "desk/_section.html"


def _section(order: int, key: str, title, queue_list, **context) -> dict:
    return {
        "slot": context.pop("slot", MAIN),
        "order": order,
        "template": context.pop("template", TEMPLATE),
        "context": {"key": key, "title": title, "queues": queue_list, **context},
    }


@register
def staff(request, membership):
    if not membership.has_role("staff"):
        return None
    found = queues.staff_queues(membership, today=clock.today())
    return _section(
        10,
        "staff",
        _("The office's work"),
        found,
        subtitle=membership.body.name,
        links=[("items:create", _("Enter an item for a proposer"))],
    )


@register
def unit(request, membership):
    if not set(membership.roles) & UNIT_ROLES or membership.unit_id is None:
        return None
    found = queues.unit_queues(membership, request.user, today=clock.today())
    return _section(20, "unit", _("My unit's work"), found, subtitle=membership.unit.name)


@register
def supervisor(request, membership):
    if not membership.has_role("supervisor"):
        return None
    found = queues.supervisor_queues(membership, request.user, today=clock.today())
    return _section(30, "supervisor", _("Under my supervision"), found)


@register
def proposer(request, membership):
    if not membership.has_role("proposer") or membership.member_id is None:
        return None
    found = queues.proposer_queues(membership)
    return _section(
        40,
        "proposer",
        term("my_items", body=membership.body),
        found,
        subtitle=membership.member.name,
        links=[
            ("items:mine", term("my_items", body=membership.body)),
            ("items:create", term("write_item", body=membership.body)),
        ],
    )


@register
def overview(request, membership):
    """The auditor's overview: the office's counts, read only (the staff see them above)."""
    if not membership.has_role("auditor") or membership.has_role("staff"):
        return None
    found = queues.staff_queues(membership, today=clock.today(), can_act=False)
    return _section(
        50,
        "overview",
        _("The office's work (read only)"),
        found,
        subtitle=membership.body.name,
        read_only=True,
        links=[("handling:board", _("Deadlines")), ("supervision:key_items", _("Key items"))],
    )


@register
def body_admin(request, membership):
    """机关管理: nothing waits in a queue; the way to the administration pages."""
    if not membership.has_role("body_admin"):
        return None
    return {
        "slot": MAIN,
        "order": 60,
        "template": "desk/_body_admin.html",
        "context": {"key": "body-admin", "body": membership.body},
    }
