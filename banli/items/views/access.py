"""Getting an item for a request, always through `Item.objects.visible_to`: an item the user
may not read answers 404 exactly like one that does not exist, so a page never confirms that
another body's record (or another person's draft) exists."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from banli.bodies.access import current_membership

from ..models import CoSigner, Item
from ..workflow import EDITABLE


def item_pk(pk) -> int:
    """The record id in a URL, or 404 (a malformed or overlong number is not a record)."""
    try:
        value = int(pk)
    except (ValueError, TypeError, OverflowError) as missing:
        raise Http404 from missing
    if not 0 < value < 2**63:
        raise Http404
    return value


def open_invitations(user):
    """The user's own invitations to co-sign (附议) not yet confirmed, on items still being
    drafted in the body the user works in now. Only these are readable to an invitee:
    the invitation, not the case file (docs/domain.md)."""
    profile = current_membership(user)
    if profile is None or profile.member_id is None:
        return CoSigner.objects.none()
    return CoSigner.objects.filter(
        member_id=profile.member_id,
        confirmed_at__isnull=True,
        item__body_id=profile.body_id,
        item__state__in=EDITABLE,
    )


def open_invitation(request, pk) -> CoSigner:
    """The user's unconfirmed invitation on item `pk`, with its item; 404 if there is none."""
    found = (
        open_invitations(request.user)
        .filter(item_id=item_pk(pk))
        .select_related("item", "item__body", "item__proposer", "item__session", "item__category")
        .first()
    )
    if found is None:
        raise Http404
    return found


def readable_item(request, pk, *, queryset=None, invited: bool = False) -> Item:
    """Item `pk` if the user may read it, else 404. With `invited`, also an item the user is
    invited to co-sign while it is a draft (for answering the invitation)."""
    base = queryset if queryset is not None else Item.objects.all()
    readable = Item.objects.visible_to(request.user)
    if invited:
        readable = readable | Item.objects.filter(
            pk__in=open_invitations(request.user).values("item_id")
        )
    found = (
        (base & readable)
        .select_related("body", "session", "category", "proposer")
        .filter(pk=item_pk(pk))
        .first()
    )
    if found is None:
        raise Http404
    return found


def body_of(request):
    """The user's body; a user without one may not use the item pages."""
    profile = current_membership(request.user)
    if profile is None:
        raise PermissionDenied
    return profile.body
