"""What a user has selected in a list, kept in their session so it survives paging and
filtering: the ids of one list in one body, in the order they were picked, at most
`LIMIT` of them. Only ids of records the user may act on in that list are kept."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from banli.bodies.access import current_membership
from banli.bodies.models import Membership
from banli.handling.access import HELD_STATES
from banli.handling.models import Assignment
from banli.handling.workflow import ASSIGNMENT_WORKFLOW
from banli.items.models import Item

LIMIT = 1000
STAFF = "staff"


@dataclass(frozen=True)
class BatchList:
    """A list whose rows can be selected: where it is (the view's name), what its rows are,
    and who acts on many of them at once."""

    key: str
    view: str
    label: Any
    rows: str  # "item" or "assignment"
    roles: frozenset[str]

    def profile(self, request) -> Membership | None:
        """The user's membership in the current body, if it may act on this list."""
        profile = current_membership(request.user) if request.user.is_authenticated else None
        if profile is None or not set(profile.roles) & self.roles:
            return None
        if self.rows == "assignment" and profile.unit_id is None:
            return None
        return profile

    def profile_or_403(self, request) -> Membership:
        profile = self.profile(request)
        if profile is None:
            raise PermissionDenied
        return profile

    def scope(self, request, profile: Membership) -> QuerySet:
        """The rows of this list the user may select: another body's (or another unit's)
        never, whatever id a request carries."""
        if self.rows == "assignment":
            # The unit's own assignments in its body (banli.handling.views.unit).
            return Assignment.objects.filter(
                unit_id=profile.unit_id, body_id=profile.body_id, state__in=HELD_STATES
            )
        return Item.objects.visible_to(request.user)


LISTS = {
    spec.key: spec
    for spec in (
        BatchList("items", "items:list", _("Search items"), "item", frozenset({STAFF})),
        BatchList("review", "items:review", _("Review"), "item", frozenset({STAFF})),
        BatchList(
            "inbox",
            "handling:inbox",
            _("New assignments"),
            "assignment",
            frozenset(ASSIGNMENT_WORKFLOW["accept"].roles),
        ),
    )
}
BY_VIEW = {spec.view: spec for spec in LISTS.values()}


def _key(spec: BatchList, profile: Membership) -> str:
    return f"batch.selection.{spec.key}.{profile.body_id}"


def selected(request, spec: BatchList, profile: Membership) -> list[int]:
    return list(request.session.get(_key(spec, profile), []))


def _store(request, spec: BatchList, profile: Membership, ids: list[int]) -> None:
    request.session[_key(spec, profile)] = ids[:LIMIT]


def _ids(values) -> list[int]:
    found = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**63 and number not in found:
            found.append(number)
    return found


def update(request, spec: BatchList, profile: Membership, *, shown, picked, op: str) -> bool:
    """Change the selection from a page of the list: `shown` are the rows the page showed,
    `picked` those ticked on it. "update" makes the page's rows as ticked, "page" adds every
    row of the page, "clear" empties the selection. Returns False when the limit cut it."""
    if op == "clear":
        _store(request, spec, profile, [])
        return True
    shown_ids = _ids(shown)[:LIMIT]
    wanted = shown_ids if op == "page" else [pk for pk in _ids(picked) if pk in shown_ids]
    # Only rows the user may act on in this list count (another body's id is dropped).
    allowed = set(spec.scope(request, profile).filter(pk__in=wanted).values_list("pk", flat=True))
    current = selected(request, spec, profile)
    if op != "page":
        unticked = set(shown_ids) - set(wanted)
        current = [pk for pk in current if pk not in unticked]
    kept = set(current)
    for pk in wanted:
        if pk in allowed and pk not in kept:
            current.append(pk)
            kept.add(pk)
    _store(request, spec, profile, current)
    return len(current) <= LIMIT


def remove(request, spec: BatchList, profile: Membership, ids) -> None:
    gone = set(ids)
    _store(
        request, spec, profile, [pk for pk in selected(request, spec, profile) if pk not in gone]
    )
