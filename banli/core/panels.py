"""Panels on an item's page, contributed by the apps that act on items (handling,
supervision, later the public channel), so the items app need not know them."""

from collections.abc import Callable
from typing import Any

PanelProvider = Callable[..., dict[str, Any] | None]
_providers: list[PanelProvider] = []
_loaders: list[Callable[[Any], Any]] = []


def register(provider: PanelProvider) -> PanelProvider:
    """A provider takes (request, item, roles) and returns {"template", "context", "order"}."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def load_with(loader: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A loader takes the item page's queryset and returns it with what the app's panel reads
    (a select_related of its one-to-one record), so the page reads the item and that record
    in one query and every panel and template shares them."""
    if loader not in _loaders:
        _loaders.append(loader)
    return loader


def prepared(queryset):
    """The item page's queryset with every app's loader applied."""
    for loader in _loaders:
        queryset = loader(queryset)
    return queryset


def panels_for(request, item, roles: set[str]) -> list[dict[str, Any]]:
    panels = [p for provider in _providers if (p := provider(request, item, roles))]
    return sorted(panels, key=lambda p: p.get("order", 50))
