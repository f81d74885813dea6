"""The home page's headline figures (``settings.HOME_SECTIONS``): the latest year with data."""

from __future__ import annotations

from django.db.models import Sum
from django.utils.translation import gettext as _

from dossiers.models_stats import MonthlyStats
from dossiers.statistics import cache as stats_cache
from dossiers.statistics import queries
from dossiers.statistics.figures import Figures
from dossiers.statistics.tables import format_cell
from portal.home import HomeSection

HEADLINE_COUNTERS = (
    "received", "received_online", "resolved", "resolved_early", "resolved_on_time",
)  # fmt: skip


def _compute() -> dict:
    year = queries.default_year()
    sums = MonthlyStats.objects.filter(month__year=year).aggregate(
        **{name: Sum(name) for name in HEADLINE_COUNTERS}
    )
    figures = Figures().add(sums)
    catalog = queries.catalog_figures()

    def percent(value) -> str:
        return "—" if value is None else format_cell(value, "pct") + "%"

    return {
        "year": year,
        "received": figures.received,
        "procedures": catalog["total"],
        "figures": [
            (_("Thủ tục đang công bố"), format_cell(catalog["total"], "int")),
            (_("Cung cấp trực tuyến (mức độ 3, 4)"),
             format_cell(catalog["level3"] + catalog["level4"], "int")),
            (_("Hồ sơ tiếp nhận"), format_cell(figures.received, "int")),
            (_("Hồ sơ đã giải quyết"), format_cell(figures.resolved, "int")),
            (_("Đúng và trước hạn"), percent(figures.on_time_share)),
            (_("Nộp trực tuyến"), percent(figures.online_share)),
        ],
    }  # fmt: skip


def headline(request) -> HomeSection | None:
    context = stats_cache.cached("home", _compute)
    if not context["received"] and not context["procedures"]:
        return None
    return HomeSection(template="stats/home_headline.html", context=context)
