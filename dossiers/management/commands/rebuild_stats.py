"""``python manage.py rebuild_stats [--from YYYY-MM-DD] [--to YYYY-MM-DD]``: recompute the
statistics tables from the dossiers (whole months; everything when no range is given)."""

from __future__ import annotations

import datetime
import time

from django.core.management.base import BaseCommand, CommandError


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Ngày không hợp lệ: {value!r} (dạng YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = "Tính lại các bảng thống kê hồ sơ từ dữ liệu hồ sơ (theo tháng; mặc định: toàn bộ)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", default="", help="từ ngày (YYYY-MM-DD)")
        parser.add_argument("--to", dest="last", default="", help="đến ngày (YYYY-MM-DD)")

    def handle(self, *args, **options):
        from dossiers.statistics.rebuild import rebuild

        first = _date(options["first"]) if options["first"] else None
        last = _date(options["last"]) if options["last"] else None
        if first and last and first > last:
            raise CommandError("--from phải trước hoặc bằng --to.")
        started = time.monotonic()
        result = rebuild(first, last)
        span = (
            f"{result.first:%d/%m/%Y}–{result.last:%d/%m/%Y}"
            if result.first and result.last
            else "toàn bộ"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã tính lại thống kê ({span}) trong {time.monotonic() - started:.1f} s: "
                f"{result.days:,} dòng ngày, {result.months:,} dòng tháng, "
                f"{result.procedure_months:,} dòng thủ tục-tháng, "
                f"{result.steps:,} dòng bước xử lý, "
                f"{result.snapshots:,} ngày chốt số liệu tồn."
            )
        )
