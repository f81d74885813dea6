"""The citizen area: /dossiers/ (mine), /dossiers/<code>/ (timeline, files, supplement,
withdrawal, rating) for the owner and nobody else."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers.models import Rating, Status
from dossiers.workflow import transition
from tests.dossiers.conftest import file_online
from tests.dossiers.factories import DossierFactory, pdf
from tests.dossiers.web.conftest import bulk_dossiers, client_for, real_pdf, without_csrf
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def processing(web):
    dossier = file_online(web)
    transition(dossier.code, "receive", web.desk, note="Ghi chú nội bộ của cán bộ")
    return transition(dossier.code, "assign", web.desk, assignee=web.specialist.username)


# --- my dossiers -----------------------------------------------------------------------------


def test_my_dossiers_lists_only_mine_with_status_and_due_date(web, stranger):
    mine = file_online(web)
    transition(mine.code, "receive", web.desk)
    mine.refresh_from_db()
    DossierFactory(code="KHAC-0001", applicant=stranger)
    response = client_for(web.citizen).get("/dossiers/")
    html = response.content.decode()
    assert response.status_code == 200
    assert mine.code in html
    assert "KHAC-0001" not in html
    assert "Được tiếp nhận" in html
    assert mine.due_at.astimezone().strftime("%d/%m/%Y %H:%M") in html
    newcomer = client_for(CitizenFactory()).get("/dossiers/").content.decode()
    assert "Bạn chưa nộp hồ sơ nào." in newcomer


def test_my_dossiers_needs_login():
    response = client_for(None).get("/dossiers/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_my_dossiers_query_count_is_fixed(web):
    client = client_for(web.citizen)
    bulk_dossiers(web, 10)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/dossiers/").status_code == 200
    bulk_dossiers(web, 990)
    with CaptureQueriesContext(connection) as large:
        response = client.get("/dossiers/?page=50")
    assert response.status_code == 200
    assert "Trang 50 / 50" in response.content.decode()
    assert len(small) == len(large) <= 6
    # Served again from the cache (dossiers/list_cache.py): no query for the list itself.
    with CaptureQueriesContext(connection) as warm:
        again = client.get("/dossiers/?page=50")
    assert without_csrf(again.content) == without_csrf(response.content)
    assert len(warm) <= 1 and not any("dossiers_dossier" in q["sql"] for q in warm.captured_queries)


# --- detail ------------------------------------------------------------------------------------


def test_detail_access(web, stranger, outsider, processing):
    path = f"/dossiers/{processing.code}/"
    anonymous = client_for(None).get(path)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert client_for(web.citizen).get(path).status_code == 200
    assert client_for(stranger).get(path).status_code == 404
    assert client_for(outsider).get(path).status_code == 404
    staff = client_for(web.desk).get(path)
    assert staff.status_code == 302 and staff["Location"] == f"/desk/dossiers/{processing.code}/"


def test_unknown_code_is_404(web):
    assert client_for(web.citizen).get("/dossiers/KHONG-CO/").status_code == 404


def test_timeline_shows_public_steps_without_notes_or_names(web, processing):
    html = client_for(web.citizen).get(f"/dossiers/{processing.code}/").content.decode()
    assert "Nộp hồ sơ trực tuyến" in html
    assert "Tiếp nhận hồ sơ" in html
    assert "Phân công xử lý" in html
    assert web.agency.name in html
    assert "Ghi chú nội bộ của cán bộ" not in html
    assert web.desk.get_full_name() not in html
    assert web.specialist.get_full_name() not in html


def test_attachments_are_listed_with_unguessable_links(web, processing):
    html = client_for(web.citizen).get(f"/dossiers/{processing.code}/").content.decode()
    attachment = processing.attachments.get()
    token = attachment.storage_name.rsplit("/", 1)[-1].split(".")[0]
    assert f"/dossiers/{processing.code}/files/{token}/" in html
    assert f"/files/{attachment.pk}/" not in html


def test_supplement_upload_when_asked(web, processing):
    transition(
        processing.code,
        "request-supplement",
        web.specialist,
        reason="Ảnh chụp bị mờ",
        documents=["Tờ khai có chữ ký"],
    )
    client = client_for(web.citizen)
    html = client.get(f"/dossiers/{processing.code}/").content.decode()
    assert "Tờ khai có chữ ký" in html and "Ảnh chụp bị mờ" in html
    assert 'name="supplement-doc_to-khai"' in html

    empty = client.post(f"/dossiers/{processing.code}/supplement/", {"supplement-note": ""})
    assert empty.status_code == 400
    assert "Cần tải lên ít nhất một giấy tờ bổ sung." in empty.content.decode()

    response = client.post(
        f"/dossiers/{processing.code}/supplement/",
        {"supplement-doc_to-khai": real_pdf("to-khai-ky.pdf"), "supplement-note": "Đã ký"},
        follow=True,
    )
    processing.refresh_from_db()
    assert processing.status == Status.PROCESSING
    assert "Đã gửi giấy tờ bổ sung" in response.content.decode()
    assert processing.attachments.filter(original_name="to-khai-ky.pdf").exists()


def _supplement_section(html: str) -> str:
    start = html.index('id="supplement-title"')
    return html[start : html.index("</form>", start)]


def test_supplement_form_puts_the_requested_paper_first_and_requires_none(web, processing):
    # The desk asks for the optional paper (“Giấy tờ giay-khac”), not the required tờ khai.
    transition(
        processing.code,
        "request-supplement",
        web.specialist,
        reason="Thiếu giấy tờ",
        documents=["Giấy tờ giay-khac"],
    )
    client = client_for(web.citizen)
    form = _supplement_section(client.get(f"/dossiers/{processing.code}/").content.decode())
    assert " required" not in form and "Bắt buộc" not in form
    assert "Tải lên ít nhất một tệp" in form
    requested = form.index("Giấy tờ cơ quan yêu cầu bổ sung")
    others = form.index("Giấy tờ khác của hồ sơ (nếu cần)")
    assert requested < form.index('name="supplement-doc_giay-khac"') < others
    assert others < form.index('name="supplement-doc_to-khai"')
    assert "Cơ quan yêu cầu bổ sung giấy tờ này" in form
    assert "Không bắt buộc, chỉ nộp khi cần bổ sung thêm" in form

    # No file at all: the service's message, in the form, and nothing changes.
    empty = client.post(f"/dossiers/{processing.code}/supplement/", {"supplement-note": "x"})
    assert empty.status_code == 400
    form = _supplement_section(empty.content.decode())
    assert 'role="alert"' in form and "Cần tải lên ít nhất một giấy tờ bổ sung." in form
    assert form.index("Giấy tờ cơ quan yêu cầu bổ sung") < form.index("supplement-doc_to-khai")
    processing.refresh_from_db()
    assert processing.status == Status.SUPPLEMENT_REQUESTED

    # Uploading the paper that was not asked for is still accepted (at least one file).
    response = client.post(
        f"/dossiers/{processing.code}/supplement/",
        {"supplement-doc_to-khai": real_pdf("to-khai-2.pdf")},
    )
    assert response.status_code == 302
    processing.refresh_from_db()
    assert processing.status == Status.PROCESSING


def test_desk_supplement_form_marks_the_requested_paper(web, processing):
    transition(
        processing.code,
        "request-supplement",
        web.specialist,
        reason="Thiếu giấy tờ",
        documents=["giay-khac"],  # the API may name a paper by its code
    )
    html = client_for(web.desk).get(f"/desk/dossiers/{processing.code}/").content.decode()
    start = html.index('action-supplement-title"')
    form = html[start : html.index("</form>", start)]
    assert form.index("Giấy tờ cơ quan yêu cầu bổ sung") < form.index("doc_giay-khac")
    assert form.index("doc_giay-khac") < form.index("doc_to-khai")
    assert " required" not in form


def test_supplement_form_hidden_when_not_asked(web, processing):
    html = client_for(web.citizen).get(f"/dossiers/{processing.code}/").content.decode()
    assert "supplement-doc_to-khai" not in html
    response = client_for(web.citizen).post(
        f"/dossiers/{processing.code}/supplement/", {"supplement-doc_to-khai": pdf()}, follow=True
    )
    assert "không thể thực hiện thao tác này" in response.content.decode()
    processing.refresh_from_db()
    assert processing.status == Status.PROCESSING


def test_withdrawal_asks_for_a_reason_and_confirmation(web, processing):
    client = client_for(web.citizen)
    path = f"/dossiers/{processing.code}/withdraw/"
    page = client.get(path)
    assert page.status_code == 200 and 'name="confirm"' in page.content.decode()
    unconfirmed = client.post(path, {"reason": "Nộp nhầm"})
    assert unconfirmed.status_code == 400
    processing.refresh_from_db()
    assert processing.status == Status.PROCESSING
    done = client.post(path, {"reason": "Nộp nhầm", "confirm": "on"}, follow=True)
    processing.refresh_from_db()
    assert processing.status == Status.WITHDRAWN
    assert f"Đã rút hồ sơ {processing.code}" in done.content.decode()
    # Withdrawn: no way back.
    again = client.get(path, follow=True)
    assert "không thể rút" in again.content.decode()


def test_others_cannot_withdraw(stranger, processing):
    path = f"/dossiers/{processing.code}/withdraw/"
    assert client_for(stranger).post(path, {"reason": "x", "confirm": "on"}).status_code == 404
    processing.refresh_from_db()
    assert processing.status == Status.PROCESSING


def test_rating_once_after_return(web, stranger, processing):
    path = f"/dossiers/{processing.code}/"
    client = client_for(web.citizen)
    assert 'name="rating-score"' not in client.get(path).content.decode()  # not returned yet
    processing.status = Status.RETURNED
    processing.save(update_fields=["status"])
    html = client.get(path).content.decode()
    assert 'name="rating-score"' in html
    assert "Rất hài lòng" in html and "Rất không hài lòng" in html
    assert client_for(stranger).post(f"{path}rating/", {"rating-score": "1"}).status_code == 404
    bad = client.post(f"{path}rating/", {"rating-score": "9"})
    assert bad.status_code == 400
    client.post(f"{path}rating/", {"rating-score": "5", "rating-comment": "Nhanh, chu đáo"})
    rating = Rating.objects.get(dossier=processing)
    assert (rating.score, rating.comment) == (5, "Nhanh, chu đáo")
    html = client.get(path).content.decode()
    assert "Rất hài lòng" in html and 'name="rating-score"' not in html
    again = client.post(f"{path}rating/", {"rating-score": "1"}, follow=True)
    assert "đã được đánh giá" in again.content.decode()
    assert Rating.objects.get(dossier=processing).score == 5


def test_detail_query_count_is_fixed(web, processing):
    client = client_for(web.citizen)
    path = f"/dossiers/{processing.code}/"
    transition(processing.code, "request-payment", web.specialist, amount=50000, reason="Lệ phí")
    bulk_dossiers(web, 10)
    with CaptureQueriesContext(connection) as small:
        assert client.get(path).status_code == 200
    bulk_dossiers(web, 990)
    with CaptureQueriesContext(connection) as large:
        assert client.get(path).status_code == 200
    # The dossier's own queries plus the panels of other apps (payment due, shipments).
    assert len(small) == len(large) <= 14, [q["sql"][:120] for q in large]
