"""Panels other parts of the portal add to a dossier's pages (postal shipments, payments,
official documents…).

``settings.DOSSIER_PANELS`` names callables ``f(request, dossier, audience) -> Panel | None``
where ``audience`` is ``"citizen"`` (the owner's page), ``"staff"`` (the processing page) or
``"public"`` (the tracking page). Settings name the providers, so dossiers never imports the
apps that react to it (architecture.md: postal depends on dossiers, not the reverse).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString

logger = logging.getLogger(__name__)

AUDIENCES = ("citizen", "staff", "public")


@dataclass
class Panel:
    template: str
    context: dict = field(default_factory=dict)
    stylesheet: str = ""
    html: SafeString | None = None


@cache
def _providers() -> tuple:
    return tuple(import_string(path) for path in getattr(settings, "DOSSIER_PANELS", []))


def panels_for(request, dossier, audience: str) -> list[Panel]:
    """The panels to show, rendered; a failing provider is logged and left out, never a 500."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    panels = []
    for provider in _providers():
        try:
            panel = provider(request, dossier, audience)
            if panel is not None:
                panel.html = render_to_string(panel.template, panel.context, request)
        except Exception:
            logger.exception("dossier panel %r failed for dossier %s", provider, dossier.pk)
            continue
        if panel is not None:
            panels.append(panel)
    return panels
