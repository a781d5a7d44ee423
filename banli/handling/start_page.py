"""The proposer's start page sections that belong to handling: the replies waiting for the
proposer's evaluation (评价) and the notices the proposer was sent (registered with
`banli.items.start_page`, which cannot import this app; docs/architecture.md)."""

from django.db.models import Exists, OuterRef, Q

from banli.items import start_page
from banli.items.models import CoSigner, Item
from banli.items.workflow import ItemState
from banli.notices import services as notices

from .models import Evaluation

NOTICES_SHOWN = 20


def awaiting_evaluation(member):
    """Replies this proposer has still to evaluate: as the lead, every replied item; as a
    confirmed co-signer, each reply round not yet evaluated (the first reply stays open to
    co-signers while the lead's 不满意 sends it back for re-handling)."""
    mine = Evaluation.objects.filter(item=OuterRef("pk"), member=member)
    # `pk IN (confirmed)` rather than a correlated EXISTS: each side of the OR is then an
    # index lookup (the proposer's items, the co-signed ids) instead of a scan of every
    # item of the database (600 ms at 100,000 items).
    confirmed = CoSigner.objects.filter(member=member, confirmed_at__isnull=False)
    as_cosigner = Q(pk__in=confirmed.values("item_id")) & (
        (Q(state=ItemState.REPLIED) & ~Exists(mine.filter(round=OuterRef("reply_round"))))
        | (Q(state=ItemState.REHANDLING) & ~Exists(mine.filter(round=OuterRef("reply_round") - 1)))
    )
    # Only the member's own items are looked at: `pk IN (led UNION co-signed)` is two index
    # lookups; the OR alone let PostgreSQL read every replied item (71,000, 470 ms).
    led = Item.objects.filter(proposer=member).order_by().values("pk")
    own = Item.objects.filter(pk__in=led.union(confirmed.values("item_id").order_by()))
    return (
        own.filter(Q(proposer=member, state=ItemState.REPLIED) | as_cosigner)
        .defer("text", "search_text")
        .select_related("session", "proposer")
        .order_by("evaluation_due_on", "id")
    )


@start_page.register
def replies_to_evaluate(request, member):
    items = list(awaiting_evaluation(member))
    if not items:
        return None
    return {
        "slot": start_page.WAITING,
        "order": 20,
        "template": "handling/_start_to_evaluate.html",
        "context": {"to_evaluate": items},
    }


@start_page.register
def latest_notices(request, member):
    """The proposer's latest notices in this body, linked to the notices page."""
    mine = notices.mine(request.user, member.body_id)
    return {
        "slot": start_page.ASIDE,
        "order": 10,
        "template": "handling/_start_notices.html",
        "context": {
            "notices": list(mine.order_by("-created_at", "-id")[:NOTICES_SHOWN]),
            "unread_notices": notices.unread_count(request.user, member.body_id),
        },
    }
