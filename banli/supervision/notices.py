"""What the supervising leader of a key item (重点督办) is told: that they supervise it, that
it is overdue, that its proposer is not satisfied. The overdue notice is sent by the
deadline scan (banli.reminders, rule `reply.overdue`), once per key item and due date."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from banli.bodies.models import Role
from banli.handling import notices as handling_notices
from banli.notices import recipients
from banli.notices.kinds import Kind, register
from banli.notices.services import notify

from .models import KeyItem

KEY_MARKED = "key.marked"
KEY_OVERDUE = "key.overdue"
KEY_DISSATISFIED = "key.dissatisfied"
CHASED = "supervision.chase"
ACTIVITY_RECORDED = "supervision.activity"

register(
    Kind(KEY_MARKED, _("Key item"), _("You supervise %(item)s as a key item of %(year)s.")),
    Kind(KEY_OVERDUE, _("Key item overdue"), _("Your key item %(item)s was due on %(due_on)s.")),
    Kind(
        KEY_DISSATISFIED,
        _("Key item: dissatisfied"),
        _("The proposer of your key item %(item)s is not satisfied with the reply: %(reason)s"),
    ),
    # 督办活动: the supervising leader hears of what the staff recorded on their key item.
    Kind(
        ACTIVITY_RECORDED,
        _("Supervision activity"),
        _(
            "A supervision activity on your key item %(item)s was recorded: "
            "%(title)s (%(held_on)s)."
        ),
    ),
    # 催办: to each reminded unit's coordinators, leaders and named handler.
    Kind(
        CHASED,
        _("Reminder to handle"),
        _("%(unit)s is reminded to speed up the handling of %(item)s, due by %(due_on)s. %(note)s"),
    ),
)


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


def chased(item, assignments, *, by, note: str) -> None:
    """催办: one unit's coordinators and leaders hear of it, and the handler it named."""
    unit = assignments[0].unit
    readers = recipients.with_role(
        item.body_id, str(Role.UNIT_COORDINATOR), str(Role.UNIT_LEADER), unit_id=unit.pk
    )
    readers += [a.handler_id for a in assignments if a.handler_id is not None]
    notify(
        readers,
        CHASED,
        body=item.body,
        item=item,
        url=_page(item),
        params={
            "unit": unit.name,
            "due_on": min(a.due_on for a in assignments).isoformat(),
            "note": note,
        },
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


def activity_recorded(activity, keys, *, by) -> None:
    """Each supervising leader of the activity's items is told once per item (not of the
    activity they recorded themselves: notify leaves the actor out)."""
    for key in keys:
        notify(
            [key.supervisor_id],
            ACTIVITY_RECORDED,
            body=key.item.body,
            item=key.item,
            url=reverse("supervision:activity", args=[activity.pk]),
            params={"title": activity.title, "held_on": activity.held_on.isoformat()},
            by=by,
        )
