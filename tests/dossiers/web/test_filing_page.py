"""Citizen filing through /dossiers/new/<procedure_code>/: the form built from the procedure's
documents, attachments checked by content, the double click, and the level 3–4 rule."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import storages

from dossiers.models import Attachment, Dossier, Status
from procedures.models import ServiceLevel
from tests.dossiers.factories import Catalog, exe_renamed
from tests.dossiers.web.conftest import client_for, real_pdf

pytestmark = pytest.mark.django_db


def url(catalog) -> str:
    return f"/dossiers/new/{catalog.code}/"


def form_key(response) -> str:
    match = re.search(r'name="submission_key" value="([^"]+)"', response.content.decode())
    assert match, "the form carries a submission key"
    return match.group(1)


def posted(catalog, key: str, **extra) -> dict:
    data = {
        "applicant_name": "Nguyễn Thị Hoà",
        "applicant_id_number": "068123456789",
        "applicant_phone": "0912345678",
        "applicant_address": "12 Trần Phú, Phường 4, Đà Lạt",
        "applicant_email": "hoa@example.vn",
        "summary": "Đề nghị cấp giấy khai sinh",
        "submission_key": key,
    }
    data.update(extra)
    return data


def stored_files() -> list[str]:
    storage = storages["private"]
    if not storage.exists("dossiers"):
        return []
    found, stack = [], ["dossiers"]
    while stack:
        folder = stack.pop()
        dirs, files = storage.listdir(folder)
        found += [f"{folder}/{name}" for name in files]
        stack += [f"{folder}/{name}" for name in dirs]
    return found


def test_anonymous_is_sent_to_login(web):
    response = client_for(None).get(url(web))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_form_lists_documents_and_prefills_the_profile(web):
    profile = web.citizen.citizen_profile
    response = client_for(web.citizen).get(url(web))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="doc_to-khai"' in html and 'name="doc_giay-khac"' in html
    assert re.search(r'<input[^>]*name="doc_to-khai"[^>]*multiple', html)
    assert f'value="{profile.phone}"' in html
    assert f'value="{profile.citizen_id}"' in html
    assert 'enctype="multipart/form-data"' in html
    # Not postal-eligible: no delivery choice.
    assert 'name="result_delivery"' not in html
    # A fresh key per rendering.
    assert form_key(response) != form_key(client_for(web.citizen).get(url(web)))


def test_postal_choices_only_when_the_procedure_allows_them(db):
    catalog = Catalog(postal_eligible=True)
    html = client_for(catalog.citizen).get(url(catalog)).content.decode()
    assert 'name="result_delivery"' in html
    assert 'name="delivery_address"' in html
    assert 'name="pickup_by_post"' in html


def test_filing_with_two_pdfs_ends_at_status_1_with_a_code(web):
    client = client_for(web.citizen)
    key = form_key(client.get(url(web)))
    data = posted(web, key)
    data["doc_to-khai"] = [real_pdf("to-khai.pdf"), real_pdf("to-khai-trang-2.pdf", "Trang 2")]
    response = client.post(url(web), data, follow=True)
    dossier = Dossier.objects.get()
    assert dossier.status == Status.SUBMITTED
    assert dossier.code.startswith(f"{web.agency.code}-")
    assert dossier.applicant == web.citizen
    assert response.redirect_chain[-1][0] == f"/dossiers/{dossier.code}/"
    assert f"Mã hồ sơ: {dossier.code}" in response.content.decode()
    attachments = Attachment.objects.filter(dossier=dossier)
    assert sorted(a.original_name for a in attachments) == ["to-khai-trang-2.pdf", "to-khai.pdf"]
    assert {a.content_type for a in attachments} == {"application/pdf"}
    assert len(stored_files()) == 2


def test_double_submit_with_the_same_key_creates_one_dossier(web):
    client = client_for(web.citizen)
    key = form_key(client.get(url(web)))
    first = client.post(url(web), {**posted(web, key), "doc_to-khai": real_pdf()})
    second = client.post(url(web), {**posted(web, key), "doc_to-khai": real_pdf()})
    assert Dossier.objects.count() == 1
    code = Dossier.objects.get().code
    assert first["Location"] == second["Location"] == f"/dossiers/{code}/"
    assert Attachment.objects.count() == 1


def test_wrong_file_type_is_refused_on_its_field_and_nothing_is_written(web):
    client = client_for(web.citizen)
    key = form_key(client.get(url(web)))
    response = client.post(url(web), {**posted(web, key), "doc_to-khai": exe_renamed()})
    assert response.status_code == 400
    html = response.content.decode()
    assert "không đúng định dạng cho phép" in html
    # The error is tied to its input.
    assert re.search(r'<input[^>]*aria-describedby="[^"]*id_doc_to-khai_error', html)
    assert 'id="id_doc_to-khai_error"' in html
    assert Dossier.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert stored_files() == []
    # The same key is kept for the corrected submission.
    assert form_key(response) == key


def test_missing_document_and_invalid_cccd_are_shown_in_vietnamese(web):
    client = client_for(web.citizen)
    key = form_key(client.get(url(web)))
    response = client.post(url(web), posted(web, key, applicant_id_number="12345"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Thiếu giấy tờ bắt buộc: Giấy tờ to-khai." in html
    assert "Số CCCD phải gồm đúng 12 chữ số." in html
    assert Dossier.objects.count() == 0


def test_level_2_procedure_explains_why(db):
    catalog = Catalog(service_level=ServiceLevel.FORMS)
    response = client_for(catalog.citizen).get(url(catalog))
    assert response.status_code == 200
    assert "chưa nhận hồ sơ trực tuyến" in response.content.decode()
    assert 'name="submission_key"' not in response.content.decode()
    response = client_for(catalog.citizen).post(url(catalog), {})
    assert Dossier.objects.count() == 0


def test_unknown_procedure_is_404(web):
    assert client_for(web.citizen).get("/dossiers/new/9.999999/").status_code == 404


def _summary(html: str) -> str:
    start = html.index('id="filing-summary-title"')
    return html[start : html.index("</section>", start)]


def test_filing_page_shows_fee_time_payment_and_post_above_the_form(web):
    web.version.channels.filter(kind="online").update(
        fee_vnd=50000, fee_description="Lệ phí cấp bản sao", processing_time="1.5"
    )
    web.version.channels.filter(kind="direct").update(fee_vnd=70000)
    type(web.version).objects.filter(pk=web.version.pk).update(
        online_payment=True, postal_eligible=True
    )
    html = client_for(web.citizen).get(url(web)).content.decode()
    summary = _summary(html)
    assert html.index('id="filing-summary-title"') < html.index('class="filing-form"')
    # The online channel's figures, Vietnamese style, not the counter's.
    assert "<strong>50.000 đồng</strong> – Lệ phí cấp bản sao" in summary
    assert "70.000" not in summary
    assert "1,5 ngày làm việc" in summary
    assert "người nộp có thể thanh toán trực tuyến" in summary
    assert "Nhận kết quả và thu gom hồ sơ qua bưu chính" in summary


def test_filing_page_says_free_when_there_is_no_fee(web):
    html = client_for(web.citizen).get(url(web)).content.decode()
    summary = _summary(html)
    assert "<strong>Miễn phí</strong>" in summary and "đồng" not in summary
    assert "3 ngày làm việc" in summary
    assert "Không: nộp phí, lệ phí tại bộ phận một cửa." in summary
    assert "Không: nhận kết quả tại bộ phận một cửa." in summary


def test_walk_in_page_shows_the_counter_fee(web):
    web.version.channels.filter(kind="direct").update(fee_vnd=1200000)
    html = client_for(web.desk).get(f"/desk/new/{web.code}/").content.decode()
    assert "<strong>1.200.000 đồng</strong>" in _summary(html)
