"""``python manage.py seed_scale --dossiers N [--years Y]``: synthetic dossiers for benchmarks
and statistics (see dossiers/scale.py for what is generated)."""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from dossiers import scale


class Command(BaseCommand):
    help = "Thêm N hồ sơ giả lập trải trên danh mục và các cơ quan (đo hiệu năng, thống kê)."

    def add_arguments(self, parser):
        parser.add_argument("--dossiers", type=int, required=True, help="số hồ sơ")
        parser.add_argument(
            "--years",
            default="",
            help="năm giải quyết, ví dụ 2017 hoặc 2017-2019 (mặc định: 12 tháng gần nhất)",
        )
        parser.add_argument("--batch", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=2017, help="hạt giống ngẫu nhiên")

    def handle(self, *args, **options):
        total = options["dossiers"]
        if total < 1 or total > 20_000_000:
            raise CommandError("--dossiers phải từ 1 đến 20.000.000.")
        try:
            years = scale.parse_years(options["years"])
        except ValueError as exc:
            raise CommandError(f"--years: {exc}") from exc
        started = time.monotonic()
        last_report = [started]

        def progress(done: int, of: int) -> None:
            now = time.monotonic()
            if now - last_report[0] >= 5 or done == of:
                last_report[0] = now
                rate = done / max(now - started, 1e-9)
                self.stdout.write(f"  {done:,}/{of:,} hồ sơ ({rate:,.0f} hồ sơ/s)")

        try:
            counts = scale.seed(
                total,
                years=years,
                batch_size=max(100, options["batch"]),
                seed_value=options["seed"],
                progress=progress,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã thêm {counts['dossiers']:,} hồ sơ và {counts['events']:,} dòng lịch sử "
                f"trong {elapsed:.1f} s ({counts['dossiers'] / max(elapsed, 1e-9):,.0f} hồ sơ/s)"
                + (
                    f"; mức độ 3: {counts['level3']:,}, mức độ 4: {counts['level4']:,}"
                    if years
                    else ""
                )
            )
        )
        call_command("rebuild_stats", stdout=self.stdout)  # bulk rows bypass the listeners
