"""The benchmark hook runs and reports rates (no timing assertion: benchmarks.md)."""

from signatures.benchmark import run


def test_benchmark_reports_signing_and_verification_rates():
    result = run(n=1)
    assert result["iterations"] == 1
    assert result["signed_pdf_bytes"] > result["pdf_bytes"]
    for key in (
        "signatures_per_second",
        "verifications_per_second",
        "verifications_per_second_in_process",
    ):
        assert result[key] > 0
