"""Read-side helpers that do not depend on the period: the catalog by level and service level,
the years and agencies that have figures (all cached by generation)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count
from django.utils import timezone

from dossiers.models_stats import MonthlyStats
from dossiers.statistics import cache as stats_cache
from portal.models import Agency, UnitLevel
from procedures.models import ProcedureVersion


def _catalog() -> dict:
    rows = (
        ProcedureVersion.objects.published()
        .values("gov_level", "service_level")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[str, dict[int, int]] = defaultdict(lambda: dict.fromkeys(range(1, 5), 0))
    for row in rows:
        counts[row["gov_level"]][row["service_level"]] += row["n"]
    levels = []
    for value, label in UnitLevel.choices:
        if value not in counts:
            continue
        by_service = counts[value]
        levels.append(
            {
                "gov_level": value,
                "label": str(label),
                "total": sum(by_service.values()),
                **{f"level{n}": by_service[n] for n in range(1, 5)},
            }  # fmt: skip
        )
    totals = {f"level{n}": sum(row[f"level{n}"] for row in levels) for n in range(1, 5)}
    return {"levels": levels, "total": sum(row["total"] for row in levels), **totals}


def catalog_figures() -> dict:
    """Published procedures by gov level and service level (cached; publishing invalidates)."""
    return stats_cache.cached("catalog", _catalog)


def years_with_data() -> list[int]:
    def compute() -> list[int]:
        return sorted({d.year for d in MonthlyStats.objects.dates("month", "year")})

    return stats_cache.cached("years", compute)


def default_year() -> int:
    years = years_with_data()
    return years[-1] if years else timezone.localdate().year


def agencies_with_data(scope: frozenset[int] | None) -> list[Agency]:
    def compute() -> list[tuple[int, str, str]]:
        ids = MonthlyStats.objects.values("agency_id").distinct()
        return list(
            Agency.objects.filter(pk__in=ids).order_by("name").values_list("pk", "code", "name")
        )

    rows = stats_cache.cached("agencies", compute)
    return [
        Agency(pk=pk, code=code, name=name)
        for pk, code, name in rows
        if scope is None or pk in scope
    ]
