"""The proposer's pages: the start page (what waits for me, my items, my notices), writing
an item and revising a draft. Staff use the write page to enter an item for a proposer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from banli.bodies.access import current_membership
from banli.core import clock
from banli.core.errors import InvalidTransition, NotAllowed
from banli.core.models import HistoryEntry
from banli.core.web import page_of, run

from .. import listing, services, start_page
from ..filters import ItemFilterForm
from ..forms import ItemCreateForm, ItemEditForm, cosigner_candidates, ids
from ..models import CoSigner, Forwarding, Item
from ..panels import item_attachments
from ..permissions import item_roles
from ..workflow import EDITABLE, ITEM_WORKFLOW, ItemState
from .access import readable_item

REFUSED_SHOWN = 10
MEMBER_OPTIONS = 50


def _return_reason(item: Item) -> str:
    entry = HistoryEntry.objects.for_target(item).filter(action="item.return").last()
    return entry.reason if entry else ""


def _refused(member):
    """This proposer's items that were not accepted, with the ground and the explanation
    they are told, and where each was forwarded."""
    forwardings = Forwarding.objects.select_related("unit")
    return (
        Item.objects.filter(proposer=member, state=ItemState.REJECTED)
        .select_related("refusal")
        .prefetch_related(Prefetch("forwardings", queryset=forwardings))
        .order_by("-refusal__decided_at", "-id")[:REFUSED_SHOWN]
    )


def open_invitations(member):
    """The invitations to co-sign this proposer has not answered, on items still open to
    co-signing, the oldest first (also counted on the start page, `banli.desk`)."""
    return (
        CoSigner.objects.filter(
            member=member,
            confirmed_at__isnull=True,
            declined_at__isnull=True,
            item__state__in=EDITABLE,
        )
        .select_related("item", "item__proposer", "item__session")
        .order_by("invited_at", "id")
    )


@login_required
def mine(request):
    """我的: what waits for me first, then my items by state, then what I was told."""
    profile = current_membership(request.user)
    member = profile.member if profile else None
    if member is None:
        raise PermissionDenied
    invitations = open_invitations(member)
    # The replies to evaluate and the notices are handling's sections (`items.start_page`).
    sections = start_page.sections_for(request, member)
    returned = [
        (item, _return_reason(item))
        for item in Item.objects.filter(proposer=member, state=ItemState.RETURNED).order_by("id")
    ]

    cosigned = CoSigner.objects.filter(member=member, confirmed_at__isnull=False).values("item")
    # One indexed set of ids (led, or co-signed), not `proposer = x OR id IN (…)`, which
    # PostgreSQL answers by reading every item of every body.
    led = Item.objects.filter(proposer=member).order_by().values("pk")
    my_items = Item.objects.filter(pk__in=led.union(cosigned.order_by()))
    state = request.GET.get("state", "")
    if state not in ItemState.values:
        state = ""
    filters = ItemFilterForm({"state": state}, body=profile.body)
    filters.is_valid()
    listed = filters.apply(my_items, today=clock.today())
    page = page_of(request, listing.for_table(listed), listing.PER_PAGE)
    total, counts = listing.state_facets(my_items)
    context = {
        "member": member,
        "invitations": invitations,
        "returned": returned,
        "refused": _refused(member),
        "sections": sections,
        "waiting": bool(invitations or returned or sections[start_page.WAITING]),
        "state": state,
        "counts": counts,
        "total": total,
        "page": page,
    }
    return render(request, "items/mine.html", context)


def _write_permission(request):
    profile = current_membership(request.user)
    if profile is None:
        raise PermissionDenied
    is_staff = profile.has_role("staff")
    if profile.member is None and not is_staff:
        raise PermissionDenied
    return profile, is_staff


@login_required
def create(request):
    """起草: write an item and save it as a draft; co-signers are invited at once. Staff
    enter an item for a proposer (代录入) here, saying where it comes from."""
    profile, is_staff = _write_permission(request)
    form = ItemCreateForm(
        request.POST or None,
        request.FILES or None,
        body=profile.body,
        own_member=profile.member,
        is_staff=is_staff,
    )
    if request.method == "POST" and form.is_valid():
        success = _("The draft is saved. Submit it when your co-signers have confirmed.")
        item = run(
            request,
            services.write_item,
            by=request.user,
            form=form,
            success=success,
            **form.item_arguments(),
        )
        if item is not None:
            return redirect("items:detail", pk=item.pk)
    return render(request, "items/write.html", {"form": form, "item": None})


@login_required
def edit(request, pk):
    """Revise a draft or a returned item, invite more co-signers, add files."""
    item = readable_item(
        request,
        pk,
        queryset=Item.objects.prefetch_related(
            Prefetch("cosigners", queryset=CoSigner.objects.select_related("member"))
        ),
    )
    try:
        ITEM_WORKFLOW.check("edit", item.state, item_roles(request.user, item), item)
    except NotAllowed as refused:
        raise PermissionDenied from refused
    except InvalidTransition:
        messages.error(request, _("This item can no longer be edited."))
        return redirect("items:detail", pk=item.pk)
    form = ItemEditForm(request.POST or None, request.FILES or None, item=item)
    if request.method == "POST" and form.is_valid():
        success = _("Your changes are saved.")
        revised = run(
            request,
            services.revise_item,
            item,
            by=request.user,
            form=form,
            success=success,
            **form.draft_arguments(),
        )
        if revised:
            return redirect("items:detail", pk=item.pk)
    context = {
        "form": form,
        "item": item,
        "attachments": item_attachments(item),
        "return_reason": _return_reason(item) if item.state == ItemState.RETURNED else "",
    }
    return render(request, "items/write.html", context)


@require_GET
@login_required
def member_options(request):
    """The co-signer select's options matching the search box, the chosen ones kept."""
    profile = current_membership(request.user)
    if profile is None:
        raise PermissionDenied
    candidates = cosigner_candidates(profile.body)
    item_pk = request.GET.get("item", "")
    if item_pk:
        item = readable_item(request, item_pk)
        invited = item.cosigners.values_list("member_id", flat=True)
        candidates = candidates.exclude(pk=item.proposer_id).exclude(pk__in=invited)
    elif profile.member_id and not profile.has_role("staff"):
        candidates = candidates.exclude(pk=profile.member_id)
    selected = list(candidates.filter(pk__in=ids(request.GET.getlist("cosigners"))))
    words = request.GET.get("cosigner_search", "").strip()[:60]
    matches = candidates.exclude(pk__in=[m.pk for m in selected])
    if words:
        matches = matches.filter(
            Q(name__icontains=words) | Q(delegation__icontains=words) | Q(sector__icontains=words)
        )
    options = [(m, True) for m in selected] + [(m, False) for m in matches[:MEMBER_OPTIONS]]
    return render(request, "items/_member_options.html", {"options": options})
