"""Links a dossier exposes (``links`` in the API): each name maps to a provider registered by
the app that owns the document — the Documents issue registers ``receipt`` (Mẫu 01), payments
register ``payment``. Providers take ``(dossier, request)`` and return a URL or None; they must
not query the database per dossier in lists (use fields already loaded)."""

from __future__ import annotations

from collections.abc import Callable

LinkProvider = Callable[[object, object], str | None]
_PROVIDERS: dict[str, LinkProvider] = {}


def register_link(name: str, provider: LinkProvider) -> None:
    _PROVIDERS[name] = provider


def unregister_link(name: str) -> None:
    _PROVIDERS.pop(name, None)


def links_for(dossier, request=None) -> dict[str, str | None]:
    result: dict[str, str | None] = {"receipt": None, "result": None, "payment": None}
    for name, provider in _PROVIDERS.items():
        result[name] = provider(dossier, request)
    return result
