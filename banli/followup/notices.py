"""Who hears of a follow-up round (回头看): each lead unit once of its items in a new round,
the staff of the units' progress reports, the proposers and the reporting units of a class
change staff confirm."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from banli.bodies.models import Role
from banli.items import notices as item_notices
from banli.notices import recipients
from banli.notices.kinds import Kind, register
from banli.notices.services import notify

ROUND_OPENED = "followup.opened"
PROGRESS_REPORTED = "followup.reported"
CLASS_CONFIRMED = "followup.class_changed"
UNIT_CLASS_CONFIRMED = "followup.unit_class_changed"

register(
    Kind(
        ROUND_OPENED,
        _("Follow-up round"),
        _(
            "%(round)s: %(count)s items of %(unit)s are reviewed; report their progress by "
            "%(due_on)s."
        ),
    ),
    Kind(
        PROGRESS_REPORTED,
        _("Follow-up progress"),
        _("%(unit)s reported the progress of %(item)s in %(round)s."),
    ),
    Kind(
        CLASS_CONFIRMED,
        _("Class changed in follow-up"),
        _("In %(round)s the class of %(item)s changed from %(from_class)s to %(to_class)s."),
    ),
    Kind(
        UNIT_CLASS_CONFIRMED,
        _("Follow-up class confirmed"),
        _("The staff confirmed class %(to_class)s for %(item)s in %(round)s: %(reason)s"),
    ),
)


def unit_page(round_) -> str:
    return f"{reverse('followup:unit_items')}?{urlencode({'round': round_.pk})}"


def opened(round_, counts: dict, units: dict, *, by) -> None:
    """One notice per lead unit (its coordinators and leaders), however many of its items
    the round takes. `counts` is unit id -> items, `units` unit id -> name."""
    for unit_id in sorted(counts):
        readers = recipients.with_role(
            round_.body_id, str(Role.UNIT_COORDINATOR), str(Role.UNIT_LEADER), unit_id=unit_id
        )
        notify(
            readers,
            ROUND_OPENED,
            body=round_.body,
            url=unit_page(round_),
            params={
                "round": round_.title,
                "count": counts[unit_id],
                "unit": units[unit_id],
                "due_on": round_.due_on.isoformat(),
            },
            by=by,
        )


def reported(entry, report, *, by) -> None:
    """The staff hear once per round until they read it (a unit may report many items)."""
    round_, item = entry.round, entry.item
    notify(
        recipients.with_role(round_.body_id, str(Role.STAFF)),
        PROGRESS_REPORTED,
        body=round_.body,
        item=item,
        url=reverse("followup:round", args=[round_.pk]),
        params={"unit": report.unit.name, "round": round_.title},
        by=by,
        collapse=True,
    )


def confirmed(entry, change, *, by, reporters: list[int]) -> None:
    round_, item = entry.round, entry.item
    params = {"round": round_.title, "from_class": change.from_class, "to_class": change.to_class}
    item_notices.tell_proposers(item, CLASS_CONFIRMED, by=by, params=params)
    notify(
        reporters,
        UNIT_CLASS_CONFIRMED,
        body=round_.body,
        item=item,
        url=unit_page(round_),
        params={**params, "reason": change.reason},
        by=by,
    )
