"""A workflow as data: states, the actions allowed in each, the state each leads to and the
roles that may take it. Services consult it; pages ask it which buttons to show.

A row may carry guards, conditions on the object the table cannot express by state and role
alone (only a motion is converted; staff change a deputy's draft only when they entered it
for the deputy). `check` and `available` apply them when given the object; without it they
answer for the state and the roles alone."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from .errors import DomainError, InvalidTransition, NotAllowed

SYSTEM = "system"
# The state before a record exists: the source of the rows that create one (drafting,
# entering on a proposer's behalf, importing a past year's register).
NEW = ""

# "workflow.action" -> label, for showing history entries in the user's language.
_LABELS: dict[str, object] = {}


def register_label(action: str, label) -> None:
    _LABELS[action] = label


def label_for(action: str):
    """The translated label of a recorded action such as "item.submit"."""
    return _LABELS.get(action, action)


def state_label(action: str, state: str):
    """The translated name of `state` in the workflow that recorded `action`."""
    return _STATE_LABELS.get(action.split(".", 1)[0], {}).get(state, state)


_STATE_LABELS: dict[str, dict[str, object]] = {}


@dataclass(frozen=True)
class Guard:
    """A condition on the object a row applies to, with what the user is told otherwise."""

    test: Callable[[Any], bool]
    # The message, or a function of the object that writes it (a date the object carries).
    refusal: object = ""
    # What `Workflow.check` raises when the guard refuses (a passed window: DeadlinePassed).
    error: type[DomainError] = InvalidTransition

    def __call__(self, obj) -> bool:
        return bool(self.test(obj))

    def refusal_for(self, obj) -> object:
        return self.refusal(obj) if callable(self.refusal) else self.refusal


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None: the state does not change (a recorded step within a state)
    roles: frozenset[str]
    label: object = ""
    needs_reason: bool = False
    # Taken by the service as the consequence of another action, never as a button.
    automatic: bool = False
    # Whether the row applies to this object at all (a Guard, or any predicate).
    applies: Callable[[Any], bool] | None = field(default=None, compare=False)
    # Roles that hold for this row only under a condition of the object.
    role_guards: Mapping[str, Callable[[Any], bool]] = field(
        default_factory=dict, compare=False, hash=False
    )
    # Other states the service may choose to lead to (an import enters an item in the state
    # its register records); `target` is the usual one.
    alternatives: frozenset[str] = frozenset()

    def leads_to(self, state: str, outcome: str | None = None) -> str:
        if outcome is not None:
            if outcome != self.target and outcome not in self.alternatives:
                raise ValueError(f"{self.action} does not lead to {outcome}")
            return outcome
        return self.target if self.target is not None else state

    @property
    def creates(self) -> bool:
        """Whether the row brings a record into being."""
        return NEW in self.sources

    def roles_for(self, roles: Iterable[str], obj=None) -> set[str]:
        """Those of `roles` that may take this row (on `obj`, when given)."""
        held = set(roles) & self.roles
        if obj is not None:
            held = {r for r in held if r not in self.role_guards or self.role_guards[r](obj)}
        return held

    def applies_to(self, obj) -> bool:
        return obj is None or self.applies is None or bool(self.applies(obj))


@dataclass
class Workflow:
    name: str
    states: Iterable[str]
    transitions: list[Transition] = field(default_factory=list)
    state_labels: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.states = frozenset(self.states)
        self._by_action = {t.action: t for t in self.transitions}
        _STATE_LABELS[self.name] = self.state_labels
        for t in self.transitions:
            _LABELS.setdefault(f"{self.name}.{t.action}", t.label)
        for t in self.transitions:
            reached = {t.target} if t.target else set()
            unknown = ((t.sources - {NEW}) | reached | t.alternatives) - self.states
            if unknown:
                raise ValueError(f"{self.name}.{t.action}: unknown states {unknown}")

    def __getitem__(self, action: str) -> Transition:
        return self._by_action[action]

    def check(self, action: str, state: str, roles: set[str], obj=None) -> Transition:
        """The transition for `action` from `state` (on `obj`, when given), or the error a
        user should see."""
        transition = self._by_action[action]
        if not transition.roles_for(roles, obj):
            # Every role the row names that the actor holds was refused by its condition on
            # this object (or there is none): say which condition, where it says so.
            named = set(roles) & transition.roles
            guards = [transition.role_guards[r] for r in sorted(named)]
            refusal = next((getattr(g, "refusal", "") for g in guards), "")
            raise NotAllowed(
                refusal or _("You are not allowed to %(action)s.") % {"action": transition.label}
            )
        if state not in transition.sources:
            raise InvalidTransition(
                _("Cannot %(action)s: not possible in this state.") % {"action": transition.label}
            )
        if not transition.applies_to(obj):
            guard = transition.applies
            refusal = guard.refusal_for(obj) if isinstance(guard, Guard) else ""
            error = guard.error if isinstance(guard, Guard) else InvalidTransition
            raise error(
                refusal
                or _("Cannot %(action)s: it does not apply here.") % {"action": transition.label}
            )
        return transition

    def available(self, state: str, roles: set[str], obj=None) -> list[Transition]:
        """The actions these roles may take now (on `obj`, when given), in table order: the
        buttons to show."""
        return [
            t
            for t in self.transitions
            if state in t.sources
            and not t.automatic
            and t.roles_for(roles, obj)
            and t.applies_to(obj)
        ]
