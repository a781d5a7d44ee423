"""The unit's workspace on the item page, for the people of a unit the item is assigned to:
their assignment, its deadlines, what they may do now, the contacts, opinions and replies.

Everyone's read-only view of the handling is the staff's panel (panels_staff.py)."""

from banli.bodies.access import current_membership
from banli.bodies.models import UNIT_ROLES
from banli.core import panels

from . import case
from .access import HELD_STATES
from .views.unit import workspace


@panels.register
def unit_panel(request, item, roles):
    profile = current_membership(request.user)
    if (
        profile is None
        or profile.unit_id is None
        or profile.body_id != item.body_id
        or not set(profile.roles) & UNIT_ROLES
    ):
        return None
    # Only what the unit still holds: reassigned away, its old workspace is gone with it.
    mine = [
        a for a in case.assignments(item) if a.unit_id == profile.unit_id and a.state in HELD_STATES
    ]
    entries = [workspace(request.user, assignment) for assignment in mine]
    if not entries:
        return None
    return {
        "template": "handling/_unit_panel.html",
        "context": {"item": item, "entries": entries, "next": request.get_full_path()},
        "order": 20,
    }
