"""Mẫu 01 throughput for ``make bench`` (bench/run.py calls ``run()``).

Renders a realistic one-page receipt N times in-process — the default template in the sandbox,
the QR code, WeasyPrint with the shared font configuration and stylesheet — exactly what the
``render_event_document`` task does minus the database row and the file write. No database
needed. Reports PDFs per second, the median and p90 wall-clock milliseconds, the median CPU
milliseconds (steady on a shared, noisy machine) and the cold start; it asserts nothing
(shared/docs/benchmarks.md).
"""

from __future__ import annotations

import datetime
import statistics
import time


def sample_receipt_context(index: int = 0) -> dict:
    """The data of a typical receipt (a commune desk, four papers, a Vietnamese name)."""
    from django.utils import timezone

    from dossiers.documents import context as ctx
    from dossiers.documents.forms_registry import spec_for
    from dossiers.documents.sandbox import place_and_date

    tz = timezone.get_current_timezone()
    received = datetime.datetime(2026, 11, 23, 8, 30, tzinfo=tz)
    code = f"H36.30.4-261123-{index % 10000:04d}"
    spec = spec_for("receipt")
    url = ctx.tracking_url(code)
    papers = [
        ("Tờ khai đăng ký khai sinh theo mẫu", 1, 0, 0),
        ("Giấy chứng sinh do cơ sở y tế cấp", 1, 0, 0),
        ("Căn cước công dân của cha, mẹ", 0, 1, 0),
        ("Giấy chứng nhận kết hôn của cha, mẹ", 0, 1, 1),
    ]
    return ctx.nfc(
        {
            "form": {"key": "receipt", "number_label": spec.number_label, "title": spec.title},
            "agency": {
                "name": "Ủy ban nhân dân Phường Xuân Trường - Đà Lạt",
                "parent_name": "Ủy ban nhân dân tỉnh Lâm Đồng",
                "code": "H36.30.4",
                "address": "",
                "phone": "02633822000",
                "email": "",
            },
            "place": "Đà Lạt",
            "issued_at": received,
            "issued_on": received.date(),
            "place_date": place_and_date("Đà Lạt", received.date()),
            "portal_url": ctx.base_url(),
            "dossier": {
                "code": code,
                "procedure_code": "1.001193",
                "procedure_name": "Đăng ký khai sinh",
                "summary": "Đề nghị đăng ký khai sinh cho con",
                "processing_time": "3 ngày làm việc",
                "result_delivery": "Nhận tại bộ phận một cửa",
                "delivery_address": "",
            },
            "applicant": {
                "name": "Huỳnh Thị Bích Ngọc Ẩn",
                "address": "12 Trần Phú, Phường Xuân Trường - Đà Lạt, tỉnh Lâm Đồng",
                "phone": "0912345678",
                "email": "ngoc.an@example.vn",
                "id_number": "068123456789",
                "title": "",
            },
            "tracking_url": url,
            "qr_svg": ctx.qr_svg(url),
            "received_at": received,
            "appointment": received + datetime.timedelta(days=3, hours=8),
            "documents": [
                {
                    "index": i,
                    "name": name,
                    "case": "",
                    "originals": o,
                    "certified_copies": c,
                    "photocopies": p,
                }
                for i, (name, o, c, p) in enumerate(papers, start=1)
            ],
            "sets": 1,
            "officer": {"name": "Đặng Văn Khoa", "title": ""},
            "note": "",
        }
    )


def run(n: int = 20) -> dict:
    # Imported here: they need Django's app registry (bench/run.py sets it up first).
    from dossiers.documents.forms_registry import spec_for
    from dossiers.documents.rendering import render_form_pdf

    source = spec_for("receipt").default_body()
    started = time.perf_counter()
    first = render_form_pdf(source, sample_receipt_context())  # cold: fonts, CSS, template
    cold_ms = (time.perf_counter() - started) * 1000

    timings, cpu = [], []
    total_started = time.perf_counter()
    for index in range(1, n + 1):
        context = sample_receipt_context(index)
        started, cpu_started = time.perf_counter(), time.process_time()
        pdf = render_form_pdf(source, context)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    total = time.perf_counter() - total_started
    timings.sort()
    return {
        "iterations": n,
        "receipt_pdfs_per_second": round(n / total, 2),
        "receipt_median_ms": round(statistics.median(timings), 1),
        "receipt_p90_ms": round(timings[int(0.9 * (n - 1))], 1),
        # CPU time of this process: steady when other processes share the two cores.
        "receipt_median_cpu_ms": round(statistics.median(cpu), 1),
        "receipt_cold_ms": round(cold_ms, 1),
        "receipt_pages": pdf.pages,
        "receipt_bytes": len(first.content),
        "note": "Mẫu 01, one page, WeasyPrint in-process (template + QR + PDF), no database",
    }


if __name__ == "__main__":  # pragma: no cover
    import json
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    print(json.dumps(run(), indent=2, ensure_ascii=False))
