"""The workflow service: sign a result as a user, with their own active certificate."""

import hashlib

import pytest

from portal.models import Role
from signatures import services
from signatures.errors import CertificateNotUsable, NoSigningCertificate, SignatureError
from signatures.models import SignatureRecord
from signatures.signing import sign_pdf
from signatures.verification import verify_pdf
from tests.factories import staff_user

from .factories import register_signer

pytestmark = pytest.mark.django_db


def test_leader_signs_with_their_certificate_and_the_signature_is_recorded(
    trusted, leader, leader_cert, pdf
):
    signed = services.sign_document(
        pdf, leader, reason="Phê duyệt kết quả", location="Đà Lạt", role_label="Giám đốc Sở"
    )

    report = verify_pdf(signed)
    assert report.verdict == "valid"
    assert report.signatures[0].certificate.fingerprint_sha256 == leader_cert.fingerprint
    record = SignatureRecord.objects.get()
    assert record.user == leader
    assert record.certificate == leader_cert
    assert record.field_name == "Signature1"
    assert record.role_label == "Giám đốc Sở"
    assert record.document_sha256 == hashlib.sha256(signed).hexdigest()


def test_clerk_adds_an_issuance_signature_after_the_leader(
    trusted, leader, clerk, leader_cert, clerk_cert, pdf
):
    approved = services.sign_document(pdf, leader, reason="Phê duyệt", location="Đà Lạt")
    issued = services.sign_document(approved, clerk, reason="Phát hành", location="Đà Lạt")

    report = verify_pdf(issued)
    assert [s.signer_name for s in report.signatures] == ["Đặng Văn Khoa", "Hoàng Thị Lan"]
    assert report.verdict == "valid"
    assert list(SignatureRecord.objects.order_by("pk").values_list("field_name", flat=True)) == [
        "Signature1",
        "Signature2",
    ]


def test_user_without_a_certificate_gets_a_clear_vietnamese_error(tnmt, pdf):
    officer = staff_user(tnmt, Role.SPECIALIST)
    with pytest.raises(NoSigningCertificate, match="chưa có chứng thư số còn hiệu lực"):
        services.sign_document(pdf, officer, reason="x", location="y")
    assert not SignatureRecord.objects.exists()


def test_inactive_or_expired_certificates_are_not_used(test_pki, leader, leader_cert, pdf):
    leader_cert.is_active = False
    leader_cert.save()
    with pytest.raises(NoSigningCertificate):
        services.sign_document(pdf, leader, reason="x", location="y")

    expired = register_signer(test_pki.expired, test_pki, leader)
    with pytest.raises(NoSigningCertificate):
        services.sign_document(pdf, leader, reason="x", location="y")
    with pytest.raises(CertificateNotUsable):
        sign_pdf(pdf, expired, reason="x", location="y")


def test_nobody_signs_with_someone_elses_certificate(leader_cert, clerk, pdf):
    with pytest.raises(NoSigningCertificate):
        services.sign_document(pdf, clerk, reason="x", location="y")


def test_signing_something_that_is_not_a_pdf_is_refused(leader, leader_cert):
    with pytest.raises(SignatureError, match="PDF"):
        services.sign_document(b"not a pdf at all", leader, reason="x", location="y")


def test_an_already_signed_field_cannot_be_signed_again(trusted, leader_cert, pdf):
    signed = sign_pdf(pdf, leader_cert, reason="x", location="y", field_name="LanhDao")
    with pytest.raises(SignatureError, match="đã được ký"):
        sign_pdf(signed, leader_cert, reason="x", location="y", field_name="LanhDao")


def test_registry_rules(test_pki, leader):
    with pytest.raises(SignatureError):
        services.register_trust_anchor(test_pki.leader.pem)  # not a CA
    with pytest.raises(SignatureError):
        services.register_signing_certificate(test_pki.root.pem, user=leader)  # a CA
    with pytest.raises(SignatureError, match="X.509"):
        services.register_trust_anchor(
            "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----"
        )
    anchor = services.register_trust_anchor(test_pki.root.pem)
    again = services.register_trust_anchor(test_pki.root.pem)
    assert anchor.pk == again.pk
    assert anchor.subject_cn == "Test Government Root CA"
    assert anchor.subject == "CN=Test Government Root CA, C=VN"


def test_certificates_are_visible_to_their_owner_and_administrators(leader_cert, leader, clerk):
    from signatures.models import SigningCertificate
    from tests.factories import UserFactory

    admin = UserFactory(is_superuser=True, is_staff=True)
    assert list(SigningCertificate.objects.visible_to(leader)) == [leader_cert]
    assert list(SigningCertificate.objects.visible_to(clerk)) == []
    assert list(SigningCertificate.objects.visible_to(admin)) == [leader_cert]
    assert not SigningCertificate.objects.actionable_by(leader).exists()
