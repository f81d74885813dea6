"""What verification catches: changed bytes, later changes, unknown CAs, expired certificates."""

import datetime
import io
import re

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.timestamps import DummyTimeStamper

from signatures.signing import StampText, sign_pdf, sign_with
from signatures.verification import verify_pdf

from .conftest import NOW, asn1_cert, asn1_key, memory_signer

pytestmark = pytest.mark.django_db

STAMP = StampText("Người Ký Thử", "Chuyên viên", "Cơ quan thử nghiệm")


def signed_by(signer, pdf: bytes, **kwargs) -> bytes:
    return sign_with(pdf, signer, stamp=STAMP, reason="Thử", location="Đà Lạt", **kwargs)


@pytest.fixture
def signed(trusted, leader_cert, pdf) -> bytes:
    return sign_pdf(pdf, leader_cert, reason="Phê duyệt", location="Đà Lạt")


def test_one_byte_changed_after_signing_is_reported_modified(signed):
    position = signed.index(b"QUYET DINH")
    tampered = bytearray(signed)
    tampered[position] = ord("X")

    report = verify_pdf(bytes(tampered))

    assert report.verdict == "modified"
    signature = report.signatures[0]
    assert signature.verdict == "modified"
    assert signature.intact is False
    assert signature.bottom_line is False


def test_incremental_update_after_signing_is_not_valid(signed):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page_ref, _resources = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    extra = generic.StreamObject(stream_data=b"BT /F1 30 Tf 72 600 Td (DA DUYET LAI) Tj ET")
    page["/Contents"] = generic.ArrayObject([page["/Contents"], writer.add_object(extra)])
    writer.update_container(page)
    output = io.BytesIO()
    writer.write(output)

    report = verify_pdf(output.getvalue())

    signature = report.signatures[0]
    assert signature.intact is True and signature.trusted is True  # trusted alone would lie
    assert signature.bottom_line is False
    assert signature.modification_level == "OTHER"
    assert signature.verdict == "modified"
    assert signature.problem == "changed_after_signing"
    assert report.verdict == "modified"


def test_signature_from_an_unknown_ca_is_untrusted(trusted, test_pki, pdf):
    stranger = memory_signer(test_pki.stranger, test_pki, chain=False)

    report = verify_pdf(signed_by(stranger, pdf))

    signature = report.signatures[0]
    assert signature.verdict == "untrusted"
    assert signature.intact is True
    assert signature.trusted is False
    assert signature.trust_problem == "NO_CERTIFICATE_CHAIN_FOUND"
    assert report.verdict == "untrusted"


def test_deactivated_trust_anchor_no_longer_counts(signed, trusted):
    assert verify_pdf(signed).verdict == "valid"
    trusted.is_active = False
    trusted.save()

    assert verify_pdf(signed).verdict == "untrusted"


def test_expired_certificate_is_reported_expired(trusted, test_pki, pdf):
    expired = memory_signer(test_pki.expired, test_pki)

    report = verify_pdf(signed_by(expired, pdf))

    signature = report.signatures[0]
    assert signature.verdict == "expired"
    assert signature.certificate_valid_at_signing_time is False
    assert signature.intact is True
    assert report.verdict == "expired"


def _tsa(test_pki, at: datetime.datetime) -> DummyTimeStamper:
    return DummyTimeStamper(
        tsa_cert=asn1_cert(test_pki.tsa.cert), tsa_key=asn1_key(test_pki.tsa.key), fixed_dt=at
    )


def test_trusted_timestamp_proves_signing_while_the_certificate_was_valid(trusted, test_pki, pdf):
    """PAdES B-T: the certificate has expired since, but the timestamp shows it was valid."""
    signer = memory_signer(test_pki.expires_soon_after_tsa, test_pki)
    at = NOW - datetime.timedelta(days=200)

    report = verify_pdf(signed_by(signer, pdf, timestamper=_tsa(test_pki, at)))

    signature = report.signatures[0]
    assert signature.timestamp_time == at
    assert signature.certificate_valid_at_signing_time is True
    assert signature.verdict == "valid"


def test_without_a_timestamp_the_same_certificate_is_expired(trusted, test_pki, pdf):
    signer = memory_signer(test_pki.expires_soon_after_tsa, test_pki)
    assert verify_pdf(signed_by(signer, pdf)).verdict == "expired"


def test_tsa_setting_makes_the_signature_pades_b_t(
    trusted, leader_cert, test_pki, pdf, monkeypatch
):
    monkeypatch.setattr(
        "signatures.signing.get_timestamper", lambda: _tsa(test_pki, NOW.replace(microsecond=0))
    )
    report = verify_pdf(sign_pdf(pdf, leader_cert, reason="Phê duyệt", location="Đà Lạt"))
    signature = report.signatures[0]
    assert signature.timestamp_time is not None
    assert signature.verdict == "valid"


def test_signature_dictionary_pointing_outside_the_file_is_invalid(signed):
    match = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", signed)
    start, end = match.span(4)
    broken = signed[:start] + b"9" * (end - start) + signed[end:]

    report = verify_pdf(broken)

    signature = report.signatures[0]
    assert signature.verdict == "invalid"
    assert signature.problem == "byte_range_outside_file"
    assert report.verdict == "invalid"


def test_overall_verdict_is_the_most_serious(trusted, leader_cert, test_pki, pdf):
    approved = sign_pdf(pdf, leader_cert, reason="Phê duyệt", location="Đà Lạt")
    stranger = memory_signer(test_pki.stranger, test_pki, chain=False)

    report = verify_pdf(signed_by(stranger, approved))

    assert [s.verdict for s in report.signatures] == ["valid", "untrusted"]
    assert report.verdict == "untrusted"
