"""Mẫu 02 (supplement request), 03 (refusal), 04 (apology and new appointment) issued by their
actions; Mẫu 05 (process-control sheet) on demand from the history."""

import pytest

from dossiers.documents import services
from dossiers.errors import NotFound
from dossiers.models_documents import GeneratedDocument
from dossiers.workflow import transition
from portal.models import StaffMembership
from tests.dossiers.conftest import file_online, file_walk_in
from tests.dossiers.documents.factories import document_text
from tests.dossiers.factories import pdf
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db


def only(dossier, kind) -> GeneratedDocument:
    return GeneratedDocument.objects.get(dossier=dossier, kind=kind)


def test_supplement_request_lists_what_to_add(catalog, clock, run_on_commit):
    dossier = run_on_commit(file_walk_in, catalog, applicant_name="Đặng Văn Khoa")
    clock.advance(hours=3)
    run_on_commit(
        transition, dossier.code, "request-supplement", catalog.specialist,
        reason="Bản sao chưa chứng thực", documents=["Giấy khai sinh", "Sổ hộ khẩu"],
    )  # fmt: skip
    document = only(dossier, "supplement_request")
    assert document.number_label == "Mẫu số 02"
    assert document.source_event.action == "request-supplement"
    text = document_text(document)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "Đặng Văn Khoa" in text and dossier.code in text
    assert "1 Giấy khai sinh" in text and "2 Sổ hộ khẩu" in text
    assert "Lý do: Bản sao chưa chứng thực" in text
    assert "11 giờ 00 phút, ngày 03 tháng 3 năm 2025" in text
    assert "NGƯỜI HƯỚNG DẪN" in text and catalog.specialist.get_full_name() in text


def test_each_supplement_request_gets_its_own_form(catalog, clock, run_on_commit):
    dossier = run_on_commit(file_walk_in, catalog)
    for documents in (["Giấy A"], ["Giấy B"]):
        run_on_commit(
            transition, dossier.code, "request-supplement", catalog.desk,
            reason="Thiếu", documents=documents,
        )  # fmt: skip
        run_on_commit(
            transition, dossier.code, "supplement", catalog.desk,
            files={"to-khai": [pdf(extra=documents[0].encode())]},
        )  # fmt: skip
    forms = GeneratedDocument.objects.filter(dossier=dossier, kind="supplement_request")
    assert forms.count() == 2
    assert ["Giấy A" in document_text(f) for f in forms.order_by("id")] == [True, False]


def test_refusal_gives_the_reason(catalog, clock, run_on_commit):
    dossier = run_on_commit(file_online, catalog, applicant_name="Huỳnh Thị Bích Ngọc Ẩn")
    run_on_commit(transition, dossier.code, "refuse", catalog.desk, reason="Không thuộc thẩm quyền")
    document = only(dossier, "refusal")
    text = document_text(document)
    assert document.number_label == "Mẫu số 03"
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert "Huỳnh Thị Bích Ngọc Ẩn" in text and dossier.code in text
    assert "Không thuộc thẩm quyền" in text
    assert not GeneratedDocument.objects.filter(dossier=dossier, kind="receipt").exists()


def test_apology_has_both_appointments_and_the_heads_signature(catalog, clock, run_on_commit):
    StaffMembership.objects.filter(user=catalog.leader, role="leader").update(title="Chủ tịch")
    dossier = run_on_commit(file_walk_in, catalog, applicant_name="Nguyễn Thị Hồng Nhung")
    clock.set(2025, 3, 6, 9, 0)  # Thursday 09:00: one hour late (due Thursday 08:00)
    run_on_commit(
        transition, dossier.code, "apologize", catalog.leader,
        reason="Chờ ý kiến cơ quan phối hợp", new_due_date="2025-03-11",
    )  # fmt: skip
    document = only(dossier, "apology")
    text = document_text(document)
    assert document.number_label == "Mẫu số 04"
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert "Nguyễn Thị Hồng Nhung" in text and dossier.code in text
    assert "08 giờ 00 phút, ngày 06 tháng 3 năm 2025" in text  # the original appointment
    assert "17 giờ 00 phút, ngày 11 tháng 3 năm 2025" in text  # the new one
    assert "Chờ ý kiến cơ quan phối hợp" in text
    assert "xin lỗi" in text
    assert "THỦ TRƯỞNG CƠ QUAN" in text and "CHỦ TỊCH" in text
    assert catalog.leader.get_full_name() in text
    # The receipt printed before the apology still shows the legal appointment.
    receipt = document_text(only(dossier, "receipt"))
    assert "08 giờ 00 phút, ngày 06 tháng 3 năm 2025" in receipt


def test_process_control_sheet_on_demand(catalog, clock, run_on_commit):
    dossier = run_on_commit(file_online, catalog, applicant_name="Đặng Văn Khoa")
    clock.advance(hours=1)
    run_on_commit(transition, dossier.code, "receive", catalog.desk, note="Đủ giấy tờ")
    clock.advance(hours=1)
    run_on_commit(
        transition, dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username
    )
    sheet = services.process_control_sheet(dossier.code, catalog.desk)
    assert sheet.number_label == "Mẫu số 05"
    assert sheet.source_event == dossier.events.order_by("at", "id").last()
    text = document_text(sheet)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    assert "Đặng Văn Khoa" in text and dossier.code in text
    for label in ("Nộp hồ sơ trực tuyến", "Tiếp nhận hồ sơ", "Phân công xử lý"):
        assert label in text
    assert "Đủ giấy tờ" in text
    assert catalog.specialist.get_full_name() in text
    assert "09:00 03/03/2025" in text and "10:00 03/03/2025" in text

    # Asked again with no new event: the same document; after a new event: a new one.
    assert services.process_control_sheet(dossier.code, catalog.citizen) == sheet
    run_on_commit(
        transition, dossier.code, "request-supplement", catalog.specialist,
        reason="Thiếu", documents=["Giấy A"],
    )  # fmt: skip
    newer = services.process_control_sheet(dossier.code, catalog.desk)
    assert newer != sheet
    assert "Yêu cầu bổ sung hồ sơ" in document_text(newer)


def test_process_control_sheet_is_for_those_who_see_the_dossier(catalog, clock, run_on_commit):
    dossier = run_on_commit(file_online, catalog)
    with pytest.raises(NotFound):
        services.process_control_sheet(dossier.code, CitizenFactory())
    assert not GeneratedDocument.objects.filter(dossier=dossier).exists()
