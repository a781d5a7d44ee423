"""The words each type of body uses for the same steps (docs/domain.md §9), in one place.

A people's congress (人大) has suggestions with a 领衔代表 and 附议代表 that are 受理 then
交办, and motions that deputies 联名提出 and the presidium 列为议案; a CPPCC (政协) has
proposals with a 第一提案人 and 联名提案人 that are 立案 or 不予立案. Pages, messages and
menus ask this table rather than choosing words themselves:

- templates: `{% load banli_terms %}{% term "lead_proposer" item %}` (the item's words) or
  `{% term "my_items" %}` (the current body's), or `{{ terms.lead_proposer }}` (the context
  processor `banli.navigation.navigation` puts the current body's `terms` in every page);
- Python: `term("accepted_as", item=item) % {...}`, `term("my_items", body=body)`.

An item's kind tells its body's type (a CPPCC takes only proposals, a congress only motions
and suggestions: `items.services.KINDS_OF`), so an item's words need no query of its body.
Each entry is a lazy translation with the body type (or the motion) as its context, so the
English catalogue can say "lead deputy" and "first proposer" too.
"""

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from .models import BodyType

CONGRESS, CPPCC = str(BodyType.CONGRESS), str(BodyType.CPPCC)
MOTION = "motion"
# The body type an item's kind belongs to.
KIND_BODY_TYPE = {"motion": CONGRESS, "suggestion": CONGRESS, "proposal": CPPCC}


# term key -> words, per body type; MOTION overrides the congress's words for a motion.
TERMS: dict[str, dict[str, Promise]] = {
    CONGRESS: {
        "items": pgettext_lazy("congress", "Motions and suggestions"),
        "my_items": pgettext_lazy("congress", "My motions and suggestions"),
        "write_item": pgettext_lazy("congress", "Write a suggestion or motion"),
        "item": pgettext_lazy("congress", "suggestion"),
        "proposer": pgettext_lazy("congress", "Deputy"),
        "lead_proposer": pgettext_lazy("congress", "Lead deputy"),
        "cosigner": pgettext_lazy("congress", "Seconding deputy"),
        "cosigners": pgettext_lazy("congress", "Seconding deputies"),
        "invite_cosigners": pgettext_lazy("congress", "invite co-signers"),
        "confirm_cosign": pgettext_lazy("congress", "confirm co-signing"),
        "decline_cosign": pgettext_lazy("congress", "decline co-signing"),
        "accept": pgettext_lazy("congress", "accept"),
        "accepted": pgettext_lazy("congress", "Accepted"),
        "accepted_on": pgettext_lazy("congress", "Accepted on"),
        "reject": pgettext_lazy("congress", "do not accept"),
        "rejected": pgettext_lazy("congress", "Not accepted"),
        "accepted_as": pgettext_lazy("congress", "The item was accepted as %(number)s."),
        "rejected_done": pgettext_lazy(
            "congress", "The suggestion was not accepted; the deputy sees the reason."
        ),
        "staff_office": pgettext_lazy("congress", "Deputies' affairs committee"),
        "members": pgettext_lazy("congress", "Deputies"),
        "new_member": pgettext_lazy("congress", "New deputy"),
        "active_members": pgettext_lazy("congress", "Active deputies and groups"),
        "platform": pgettext_lazy("congress", "Handling of motions and suggestions"),
    },
    MOTION: {
        "item": pgettext_lazy("motion", "motion"),
        "cosigner": pgettext_lazy("motion", "Joint deputy"),
        "cosigners": pgettext_lazy("motion", "Deputies proposing jointly"),
        "invite_cosigners": pgettext_lazy("motion", "invite deputies to propose jointly"),
        "confirm_cosign": pgettext_lazy("motion", "join the motion"),
        "decline_cosign": pgettext_lazy("motion", "decline to join"),
        "accept": pgettext_lazy("motion", "list as a motion"),
        "accepted": pgettext_lazy("motion", "Listed as a motion"),
        "accepted_on": pgettext_lazy("motion", "Listed on"),
        "reject": pgettext_lazy("motion", "do not list as a motion"),
        "rejected": pgettext_lazy("motion", "Not listed as a motion"),
        "accepted_as": pgettext_lazy("motion", "The motion was listed as %(number)s."),
        "rejected_done": pgettext_lazy(
            "motion", "The motion was not listed; the deputies see the reason."
        ),
    },
    CPPCC: {
        "items": pgettext_lazy("cppcc", "Proposals"),
        "my_items": pgettext_lazy("cppcc", "My proposals"),
        "write_item": pgettext_lazy("cppcc", "Write a proposal"),
        "item": pgettext_lazy("cppcc", "proposal"),
        "proposer": pgettext_lazy("cppcc", "Proposer"),
        "lead_proposer": pgettext_lazy("cppcc", "First proposer"),
        "cosigner": pgettext_lazy("cppcc", "Co-proposer"),
        "cosigners": pgettext_lazy("cppcc", "Co-proposers"),
        "invite_cosigners": pgettext_lazy("cppcc", "invite co-proposers"),
        "confirm_cosign": pgettext_lazy("cppcc", "join the proposal"),
        "decline_cosign": pgettext_lazy("cppcc", "decline to join"),
        "accept": pgettext_lazy("cppcc", "register"),
        "accepted": pgettext_lazy("cppcc", "Registered"),
        "accepted_on": pgettext_lazy("cppcc", "Registered on"),
        "reject": pgettext_lazy("cppcc", "do not register"),
        "rejected": pgettext_lazy("cppcc", "Not registered"),
        "accepted_as": pgettext_lazy("cppcc", "The proposal was registered as %(number)s."),
        "rejected_done": pgettext_lazy(
            "cppcc", "The proposal was not registered; the proposer sees the reason."
        ),
        "staff_office": pgettext_lazy("cppcc", "Proposals committee"),
        "members": pgettext_lazy("cppcc", "Members"),
        "new_member": pgettext_lazy("cppcc", "New member"),
        "active_members": pgettext_lazy("cppcc", "Active members and groups"),
        "platform": pgettext_lazy("cppcc", "Handling of proposals"),
    },
    # Where no body is known (the login page, an account in no body).
    "": {
        "items": pgettext_lazy("any body", "Motions, suggestions and proposals"),
        "my_items": pgettext_lazy("any body", "My items"),
        "write_item": pgettext_lazy("any body", "Write an item"),
        "item": pgettext_lazy("any body", "item"),
        "proposer": pgettext_lazy("any body", "Proposer"),
        "lead_proposer": pgettext_lazy("any body", "Lead proposer"),
        "cosigner": pgettext_lazy("any body", "Co-signer"),
        "cosigners": pgettext_lazy("any body", "Co-signers"),
        "invite_cosigners": pgettext_lazy("any body", "invite co-signers"),
        "confirm_cosign": pgettext_lazy("any body", "confirm co-signing"),
        "decline_cosign": pgettext_lazy("any body", "decline co-signing"),
        "accept": pgettext_lazy("any body", "accept"),
        "accepted": pgettext_lazy("any body", "Accepted"),
        "accepted_on": pgettext_lazy("any body", "Accepted on"),
        "reject": pgettext_lazy("any body", "do not accept"),
        "rejected": pgettext_lazy("any body", "Not accepted"),
        "accepted_as": pgettext_lazy("any body", "The item was accepted as %(number)s."),
        "rejected_done": pgettext_lazy(
            "any body", "The item was not accepted; the proposer sees the reason."
        ),
        "staff_office": pgettext_lazy("any body", "Body staff"),
        "members": pgettext_lazy("any body", "Deputies and members"),
        "new_member": pgettext_lazy("any body", "New deputy or member"),
        "active_members": pgettext_lazy("any body", "Active deputies, members and groups"),
        "platform": pgettext_lazy("any body", "Handling of motions, suggestions and proposals"),
    },
}
KEYS = frozenset(TERMS[""])
# The item workflow's actions and states whose words are a body's (items.workflow).
ACTION_TERMS = {
    "accept": "accept",
    "reject": "reject",
    "invite_cosigners": "invite_cosigners",
    "confirm_cosign": "confirm_cosign",
    "decline_cosign": "decline_cosign",
}
STATE_TERMS = {"accepted": "accepted", "rejected": "rejected"}


def body_type_of(*, body=None, item=None, kind: str | None = None) -> str:
    if item is not None:
        kind = item.kind
    if kind:
        return KIND_BODY_TYPE.get(kind, "")
    if body is not None:
        return str(body.body_type)
    return ""


def term(key: str, *, body=None, item=None, kind: str | None = None) -> Promise:
    """The words for `key` in the body (or the item's body, or the body of items of
    `kind`); a KeyError for a key the table does not know, so a typo fails a test."""
    if key not in KEYS:
        raise KeyError(key)
    if item is not None:
        kind = item.kind
    body_type = body_type_of(body=body, kind=kind)
    if kind == MOTION and key in TERMS[MOTION]:
        return TERMS[MOTION][key]
    return TERMS.get(body_type, TERMS[""]).get(key) or TERMS[""][key]


def action_label(action: str, default, *, item=None, kind: str | None = None):
    """The button label of an item action in the item's words (立案 / 受理 / 列为议案)."""
    key = ACTION_TERMS.get(action)
    if key is None or (item is None and not kind):
        return default
    return term(key, item=item, kind=kind)


def state_label(state: str, default, *, item=None, kind: str | None = None):
    """The name of an item's state in the item's words (已立案 / 已受理)."""
    key = STATE_TERMS.get(state)
    if key is None or (item is None and not kind):
        return default
    return term(key, item=item, kind=kind)


def timeline_words(item) -> dict[str, object]:
    """The item's words for its timeline (`core.timeline.rows(entries, words)`)."""
    words: dict[str, object] = {
        f"item.{action}": term(key, item=item) for action, key in ACTION_TERMS.items()
    }
    words.update({f"item:{state}": term(key, item=item) for state, key in STATE_TERMS.items()})
    return words


class Terms:
    """The words of one body (or of one item), for templates: `{{ terms.lead_proposer }}`."""

    def __init__(self, *, body=None, item=None, kind: str | None = None) -> None:
        self._where = {"body": body, "item": item, "kind": kind}

    def __getattr__(self, key: str) -> Promise:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return term(key, **self._where)
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> Promise:
        return term(key, **self._where)

    def state(self, state: str, default):
        """An item state's name in these words (`state_label`)."""
        key = STATE_TERMS.get(state)
        return default if key is None else term(key, **self._where)
