"""The roles a user holds towards one item, as the workflow table names them."""

from banli.bodies.access import body_roles, profile_of
from banli.bodies.models import UNIT_ROLES
from banli.core.workflow import SYSTEM

from .models import Item


def item_roles(user, item: Item) -> set[str]:
    if user is None:
        return {SYSTEM}
    profile = profile_of(user)
    if profile is None or profile.body_id != item.body_id:
        return set()
    roles = body_roles(user, item.body_id) - UNIT_ROLES
    if profile.member_id:
        if profile.member_id == item.proposer_id:
            roles.add("lead_proposer")
        elif item.cosigners.filter(member_id=profile.member_id).exists():
            roles.add("cosigner")
    return roles


def can_read(user, item: Item) -> bool:
    return Item.objects.visible_to(user).filter(pk=item.pk).exists()
