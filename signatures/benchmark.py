"""Signing and verification throughput for ``make bench`` (bench/run.py calls ``run()``).

Signs a one-page PDF N times (PAdES B-B with the visible Vietnamese stamp, ECDSA P-256 key in
memory, no database) and verifies the result N times, in-process and through the bounded child
process the /verify/ page uses. Reports rates; it asserts nothing (shared/docs/benchmarks.md).
"""

from __future__ import annotations

import time

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signatures import pki
from signatures.sample_pdf import one_page_pdf


def memory_signer() -> tuple[SimpleSigner, bytes, bytes]:
    """A signer with a fresh test chain; returns it with the root and intermediate (DER)."""
    root_key, root = pki.build_ca("Benchmark Root CA")
    inter_key, inter = pki.build_ca("Benchmark Issuing CA", issuer=root, issuer_key=root_key)
    key, cert = pki.issue_signer("Đặng Văn Khoa", issuer=inter, issuer_key=inter_key)
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(pki.to_der(cert)),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(pki.to_der(inter))]
        ),
    )
    return signer, pki.to_der(root), pki.to_der(inter)


def run(n: int = 20) -> dict:
    # Imported here: they need Django's app registry (bench/run.py sets it up first).
    from signatures.signing import StampText, sign_with
    from signatures.verification import run_bounded

    signer, root, inter = memory_signer()
    pdf = one_page_pdf()
    stamp = StampText("Đặng Văn Khoa", "Phó Giám đốc Sở", "Sở Tài nguyên và Môi trường")
    sign_with(pdf, signer, stamp=stamp, reason="Phê duyệt", location="Đà Lạt")  # warm-up

    started = time.perf_counter()
    for _ in range(n):
        signed = sign_with(pdf, signer, stamp=stamp, reason="Phê duyệt", location="Đà Lạt")
    signing_seconds = time.perf_counter() - started

    rates = {}
    for isolation in ("inline", "process"):
        run_bounded(signed, [root], [inter], isolation=isolation)  # warm-up
        started = time.perf_counter()
        for _ in range(n):
            report = run_bounded(signed, [root], [inter], isolation=isolation)
        rates[isolation] = n / (time.perf_counter() - started)
        if report.verdict != "valid":  # pragma: no cover - a broken benchmark must say so
            raise RuntimeError(f"benchmark signature verified as {report.verdict}")

    return {
        "iterations": n,
        "pdf_bytes": len(pdf),
        "signed_pdf_bytes": len(signed),
        "signatures_per_second": round(n / signing_seconds, 2),
        "verifications_per_second": round(rates["process"], 2),
        "verifications_per_second_in_process": round(rates["inline"], 2),
        "note": "one-page PDF, ECDSA P-256, PAdES B-B with a visible stamp; "
        "verification as served by /verify/ (bounded child process) and in-process",
    }


if __name__ == "__main__":  # pragma: no cover
    import json
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    print(json.dumps(run(), indent=2, ensure_ascii=False))
