"""An official signs a result PDF; anyone verifies every signature in it."""

import io
import unicodedata

import pypdf
import pytest
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf.generic import ContentStream

from signatures.signing import StampText, sign_pdf, stamp_body
from signatures.verification import verify_pdf

from .conftest import asn1_cert

pytestmark = pytest.mark.django_db


def sign_as(cert, pdf: bytes, **kwargs) -> bytes:
    return sign_pdf(pdf, cert, reason="Phê duyệt kết quả", location="Đà Lạt, Lâm Đồng", **kwargs)


def stamp_text(signed: bytes, field_name: str) -> str:
    """The text of a signature widget's appearance stream, line by line.

    pyHanko writes each shaped line with its Unicode text as marked content (/ActualText), the
    way screen readers and copy-paste get it, so that is what the test reads.
    """
    reader = pypdf.PdfReader(io.BytesIO(signed))
    for annotation in reader.pages[-1]["/Annots"]:
        widget = annotation.get_object()
        if widget.get("/T") == field_name:
            appearance = widget["/AP"]["/N"].get_object()
            lines = [
                str(operands[1]["/ActualText"])
                for operands, operator in ContentStream(appearance, reader).operations
                if operator == b"BDC" and "/ActualText" in operands[1]
            ]
            return "\n".join(lines)
    raise AssertionError(f"no widget {field_name}")


def test_pdf_signed_by_the_leader_is_valid_and_trusted(trusted, leader_cert, pdf):
    signed = sign_as(leader_cert, pdf)

    report = verify_pdf(signed)

    assert report.verdict == "valid"
    assert report.signature_count == 1
    signature = report.signatures[0]
    assert signature.verdict == "valid"
    assert signature.bottom_line and signature.intact and signature.trusted
    assert signature.covers_whole_document
    assert signature.modification_level == "NONE"
    assert signature.certificate_valid_at_signing_time is True
    assert signature.signer_name == "Đặng Văn Khoa"
    assert signature.field_name == "Signature1"
    assert signature.reason == "Phê duyệt kết quả"
    assert signature.location == "Đà Lạt, Lâm Đồng"
    assert signature.certificate.serial_number == leader_cert.serial_number
    assert "Test Issuing CA" in signature.certificate.issuer
    assert signature.signing_time is not None


def test_signature_is_pades_baseline_with_sha256(trusted, leader_cert, pdf, test_pki):
    signed = sign_as(leader_cert, pdf)
    embedded = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]

    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    context = ValidationContext(trust_roots=[asn1_cert(test_pki.root.cert)], allow_fetching=False)
    status = validate_pdf_signature(embedded, context)
    assert status.md_algorithm == "sha256"
    assert status.bottom_line


def test_visible_stamp_names_signer_title_agency_and_time_in_vietnamese(trusted, leader_cert, pdf):
    signed = sign_as(leader_cert, pdf)

    text = unicodedata.normalize("NFC", stamp_text(signed, "Signature1"))
    assert "Ký bởi: Đặng Văn Khoa" in text
    assert "Chức vụ: Phó Giám đốc Sở" in text
    assert "Cơ quan: Sở Tài nguyên và Môi trường" in text
    assert "Thời gian ký:" in text
    assert "(GMT+7)" in text


def test_stamp_body_normalises_decomposed_input():
    decomposed = unicodedata.normalize("NFD", "Đặng Văn Khoa")
    body = stamp_body(StampText(decomposed, "Phó Giám đốc"), timezone.now())
    assert "Ký bởi: Đặng Văn Khoa" in body
    assert body == unicodedata.normalize("NFC", body)


def test_a_second_signature_keeps_the_first_valid(trusted, leader_cert, clerk_cert, pdf):
    approved = sign_as(leader_cert, pdf)
    issued = sign_pdf(approved, clerk_cert, reason="Phát hành", location="Đà Lạt")

    assert issued.startswith(approved)  # an incremental update: the first revision untouched
    report = verify_pdf(issued)
    assert report.verdict == "valid"
    assert [s.field_name for s in report.signatures] == ["Signature1", "Signature2"]
    assert [s.signer_name for s in report.signatures] == ["Đặng Văn Khoa", "Hoàng Thị Lan"]
    assert [s.verdict for s in report.signatures] == ["valid", "valid"]
    first, second = report.signatures
    assert not first.covers_whole_document and first.modification_level == "FORM_FILLING"
    assert second.covers_whole_document
    text = stamp_text(issued, "Signature2")
    assert "Hoàng Thị Lan" in unicodedata.normalize("NFC", text)


def test_unsigned_pdf_reports_no_signature(trusted, pdf):
    report = verify_pdf(pdf)
    assert report.verdict == "unsigned"
    assert report.signatures == []


def test_signing_works_inside_a_running_event_loop(trusted, leader_cert, pdf):
    """pyHanko's signing and validation call asyncio.run: inside a running loop (an async view,
    Playwright's sync API) they move to a thread of their own instead of failing."""
    import asyncio

    from signatures.verification import run_bounded, trust_material

    roots, others = trust_material()  # the ORM stays outside the async context

    async def sign_and_verify_in_loop():
        asyncio.get_running_loop()  # a loop runs in this thread
        signed = sign_pdf(pdf, leader_cert, reason="Phê duyệt", location="Đà Lạt")
        # inline here; in a forked child the inherited running loop is guarded the same way
        inline = run_bounded(signed, roots, others, isolation="inline")
        return inline, run_bounded(signed, roots, others, isolation="process")

    for report in asyncio.run(sign_and_verify_in_loop()):
        assert report.verdict == "valid" and report.signatures[0].signer_name == "Đặng Văn Khoa"
