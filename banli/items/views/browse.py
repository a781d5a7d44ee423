"""Search and filter every item the user may read; the item page with its timeline."""

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render

from banli.core import clock, panels
from banli.core.models import HistoryEntry
from banli.core.web import page_of

from .. import lists
from ..filters import ItemFilterForm, state_counts
from ..models import CoSigner, Item
from ..panels import available_actions, item_attachments
from ..permissions import item_roles
from .access import body_of, open_invitation, readable_item

# What an invitee may do on the invitation page (and nothing else on the item).
INVITATION_ACTIONS = ("confirm_cosign", "decline_cosign")


def _list_queryset(queryset):
    """A page of items with what the table shows, including the columns other apps add."""
    return lists.with_columns(
        queryset.select_related("session", "category", "proposer", "key_item")
    )


@login_required
def item_list(request):
    """检索: every filter combinable, paginated, sortable, with counts by state."""
    body = body_of(request)
    form = ItemFilterForm(request.GET or None, body=body)
    if form.is_bound:
        form.is_valid()
    visible = Item.objects.visible_to(request.user)
    filtered = (
        form.apply(visible, today=clock.today())
        if form.is_bound
        else visible.order_by("-created_at", "-id")
    )
    page = page_of(request, _list_queryset(filtered))
    context = {
        "form": form,
        "page": page,
        "total": page.paginator.count,
        "counts": state_counts(filtered),
        "search": form.search_result,
    }
    template = "items/_results.html" if request.headers.get("HX-Request") else "items/list.html"
    return render(request, template, context)


@login_required
def item_detail(request, pk):
    """The case file: the item, its proposers, its files, every panel the user may act in,
    its timeline. An invitee who has not confirmed co-signing reads only the invitation."""
    try:
        item = readable_item(
            request,
            pk,
            queryset=Item.objects.prefetch_related(
                Prefetch("cosigners", queryset=CoSigner.objects.select_related("member"))
            ),
        )
    except Http404:
        return invitation(request, open_invitation(request, pk))
    roles = item_roles(request.user, item)
    timeline = HistoryEntry.objects.for_root(item).select_related("actor")
    context = {
        "item": item,
        "roles": roles,
        "timeline": timeline,
        "panels": panels.panels_for(request, item, roles),
        "merged_items": item.merged_items.select_related("proposer"),
        # Linked only where the reader may open them (a unit reads the lead item only).
        "readable_merged": set(
            Item.objects.visible_to(request.user)
            .filter(merged_into=item)
            .values_list("pk", flat=True)
        ),
        "attachments": item_attachments(item),
    }
    return render(request, "items/detail.html", context)


def invitation(request, invited: CoSigner):
    """附议邀请: what the lead proposer asks the invitee to co-sign, and the answers. Not the
    case file: no files, no timeline, no other panel, until the invitee confirms."""
    item = invited.item
    roles = item_roles(request.user, item)
    context = {
        "item": item,
        "invitation": invited,
        "actions": [
            a for a in available_actions(request, item, roles) if a["action"] in INVITATION_ACTIONS
        ],
    }
    return render(request, "items/invitation.html", context)
