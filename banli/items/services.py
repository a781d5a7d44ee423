"""Use cases of an item before it reaches the units: drafting (or entering an item for a
proposer, or importing one), co-signing, submission and review. With
`banli.handling.services`, the only code that changes an item's state.

Each function locks the item's row and reads it afresh, decides on that copy (the caller's
may be stale), checks the actor against the workflow table, changes the fields it owns, saves
only those, and appends one history entry, in one transaction. The caller's copy is brought
up to date before the function returns.
"""

from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from banli.bodies.access import membership_in
from banli.bodies.models import (
    UNIT_ROLES,
    BodyType,
    Category,
    Member,
    Membership,
    MemberType,
    Session,
    SessionPeriod,
    Unit,
)
from banli.core import clock
from banli.core.actors import Actor, ActorKind, user_of
from banli.core.errors import InvalidTransition, NotAllowed, ValidationFailed
from banli.core.history import record
from banli.core.uploads import attach
from banli.core.workflow import NEW, Transition

from . import notices, search
from .models import (
    Closure,
    CoSigner,
    Forwarding,
    ForwardingKind,
    Item,
    Kind,
    Refusal,
    format_number,
)
from .permissions import item_roles
from .workflow import COSIGN_ANSWERS, IMPORT, ITEM_WORKFLOW, LEAD, ItemState

# Who may propose each kind (docs/domain.md, items).
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
MAX_SOURCE_NOTE = 200


# Locking and stepping


def lock_item(item: Item) -> Item:
    """The item's row, locked until the transaction ends and read afresh, to decide on.

    A caller whose copy is behind on the state acted on a page that no longer holds and is
    refused; one whose copy is behind on another field (a motion converted meanwhile) is
    not, and the decision uses what the row holds now."""
    fresh = Item.objects.select_for_update().get(pk=item.pk)
    if fresh.state != item.state:
        raise _changed_meanwhile()
    return fresh


def _changed_meanwhile() -> InvalidTransition:
    return InvalidTransition(_("This item was changed meanwhile; please reload it."))


def _sync(item: Item, fresh: Item) -> Item:
    """Bring the caller's copy up to date with the row as saved."""
    if item is not fresh:
        for f in Item._meta.concrete_fields:
            setattr(item, f.attname, getattr(fresh, f.attname))
    return item


def _step(
    item: Item,
    transition: Transition,
    *,
    by,
    reason: str = "",
    data=None,
    fields: Sequence[str] | None = None,
) -> Transition:
    """Move the (locked) item along `transition`; save the state with `fields` (every field
    when None) and write the history entry."""
    if transition.needs_reason and not (reason or "").strip():
        raise ValidationFailed(_("Please give a reason."))
    before = item.state
    item.state = transition.leads_to(before)
    if fields is None:
        item.save()
    else:
        item.save(update_fields=["state", *fields])
    record(
        item,
        f"item.{transition.action}",
        by=by,
        before=before,
        after=item.state,
        reason=reason,
        data=data,
    )
    return transition


def advance(
    item: Item,
    action: str,
    *,
    by,
    roles: set[str],
    reason: str = "",
    data=None,
    fields: Sequence[str] | None = None,
) -> Transition:
    """Take `action` on `item` as the table allows for `roles`; write its history entry.

    For callers outside this module (handling, supervision). `fields` are the fields the
    caller changed besides the state: only they are saved, so what another request changed
    meanwhile is not written back. Without them the whole row is saved, as before; a caller
    should lock and re-read the item first (`lock_item`) and list its fields."""
    transition = ITEM_WORKFLOW.check(action, item.state, roles, item)
    # A stale copy (another request changed the state since it was read) must not write its
    # old state back; the row stays locked until the transaction ends.
    current = (
        Item.objects.select_for_update().filter(pk=item.pk).values_list("state", flat=True).first()
    )
    if current != item.state:
        raise _changed_meanwhile()
    return _step(item, transition, by=by, reason=reason, data=data, fields=fields)


def _decide(item: Item, action: str, by) -> tuple[Item, Transition]:
    """Lock and re-read the item, then check that `by` may take `action` on it now."""
    fresh = lock_item(item)
    transition = ITEM_WORKFLOW.check(action, fresh.state, item_roles(by, fresh), fresh)
    return fresh, transition


# Validation shared by writing, revising and importing


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


def _check_proposer(body, kind: str, proposer: Member) -> None:
    if proposer.body_id != body.pk:
        raise ValidationFailed(_("The proposer belongs to another body."))
    if kind not in KINDS_OF[body.body_type]:
        raise ValidationFailed(_("This body does not take items of this kind."))
    if proposer.member_type not in PROPOSER_TYPES[Kind(kind)]:
        raise ValidationFailed(
            _("A %(type)s cannot propose a %(kind)s.")
            % {"type": proposer.get_member_type_display(), "kind": Kind(kind).label}
        )


def _creation_roles(by, membership: Membership, proposer: Member) -> set[str]:
    """The roles `by` holds towards an item not yet written: the body's roles, the lead
    proposer's for one's own item, and `import` for a row of an import."""
    roles = set(membership.roles) - UNIT_ROLES
    if isinstance(by, Actor) and by.kind == ActorKind.IMPORT:
        roles.add(IMPORT)
    if proposer.pk == membership.member_id:
        roles.add(LEAD)
    return roles


def session_is_open(session: Session, day) -> bool:
    """Whether `session` sits on `day`: its plenary period, within its dates where set."""
    if session.period != SessionPeriod.PLENARY:
        return False
    if session.opens_on is not None and day < session.opens_on:
        return False
    return session.closes_on is None or day <= session.closes_on


# Writing


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
    source_note: str = "",
) -> Item:
    """A proposer starts an item (起草). Staff entering one for another proposer (代录入) say
    where it comes from (`source_note`, e.g. the paper original); the history says so and
    the draft is marked as theirs to edit and submit."""
    body = session.term.body
    membership = membership_in(user_of(by), body)
    if membership is None:
        raise NotAllowed(_("You can only write items in your own body."))
    if proposer is None:
        proposer = membership.member
        if proposer is None:
            raise NotAllowed(_("Only a deputy or member can write an item."))
    on_behalf = proposer.pk != membership.member_id
    if on_behalf and not membership.has_role("staff"):
        raise NotAllowed(_("Only the body's staff can enter an item for someone else."))
    action = "enter_on_behalf" if on_behalf else "create"
    ITEM_WORKFLOW.check(action, NEW, _creation_roles(by, membership, proposer))
    _check_proposer(body, kind, proposer)
    _check_category(body.pk, category)
    title, text = _clean_text(title, text)
    note = (source_note or "").strip() if on_behalf else ""
    if on_behalf and not note:
        raise ValidationFailed(_("Say where the item comes from, e.g. the paper original."))
    if len(note) > MAX_SOURCE_NOTE:
        raise ValidationFailed(_("The source is too long (at most 200 characters)."))
    item = Item.objects.create(
        body=body,
        session=session,
        kind=kind,
        title=title,
        text=text,
        category=category,
        proposer=proposer,
        is_public=is_public,
        entered_by_staff=on_behalf,
        source_note=note,
        created_by=user_of(by),
        created_at=clock.now(),
        search_text=search.index_text(title, text),
    )
    data = {"for": proposer.name, "note": note} if on_behalf else None
    record(item, f"item.{action}", by=by, before="", after=item.state, reason=note, data=data)
    return item


def _invite_and_attach(item: Item, *, by, cosigners: Iterable[Member], files) -> None:
    cosigners = list(cosigners)
    if cosigners:
        invite_cosigners(item, by=by, members=cosigners)
    # Files last: a refusal above rolls the rows back before anything reaches the disk.
    for upload in files:
        attach(item, by=by, upload=upload)


@transaction.atomic
def write_item(
    *,
    by,
    session: Session,
    kind: str,
    title: str,
    text: str,
    category: Category | None = None,
    proposer: Member | None = None,
    source_note: str = "",
    is_public: bool = False,
    cosigners: Iterable[Member] = (),
    files: Iterable = (),
) -> Item:
    """Write an item (起草), or enter one for `proposer` (代录入): the draft, its invitations
    to co-sign and its files, all or nothing."""
    item = create_draft(
        by=by,
        session=session,
        kind=kind,
        title=title,
        text=text,
        category=category,
        proposer=proposer,
        is_public=is_public,
        source_note=source_note,
    )
    _invite_and_attach(item, by=by, cosigners=cosigners, files=files)
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
    fresh, transition = _decide(item, "edit", by)
    _check_category(fresh.body_id, category)
    fresh.title, fresh.text = _clean_text(title, text)
    fresh.category = category
    if is_public is not None:
        fresh.is_public = is_public
    fresh.search_text = search.index_text(fresh.title, fresh.text)
    fields = ["title", "text", "category", "is_public", "search_text"]
    _step(fresh, transition, by=by, fields=fields)
    return _sync(item, fresh)


@transaction.atomic
def revise_item(
    item: Item,
    *,
    by,
    title: str,
    text: str,
    category: Category | None = None,
    is_public: bool | None = None,
    cosigners: Iterable[Member] = (),
    files: Iterable = (),
) -> Item:
    """Revise a draft or a returned item, invite more co-signers, add files: all or nothing."""
    edit_draft(item, by=by, title=title, text=text, category=category, is_public=is_public)
    _invite_and_attach(item, by=by, cosigners=cosigners, files=files)
    return item


@transaction.atomic
def invite_cosigners(item: Item, *, by, members: Iterable[Member]) -> list[CoSigner]:
    """The lead proposer asks others to co-sign (邀请附议); each must confirm in person."""
    fresh, transition = _decide(item, "invite_cosigners", by)
    invited = []
    existing = set(fresh.cosigners.values_list("member_id", flat=True))
    for member in members:
        if member.body_id != fresh.body_id:
            raise ValidationFailed(_("%(name)s belongs to another body.") % {"name": member})
        if member.pk == fresh.proposer_id:
            raise ValidationFailed(_("The lead proposer cannot co-sign their own item."))
        if not member.is_individual:
            raise ValidationFailed(_("Only individual deputies or members can co-sign."))
        if member.pk in existing:
            continue
        existing.add(member.pk)
        invited.append(CoSigner.objects.create(item=fresh, member=member, invited_at=clock.now()))
    if not invited:
        raise ValidationFailed(_("Nobody new was invited."))
    _step(fresh, transition, by=by, data={"members": [str(m.member) for m in invited]}, fields=[])
    _sync(item, fresh)
    return invited


def _own_invitation(item: Item, by) -> CoSigner:
    """The actor's invitation on `item`, its row locked: one answer at a time."""
    profile = membership_in(user_of(by), item.body_id)
    invitation = (
        CoSigner.objects.select_for_update()
        .select_related("member")
        .filter(item=item, member_id=getattr(profile, "member_id", None))
        .first()
    )
    if invitation is None:
        raise NotAllowed(_("You were not invited to co-sign this item."))
    return invitation


def _answer(item: Item, action: str, *, by, reason: str = "") -> CoSigner:
    fresh, transition = _decide(item, action, by)
    invitation = _own_invitation(fresh, by)
    if invitation.status == COSIGN_ANSWERS[action]:
        raise InvalidTransition(
            _("You have already confirmed co-signing this item.")
            if action == "confirm_cosign"
            else _("You have already declined to co-sign this item.")
        )
    now = clock.now()
    confirming = action == "confirm_cosign"
    invitation.confirmed_at = now if confirming else None
    invitation.declined_at = None if confirming else now
    invitation.save(update_fields=["confirmed_at", "declined_at"])
    _step(
        fresh,
        transition,
        by=by,
        reason=reason,
        data={"member": str(invitation.member)},
        fields=[],
    )
    _sync(item, fresh)
    return invitation


@transaction.atomic
def confirm_cosign(item: Item, *, by) -> CoSigner:
    return _answer(item, "confirm_cosign", by=by)


@transaction.atomic
def decline_cosign(item: Item, *, by, reason: str = "") -> CoSigner:
    return _answer(item, "decline_cosign", by=by, reason=reason)


def check_submission_rules(item: Item) -> None:
    """The thresholds of docs/domain.md (items), with a message that says which one failed."""
    pending = item.cosigners.filter(confirmed_at__isnull=True, declined_at__isnull=True).count()
    if pending:
        raise ValidationFailed(
            _("%(count)s invited co-signers have not answered yet.") % {"count": pending}
        )
    if item.kind != Kind.MOTION:
        return
    # Representative Law art. 9/18: motions are raised during a session only.
    if not session_is_open(item.session, clock.today()):
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
    fresh, transition = _decide(item, "submit", by)
    check_submission_rules(fresh)
    fresh.submitted_at = clock.now()
    _step(fresh, transition, by=by, fields=["submitted_at"])
    notices.submitted(fresh, by=by)
    return _sync(item, fresh)


@transaction.atomic
def withdraw(item: Item, *, by, reason: str = "") -> Item:
    fresh, transition = _decide(item, "withdraw", by)
    _step(fresh, transition, by=by, reason=reason, fields=[])
    return _sync(item, fresh)


# Review


@transaction.atomic
def receive(item: Item, *, by) -> Item:
    """Staff take a submitted item into review (签收审查)."""
    fresh, transition = _decide(item, "receive", by)
    _step(fresh, transition, by=by, fields=[])
    return _sync(item, fresh)


@transaction.atomic
def return_for_revision(item: Item, *, by, reason: str) -> Item:
    fresh, transition = _decide(item, "return", by)
    _step(fresh, transition, by=by, reason=reason, fields=[])
    notices.returned(fresh, by=by, reason=reason)
    return _sync(item, fresh)


def refusal_grounds(body) -> list[str]:
    """The grounds a refusal of this body chooses from: a CPPCC's list (不予立案理由);
    a congress gives a free reason and has none."""
    if body.body_type != BodyType.CPPCC:
        return []
    return [str(g) for g in (body.rules.refusal_grounds or [])]


@transaction.atomic
def reject(item: Item, *, by, reason: str, ground: str = "") -> Item:
    """Not accepted (不予立案 / 不予受理), with the explanation the proposer is told; a CPPCC
    proposal also names one of the body's grounds (docs/domain.md, refusals)."""
    fresh, transition = _decide(item, "reject", by)
    grounds = refusal_grounds(fresh.body)
    ground = (ground or "").strip()
    if grounds and ground not in grounds:
        raise ValidationFailed(_("Choose one of the body's grounds for not accepting it."))
    if not grounds:
        ground = ""
    explanation = (reason or "").strip()
    _step(
        fresh,
        transition,
        by=by,
        reason=explanation,
        data={"ground": ground} if ground else None,
        fields=[],
    )
    Refusal.objects.create(
        item=fresh,
        ground=ground,
        explanation=explanation,
        decided_by=user_of(by),
        decided_at=clock.now(),
    )
    notices.rejected(fresh, by=by, reason=explanation, ground=ground)
    return _sync(item, fresh)


@transaction.atomic
def forward_refused(
    item: Item, *, by, kind: str, unit: Unit | None = None, note: str = ""
) -> Forwarding:
    """Pass a proposal that was not accepted on (转社情民意, or to a unit for reference), kept
    with the item so the proposer sees where it went."""
    fresh, transition = _decide(item, "forward", by)
    if kind not in ForwardingKind.values:
        raise ValidationFailed(_("Choose how the proposal is forwarded."))
    if kind == ForwardingKind.LETTER_TO_UNIT:
        if unit is None:
            raise ValidationFailed(_("Choose the unit the letter goes to."))
        if unit.body_id != fresh.body_id:
            raise ValidationFailed(_("This unit belongs to another body."))
    else:
        unit = None
    if fresh.forwardings.filter(kind=kind, unit=unit).exists():
        raise ValidationFailed(_("The proposal has already been forwarded this way."))
    forwarding = Forwarding.objects.create(
        item=fresh,
        kind=kind,
        unit=unit,
        note=(note or "").strip(),
        forwarded_by=user_of(by),
        forwarded_at=clock.now(),
    )
    _step(
        fresh,
        transition,
        by=by,
        reason=forwarding.note,
        data={"kind": kind, "unit": unit.name if unit else ""},
        fields=[],
    )
    _sync(item, fresh)
    return forwarding


MERGE_TARGET_STATES = {
    ItemState.UNDER_REVIEW,
    ItemState.ACCEPTED,
    ItemState.ASSIGNED,
    ItemState.IN_HANDLING,
}


@transaction.atomic
def merge(item: Item, *, by, into: Item, reason: str = "") -> Item:
    """Merge into a lead item (并案): handled with it; each proposer still gets the reply."""
    fresh, transition = _decide(item, "merge", by)
    if into.pk == fresh.pk:
        raise ValidationFailed(_("An item cannot be merged into itself."))
    into = Item.objects.get(pk=into.pk)
    if into.body_id != fresh.body_id or into.kind != fresh.kind:
        raise ValidationFailed(_("Only items of the same body and kind can be merged."))
    if into.state not in MERGE_TARGET_STATES:
        raise ValidationFailed(_("The lead item is not open for merging."))
    if fresh.merged_items.exists():
        raise ValidationFailed(_("Other items are merged into this one; merge them first."))
    fresh.merged_into = into
    _step(
        fresh,
        transition,
        by=by,
        reason=reason,
        data={"into": into.pk, "into_title": into.title},
        fields=["merged_into"],
    )
    notices.merged(fresh, by=by, into=into)
    return _sync(item, fresh)


@transaction.atomic
def convert_to_suggestion(item: Item, *, by, reason: str = "") -> Item:
    """A motion not listed by the presidium is handled as a suggestion (议案转建议)."""
    fresh, transition = _decide(item, "convert", by)
    fresh.kind = Kind.SUGGESTION
    fresh.converted_from_motion = True
    data: dict = {"from": "motion", "to": "suggestion"}
    fields = ["kind", "converted_from_motion"]
    # "关于……的议案" is now "关于……的建议"; staff may still correct it (`amend_item`).
    title = suggestion_title(fresh.title)
    if title != fresh.title:
        data["title"] = {"from": fresh.title, "to": title}
        fresh.title = title
        fresh.search_text = search.index_text(fresh.title, fresh.text)
        fields += ["title", "search_text"]
    _step(fresh, transition, by=by, reason=reason, data=data, fields=fields)
    notices.converted(fresh, by=by)
    return _sync(item, fresh)


MOTION_ENDING, SUGGESTION_ENDING = "的议案", "的建议"


def suggestion_title(title: str) -> str:
    """A motion's title as a suggestion's: "…的议案" becomes "…的建议"; any other stays."""
    if title.endswith(MOTION_ENDING):
        return title[: -len(MOTION_ENDING)] + SUGGESTION_ENDING
    return title


# Correcting after acceptance


@transaction.atomic
def amend_item(
    item: Item, *, by, title: str, text: str, category: Category | None = None, reason: str
) -> Item:
    """Staff correct an accepted item's title, text or category (更正) until it is closed,
    with a reason; the history keeps each changed value before and after."""
    fresh, transition = _decide(item, "amend", by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Please give a reason."))
    _check_category(fresh.body_id, category)
    if category is None and fresh.body.categories.exists():
        raise ValidationFailed(_("Choose a category."))
    title, text = _clean_text(title, text)
    changed: dict[str, dict] = {}
    if title != fresh.title:
        changed["title"] = {"from": fresh.title, "to": title}
    if text != fresh.text:
        changed["text"] = {"from": fresh.text, "to": text}
    if getattr(category, "pk", None) != fresh.category_id:
        old = fresh.category
        changed["category"] = {
            "from": old.name if old else "",
            "to": category.name if category else "",
            "from_id": getattr(old, "pk", None),
            "to_id": getattr(category, "pk", None),
        }
    if not changed:
        raise ValidationFailed(_("Nothing was changed."))
    fresh.title, fresh.text, fresh.category = title, text, category
    fresh.search_text = search.index_text(title, text)
    _step(
        fresh,
        transition,
        by=by,
        reason=reason,
        data={"changed": changed},
        fields=["title", "text", "category", "search_text"],
    )
    return _sync(item, fresh)


def _lock_series(session_id: int) -> None:
    # Lock the session row so two staff numbering at once cannot draw the same number.
    Session.objects.select_for_update().filter(pk=session_id).first()


def _next_number(item: Item) -> int:
    _lock_series(item.session_id)
    last = Item.objects.filter(
        body_id=item.body_id, session_id=item.session_id, kind=item.kind
    ).aggregate(m=Max("number"))["m"]
    return (last or 0) + 1


@transaction.atomic
def accept(
    item: Item, *, by, category: Category | None = None, is_public: bool | None = None
) -> Item:
    """Accept (立案/登记): the item gets its number, in its body's series for its session and
    kind (the kind it has now: a motion converted meanwhile is numbered as a suggestion)."""
    fresh, transition = _decide(item, "accept", by)
    # Representative Law art. 18: the presidium lists motions while the session sits.
    if fresh.kind == Kind.MOTION and not session_is_open(fresh.session, clock.today()):
        raise ValidationFailed(_("A motion can only be accepted while its session is open."))
    category = category or fresh.category
    if category is None and fresh.body.categories.exists():
        raise ValidationFailed(_("Choose a category before accepting."))
    _check_category(fresh.body_id, category)
    fresh.category = category
    if is_public is not None:
        fresh.is_public = is_public
    fresh.number = _next_number(fresh)
    fresh.number_label = format_number(fresh.body.rules, fresh.session, fresh.number)
    fresh.accepted_on = clock.today()
    _step(
        fresh,
        transition,
        by=by,
        data={"number": fresh.number},
        fields=["category", "is_public", "number", "number_label", "accepted_on"],
    )
    notices.accepted(fresh, by=by)
    return _sync(item, fresh)


# Importing


@transaction.atomic
def import_item(
    *,
    by,
    session: Session,
    kind: str,
    number: int,
    title: str,
    text: str,
    proposer: Member,
    accepted_on,
    category: Category | None = None,
    outcome: str | None = None,
    result_class: str = "",
    closure: str = "",
    closed_on=None,
    is_public: bool = False,
) -> Item:
    """An item of a past year's register (往年台账) entered directly in the state the register
    records: accepted under its number (the default `outcome`), or closed with its class.
    `by` is the import's actor
    (`Actor.import_row`), so the history names the file and row."""
    body = session.term.body
    membership = membership_in(user_of(by), body)
    if membership is None:
        raise NotAllowed(_("You can only import items into your own body."))
    transition = ITEM_WORKFLOW.check("import", NEW, _creation_roles(by, membership, proposer))
    try:
        state = transition.leads_to(NEW, outcome)
    except ValueError as wrong:
        raise ValidationFailed(_("An item is imported as accepted or as closed.")) from wrong
    _check_proposer(body, kind, proposer)
    _check_category(body.pk, category)
    title, text = _clean_text(title, text)
    if not isinstance(number, int) or number < 1:
        raise ValidationFailed(_("The number must be a positive whole number."))
    if result_class and result_class not in body.rules.result_classes:
        raise ValidationFailed(_("This body has no result class %(cls)s.") % {"cls": result_class})
    if closure and closure not in Closure.values:
        raise ValidationFailed(_("Unknown evaluation of the reply."))
    _lock_series(session.pk)
    if Item.objects.filter(body=body, session=session, kind=kind, number=number).exists():
        raise ValidationFailed(
            _("Number %(number)s of this session is already taken.") % {"number": number}
        )
    closed = state == ItemState.CLOSED
    item = Item.objects.create(
        body=body,
        session=session,
        kind=kind,
        number=number,
        number_label=format_number(body.rules, session, number),
        title=title,
        text=text,
        category=category,
        proposer=proposer,
        state=state,
        is_public=is_public,
        result_class=result_class,
        closure=closure if closed else "",
        created_by=user_of(by),
        created_at=clock.now(),
        accepted_on=accepted_on,
        closed_on=(closed_on or accepted_on) if closed else None,
        search_text=search.index_text(title, text),
    )
    record(item, "item.import", by=by, before="", after=state, data={"number": number})
    return item
