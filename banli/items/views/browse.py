"""Search and filter every item the user may read; the item page with its timeline."""

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Prefetch, prefetch_related_objects
from django.http import Http404
from django.shortcuts import render

from banli.bodies.terms import timeline_words
from banli.core import panels, timeline
from banli.core.models import HistoryEntry
from banli.core.web import page_of

from .. import listing
from ..filters import form_entries
from ..models import CoSigner, Item
from ..panels import available_actions, item_files
from ..permissions import item_roles
from .access import body_of, open_invitation, readable_item

# What an invitee may do on the invitation page (and nothing else on the item).
INVITATION_ACTIONS = ("confirm_cosign", "decline_cosign")


@login_required
def item_list(request):
    """检索: every filter combinable, paged by keys (first/previous/next), sortable, with a
    bounded count and bounded counts by state (`banli.items.listing`)."""
    body = body_of(request)
    form, filtered = listing.filtered(request.user, request.GET, body=body)
    if form.ranked:
        # A search in best-match order: a slice of its bounded, ranked candidates.
        page = listing.search_page(request, form.searched, form.search_result)
    else:
        page = page_of(request, listing.for_table(filtered), listing.PER_PAGE)
    if form.search_result is not None:
        # A search is counted from its candidates, in memory.
        total, counts = listing.search_facets(form.search_result)
    else:
        total, counts = listing.state_facets(filtered)
    page.count = total
    context = {
        "form": form,
        "page": page,
        "total": total,
        "counts": counts,
        # The ranked candidates of a search, and whether more matched than were ranked.
        "search": form.search_result,
    }
    if request.headers.get("HX-Request"):
        return render(request, "items/_results.html", context)
    context["fields"] = form_entries(form)
    return render(request, "items/list.html", context)


@login_required
def item_detail(request, pk):
    """The case file: the item, its proposers, its files, every panel the user may act in,
    its timeline. An invitee who has not confirmed co-signing reads only the invitation."""
    # One query for the item with what every panel reads of it (the apps' one-to-one records,
    # banli.core.panels.load_with) and one for its co-signers; the panels share the rest
    # through the instance (banli.core.memo).
    try:
        item = readable_item(
            request,
            pk,
            queryset=panels.prepared(
                Item.objects.prefetch_related(
                    Prefetch("cosigners", queryset=CoSigner.objects.select_related("member"))
                ).annotate(has_merged=Exists(Item.objects.filter(merged_into=OuterRef("pk"))))
            ),
        )
    except Http404:
        return invitation(request, open_invitation(request, pk))
    roles = item_roles(request.user, item)
    # The newest entries only; the whole timeline is a page of its own (views/timeline.py).
    recent = timeline.newest(
        HistoryEntry.objects.for_root(item), limit=timeline.RECENT + 1, with_total=True
    )
    older = total = None
    if len(recent) > timeline.RECENT:
        recent = recent[: timeline.RECENT]
        older, total = timeline.cursor_of(recent[-1]), recent[0].total
    merged_items = list(item.merged_items.select_related("proposer")) if item.has_merged else []
    context = {
        "item": item,
        "roles": roles,
        "timeline": timeline.rows(recent, timeline_words(item)),
        "timeline_older": older,
        "timeline_total": total,
        "panels": panels.panels_for(request, item, roles),
        "merged_items": merged_items,
        # Linked only where the reader may open them (a unit reads the lead item only).
        "readable_merged": set(
            Item.objects.visible_to(request.user)
            .filter(pk__in=[m.pk for m in merged_items])
            .values_list("pk", flat=True)
        )
        if merged_items
        else set(),
        "attachments": item_files(item),
    }
    return render(request, "items/detail.html", context)


def invitation(request, invited: CoSigner):
    """附议邀请: what the lead proposer asks the invitee to co-sign, and the answers. Not the
    case file: no files, no timeline, no other panel, until the invitee confirms."""
    item = invited.item
    # The roles and the invitee's own answer both read the co-signers: one query.
    prefetch_related_objects([item], "cosigners")
    roles = item_roles(request.user, item)
    context = {
        "item": item,
        "invitation": invited,
        "actions": [
            a for a in available_actions(request, item, roles) if a["action"] in INVITATION_ACTIONS
        ],
    }
    return render(request, "items/invitation.html", context)
