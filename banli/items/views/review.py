"""The staff's review queue (审查): submitted items to take in and items under review, oldest
first, each with its quick actions; and the search for the lead item of a merge (并案)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch, Q
from django.db.models.functions import Left
from django.shortcuts import render
from django.views.decorators.http import require_GET

from banli.bodies.access import current_membership
from banli.core import paging
from banli.core.web import page_of

from .. import search
from ..models import CoSigner, Item, Kind
from ..panels import available_actions
from ..permissions import item_roles
from ..services import KINDS_OF, MERGE_TARGET_STATES
from ..workflow import ITEM_WORKFLOW, ItemState
from .access import readable_item

QUEUE_STATES = (ItemState.SUBMITTED, ItemState.UNDER_REVIEW)
CANDIDATES_SHOWN = 15


def _staff_body(request):
    profile = current_membership(request.user)
    if profile is None or not profile.has_role("staff"):
        raise PermissionDenied
    return profile.body


EXCERPT_CHARS = 180


@login_required
def review_queue(request):
    """What the staff have to review, the longest waiting first."""
    body = _staff_body(request)
    items = Item.objects.for_body(body)
    # Bounded counts, one statement, each through the (body, state) index: a whole-body
    # aggregate read every item of the body (banli.core.paging).
    counts = paging.counts_at_most(
        {
            "submitted": items.filter(state=ItemState.SUBMITTED),
            "under_review": items.filter(state=ItemState.UNDER_REVIEW),
            "returned": items.filter(state=ItemState.RETURNED),
        }
    )
    state = request.GET.get("state", "")
    kind = request.GET.get("kind", "")
    queue = items.in_states(*([state] if state in QUEUE_STATES else QUEUE_STATES))
    if kind in Kind.values:
        queue = queue.filter(kind=kind)
    queue = (
        # The body's rules: each row's reject form lists a CPPCC body's grounds.
        # The card shows 180 characters of the text: the database cuts them, and the row
        # never carries the 1–3,000 characters of the whole (nor the search index).
        queue.defer("text", "search_text")
        .annotate(excerpt=Left("text", EXCERPT_CHARS + 1))
        .select_related("body__rule_set", "session", "category", "proposer")
        .prefetch_related(Prefetch("cosigners", queryset=CoSigner.objects.select_related("member")))
        .order_by(F("submitted_at").asc(nulls_last=True), "id")
    )
    page = page_of(request, queue, count=True)
    rows = [
        (item, available_actions(request, item, item_roles(request.user, item), forms=False))
        for item in page.object_list
    ]
    taken = KINDS_OF.get(body.body_type, set())
    kinds = [(value, label) for value, label in Kind.choices if value in taken]
    context = {
        "counts": counts,
        "page": page,
        "rows": rows,
        "state": state if state in QUEUE_STATES else "",
        "kind": kind if kind in Kind.values else "",
        "kinds": kinds if len(kinds) > 1 else [],
    }
    return render(request, "items/review.html", context)


@require_GET
@login_required
def merge_candidates(request, pk):
    """The open items of the same body and kind that `pk` could be merged into."""
    item = readable_item(request, pk)
    if not ITEM_WORKFLOW["merge"].roles_for(item_roles(request.user, item), item):
        raise PermissionDenied
    candidates = (
        Item.objects.for_body(item.body)
        .filter(kind=item.kind, state__in=MERGE_TARGET_STATES)
        .exclude(pk=item.pk)
        .select_related("proposer")
    )
    words = request.GET.get("q", "").strip()[:100]
    if words.isdigit() and len(words) < 10:
        # A number as the staff write it (第12号), or the record id of an unnumbered item.
        candidates = candidates.filter(Q(number=int(words)) | Q(pk=int(words))).order_by("-id")
    elif words:
        candidates = search.search_items(candidates, words).order_by("-search_rank", "-id")
    else:
        # Nothing typed yet: the open items most like this one first (the list a proposer
        # saw beside the draft, items.views.similar), then the newest.
        similar = search.similar_items(candidates, item.title, item.text, CANDIDATES_SHOWN)
        found = {c.pk: c for c in candidates.filter(pk__in=similar)}
        ranked = [found[pk] for pk in similar if pk in found]
        newest = candidates.exclude(pk__in=similar).order_by("-submitted_at", "-id")
        shown = ranked + list(newest[: CANDIDATES_SHOWN - len(ranked)])
        return render(
            request, "items/_merge_candidates.html", {"item": item, "candidates": shown, "q": ""}
        )
    context = {"item": item, "candidates": candidates[:CANDIDATES_SHOWN], "q": words}
    return render(request, "items/_merge_candidates.html", context)
