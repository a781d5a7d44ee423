"""A case file's timeline as pages read straight from the (root, at, id) index: the newest
entries first, each page continuing strictly before the last entry shown (keyset paging, no
OFFSET), and each entry turned into the few strings a timeline shows, once, in Python."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, Window
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .actors import ActorKind
from .models import HistoryEntry
from .workflow import label_for, state_label

# How many entries the item page shows before linking to the whole timeline.
RECENT = 20
# How many entries one page of the whole timeline shows.
PAGE = 50


@dataclass(frozen=True)
class Row:
    """One timeline entry, as shown."""

    pk: int
    at: dt.datetime
    actor: str
    label: str
    details: tuple[str, ...]
    state: str
    state_label: str
    reason: str
    quiet: bool


def cursor_of(entry: HistoryEntry | Row) -> str:
    """The position just after `entry` going back in time, for a page's "older" link."""
    return f"{entry.at.isoformat()}_{entry.pk}"


def parse_cursor(value: str | None) -> tuple[dt.datetime, int] | None:
    """(at, id) from a cursor; None (the first page) for anything malformed."""
    if not value or "_" not in value:
        return None
    at_text, _sep, pk_text = value.rpartition("_")
    try:
        at = parse_datetime(at_text)
        pk = int(pk_text)
    except (ValueError, TypeError, OverflowError):
        return None
    if at is None or at.tzinfo is None or not 0 < pk < 2**63:
        return None
    return at, pk


def newest(
    entries,
    *,
    limit: int,
    before: tuple[dt.datetime, int] | None = None,
    with_total: bool = False,
) -> list:
    """Up to `limit` entries of `entries` (a case file's) newest first, strictly older than
    `before` in (at, id) order. With `with_total`, each entry also carries `total`, the
    number of entries in all, counted in the same query."""
    if before is not None:
        at, pk = before
        # at <= the cursor's bounds the index scan; the rest breaks the tie on id.
        entries = entries.filter(Q(at__lt=at) | Q(at=at, id__lt=pk), at__lte=at)
    if with_total:
        entries = entries.annotate(total=Window(Count("id")))
    return list(entries.select_related("actor").order_by("-at", "-id")[:limit])


def _actor_name(entry: HistoryEntry, kinds: dict) -> str:
    actor = entry.actor
    who = (actor.get_full_name() or actor.get_username()) if actor is not None else ""
    if entry.actor_kind == ActorKind.USER and actor is not None:
        return who
    kind = kinds.get(entry.actor_kind, entry.actor_kind)
    details = ", ".join(part for part in (entry.actor_label, who) if part)
    # Full-width brackets in Chinese: 导入（2024.xlsx:12, user）.
    return _("%(kind)s (%(details)s)") % {"kind": kind, "details": details} if details else kind


def rows(entries, words: dict[str, object] | None = None) -> list[Row]:
    """The entries as a timeline shows them: who, what, which unit or ground, the new state.

    `words` replaces the labels of some actions ("item.accept") and states ("item:accepted")
    with the case's own words (a body's terms: 立案 or 受理; banli.bodies.terms)."""
    kinds = {value: str(label) for value, label in ActorKind.choices}
    words = words or {}
    labels: dict[str, str] = {k: str(v) for k, v in words.items() if ":" not in k}
    shown = []
    for entry in entries:
        if entry.action not in labels:
            labels[entry.action] = str(label_for(entry.action))
        data = entry.data if isinstance(entry.data, dict) else {}
        changes = entry.from_state != entry.to_state
        shown.append(
            Row(
                pk=entry.pk,
                at=entry.at,
                actor=_actor_name(entry, kinds),
                label=labels[entry.action],
                details=tuple(str(data[key]) for key in ("unit", "for", "ground") if data.get(key)),
                state=entry.to_state if changes else "",
                state_label=str(
                    words.get(f"{entry.action.split('.', 1)[0]}:{entry.to_state}")
                    or state_label(entry.action, entry.to_state)
                )
                if changes and entry.to_state
                else "",
                reason=entry.reason,
                quiet=not changes,
            )
        )
    return shown
