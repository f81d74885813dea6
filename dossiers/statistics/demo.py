"""``seed_demo`` hook (``settings.DEMO_SEEDERS``): statistics from whatever dossiers exist."""

from __future__ import annotations

from typing import TextIO


def seed_stats(layout: str = "2017", stdout: TextIO | None = None, **kwargs) -> None:
    from dossiers.statistics.rebuild import rebuild

    result = rebuild()
    if stdout is not None:
        stdout.write(
            f"Thống kê: {result.days} dòng ngày, {result.months} dòng tháng, "
            f"{result.snapshots} ngày chốt số liệu tồn.\n"
        )
