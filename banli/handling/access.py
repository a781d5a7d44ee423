"""Who reads the handling of an item beyond its public part (docs/domain.md, "Who reads
what"): the body's staff, leaders and auditors; the units that still hold an assignment on
it; and its proposers — the lead proposer and the confirmed co-signers, of the item or of an
item merged into it (分别答复). An invitee who never confirmed is none of them.

A reply's files follow the same readers: a draft only the unit that writes it and the body's
readers; a sent reply also the proposers and the item's units, and anyone who may read the
item if the reply is public."""

from django.db.models import Q

from banli.bodies.access import membership_in
from banli.bodies.models import BODY_WIDE_READERS, UNIT_ROLES
from banli.items.models import Item, ItemQuerySet

from .models import Assignment, Reply

# The states in which a unit holds its assignment; reassigned away, it reads no more.
HELD_STATES = ItemQuerySet.HELD_ASSIGNMENT_STATES


def reads_as_proposer(user, item: Item) -> bool:
    """The lead proposer or a confirmed co-signer of `item` or of an item merged into it."""
    profile = membership_in(user, item.body_id)
    if profile is None or profile.member_id is None:
        return False
    member = profile.member_id
    if item.proposer_id == member:
        return True
    # The item page has the co-signers prefetched: a confirmed one needs no query.
    if "cosigners" in getattr(item, "_prefetched_objects_cache", {}) and any(
        c.member_id == member and c.confirmed_at is not None for c in item.cosigners.all()
    ):
        return True
    cases = Item.objects.filter(Q(pk=item.pk) | Q(merged_into_id=item.pk))
    return cases.filter(
        Q(proposer_id=member)
        | Q(cosigners__member_id=member, cosigners__confirmed_at__isnull=False)
    ).exists()


def holding_unit(user, item: Item) -> int | None:
    """The user's unit, if it still holds an assignment on `item` (and the user acts for it)."""
    profile = membership_in(user, item.body_id)
    if profile is None or not profile.unit_id or not set(profile.roles) & UNIT_ROLES:
        return None
    holds = Assignment.objects.filter(item=item, unit_id=profile.unit_id, state__in=HELD_STATES)
    return profile.unit_id if holds.exists() else None


def may_see_reply_files(user, reply: Reply) -> bool:
    item = reply.assignment.item
    profile = membership_in(user, item.body_id)
    if profile is not None and set(profile.roles) & BODY_WIDE_READERS:
        return True
    unit = holding_unit(user, item)
    if not reply.is_sent:
        return unit is not None and unit == reply.assignment.unit_id
    return bool(reply.is_public or unit is not None or reads_as_proposer(user, item))
