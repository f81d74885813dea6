"""Links a dossier exposes (``links`` in the API): each name maps to a provider registered by
the app that owns the document — the Documents issue registers ``receipt`` (Mẫu 01), payments
register ``payment``. Providers take ``(dossier, request)`` and return a URL or None; they must
not query the database per dossier in lists (use fields already loaded)."""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

LinkProvider = Callable[[object, object], str | None]
_PROVIDERS: dict[str, LinkProvider] = {}


def register_link(name: str, provider: LinkProvider) -> None:
    _PROVIDERS[name] = provider


def unregister_link(name: str) -> None:
    _PROVIDERS.pop(name, None)


def links_for(dossier, request=None) -> dict[str, str | None]:
    result: dict[str, str | None] = {"receipt": None, "result": None, "payment": None}
    for name, provider in _PROVIDERS.items():
        try:
            result[name] = provider(dossier, request)
        except Exception:
            # A broken provider must not turn every dossier answer into a 500.
            logger.exception("link provider %r failed for dossier %s", name, dossier.pk)
            result[name] = None
    return result
