"""The Mẫu 01 benchmark runs and reports its figures (it measures; it asserts no timing)."""

from dossiers.documents.benchmark import run, sample_receipt_context
from dossiers.documents.forms_registry import spec_for
from dossiers.documents.rendering import render_form_pdf
from tests.dossiers.documents.factories import pdf_text


def test_benchmark_reports_receipts_per_second():
    result = run(n=2)
    assert result["iterations"] == 2
    assert result["receipt_pdfs_per_second"] > 0
    assert result["receipt_median_ms"] > 0 and result["receipt_median_cpu_ms"] > 0
    assert result["receipt_pages"] == 1  # the benchmark measures a realistic one-page receipt


def test_the_benchmarked_receipt_is_a_real_one():
    pdf = render_form_pdf(spec_for("receipt").default_body(), sample_receipt_context(7))
    text = pdf_text(pdf.content)
    assert "Huỳnh Thị Bích Ngọc Ẩn" in text and "H36.30.4-261123-0007" in text
    assert "Đà Lạt, ngày 23 tháng 11 năm 2026" in text
