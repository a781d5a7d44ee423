"""Panels on an item's page, contributed by the apps that act on items (handling,
supervision, later the public channel), so the items app need not know them."""

from collections.abc import Callable
from typing import Any

PanelProvider = Callable[..., dict[str, Any] | None]
_providers: list[PanelProvider] = []


def register(provider: PanelProvider) -> PanelProvider:
    """A provider takes (request, item, roles) and returns {"template", "context", "order"}."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def panels_for(request, item, roles: set[str]) -> list[dict[str, Any]]:
    panels = [p for provider in _providers if (p := provider(request, item, roles))]
    return sorted(panels, key=lambda p: p.get("order", 50))
