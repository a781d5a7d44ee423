"""The follow-up's section of a unit's start page (工作台): the items of open rounds that wait
for the unit's progress report (回头看), a bounded count and the first rows."""

from banli.bodies.models import UNIT_ROLES
from banli.core import desk

from .models import FollowUpRound, RoundState
from .services import unit_entries

SHOWN = 5
COUNT_CAP = 100


def waiting_for_unit(body_id: int, unit_id: int):
    """Items of the body's open rounds the unit leads, not yet confirmed, with no report of
    the unit yet."""
    return (
        unit_entries(body_id, unit_id)
        .filter(round__state=RoundState.OPEN, confirmed_on__isnull=True)
        .exclude(reports__unit_id=unit_id)
        .select_related("item", "round")
        .order_by("round__due_on", "id")
    )


@desk.register
def follow_up_reports(request, membership):
    if not membership.unit_id or not set(membership.roles) & UNIT_ROLES:
        return None
    if not FollowUpRound.objects.filter(body_id=membership.body_id, state=RoundState.OPEN).exists():
        return None
    waiting = waiting_for_unit(membership.body_id, membership.unit_id)
    rows = list(waiting[:SHOWN])
    if not rows:
        return None
    count = len(waiting.values("pk")[:COUNT_CAP])
    return {
        "template": "followup/_desk.html",
        "order": 25,
        "context": {"rows": rows, "count": count, "capped": count >= COUNT_CAP},
    }
