"""What the supervising leader of a key item (重点督办) is told: that they supervise it, that
it is overdue, that its proposer is not satisfied. The daily sweep `tell_overdue` is run by
`banli notify_overdue` (the worker of docs/architecture.md "Notices" schedules it)."""

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from banli.core import clock
from banli.handling import notices as handling_notices
from banli.notices.kinds import Kind, register
from banli.notices.models import Notice
from banli.notices.services import notify

from .models import KeyItem

KEY_MARKED = "key.marked"
KEY_OVERDUE = "key.overdue"
KEY_DISSATISFIED = "key.dissatisfied"

register(
    Kind(KEY_MARKED, _("Key item"), _("You supervise %(item)s as a key item of %(year)s.")),
    Kind(KEY_OVERDUE, _("Key item overdue"), _("Your key item %(item)s was due on %(due_on)s.")),
    Kind(
        KEY_DISSATISFIED,
        _("Key item: dissatisfied"),
        _("The proposer of your key item %(item)s is not satisfied with the reply: %(reason)s"),
    ),
)

OPEN_STATES = ("assigned", "in_handling", "rehandling")


def _page(item) -> str:
    return reverse("items:detail", args=[item.pk])


def marked(key: KeyItem, *, by) -> None:
    item = key.item
    notify(
        [key.supervisor_id],
        KEY_MARKED,
        body=item.body,
        item=item,
        url=_page(item),
        params={"year": key.year},
        by=by,
    )


def dissatisfied(item, *, by, reason: str) -> None:
    key = KeyItem.objects.filter(item_id=item.pk).first()
    if key is not None:
        notify(
            [key.supervisor_id],
            KEY_DISSATISFIED,
            body=item.body,
            item=item,
            url=_page(item),
            params={"reason": reason},
            by=by,
        )


handling_notices.listen("dissatisfied", dissatisfied)


@transaction.atomic
def tell_overdue() -> int:
    """Tell each supervising leader once per due date that their key item is past it."""
    today = clock.today()
    late = list(
        KeyItem.objects.filter(item__next_due_on__lt=today, item__state__in=OPEN_STATES)
        .select_related("item", "item__body")
        .order_by("id")
    )
    told = {
        (item_id, recipient_id, (params or {}).get("due_on"))
        for item_id, recipient_id, params in Notice.objects.filter(
            kind=KEY_OVERDUE, item_id__in=[k.item_id for k in late]
        ).values_list("item_id", "recipient_id", "params")
    }
    count = 0
    for key in late:
        due = key.item.next_due_on.isoformat()
        if (key.item_id, key.supervisor_id, due) in told:
            continue
        notify(
            [key.supervisor_id],
            KEY_OVERDUE,
            body=key.item.body,
            item=key.item,
            url=_page(key.item),
            params={"due_on": due},
        )
        count += 1
    return count
