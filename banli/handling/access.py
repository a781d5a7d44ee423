"""Who may see a reply's files: a draft only the unit that writes it and the body's readers;
a sent reply also its proposers, and anyone who may read the item if the reply is public."""

from banli.bodies.access import membership_in
from banli.bodies.models import BODY_WIDE_READERS, UNIT_ROLES
from banli.items.permissions import item_roles

from .models import Reply


def may_see_reply_files(user, reply: Reply) -> bool:
    item = reply.assignment.item
    roles = item_roles(user, item)
    if roles & BODY_WIDE_READERS:
        return True
    profile = membership_in(user, item.body_id)
    if profile and profile.unit_id == reply.assignment.unit_id and set(profile.roles) & UNIT_ROLES:
        return True
    if not reply.is_sent:
        return False
    return bool(reply.is_public or roles & {"lead_proposer", "cosigner"})
