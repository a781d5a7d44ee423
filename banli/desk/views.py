"""The start page (工作台): what waits for the person today, one section per role (the
sections are registered with `banli.core.desk`), and the staff's queue of accepted items
waiting to be assigned (待交办), which no other page lists."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from banli.bodies.access import current_membership
from banli.core import clock, desk
from banli.core.web import page_of
from banli.items.models import Item, Kind
from banli.items.services import KINDS_OF
from banli.items.workflow import ItemState

from .queues import ACCEPTED_SINCE, ITEM_SKIPPED


@login_required
def start(request):
    """`/`: each of the user's roles in the current body shows what waits for it."""
    profile = current_membership(request.user)
    if profile is None:
        if request.user.is_superuser:
            return redirect("admin:index")
        return render(request, "home.html", {})
    sections = desk.sections_for(request, profile)
    context = {
        "sections": sections,
        "profile": profile,
        "today": clock.today(),
        "nothing": not sections[desk.MAIN] and not sections[desk.ASIDE],
    }
    return render(request, "desk/start.html", context)


@login_required
def to_assign(request):
    """待交办: the body's accepted items, the longest waiting first, each with the way to
    its assignment (交办), read from the (body, state, …) index and paged by keys."""
    profile = current_membership(request.user)
    if profile is None or not profile.has_role("staff"):
        raise PermissionDenied
    body = profile.body
    queue = Item.objects.filter(body=body, state=ItemState.ACCEPTED)
    taken = KINDS_OF.get(body.body_type, set())
    kinds = [(value, label) for value, label in Kind.choices if value in taken]
    kind = request.GET.get("kind", "")
    if kind in taken:
        queue = queue.filter(kind=kind)
    else:
        kind = ""
    queue = (
        queue.defer(*ITEM_SKIPPED)
        .select_related("session", "category", "key_item")
        # A page's 25 proposers by key: joined before the sort, PostgreSQL hashed every
        # member of the province.
        .prefetch_related("proposer")
        .order_by(*ACCEPTED_SINCE)
    )
    context = {
        "page": page_of(request, queue, count=True),
        "kind": kind,
        "kinds": kinds if len(kinds) > 1 else [],
        "today": clock.today(),
    }
    return render(request, "desk/to_assign.html", context)
