"""Who holds a place in a body: the people a notice goes to, as user ids. Only active
memberships of active accounts are told; roles are read in Python because SQLite's JSON
has no `contains` (a body has tens of staff and a unit a handful of people)."""

from collections.abc import Iterable

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from banli.bodies.models import Membership


def _active(body_id: int):
    return Membership.objects.filter(body_id=body_id, active=True, user__is_active=True)


def with_role(body_id: int, *roles: str, unit_id: int | None = None) -> list[int]:
    """The users of the body (of the unit, if given) holding any of `roles`."""
    rows = _active(body_id)
    if unit_id is not None:
        rows = rows.filter(unit_id=unit_id)
    else:
        # A body's staff among its thousands of deputies' and units' memberships: the
        # database keeps only the rows naming one of the roles (the JSON list as text holds
        # each code in quotes), so the few staff rows are read, not every membership.
        text = Cast("roles", TextField())
        named = Q()
        for role in roles:
            named |= Q(roles_text__contains=f'"{role}"')
        rows = rows.annotate(roles_text=text).filter(named)
    wanted = set(roles)
    return [user_id for user_id, held in rows.values_list("user_id", "roles") if wanted & set(held)]


def of_members(body_id: int, member_ids: Iterable[int]) -> list[int]:
    """The accounts that act for these deputies or members (a group without an account, a
    代表团 or 专委会, is not told in the site)."""
    ids = list(member_ids)
    if not ids:
        return []
    return list(_active(body_id).filter(member_id__in=ids).values_list("user_id", flat=True))
