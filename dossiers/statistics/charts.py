"""Charts as server-rendered SVG: no JavaScript, no CDN, nothing for the CSP to allow.

Colours and fonts come from classes styled in ``static/css/stats.css`` (no ``style``
attributes). Each SVG has ``role="img"`` with a title and a description; the page puts it in a
``<figure>`` with a ``<figcaption>`` and the table of the same figures beside it, which is
what screen readers and exports use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720


def fmt_int(value: float) -> str:
    return f"{int(round(value)):,}".replace(",", get_format("THOUSAND_SEPARATOR") or ".")


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent  # pragma: no cover


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | int | None]
    css: str  # "s1" … "s4"


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    svg: SafeString
    legend: list[Series]


def _open(chart_id: str, title: str, description: str, height: int) -> list[str]:
    return [
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(description)}</desc>',
    ]


def columns(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    height: int = 280,
) -> Chart:
    """Grouped vertical bars: one group per category (months, years), one bar per series."""
    left, right, top, bottom = 64, 8, 12, 36
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    peak = nice_ceiling(max([v or 0 for s in series for v in s.values] or [0]))
    parts = _open(chart_id, title, description, height)
    for tick in range(5):
        value = peak * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(
            f'<line class="chart-grid" x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="chart-tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{fmt_int(value)}</text>"
        )
    count = max(len(categories), 1)
    band = plot_w / count
    bar = min(band * 0.8 / max(len(series), 1), 48)
    for index, category in enumerate(categories):
        x0 = left + band * index + (band - bar * len(series)) / 2
        for position, item in enumerate(series):
            value = item.values[index] or 0
            h = plot_h * value / peak
            x = x0 + bar * position
            parts.append(
                f'<rect class="chart-{item.css}" x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{max(bar - 1, 1):.1f}" height="{h:.1f}">'
                f"<title>{escape(category)} – {escape(item.name)}: {fmt_int(value)}</title></rect>"
            )
        parts.append(
            f'<text class="chart-label" x="{left + band * index + band / 2:.1f}" '
            f'y="{height - bottom + 18}" text-anchor="middle">{escape(category)}</text>'
        )
    parts.append(
        f'<line class="chart-axis" x1="{left}" x2="{WIDTH - right}" '
        f'y1="{top + plot_h}" y2="{top + plot_h}"/>'
    )
    parts.append("</svg>")
    return Chart(chart_id, title, mark_safe("".join(parts)), list(series))


def stacked_rows(
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    percent: bool = False,
) -> Chart:
    """Horizontal stacked bars: one row per category (agencies, levels), segments per series.
    With ``percent`` every row spans the full width (shares); otherwise rows scale to the
    largest total."""
    label_w, right, row_h, gap, top = 210, 70, 22, 10, 6
    height = top + len(categories) * (row_h + gap) + 4
    plot_w = WIDTH - label_w - right
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(categories))]
    peak = max(totals or [0]) or 1
    parts = _open(chart_id, title, description, max(height, 40))
    for index, category in enumerate(categories):
        y = top + index * (row_h + gap)
        short = category if len(category) <= 30 else category[:29] + "…"
        parts.append(
            f'<text class="chart-label" x="{label_w - 8}" y="{y + row_h * 0.7:.1f}" '
            f'text-anchor="end"><title>{escape(category)}</title>{escape(short)}</text>'
        )
        scale = plot_w / (totals[index] or 1) if percent else plot_w / peak
        x = label_w
        for item in series:
            value = item.values[index] or 0
            w = value * scale
            if w > 0:
                parts.append(
                    f'<rect class="chart-{item.css}" x="{x:.1f}" y="{y}" width="{w:.1f}" '
                    f'height="{row_h}"><title>{escape(category)} – {escape(item.name)}: '
                    f"{fmt_int(value)}</title></rect>"
                )
            x += w
        parts.append(
            f'<text class="chart-value" x="{x + 6:.1f}" y="{y + row_h * 0.7:.1f}">'
            f"{fmt_int(totals[index])}</text>"
        )
    parts.append("</svg>")
    return Chart(chart_id, title, mark_safe("".join(parts)), list(series))
