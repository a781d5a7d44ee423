"""The roles a user holds towards one item, as the workflow table names them."""

from banli.bodies.access import membership_in
from banli.bodies.models import UNIT_ROLES
from banli.core.actors import Actor, ActorKind, user_of
from banli.core.workflow import SYSTEM

from .models import Item

# Roles of actors who are not a body's members (the imports issue maps rows to "import").
ACTOR_ROLES = {ActorKind.SYSTEM: {SYSTEM}, ActorKind.IMPORT: {"import"}, ActorKind.CITIZEN: set()}


def item_roles(by, item: Item) -> set[str]:
    """The roles `by` (a user, None for the system, or an Actor) holds towards `item`,
    from the membership in the item's own body."""
    if by is None:
        return {SYSTEM}
    if isinstance(by, Actor) and by.kind in ACTOR_ROLES and by.kind != ActorKind.IMPORT:
        return set(ACTOR_ROLES[by.kind])
    user = user_of(by)
    membership = membership_in(user, item.body_id)
    if membership is None:
        return set()
    roles = set(membership.roles) - UNIT_ROLES
    if isinstance(by, Actor) and by.kind == ActorKind.IMPORT:
        roles |= ACTOR_ROLES[ActorKind.IMPORT]
    if membership.member_id:
        if membership.member_id == item.proposer_id:
            roles.add("lead_proposer")
        elif _is_cosigner(item, membership.member_id):
            roles.add("cosigner")
    return roles


def _is_cosigner(item: Item, member_id: int) -> bool:
    """Invited to co-sign `item`: from its prefetched co-signers when the page has them."""
    if "cosigners" in getattr(item, "_prefetched_objects_cache", {}):
        return any(c.member_id == member_id for c in item.cosigners.all())
    return item.cosigners.filter(member_id=member_id).exists()


def can_read(user, item: Item) -> bool:
    return Item.objects.visible_to(user).filter(pk=item.pk).exists()
