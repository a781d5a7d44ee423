"""Use cases of supervision: key items (重点督办), supervision activities (督办活动) and
chasing the units (催办)."""

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from banli.bodies.access import body_roles
from banli.bodies.models import Role, Unit
from banli.core import clock, uploads
from banli.core.actors import user_of
from banli.core.errors import NotAllowed, ValidationFailed
from banli.core.history import record
from banli.core.models import HistoryEntry
from banli.core.workflow import register_label
from banli.handling.models import Assignment
from banli.handling.workflow import OPEN_STATES
from banli.items.models import Item
from banli.items.permissions import item_roles
from banli.items.services import advance, lock_item
from banli.items.workflow import ITEM_WORKFLOW

from . import notices
from .models import ActivityKind, KeyItem, SupervisionActivity

MAX_NAME = 60
MAX_TITLE = 200


def _name(value: str, label: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_NAME:
        raise ValidationFailed(
            _("%(field)s: at most %(n)s characters.") % {"field": label, "n": MAX_NAME}
        )
    return value


@transaction.atomic
def mark_key(
    item: Item,
    *,
    by,
    supervisor,
    lead_handler: str = "",
    committee: str = "",
    note: str = "",
) -> KeyItem:
    """Choose an item for key supervision (重点督办) under a supervising leader.

    The item's row is locked before the check, so a second request (a double click, a
    colleague at the same moment) waits for the first and is told the item is already a key
    item, instead of failing on the one-key-per-item constraint."""
    fresh = lock_item(item)
    roles = item_roles(by, fresh)
    ITEM_WORKFLOW.check("set_key", fresh.state, roles, fresh)
    if "supervisor" not in body_roles(supervisor, fresh.body_id):
        raise ValidationFailed(_("The supervising leader must be a leader of this body."))
    if KeyItem.objects.filter(item=fresh).exists():
        raise ValidationFailed(_("This item is already a key item."))
    key = KeyItem.objects.create(
        item=fresh,
        year=fresh.session.year,
        supervisor=supervisor,
        lead_handler=_name(lead_handler, _("Leader who lead-handles it")),
        committee=_name(committee, _("Supervising committee")),
        note=note.strip(),
        marked_at=clock.now(),
    )
    advance(
        fresh,
        "set_key",
        by=by,
        roles=roles,
        data={
            "supervisor": str(supervisor),
            "lead_handler": key.lead_handler,
            "committee": key.committee,
        },
        fields=[],
    )
    notices.marked(key, by=by)
    return key


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Please give a reason."))
    return reason


def _leader_name(user) -> str:
    return user.get_full_name() or user.username


def _forget_key(item: Item) -> None:
    """Drop a key item cached on the caller's copy (it reads the row afresh next time)."""
    item._state.fields_cache.pop("key_item", None)


@transaction.atomic
def unmark_key(item: Item, *, by, reason: str) -> None:
    """The item is no longer a key item (取消重点督办), with a reason. The key-item record
    goes; the history keeps what it said (leader, lead-handling leader, year, note, date)."""
    fresh = lock_item(item)
    roles = item_roles(by, fresh)
    ITEM_WORKFLOW.check("unset_key", fresh.state, roles, fresh)
    reason = _reason(reason)
    key = KeyItem.objects.select_for_update().select_related("supervisor").get(item=fresh)
    data = {
        "supervisor": _leader_name(key.supervisor),
        "supervisor_id": key.supervisor_id,
        "lead_handler": key.lead_handler,
        "committee": key.committee,
        "year": key.year,
        "note": key.note,
        "marked_at": key.marked_at.isoformat(),
    }
    # Recorded first: the row applies only while the item is a key item.
    advance(fresh, "unset_key", by=by, roles=roles, reason=reason, data=data, fields=[])
    key.delete()
    _forget_key(fresh)
    _forget_key(item)


@transaction.atomic
def change_supervisor(
    item: Item,
    *,
    by,
    supervisor,
    reason: str,
    lead_handler: str | None = None,
    committee: str | None = None,
) -> KeyItem:
    """Another supervising leader takes over a key item (and, when given, another leader
    lead-handles it or another committee supervises it), with a reason; the history keeps
    before and after."""
    fresh = lock_item(item)
    roles = item_roles(by, fresh)
    ITEM_WORKFLOW.check("change_key_leader", fresh.state, roles, fresh)
    reason = _reason(reason)
    if supervisor is None or "supervisor" not in body_roles(supervisor, fresh.body_id):
        raise ValidationFailed(_("The supervising leader must be a leader of this body."))
    key = KeyItem.objects.select_for_update().select_related("supervisor").get(item=fresh)
    handler = (
        key.lead_handler
        if lead_handler is None
        else _name(lead_handler, _("Leader who lead-handles it"))
    )
    group = key.committee if committee is None else _name(committee, _("Supervising committee"))
    if (supervisor.pk, handler, group) == (key.supervisor_id, key.lead_handler, key.committee):
        raise ValidationFailed(_("Nothing was changed."))
    data = {
        "from": _leader_name(key.supervisor),
        "to": _leader_name(supervisor),
        "from_id": key.supervisor_id,
        "to_id": supervisor.pk,
        "lead_handler": {"from": key.lead_handler, "to": handler},
        "committee": {"from": key.committee, "to": group},
    }
    key.supervisor, key.lead_handler, key.committee = supervisor, handler, group
    key.save(update_fields=["supervisor", "lead_handler", "committee"])
    _forget_key(item)
    advance(fresh, "change_key_leader", by=by, roles=roles, reason=reason, data=data, fields=[])
    if data["from_id"] != data["to_id"]:
        notices.marked(key, by=by)
    return key


# --- Supervision activities (督办活动) --------------------------------------------------

ACTIVITY = "supervision.activity"
ACTIVITY_WITHDRAWN = "supervision.activity_withdrawn"
register_label(ACTIVITY, gettext_lazy("recorded a supervision activity"))
register_label(ACTIVITY_WITHDRAWN, gettext_lazy("withdrew a supervision activity"))


def _recorder_roles(by, body_id: int) -> set[str]:
    """The staff record activities on any key item of their body, a supervising leader on
    the key items they supervise (`_own_items_only`); nobody else."""
    user = user_of(by)
    roles = body_roles(user, body_id) if user is not None else set()
    if not roles & {str(Role.STAFF), str(Role.SUPERVISOR)}:
        raise NotAllowed(_("Only the staff or a supervising leader record this."))
    return roles


def _own_items_only(by, roles: set[str], keys: Sequence[KeyItem]) -> None:
    if str(Role.STAFF) in roles:
        return
    user = user_of(by)
    if not all(k.supervisor_id == user.pk for k in keys):
        raise NotAllowed(
            _("Only the staff, or the supervising leader of each of these items, record this.")
        )


def _activity_data(activity: SupervisionActivity) -> dict:
    return {
        "activity_id": activity.pk,
        "kind": activity.kind,
        "held_on": activity.held_on.isoformat(),
        # The timeline names what the activity was (banli.core.timeline reads "for").
        "for": activity.title,
    }


@transaction.atomic
def record_activity(
    items: Iterable[Item],
    *,
    by,
    kind: str,
    held_on: dt.date,
    title: str,
    participants: str = "",
    notes: str = "",
    files: Sequence = (),
) -> SupervisionActivity:
    """Record a supervision activity (督办活动) held on one or several key items of one body,
    with its files; each item's timeline shows it (one history entry per item).

    The items are locked in id order, so two activities recorded at once on the same items
    wait for each other instead of deadlocking."""
    chosen = sorted({item.pk: item for item in items}.values(), key=lambda item: item.pk)
    if not chosen:
        raise ValidationFailed(_("Choose at least one key item."))
    fresh = [lock_item(item) for item in chosen]
    body_id = fresh[0].body_id
    roles = _recorder_roles(by, body_id)
    if any(item.body_id != body_id for item in fresh):
        raise NotAllowed(_("The items of one activity belong to one body."))
    keys = list(KeyItem.objects.filter(item__in=fresh))
    if len(keys) != len(fresh):
        raise ValidationFailed(_("Supervision activities are recorded on key items only."))
    _own_items_only(by, roles, keys)
    if kind not in ActivityKind.values:
        raise ValidationFailed(_("Choose the kind of activity."))
    if held_on is None or held_on > clock.today():
        raise ValidationFailed(_("The date of the activity cannot be in the future."))
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("Please give a title."))
    if len(title) > MAX_TITLE:
        raise ValidationFailed(_("The title is too long."))
    activity = SupervisionActivity.objects.create(
        body_id=body_id,
        kind=kind,
        held_on=held_on,
        title=title,
        participants=(participants or "").strip(),
        notes=(notes or "").strip(),
        recorded_by=user_of(by),
        recorded_at=clock.now(),
    )
    activity.items.set(fresh)
    data = _activity_data(activity)
    for item in fresh:
        record(activity, ACTIVITY, by=by, root=item, data=data)
    for upload in files:
        # The activity is its own case file: its files are read on its page.
        uploads.attach(activity, by=by, upload=upload)
    for key in keys:
        key.item = next(item for item in fresh if item.pk == key.item_id)
    notices.activity_recorded(activity, keys, by=by)
    return activity


@transaction.atomic
def withdraw_activity(activity: SupervisionActivity, *, by, reason: str) -> SupervisionActivity:
    """An activity recorded by mistake stops counting (撤回), with a reason: the staff or
    the person who recorded it. The record and its files stay readable."""
    fresh = SupervisionActivity.objects.select_for_update().get(pk=activity.pk)
    user = user_of(by)
    roles = body_roles(user, fresh.body_id) if user is not None else set()
    mine = user is not None and fresh.recorded_by_id == user.pk and bool(roles)
    if str(Role.STAFF) not in roles and not mine:
        raise NotAllowed(_("Only the staff or the person who recorded it withdraw an activity."))
    if fresh.withdrawn_at is not None:
        raise ValidationFailed(_("This activity was already withdrawn."))
    reason = _reason(reason)
    fresh.withdrawn_at, fresh.withdrawn_by, fresh.withdrawn_reason = clock.now(), user, reason
    fresh.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    data = _activity_data(fresh)
    for item in fresh.items.order_by("pk"):
        record(fresh, ACTIVITY_WITHDRAWN, by=by, root=item, reason=reason, data=data)
    return fresh


# --- Chasing the units (催办) ------------------------------------------------------------

CHASE = "supervision.chase"
register_label(CHASE, gettext_lazy("reminded the units (催办)"))
# An item is chased while its units handle it: not before it is assigned, not once replied
# or closed (the follow-up rounds take over then).
CHASE_STATES: frozenset[str] = frozenset({"assigned", "in_handling", "rehandling"})


def open_assignments(item: Item) -> list[Assignment]:
    """The item's assignments whose unit still owes its reply or opinion, lead units first."""
    return list(
        Assignment.objects.filter(item=item, state__in=OPEN_STATES)
        .select_related("unit")
        .order_by("-role", "unit__sort_key", "id")
    )


def chased_today(item: Item) -> set[int]:
    """The units already reminded of `item` today, local time (from its history)."""
    today = clock.today()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    entries = HistoryEntry.objects.for_root(item).filter(
        action=CHASE, at__gte=start, at__lt=start + dt.timedelta(days=1)
    )
    done: set[int] = set()
    for data in entries.values_list("data", flat=True):
        if isinstance(data, dict):
            done.update(int(pk) for pk in data.get("unit_ids", []) if isinstance(pk, int))
    return done


@transaction.atomic
def chase(item: Item, *, by, units: Iterable[Unit] | None = None, note: str = "") -> list[Unit]:
    """催办: the staff remind the units still handling `item` (every open lead and co-handling
    assignment's unit, or the `units` chosen among them). Each unit's coordinators and
    leaders are told, and its named handler; the item's history names the units and the
    note. A unit is reminded of an item once a day: asked for by name a second time that day
    it is refused; by default the units already reminded today are left out."""
    fresh = lock_item(item)
    if str(Role.STAFF) not in item_roles(by, fresh):
        raise NotAllowed(_("Only the staff remind the units."))
    if fresh.state not in CHASE_STATES:
        raise ValidationFailed(
            _("Only an item the units are handling can be chased; this one is %(state)s.")
            % {"state": fresh.get_state_display()}
        )
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationFailed(_("The note is too long."))
    owing = open_assignments(fresh)
    if not owing:
        raise ValidationFailed(_("No unit is handling this item now."))
    already = chased_today(fresh)
    if units is None:
        chosen = [a for a in owing if a.unit_id not in already]
        if not chosen:
            raise ValidationFailed(_("Every unit of this item was already reminded today."))
    else:
        wanted = {unit.pk for unit in units}
        if not wanted:
            raise ValidationFailed(_("Choose at least one unit."))
        chosen = [a for a in owing if a.unit_id in wanted]
        if len({a.unit_id for a in chosen}) != len(wanted):
            raise ValidationFailed(_("Only the units handling this item now can be reminded."))
        again = [a.unit.name for a in chosen if a.unit_id in already]
        if again:
            raise ValidationFailed(
                _("%(units)s was already reminded of this item today; try again tomorrow.")
                % {"units": "、".join(dict.fromkeys(again))}
            )
    # One unit may hold a lead and a co-handling assignment (rare); it is told once.
    by_unit: dict[int, list[Assignment]] = {}
    for assignment in chosen:
        by_unit.setdefault(assignment.unit_id, []).append(assignment)
    told = [assignments[0].unit for assignments in by_unit.values()]
    record(
        fresh,
        CHASE,
        by=by,
        reason=note,
        data={
            "unit": "、".join(unit.name for unit in told),
            "unit_ids": [unit.pk for unit in told],
        },
    )
    for assignments in by_unit.values():
        notices.chased(fresh, assignments, by=by, note=note)
    return told
