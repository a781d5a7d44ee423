"""A workflow as data: states, the actions allowed in each, the state each leads to and the
roles that may take it. Services consult it; pages ask it which buttons to show."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .errors import InvalidTransition, NotAllowed

SYSTEM = "system"

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
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None: the state does not change (a recorded step within a state)
    roles: frozenset[str]
    label: object = ""
    needs_reason: bool = False
    # Taken by the service as the consequence of another action, never as a button.
    automatic: bool = False

    def leads_to(self, state: str) -> str:
        return self.target if self.target is not None else state


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
            unknown = (t.sources | ({t.target} if t.target else set())) - self.states
            if unknown:
                raise ValueError(f"{self.name}.{t.action}: unknown states {unknown}")

    def __getitem__(self, action: str) -> Transition:
        return self._by_action[action]

    def check(self, action: str, state: str, roles: set[str]) -> Transition:
        """The transition for `action` from `state`, or the error a user should see."""
        transition = self._by_action[action]
        if not roles & transition.roles:
            raise NotAllowed(_("You are not allowed to %(action)s.") % {"action": transition.label})
        if state not in transition.sources:
            raise InvalidTransition(
                _("Cannot %(action)s: not possible in this state.") % {"action": transition.label}
            )
        return transition

    def available(self, state: str, roles: set[str]) -> list[Transition]:
        """The actions these roles may take now, in table order (the buttons to show)."""
        return [
            t
            for t in self.transitions
            if state in t.sources and roles & t.roles and not t.automatic
        ]
