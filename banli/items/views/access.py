"""Getting an item for a request: another body's item is a 403, a missing one a 404."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from banli.bodies.access import current_membership

from ..models import Item
from ..permissions import can_read


def readable_item(request, pk, *, queryset=None) -> Item:
    qs = queryset if queryset is not None else Item.objects.all()
    try:
        item = qs.select_related("body", "session", "category", "proposer").get(pk=int(pk))
    except (Item.DoesNotExist, ValueError, TypeError, OverflowError) as missing:
        raise Http404 from missing
    if not can_read(request.user, item):
        raise PermissionDenied
    return item


def body_of(request):
    """The user's body; a user without one may not use the item pages."""
    profile = current_membership(request.user)
    if profile is None:
        raise PermissionDenied
    return profile.body
