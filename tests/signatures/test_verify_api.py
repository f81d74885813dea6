"""POST /api/v1/signatures/verify/: anonymous, JSON, bounded, never a 500."""

import io
import re

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.throttling import ScopedRateThrottle

from signatures.signing import sign_pdf

from .factories import TrustAnchorFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/signatures/verify/"


def upload(content: bytes, name: str = "ket-qua.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def post(api_client, content: bytes, **extra):
    return api_client.post(URL, {"file": upload(content)}, format="multipart", **extra)


@pytest.fixture
def signed(trusted, leader_cert, pdf) -> bytes:
    return sign_pdf(pdf, leader_cert, reason="Phê duyệt", location="Đà Lạt")


def test_anonymous_caller_gets_every_signature_as_json(api_client, signed, leader_cert):
    response = post(api_client, signed)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["verdict"] == "valid"
    assert body["verdict_label"] == "Hợp lệ"
    assert body["signature_count"] == 1
    signature = body["signatures"][0]
    assert signature["verdict"] == "valid"
    assert signature["signer_name"] == "Đặng Văn Khoa"
    assert signature["intact"] is True
    assert signature["trusted"] is True
    assert signature["covers_whole_document"] is True
    assert signature["certificate_valid_at_signing_time"] is True
    assert signature["certificate"]["serial_number"] == leader_cert.serial_number
    assert signature["signing_time"].endswith("+07:00")


def test_a_logged_in_browser_needs_no_csrf_token(client, signed, leader):
    client.force_login(leader)
    client.handler.enforce_csrf_checks = True
    response = client.post(URL, {"file": upload(signed)})
    assert response.status_code == 200


def test_tampered_pdf_is_reported_modified(api_client, signed):
    position = signed.index(b"QUYET DINH")
    tampered = bytearray(signed)
    tampered[position + 1] = ord("W")
    body = post(api_client, bytes(tampered)).json()
    assert body["verdict"] == "modified"
    assert body["verdict_label"] == "Đã bị sửa đổi sau khi ký"


def test_private_key_and_key_file_never_appear_in_a_response(api_client, signed, leader_cert):
    text = post(api_client, signed).content.decode()
    assert "PRIVATE KEY" not in text
    assert leader_cert.key_reference not in text
    assert "dev-only-pkcs12-password" not in text
    assert "key_reference" not in text


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"Xin chao, day khong phai PDF", "not_pdf"),
        (b"", None),
    ],
)
def test_not_a_pdf_is_a_400_with_a_reason(api_client, content, code):
    response = post(api_client, content)
    assert response.status_code == 400
    body = response.json()
    if code:
        assert body["code"] == code
        assert "không phải là tệp PDF" in body["detail"]
    else:
        assert "file" in body


def test_encrypted_pdf_is_a_400_with_a_reason(api_client, pdf):
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))
    writer.encrypt("mat-khau", "chu-so-huu")
    output = io.BytesIO()
    writer.write(output)

    response = post(api_client, output.getvalue())

    assert response.status_code == 400
    assert response.json()["code"] == "encrypted"
    assert "mã hóa" in response.json()["detail"]


def test_truncated_pdf_is_a_400_with_a_reason(api_client, signed):
    response = post(api_client, signed[: len(signed) // 2])
    assert response.status_code == 400
    assert response.json()["code"] == "unreadable"
    assert "bị hỏng" in response.json()["detail"]


def test_broken_cross_reference_table_is_a_400(api_client, signed):
    broken = re.sub(
        rb"startxref\s+(\d+)", lambda m: b"startxref\n" + b"7" * len(m.group(1)), signed
    )
    response = post(api_client, broken)
    assert response.status_code == 400
    assert response.json()["code"] == "unreadable"


def test_oversize_file_is_refused_with_413(api_client, settings, signed):
    settings.SIGNATURES_VERIFY_MAX_BYTES = len(signed) - 1
    response = post(api_client, signed)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "Tệp quá lớn" in response.json()["detail"]


def test_a_100_mb_request_is_refused_by_its_declared_size_before_reading(
    api_client, monkeypatch, signed
):
    def must_not_read(upload):
        raise AssertionError("the body was read")

    monkeypatch.setattr("signatures.api.views.read_pdf_upload", must_not_read)
    response = post(api_client, signed, CONTENT_LENGTH=str(100 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_verification_that_runs_too_long_is_stopped(api_client, settings, signed):
    settings.SIGNATURES_VERIFY_TIMEOUT = 0.0001
    response = post(api_client, signed)
    assert response.status_code == 400
    assert response.json()["code"] == "timeout"


def test_wrong_method_and_missing_file_answer_json(api_client):
    assert api_client.get(URL).status_code == 405
    response = api_client.post(URL, {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


def test_callers_are_throttled(api_client, monkeypatch, signed):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"verify": "2/min"})
    assert post(api_client, signed).status_code == 200
    assert post(api_client, signed).status_code == 200
    response = post(api_client, signed)
    assert response.status_code == 429
    assert "detail" in response.json()


@pytest.mark.parametrize("anchors", [1, 30])
def test_query_count_does_not_grow_with_trust_anchors(
    api_client, signed, anchors, django_assert_max_num_queries
):
    TrustAnchorFactory.create_batch(anchors)
    with django_assert_max_num_queries(2):
        body = post(api_client, signed).json()
    assert body["verdict"] == "valid"
