"""Builders for supervision stories: key items under a leader, and activities on them."""

import datetime as dt

from banli.supervision import services as supervision

from .factories import make_user


def key_item(world, item=None, *, supervisor=None, **kw):
    """An assigned item marked key under `supervisor` (the world's leader by default)."""
    item = item or world.assigned()
    supervision.mark_key(item, by=world.staff, supervisor=supervisor or world.supervisor, **kw)
    item.refresh_from_db()
    return item


def second_leader(world):
    return make_user(world.body, "supervisor")


def activity(world, items, *, by=None, kind="meeting", held_on=None, title="专题督办座谈会", **kw):
    return supervision.record_activity(
        items,
        by=by or world.staff,
        kind=kind,
        held_on=held_on or dt.date(2026, 3, 10),
        title=title,
        **kw,
    )
