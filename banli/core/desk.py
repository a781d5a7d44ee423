"""Sections of the start page (工作台, `banli.desk`), contributed by the apps.

The start page (`/`) shows what waits for the person today, one section per role they hold
in the current body, each contributed through this registry: the desk app registers the
sections of the staff, the units, the supervising leaders, the proposers and the readers,
and any other app adds its own (the notices: an unread count and the latest notices). The
registry sits in core so that an app below the desk (notices, items, handling) registers
its section from its own `AppConfig.ready` without importing the desk.

A provider takes (request, membership) — the membership of the body the user works in now
(`bodies.access.current_membership`) — and returns None (nothing to show to this person)
or a dict:

    {"template": "notices/_desk.html",   # included with `section` = the context below
     "context": {...},
     "order": 5,                          # smaller first (the desk's own: 10 to 60)
     "slot": "main" or "aside"}           # the main column (default) or beside it

A provider runs on every start page: it must cost a fixed, small number of queries
(bounded counts, the first few rows), whatever the size of the body.
"""

from collections.abc import Callable
from typing import Any

MAIN, ASIDE = "main", "aside"

SectionProvider = Callable[..., dict[str, Any] | None]
_providers: list[SectionProvider] = []


def register(provider: SectionProvider) -> SectionProvider:
    """Add a section provider (usable as a decorator); registering twice adds it once."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def sections_for(request, membership) -> dict[str, list[dict[str, Any]]]:
    """The sections to show, by slot, in order."""
    found = sorted(
        (s for provider in _providers if (s := provider(request, membership))),
        key=lambda s: s.get("order", 50),
    )
    return {slot: [s for s in found if s.get("slot", MAIN) == slot] for slot in (MAIN, ASIDE)}
