"""/verify/: anyone uploads a PDF and reads each signature's verdict in plain Vietnamese."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from signatures.signing import StampText, sign_pdf, sign_with

from .conftest import memory_signer

pytestmark = pytest.mark.django_db
URL = "/verify/"


def upload(client, content: bytes):
    return client.post(URL, {"file": SimpleUploadedFile("kq.pdf", content, "application/pdf")})


def sign_with_memory_key(issued, test_pki, pdf, chain=True) -> bytes:
    signer = memory_signer(issued, test_pki, chain=chain)
    return sign_with(pdf, signer, stamp=StampText("Thử"), reason="Thử", location="Đà Lạt")


def test_page_offers_a_labelled_upload_form(client):
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Xác thực văn bản ký số" in html
    assert '<label for="id_file"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "signatures.css" in html
    assert "style=" not in html and "<script" not in html  # strict CSP


def test_valid_signature_is_shown_as_valid_with_its_signer(client, trusted, leader_cert, pdf):
    signed = sign_pdf(pdf, leader_cert, reason="Phê duyệt kết quả", location="Đà Lạt")

    html = upload(client, signed).content.decode()

    assert "Hợp lệ" in html
    assert "Đặng Văn Khoa" in html
    assert "Phê duyệt kết quả" in html
    assert '<th scope="row">' in html


def test_tampered_pdf_shows_modified_after_signing(client, trusted, leader_cert, pdf):
    signed = bytearray(sign_pdf(pdf, leader_cert, reason="Phê duyệt", location="Đà Lạt"))
    signed[signed.index(b"QUYET")] = ord("K")

    html = upload(client, bytes(signed)).content.decode()

    assert "Đã bị sửa đổi sau khi ký" in html


def test_unknown_ca_shows_untrusted_signer(client, trusted, test_pki, pdf):
    html = upload(
        client, sign_with_memory_key(test_pki.stranger, test_pki, pdf, chain=False)
    ).content.decode()
    assert "Người ký không được tin cậy" in html


def test_expired_certificate_shows_expired(client, trusted, test_pki, pdf):
    html = upload(client, sign_with_memory_key(test_pki.expired, test_pki, pdf)).content.decode()
    assert "Chứng thư hết hạn" in html


def test_two_signatures_are_both_listed(client, trusted, leader_cert, clerk_cert, pdf):
    approved = sign_pdf(pdf, leader_cert, reason="Phê duyệt", location="Đà Lạt")
    issued = sign_pdf(approved, clerk_cert, reason="Phát hành", location="Đà Lạt")

    html = upload(client, issued).content.decode()

    assert "Đặng Văn Khoa" in html and "Hoàng Thị Lan" in html
    assert html.count("verdict-badge verdict-valid") == 2


def test_not_a_pdf_shows_the_reason_with_400(client):
    response = upload(client, b"GIF89a not a pdf")
    assert response.status_code == 400
    assert "không phải là tệp PDF" in response.content.decode()


def test_oversize_upload_is_a_413_with_the_reason(client, settings, pdf):
    settings.SIGNATURES_VERIFY_MAX_BYTES = 100
    response = upload(client, pdf)
    assert response.status_code == 413
    assert "Tệp quá lớn" in response.content.decode()


def test_english_visitors_get_the_page_in_english(client):
    client.cookies["django_language"] = "en"
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"


def test_page_is_throttled_like_the_api(client, monkeypatch, pdf):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"verify": "1/min"})
    assert upload(client, pdf).status_code == 200
    response = upload(client, pdf)
    assert response.status_code == 429
    assert "quá nhiều yêu cầu" in response.content.decode()
