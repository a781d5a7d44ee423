"""An item's whole timeline, newest first, a page at a time (keyset on (at, id), no OFFSET):
the item page shows the newest entries and links here for the rest. With htmx, one page of
rows replaces the link that asked for it."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from banli.bodies.terms import timeline_words
from banli.core import timeline
from banli.core.models import HistoryEntry

from .access import readable_item


@login_required
def item_timeline(request, pk):
    """Readable exactly where the item page is (an invitee, another body, a unit reassigned
    away: 404); a malformed `before` shows the first page."""
    item = readable_item(request, pk)
    before = timeline.parse_cursor(request.GET.get("before"))
    entries = timeline.newest(
        HistoryEntry.objects.for_root(item), limit=timeline.PAGE + 1, before=before
    )
    older = timeline.cursor_of(entries[timeline.PAGE - 1]) if len(entries) > timeline.PAGE else None
    context = {
        "item": item,
        "rows": timeline.rows(entries[: timeline.PAGE], timeline_words(item)),
        "older": older,
        "before": before,
    }
    if request.headers.get("HX-Request"):
        return render(request, "items/_timeline_rows.html", context)
    return render(request, "items/timeline.html", context)
