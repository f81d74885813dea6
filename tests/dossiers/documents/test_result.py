"""Result documents: the leader's ``complete`` either attaches an uploaded PDF (core) or
generates the result from the procedure's result template; stored immutably with SHA-256."""

import hashlib

import pytest
from django.core.files.base import ContentFile

from dossiers.attachments import open_attachment
from dossiers.documents.services import generate_result
from dossiers.models import Attachment, AttachmentKind, Status
from dossiers.workflow import transition
from portal.models import StaffMembership
from tests.dossiers.documents.factories import pdf_text

pytestmark = pytest.mark.django_db

SUMMARY = "Cấp Giấy khai sinh số 123/2025 cho cháu Nguyễn Ngọc Ẩn <b>(bản chính)</b>"


def result_of(dossier) -> tuple[Attachment, bytes]:
    attachment = Attachment.objects.get(dossier=dossier, kind=AttachmentKind.RESULT)
    with open_attachment(attachment) as handle:
        return attachment, handle.read()


def test_complete_generates_the_result_pdf(catalog, clock, processing):
    StaffMembership.objects.filter(user=catalog.leader).update(title="Phó Chủ tịch")
    dossier = transition(
        processing.code, "complete", catalog.leader, result_summary=SUMMARY, generate=True
    )
    assert dossier.status == Status.RESULT_READY
    attachment, content = result_of(dossier)
    assert attachment.content_type == "application/pdf"
    assert attachment.original_name == f"ket-qua-{dossier.code}.pdf"
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert dossier.events.last().attachment_ids == [attachment.pk]
    text = pdf_text(content)
    assert "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Nguyễn Thị Hoà" in text and dossier.code in text
    assert SUMMARY in text  # escaped: the markup is printed, not interpreted
    assert catalog.leader.get_full_name() in text and "PHÓ CHỦ TỊCH" in text
    assert dossier.procedure_version.name in text


def test_the_procedures_own_html_result_template_is_used(catalog, clock, processing):
    version = processing.procedure_version
    version.result_template.save(
        "giay-khai-sinh.html",
        ContentFile(
            "{% include '_header.html' %}<h1>GIẤY KHAI SINH</h1>"
            "<p>Họ và tên người yêu cầu: {{ applicant.name }}</p><p>{{ result_summary }}</p>"
            "<p>Mã hồ sơ {{ dossier.code }}</p>".encode()
        ),
    )
    content = generate_result(processing, catalog.leader, "Nội dung <script>x</script>")
    text = pdf_text(content)
    assert "GIẤY KHAI SINH" in text and "Họ và tên người yêu cầu: Nguyễn Thị Hoà" in text
    assert "Nội dung <script>x</script>" in text
    assert processing.code in text


@pytest.mark.parametrize(
    ("name", "content"),
    [("mau.docx", b"PK\x03\x04 a word file"), ("mau.html", b"{% load static %}"),
     ("mau.html", b"\xff\xfe not utf-8")],
)  # fmt: skip
def test_unusable_result_templates_fall_back_to_the_default(catalog, processing, name, content):
    processing.procedure_version.result_template.save(name, ContentFile(content))
    text = pdf_text(generate_result(processing, catalog.leader, "Đã giải quyết"))
    assert "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in text and "Đã giải quyết" in text


def test_api_complete_with_generate(api_client, catalog, clock, processing):
    api_client.force_authenticate(catalog.leader)
    response = api_client.post(
        f"/api/v1/dossiers/{processing.code}/actions/complete/",
        {"result_summary": "Đồng ý cấp phép", "generate": True},
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["status"] == Status.RESULT_READY
    assert data["links"]["result"]
    _attachment, content = result_of(processing)
    assert "Đồng ý cấp phép" in pdf_text(content)


def test_an_uploaded_result_is_still_kept_as_uploaded(catalog, processing):
    from tests.dossiers.factories import PDF_BYTES, pdf

    dossier = transition(
        processing.code, "complete", catalog.leader, result_summary="x", result_file=pdf()
    )
    _attachment, content = result_of(dossier)
    assert content == PDF_BYTES
