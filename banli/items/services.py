"""Use cases of an item before it reaches the units: drafting, co-signing, submission and
review. With `banli.handling.services`, the only code that changes an item's state.

Each function checks the actor against the workflow table, validates, changes the item in
one transaction and appends one history entry.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from banli.bodies.access import membership_in
from banli.bodies.models import BodyType, Category, Member, MemberType, Session, SessionPeriod
from banli.core import clock
from banli.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from banli.core.history import record
from banli.core.workflow import Transition

from . import search
from .models import CoSigner, Item, Kind
from .permissions import item_roles
from .workflow import ITEM_WORKFLOW, ItemState

# Who may propose each kind (DOMAIN.md §2).
PROPOSER_TYPES = {
    Kind.MOTION: {
        MemberType.DEPUTY,
        MemberType.DELEGATION,
        MemberType.PRESIDIUM,
        MemberType.COMMITTEE,
    },
    Kind.SUGGESTION: {MemberType.DEPUTY, MemberType.DELEGATION},
    Kind.PROPOSAL: {
        MemberType.CPPCC_MEMBER,
        MemberType.PARTY,
        MemberType.ORGANISATION,
        MemberType.SECTOR,
        MemberType.COMMITTEE,
    },
}
KINDS_OF = {
    BodyType.CONGRESS: {Kind.MOTION, Kind.SUGGESTION},
    BodyType.CPPCC: {Kind.PROPOSAL},
}
MAX_TITLE = 200


def advance(item: Item, action: str, *, by, roles: set[str], reason: str = "", data=None):
    """Take `action` on `item` as the table allows for `roles`; write its history entry."""
    transition: Transition = ITEM_WORKFLOW.check(action, item.state, roles)
    if transition.needs_reason and not (reason or "").strip():
        raise ValidationFailed(_("Please give a reason."))
    # A stale copy (another request changed the item since it was read) must not write its
    # old state back; the row stays locked until the transaction ends.
    current = (
        Item.objects.select_for_update().filter(pk=item.pk).values_list("state", flat=True).first()
    )
    if current != item.state:
        raise InvalidTransition(_("This item was changed meanwhile; please reload it."))
    before = item.state
    item.state = transition.leads_to(before)
    item.save()
    record(item, f"item.{action}", by=by, before=before, after=item.state, reason=reason, data=data)
    return transition


def _check(item: Item, action: str, by) -> set[str]:
    roles = item_roles(by, item)
    ITEM_WORKFLOW.check(action, item.state, roles)
    return roles


def _clean_text(title: str, text: str) -> tuple[str, str]:
    title, text = (title or "").strip(), (text or "").strip()
    if not title:
        raise ValidationFailed(_("The title is required."))
    if len(title) > MAX_TITLE:
        raise ValidationFailed(_("The title is too long (at most 200 characters)."))
    if not text:
        raise ValidationFailed(_("The text is required."))
    return title, text


def _check_category(item_body_id: int, category: Category | None) -> None:
    if category is not None and category.body_id != item_body_id:
        raise ValidationFailed(_("This category belongs to another body."))


@transaction.atomic
def create_draft(
    *,
    by,
    session: Session,
    kind: str,
    title: str,
    text: str,
    category: Category | None = None,
    proposer: Member | None = None,
    is_public: bool = False,
) -> Item:
    """A proposer starts an item (起草); staff may enter one for a proposer (代录)."""
    body = session.term.body
    profile = membership_in(by, body)
    if profile is None:
        raise NotAllowed(_("You can only write items in your own body."))
    if proposer is None:
        proposer = profile.member
        if proposer is None:
            raise NotAllowed(_("Only a deputy or member can write an item."))
    elif proposer.pk != profile.member_id and not profile.has_role("staff"):
        raise NotAllowed(_("Only the body's staff can enter an item for someone else."))
    if proposer.body_id != body.pk:
        raise ValidationFailed(_("The proposer belongs to another body."))
    if kind not in KINDS_OF[body.body_type]:
        raise ValidationFailed(_("This body does not take items of this kind."))
    if proposer.member_type not in PROPOSER_TYPES[Kind(kind)]:
        raise ValidationFailed(
            _("A %(type)s cannot propose a %(kind)s.")
            % {"type": proposer.get_member_type_display(), "kind": Kind(kind).label}
        )
    _check_category(body.pk, category)
    title, text = _clean_text(title, text)
    now = clock.now()
    item = Item.objects.create(
        body=body,
        session=session,
        kind=kind,
        title=title,
        text=text,
        category=category,
        proposer=proposer,
        is_public=is_public,
        created_by=by,
        created_at=now,
        search_text=search.index_text(title, text),
    )
    record(item, "item.create", by=by, before="", after=item.state)
    return item


@transaction.atomic
def edit_draft(
    item: Item,
    *,
    by,
    title: str,
    text: str,
    category: Category | None = None,
    is_public: bool | None = None,
) -> Item:
    roles = _check(item, "edit", by)
    _check_category(item.body_id, category)
    item.title, item.text = _clean_text(title, text)
    item.category = category
    if is_public is not None:
        item.is_public = is_public
    item.search_text = search.index_text(item.title, item.text)
    advance(item, "edit", by=by, roles=roles)
    return item


@transaction.atomic
def invite_cosigners(item: Item, *, by, members: Iterable[Member]) -> list[CoSigner]:
    """The lead proposer asks others to co-sign (邀请附议); each must confirm in person."""
    roles = _check(item, "invite_cosigners", by)
    invited = []
    existing = set(item.cosigners.values_list("member_id", flat=True))
    for member in members:
        if member.body_id != item.body_id:
            raise ValidationFailed(_("%(name)s belongs to another body.") % {"name": member})
        if member.pk == item.proposer_id:
            raise ValidationFailed(_("The lead proposer cannot co-sign their own item."))
        if not member.is_individual:
            raise ValidationFailed(_("Only individual deputies or members can co-sign."))
        if member.pk in existing:
            continue
        existing.add(member.pk)
        invited.append(CoSigner.objects.create(item=item, member=member, invited_at=clock.now()))
    if not invited:
        raise ValidationFailed(_("Nobody new was invited."))
    advance(
        item,
        "invite_cosigners",
        by=by,
        roles=roles,
        data={"members": [str(m.member) for m in invited]},
    )
    return invited


def _own_invitation(item: Item, by) -> CoSigner:
    profile = membership_in(by, item.body_id)
    invitation = item.cosigners.filter(member_id=getattr(profile, "member_id", None)).first()
    if invitation is None:
        raise NotAllowed(_("You were not invited to co-sign this item."))
    return invitation


@transaction.atomic
def confirm_cosign(item: Item, *, by) -> CoSigner:
    roles = _check(item, "confirm_cosign", by)
    invitation = _own_invitation(item, by)
    invitation.confirmed_at, invitation.declined_at = clock.now(), None
    invitation.save()
    advance(item, "confirm_cosign", by=by, roles=roles, data={"member": str(invitation.member)})
    return invitation


@transaction.atomic
def decline_cosign(item: Item, *, by, reason: str = "") -> CoSigner:
    roles = _check(item, "decline_cosign", by)
    invitation = _own_invitation(item, by)
    invitation.declined_at, invitation.confirmed_at = clock.now(), None
    invitation.save()
    advance(
        item,
        "decline_cosign",
        by=by,
        roles=roles,
        reason=reason,
        data={"member": str(invitation.member)},
    )
    return invitation


def check_submission_rules(item: Item) -> None:
    """The thresholds of DOMAIN.md §2, with a message that says which one failed."""
    pending = item.cosigners.filter(confirmed_at__isnull=True, declined_at__isnull=True).count()
    if pending:
        raise ValidationFailed(
            _("%(count)s invited co-signers have not answered yet.") % {"count": pending}
        )
    if item.kind != Kind.MOTION:
        return
    # Representative Law art. 9/18: motions are raised during a session only.
    if item.session.period != SessionPeriod.PLENARY:
        raise ValidationFailed(_("Motions can only be submitted during a session."))
    if item.proposer.member_type != MemberType.DEPUTY:
        return  # a delegation, the presidium or a committee proposes in its own name
    needed = item.body.rules.motion_threshold()
    signers = 1 + item.cosigners.filter(confirmed_at__isnull=False).count()
    if signers < needed:
        raise ValidationFailed(
            _(
                "A joint motion needs at least %(needed)s deputies; it has %(count)s "
                "(the lead proposer and confirmed co-signers)."
            )
            % {"needed": needed, "count": signers}
        )


@transaction.atomic
def submit(item: Item, *, by) -> Item:
    """Submit (提交): every invited co-signer has answered and the kind's threshold is met."""
    roles = _check(item, "submit", by)
    check_submission_rules(item)
    item.submitted_at = clock.now()
    advance(item, "submit", by=by, roles=roles)
    return item


@transaction.atomic
def withdraw(item: Item, *, by, reason: str = "") -> Item:
    roles = _check(item, "withdraw", by)
    advance(item, "withdraw", by=by, roles=roles, reason=reason)
    return item


@transaction.atomic
def receive(item: Item, *, by) -> Item:
    """Staff take a submitted item into review (签收审查)."""
    advance(item, "receive", by=by, roles=item_roles(by, item))
    return item


@transaction.atomic
def return_for_revision(item: Item, *, by, reason: str) -> Item:
    advance(item, "return", by=by, roles=item_roles(by, item), reason=reason)
    return item


@transaction.atomic
def reject(item: Item, *, by, reason: str) -> Item:
    """Not accepted (不予立案), with the reason the proposer is told."""
    advance(item, "reject", by=by, roles=item_roles(by, item), reason=reason)
    return item


MERGE_TARGET_STATES = {
    ItemState.UNDER_REVIEW,
    ItemState.ACCEPTED,
    ItemState.ASSIGNED,
    ItemState.IN_HANDLING,
}


@transaction.atomic
def merge(item: Item, *, by, into: Item, reason: str = "") -> Item:
    """Merge into a lead item (并案): handled with it; each proposer still gets the reply."""
    roles = _check(item, "merge", by)
    if into.pk == item.pk:
        raise ValidationFailed(_("An item cannot be merged into itself."))
    if into.body_id != item.body_id or into.kind != item.kind:
        raise ValidationFailed(_("Only items of the same body and kind can be merged."))
    if into.state not in MERGE_TARGET_STATES:
        raise ValidationFailed(_("The lead item is not open for merging."))
    if item.merged_items.exists():
        raise ValidationFailed(_("Other items are merged into this one; merge them first."))
    item.merged_into = into
    advance(
        item,
        "merge",
        by=by,
        roles=roles,
        reason=reason,
        data={"into": into.pk, "into_title": into.title},
    )
    return item


@transaction.atomic
def convert_to_suggestion(item: Item, *, by, reason: str = "") -> Item:
    """A motion not listed by the presidium is handled as a suggestion (议案转建议)."""
    roles = _check(item, "convert", by)
    if item.kind != Kind.MOTION:
        raise InvalidTransition(_("Only a motion can be converted to a suggestion."))
    item.kind = Kind.SUGGESTION
    item.converted_from_motion = True
    advance(
        item,
        "convert",
        by=by,
        roles=roles,
        reason=reason,
        data={"from": "motion", "to": "suggestion"},
    )
    return item


def _next_number(item: Item) -> int:
    # Lock the session row so two staff accepting at once cannot draw the same number.
    Session.objects.select_for_update().filter(pk=item.session_id).first()
    last = Item.objects.filter(
        body_id=item.body_id, session_id=item.session_id, kind=item.kind
    ).aggregate(m=Max("number"))["m"]
    return (last or 0) + 1


@transaction.atomic
def accept(
    item: Item, *, by, category: Category | None = None, is_public: bool | None = None
) -> Item:
    """Accept (立案/登记): the item gets its number, unique per body, session and kind."""
    roles = _check(item, "accept", by)
    category = category or item.category
    if category is None and item.body.categories.exists():
        raise ValidationFailed(_("Choose a category before accepting."))
    _check_category(item.body_id, category)
    item.category = category
    if is_public is not None:
        item.is_public = is_public
    item.number = _next_number(item)
    item.accepted_on = clock.today()
    advance(item, "accept", by=by, roles=roles, data={"number": item.number})
    return item
