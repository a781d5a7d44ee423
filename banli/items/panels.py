"""Panels this app adds to the item page (registered with banli.core.panels): the workflow
actions of the proposers and the staff, the co-signers' answers and the attachments, and
why an item was not accepted and where it was forwarded."""

from django.contrib.contenttypes.models import ContentType

from banli.bodies.access import current_membership
from banli.bodies.terms import action_label
from banli.core import panels
from banli.core.models import Attachment
from banli.core.uploads import files_of
from banli.core.workflow import Transition

from .forms import action_form, takes_input
from .models import Item, Refusal
from .workflow import COSIGN_ANSWERS, EDITABLE, ITEM_WORKFLOW, ItemState

# The actions the item pages take through `items:action`; assignment and key items have
# their own panels in the handling and supervision apps.
PAGE_ACTIONS = (
    "submit",
    "withdraw",
    "confirm_cosign",
    "decline_cosign",
    "receive",
    "return",
    "reject",
    "merge",
    "convert",
    "accept",
    "forward",
    "amend",
)
AUDIENCE = {"lead_proposer", "cosigner", "staff"}


def own_invitation(request, item: Item):
    """The user's own co-signing invitation on `item`, if any (from the prefetched list)."""
    member_id = getattr(current_membership(request.user), "member_id", None)
    if member_id is None:
        return None
    return next((c for c in item.cosigners.all() if c.member_id == member_id), None)


def available_actions(request, item: Item, roles: set[str], *, forms: bool = True) -> list[dict]:
    """The buttons for `item`: what the workflow table offers these roles on this item (its
    guards leave out what cannot apply, e.g. converting a suggestion), less an answer to an
    invitation the user has already given. Each with its (unbound) form, if it takes input;
    with `forms=False` only whether it does (`takes_input`): a queue links such a step to
    its form page and never builds 25 forms it does not show."""
    invitation = own_invitation(request, item) if "cosigner" in roles else None
    answered = invitation.status if invitation is not None else None
    shown = [
        _button(item, transition, forms)
        for transition in ITEM_WORKFLOW.available(item.state, roles, item)
        if transition.action in PAGE_ACTIONS
        and (answered is None or COSIGN_ANSWERS.get(transition.action) != answered)
    ]
    # The usual step (submit, accept…) first; the rest in the table's order.
    return sorted(shown, key=lambda button: not button["primary"])


_DANGER = {"withdraw", "reject", "decline_cosign"}
_PRIMARY = {"submit", "receive", "confirm_cosign", "accept"}


def _button(item: Item, transition: Transition, with_form: bool = True) -> dict:
    action = transition.action
    return {
        "action": action,
        "label": action_label(action, transition.label, item=item),
        "form": action_form(action, item, auto_id=f"a{item.pk}-{action}-%s") if with_form else None,
        "takes_input": takes_input(action),
        "danger": action in _DANGER,
        "primary": action in _PRIMARY,
    }


def item_attachments(item: Item):
    """The files attached to the item itself (replies carry theirs in their own panel)."""
    item_type = ContentType.objects.get_for_model(Item)
    return Attachment.objects.filter(
        root_type=item_type, root_id=item.pk, target_type=item_type, target_id=item.pk
    )


def item_files(item: Item) -> list[Attachment]:
    """`item_attachments` from the case file's files read once for the page."""
    return files_of(item, item)


def cosigners_polling(item: Item) -> bool:
    """Whether the page should keep asking for the co-signers' answers."""
    return item.state in EDITABLE and any(c.status == "pending" for c in item.cosigners.all())


def item_actions(request, item: Item, roles: set[str]):
    """The proposer's and the staff's actions and the co-signers' answers (the files are on
    the item page itself, for every reader)."""
    if not roles & AUDIENCE:
        return None
    can_edit = any(t.action == "edit" for t in ITEM_WORKFLOW.available(item.state, roles, item))
    context = {
        "item": item,
        "actions": available_actions(request, item, roles),
        "can_edit": can_edit,
        "invitation": own_invitation(request, item) if "cosigner" in roles else None,
        "show_cosigners": item.state in EDITABLE and bool(item.cosigners.all()),
        "polling": cosigners_polling(item),
    }
    shown = ("actions", "can_edit", "invitation", "show_cosigners")
    if not any(context[key] for key in shown):
        return None
    return {"template": "items/_actions_panel.html", "order": 10, "context": context}


panels.register(item_actions)


def item_refusal(request, item: Item, roles: set[str]):
    """Why the item was not accepted (the ground and the explanation the proposer is told)
    and where it was forwarded, for everyone who reads the item."""
    if item.state != ItemState.REJECTED:
        return None
    refusal = Refusal.objects.filter(item=item).first()
    forwardings = list(item.forwardings.select_related("unit"))
    if refusal is None and not forwardings:
        return None
    return {
        "template": "items/_refusal.html",
        "order": 5,
        "context": {"item": item, "refusal": refusal, "forwardings": forwardings},
    }


panels.register(item_refusal)
