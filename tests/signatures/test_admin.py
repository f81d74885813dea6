"""Administrators register trust anchors and officials' certificates by uploading a PEM."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from signatures import pki
from signatures.models import SigningCertificate, TrustAnchor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def test_uploading_a_root_pem_registers_a_trust_anchor_with_parsed_fields(admin_client, test_pki):
    pem_file = SimpleUploadedFile("root.pem", test_pki.root.pem.encode())
    response = admin_client.post(
        "/admin/signatures/trustanchor/add/",
        {
            "name": "CA gốc thử nghiệm",
            "pem": "",
            "pem_file": pem_file,
            "note": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    anchor = TrustAnchor.objects.get()
    assert anchor.subject_cn == "Test Government Root CA"
    assert anchor.fingerprint == pki.fingerprint(test_pki.root.cert)
    page = admin_client.get(f"/admin/signatures/trustanchor/{anchor.pk}/change/").content.decode()
    assert anchor.serial_number in page


def test_a_leaf_certificate_is_not_accepted_as_trust_anchor(admin_client, test_pki):
    response = admin_client.post(
        "/admin/signatures/trustanchor/add/",
        {"name": "x", "pem": test_pki.leader.pem, "note": "", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "không phải là chứng thư của một CA" in response.content.decode()
    assert not TrustAnchor.objects.exists()


def test_registering_an_officials_certificate(admin_client, test_pki, leader, tnmt):
    response = admin_client.post(
        "/admin/signatures/signingcertificate/add/",
        {
            "user": leader.pk,
            "title": "Phó Giám đốc Sở",
            "agency": tnmt.pk,
            "provider": "remote",
            "key_reference": "cred-0001",
            "pem": test_pki.leader.pem,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    certificate = SigningCertificate.objects.get()
    assert certificate.subject_cn == "Đặng Văn Khoa"
    assert certificate.provider == "remote"

    duplicate = admin_client.post(
        "/admin/signatures/signingcertificate/add/",
        {"user": leader.pk, "provider": "remote", "pem": test_pki.leader.pem, "is_active": "on"},
    )
    assert "đã có trong danh sách" in duplicate.content.decode()


def test_signature_log_is_read_only(admin_client):
    assert admin_client.get("/admin/signatures/signaturerecord/add/").status_code == 403
