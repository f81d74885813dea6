"""The home page is composed of sections contributed by the apps.

``settings.HOME_SECTIONS`` names callables ``f(request) -> HomeSection | None``; the portal core
renders them in order without importing the apps that provide them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass
class HomeSection:
    template: str
    context: dict = field(default_factory=dict)


@cache
def _providers() -> list:
    return [import_string(path) for path in getattr(settings, "HOME_SECTIONS", [])]


def home_sections(request) -> list[HomeSection]:
    sections = (provider(request) for provider in _providers())
    return [section for section in sections if section is not None]
