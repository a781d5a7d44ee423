"""Who is told of an item's steps before it reaches the units (通知): the notice kinds of
the items app and the one function per step its services call. The wording follows the body
type where the office's words differ (立案 for a CPPCC proposal, 受理 for a suggestion)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from banli.bodies.models import BodyType, Role
from banli.notices import recipients
from banli.notices.kinds import Kind, register
from banli.notices.services import notify

SUBMITTED = "item.submitted"
ACCEPTED = "item.accepted"
RETURNED = "item.returned"
REJECTED = "item.rejected"
CONVERTED = "item.converted"
MERGED = "item.merged"

register(
    Kind(
        SUBMITTED,
        _("New submission"),
        _("%(proposer)s submitted %(item)s."),
    ),
    Kind(
        ACCEPTED,
        pgettext_lazy("notice kind", "Accepted"),
        _("%(title)s was accepted and numbered %(number)s."),
        by_body_type={
            str(BodyType.CPPCC): _("%(title)s was placed on file and numbered %(number)s."),
        },
    ),
    Kind(
        RETURNED,
        _("Returned for revision"),
        _("%(item)s was returned for revision: %(reason)s"),
    ),
    Kind(
        REJECTED,
        _("Not accepted"),
        _("%(item)s was not accepted: %(reason)s"),
        by_body_type={
            str(BodyType.CPPCC): _("%(item)s was not placed on file (%(ground)s): %(reason)s"),
        },
    ),
    Kind(
        CONVERTED,
        _("Converted to a suggestion"),
        _("%(item)s is handled as a suggestion, not as a motion."),
    ),
    Kind(
        MERGED,
        _("Merged"),
        _("%(item)s was merged into %(into)s and is handled with it."),
    ),
)


def page(item) -> str:
    return reverse("items:detail", args=[item.pk])


def proposers(item) -> list[int]:
    """The accounts of the lead proposer and every confirmed co-signer (领衔 + 附议)."""
    return recipients.of_members(item.body_id, [m.pk for m in item.signers()])


def staff(body_id: int) -> list[int]:
    return recipients.with_role(body_id, str(Role.STAFF))


def tell_proposers(item, kind: str, *, by, params: dict | None = None) -> None:
    notify(proposers(item), kind, body=item.body, item=item, url=page(item), params=params, by=by)


def submitted(item, *, by) -> None:
    notify(
        staff(item.body_id),
        SUBMITTED,
        body=item.body,
        item=item,
        url=page(item),
        params={"proposer": item.proposer.name},
        by=by,
    )


def accepted(item, *, by) -> None:
    tell_proposers(item, ACCEPTED, by=by)


def returned(item, *, by, reason: str) -> None:
    tell_proposers(item, RETURNED, by=by, params={"reason": reason})


def rejected(item, *, by, reason: str, ground: str) -> None:
    tell_proposers(item, REJECTED, by=by, params={"reason": reason, "ground": ground})


def converted(item, *, by) -> None:
    tell_proposers(item, CONVERTED, by=by)


def merged(item, *, by, into) -> None:
    into_ref = {"title": into.title, "number": into.display_number if into.number else ""}
    tell_proposers(item, MERGED, by=by, params={"into": into_ref})
