"""Sections of the proposer's start page (我的) that other apps contribute: the replies to
evaluate and the notices come from handling, which the items app does not import
(docs/architecture.md)."""

from collections.abc import Callable
from typing import Any

# Where a section goes: in "Waiting for me" (it has something to do) or beside it.
WAITING, ASIDE = "waiting", "aside"

SectionProvider = Callable[..., dict[str, Any] | None]
_providers: list[SectionProvider] = []


def register(provider: SectionProvider) -> SectionProvider:
    """A provider takes (request, member) and returns None (nothing to show) or
    {"slot": WAITING or ASIDE, "template", "context", "order"}."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def sections_for(request, member) -> dict[str, list[dict[str, Any]]]:
    """The sections to show, by slot, in order."""
    found = sorted(
        (s for provider in _providers if (s := provider(request, member))),
        key=lambda s: s.get("order", 50),
    )
    return {slot: [s for s in found if s["slot"] == slot] for slot in (WAITING, ASIDE)}
