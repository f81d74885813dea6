"""The catalog's section of the home page: most-used procedures and figures per level."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import get_language

from portal.home import HomeSection
from portal.models import UnitLevel
from procedures.cache import fetch, store
from procedures.models import ProcedureVersion, ServiceLevel

POPULAR_COUNT = 8


def _compute() -> dict:
    published = ProcedureVersion.objects.published()
    popular = [
        {
            "code": version.procedure.code,
            "name": version.name,
            "level": str(version.get_gov_level_display()),
            "online": version.service_level >= ServiceLevel.PARTIAL,
        }
        for version in published.select_related("procedure").order_by(
            "-procedure__filing_count", "name"
        )[:POPULAR_COUNT]
    ]
    rows = {
        row["gov_level"]: row
        for row in published.values("gov_level")
        .annotate(
            total=Count("id"),
            level3=Count("id", filter=Q(service_level=ServiceLevel.PARTIAL)),
            level4=Count("id", filter=Q(service_level=ServiceLevel.FULL)),
        )
        .order_by()
    }
    levels = [
        {
            "level": value,
            "label": str(label),
            **{k: rows[value][k] for k in ("total", "level3", "level4")},
        }
        for value, label in UnitLevel.choices
        if value in rows
    ]
    return {
        "popular": popular,
        "levels": levels,
        "total": sum(row["total"] for row in levels),
        "total3": sum(row["level3"] for row in levels),
        "total4": sum(row["level4"] for row in levels),
    }


def catalog_section(request) -> HomeSection | None:
    # Cached with the catalog pages (invalidated on publish; filing counts refresh with the
    # cache timeout, CATALOG_CACHE_SECONDS).
    key = f"procedures:home:{get_language()}"
    context = fetch(key)
    if context is None:
        context = _compute()
        store(key, context)
    if not context["popular"] and not context["levels"]:
        return None
    return HomeSection(template="procedures/home_section.html", context=context)
